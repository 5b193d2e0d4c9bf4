// One fused Adam update, operation for operation the float32 arithmetic of tfjs's AdamOptimizer (each product,
// sum, quotient and square root rounded to float32 in the same order; built with -ffp-contract=off), so it gives
// the same bits as the ~12 separate tfjs kernels it replaces.
#include "common.h"
#include <cmath>

namespace optilab {

// Vectorised for AVX2 where the CPU has it (chosen at load time); IEEE operations give the same bits either way.
__attribute__((target_clones("avx2", "default")))
static void adamLoop(size_t n, const float* x, const float* g, float* m, float* v, float* out, float beta1, float omb1,
                     float beta2, float omb2, float c1, float c2, float eps, float negLr) {
  // Element-wise, so splitting over threads changes no bits; below ~64K parameters a thread team costs more than it saves.
  // simd: out may be x (an update in place), which would otherwise make the compiler's alias check fall back to scalar code.
#pragma omp parallel for simd schedule(static) if (n > (1 << 16))
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = m[i] * beta1 + gi * omb1;
    const float vi = v[i] * beta2 + (gi * gi) * omb2;
    m[i] = mi;
    v[i] = vi;
    const float mHat = mi / c1;
    const float vHat = vi / c2;
    out[i] = (mHat / (std::sqrt(vHat) + eps)) * negLr + x[i];
  }
}

// adamStep(value, grad, m, v, out, coefficients): coefficients = Float64Array [beta1, 1 - beta1, beta2, 1 - beta2,
// 1 - beta1^t, 1 - beta2^t, epsilon, -learningRate], each already a float32 value. m and v are updated in place.
napi_value adamStep(napi_env env, napi_callback_info info) {
  try {
    Args a(env, info, 6);
    View value = a.view(0, 0);
    const size_t n = value.length;
    const float* x = value.f32();
    const float* g = a.view(1, n).f32();
    float* m = a.view(2, n).f32();
    float* v = a.view(3, n).f32();
    float* out = a.view(4, n).f32();
    View k = a.view(5, 8);
    const double* c = static_cast<const double*>(k.data);
    const float beta1 = float(c[0]), omb1 = float(c[1]), beta2 = float(c[2]), omb2 = float(c[3]);
    const float c1 = float(c[4]), c2 = float(c[5]), eps = float(c[6]), negLr = float(c[7]);
    adamLoop(n, x, g, m, v, out, beta1, omb1, beta2, omb2, c1, c2, eps, negLr);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

}  // namespace optilab
