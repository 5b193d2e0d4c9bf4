// Sum over all leading axes of a row-major [rows, cols] tensor (the bias gradient of a conv or dense layer),
// accumulated in double per column.
#include "common.h"

namespace optilab {

__attribute__((target_clones("avx2", "default")))
static void columnSums(const float* x, double* acc, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows; i++) {
    const float* row = x + i * cols;
    for (int64_t j = 0; j < cols; j++) acc[j] += row[j];
  }
}

// sumLeading(x, out, rows, cols): out[j] = sum_i x[i, j].
napi_value sumLeading(napi_env env, napi_callback_info info) {
  try {
    Args a(env, info, 4);
    const int64_t rows = a.i32(2), cols = a.i32(3);
    const float* x = a.view(0, size_t(rows * cols)).f32();
    float* out = a.view(1, size_t(cols)).f32();
    std::vector<double> acc(static_cast<size_t>(cols), 0.0);
    columnSums(x, acc.data(), rows, cols);
    for (int64_t j = 0; j < cols; j++) out[j] = float(acc[j]);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

}  // namespace optilab
