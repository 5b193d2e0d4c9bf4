// Batched row-major matrix product (tfjs BatchMatMul) on oneDNN's sgemm, transposes handled by the GEMM
// itself instead of being materialised.
#include "common.h"

namespace optilab {

// matmul(a, b, out, dims): dims = Int32Array [batchA, batchB, M, N, K, transposeA, transposeB];
// a is [batchA, M, K] ([batchA, K, M] when transposed), b is [batchB, K, N] ([batchB, N, K]); a batch of 1 broadcasts.
napi_value matmul(napi_env env, napi_callback_info info) {
  try {
    Args a(env, info, 4);
    auto d = a.ints(3);
    if (d.size() != 7) throw std::runtime_error("matmul dims needs 7 numbers");
    const int64_t batchA = d[0], batchB = d[1], m = d[2], n = d[3], k = d[4];
    const bool ta = d[5] != 0, tb = d[6] != 0;
    const int64_t batch = batchA > batchB ? batchA : batchB;
    View va = a.view(0, size_t(batchA * m * k)), vb = a.view(1, size_t(batchB * k * n)), vc = a.view(2, size_t(batch * m * n));
    for (int64_t i = 0; i < batch; i++) {
      const float* pa = va.f32() + (batchA == 1 ? 0 : i) * m * k;
      const float* pb = vb.f32() + (batchB == 1 ? 0 : i) * k * n;
      float* pc = vc.f32() + i * m * n;
      dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, pa, ta ? m : k, pb, tb ? k : n, 0.0f, pc, n);
      if (st != dnnl_success) throw std::runtime_error("dnnl_sgemm failed with status " + std::to_string(int(st)));
    }
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

}  // namespace optilab
