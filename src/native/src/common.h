// Shared helpers of optilab's native kernels: N-API argument access and the per-thread oneDNN engine/stream.
#pragma once
#include <node_api.h>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>
#include <oneapi/dnnl/dnnl.hpp>

namespace optilab {

// A typed-array argument: the data pointer (into the wasm heap or a JS buffer) and its element count.
struct View {
  void* data = nullptr;
  size_t length = 0;
  float* f32() const { return static_cast<float*>(data); }
};

struct Args {
  napi_env env;
  std::vector<napi_value> argv;
  Args(napi_env e, napi_callback_info info, size_t expected);
  View view(size_t i, size_t minLength) const;
  int32_t i32(size_t i) const;
  double f64(size_t i) const;
  std::vector<int64_t> ints(size_t i) const;  // an Int32Array argument
};

// Per-thread (each Node worker thread has its own) engine and stream; the stream is in-order and synchronous.
dnnl::engine& cpuEngine();
dnnl::stream& cpuStream();

// Runs a kernel body, turning oneDNN's and other errors into JS errors with code OPTILAB_DNNL (the caller then
// falls back to another kernel or path).
template <typename F>
napi_value guarded(napi_env env, F f) {
  try {
    return f();
  } catch (const dnnl::error& e) {
    napi_throw_error(env, "OPTILAB_DNNL", (std::string("oneDNN: ") + e.what()).c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, "OPTILAB_DNNL", e.what());
  }
  return nullptr;
}

// Throws for GEMM-based oneDNN implementations (their JIT GEMM kernels are not signal-safe in this version).
void requireSignalSafe(const std::string& implementation);

napi_value conv2dForward(napi_env env, napi_callback_info info);
napi_value conv2dBackwardData(napi_env env, napi_callback_info info);
napi_value conv2dBackwardFilter(napi_env env, napi_callback_info info);
napi_value convImplementation(napi_env env, napi_callback_info info);
napi_value matmul(napi_env env, napi_callback_info info);
napi_value maxPoolGrad(napi_env env, napi_callback_info info);
napi_value maxPool(napi_env env, napi_callback_info info);
napi_value sumLeading(napi_env env, napi_callback_info info);
napi_value adamStep(napi_env env, napi_callback_info info);
napi_value biasActivation(napi_env env, napi_callback_info info);
napi_value reluGrad(napi_env env, napi_callback_info info);
napi_value addBias(napi_env env, napi_callback_info info);
napi_value intConv2d(napi_env env, napi_callback_info info);
// Defines the integer plan's functions (intPlan*, int8plan.cc) on the addon's exports.
void defineIntPlan(napi_env env, napi_value exports);

}  // namespace optilab
