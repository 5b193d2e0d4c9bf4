// The epilogue of a fused convolution or matrix product (tfjs FusedConv2D, FusedDepthwiseConv2D, _FusedMatMul):
// y[i, j] = act(y[i, j] + bias[j]) in place on a row-major [rows, cols] output, rows split over OpenMP threads;
// and the ReLU gradient in one pass (tfjs runs it as Step, Cast and Multiply).
#include "common.h"
#include <algorithm>
#include <vector>

namespace optilab {

enum Activation { kLinear = 0, kRelu = 1, kRelu6 = 2 };

template <int A>
static inline __attribute__((always_inline)) void applyRow(const float* in, float* row, const float* bias, int64_t cols) {
  for (int64_t j = 0; j < cols; j++) {
    float v = bias ? in[j] + bias[j] : in[j];
    if (A == kRelu) v = std::max(v, 0.0f);
    if (A == kRelu6) v = std::min(std::max(v, 0.0f), 6.0f);
    row[j] = v;
  }
}

template <int A>
__attribute__((target_clones("avx2", "default")))
static void apply(const float* x, float* y, const float* bias, int64_t rows, int64_t cols) {
  // Narrow rows (a convolution with a few channels) go `group` at a time against the bias repeated `group`
  // times, so that the inner loop is long enough to vectorise: the same operations on the same values.
  const int64_t group = cols < 64 ? 64 / cols : 1;
  std::vector<float> tiled;
  if (bias && group > 1) {
    tiled.resize(size_t(group * cols));
    for (int64_t k = 0; k < group * cols; k++) tiled[size_t(k)] = bias[k % cols];
  }
  const float* wideBias = bias && group > 1 ? tiled.data() : bias;
  const int64_t wide = group * cols, full = rows / group;
#pragma omp parallel for schedule(static) if (rows * cols > (1 << 16))
  for (int64_t i = 0; i < full; i++) applyRow<A>(x + i * wide, y + i * wide, wideBias, wide);
  for (int64_t i = full * group; i < rows; i++) applyRow<A>(x + i * cols, y + i * cols, bias, cols);
}

// biasActivation(y, bias, rows, cols, activation): bias is a Float32Array of cols, or of length 0 for none;
// activation 0 linear, 1 relu, 2 relu6.
napi_value biasActivation(napi_env env, napi_callback_info info) {
  try {
    Args a(env, info, 5);
    const int64_t rows = a.i32(2), cols = a.i32(3);
    const int32_t act = a.i32(4);
    float* y = a.view(0, size_t(rows * cols)).f32();
    View b = a.view(1, 0);
    if (b.length != 0 && b.length != size_t(cols)) throw std::runtime_error("bias must have one value per column");
    const float* bias = b.length ? b.f32() : nullptr;
    if (act == kLinear) apply<kLinear>(y, y, bias, rows, cols);
    else if (act == kRelu) apply<kRelu>(y, y, bias, rows, cols);
    else if (act == kRelu6) apply<kRelu6>(y, y, bias, rows, cols);
    else throw std::runtime_error("activation must be 0 (linear), 1 (relu) or 2 (relu6)");
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

// addBias(x, bias, y, rows, cols): y[i, j] = x[i, j] + bias[j] (the bias add of a layer in training, where tfjs
// does not fuse it; a broadcasting Add on wasm).
napi_value addBias(napi_env env, napi_callback_info info) {
  try {
    Args a(env, info, 5);
    const int64_t rows = a.i32(3), cols = a.i32(4);
    apply<kLinear>(a.view(0, size_t(rows * cols)).f32(), a.view(2, size_t(rows * cols)).f32(), a.view(1, size_t(cols)).f32(), rows, cols);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

__attribute__((target_clones("avx2", "default")))
static void reluBackward(const float* dy, const float* x, float* dx, int64_t n) {
#pragma omp parallel for schedule(static) if (n > (1 << 16))
  for (int64_t i = 0; i < n; i++) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

// reluGrad(dy, x, dx, n): dx = dy where x > 0, else 0 (x is the ReLU's input).
napi_value reluGrad(napi_env env, napi_callback_info info) {
  try {
    Args a(env, info, 4);
    const int64_t n = a.i32(3);
    reluBackward(a.view(0, size_t(n)).f32(), a.view(1, size_t(n)).f32(), a.view(2, size_t(n)).f32(), n);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

}  // namespace optilab
