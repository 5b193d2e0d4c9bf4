{
  # optilab's native training kernels: oneDNN (Debian libdnnl-dev, the library PyTorch's CPU convolutions use)
  # for convolutions and matrix products, plain C++ for pooling gradients, bias gradients and the fused Adam step.
  # Built by scripts/setup.d/40-native.sh with node-gyp against the machine's Node headers.
  "targets": [
    {
      "target_name": "optilab_native",
      "sources": ["src/addon.cc", "src/conv.cc", "src/gemm.cc", "src/pool.cc", "src/reduce.cc", "src/adam.cc", "src/epilogue.cc", "src/int8.cc", "src/int8plan.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-fopenmp", "-ffp-contract=off", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-ldnnl", "-fopenmp"]
    }
  ]
}
