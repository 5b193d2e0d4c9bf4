// Sum over all leading axes of a row-major [rows, cols] tensor (the bias gradient of a conv or dense layer),
// accumulated in double.
#include "common.h"
#include <vector>

namespace optilab {

__attribute__((target_clones("avx2", "default")))
static void columnSums(const float* x, double* acc, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows; i++) {
    const float* row = x + i * cols;
    for (int64_t j = 0; j < cols; j++) acc[j] += row[j];
  }
}

// Narrow rows (a convolution's few channels) are summed `group` rows at a time into group x cols partial sums,
// so that the inner loop vectorises; the partial sums of each column are added at the end (all in double).
static void sums(const float* x, float* out, int64_t rows, int64_t cols) {
  const int64_t group = cols < 32 ? 32 / cols : 1;
  const int64_t full = rows / group;
  std::vector<double> acc(size_t(group * cols), 0.0);
  columnSums(x, acc.data(), full, group * cols);
  std::vector<double> total(size_t(cols), 0.0);
  for (int64_t k = 0; k < group; k++)
    for (int64_t j = 0; j < cols; j++) total[size_t(j)] += acc[size_t(k * cols + j)];
  columnSums(x + full * group * cols, total.data(), rows - full * group, cols);
  for (int64_t j = 0; j < cols; j++) out[j] = float(total[size_t(j)]);
}

// sumLeading(x, out, rows, cols): out[j] = sum_i x[i, j].
napi_value sumLeading(napi_env env, napi_callback_info info) {
  try {
    Args a(env, info, 4);
    const int64_t rows = a.i32(2), cols = a.i32(3);
    const float* x = a.view(0, size_t(rows * cols)).f32();
    float* out = a.view(1, size_t(cols)).f32();
    sums(x, out, rows, cols);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

}  // namespace optilab
