// MaxPoolGrad in NHWC: each output gradient goes to the first maximum of its window in row-major order
// (tfjs's cpu kernel's tie rule), accumulated where windows overlap.
#include "common.h"
#include <cmath>
#include <cstring>

namespace optilab {

// maxPoolGrad(x, dy, dx, geometry): geometry = Int32Array [N, H, W, C, OH, OW, strideH, strideW, filterH, filterW, padTop, padLeft].
napi_value maxPoolGrad(napi_env env, napi_callback_info info) {
  try {
    Args a(env, info, 4);
    auto g = a.ints(3);
    if (g.size() != 12) throw std::runtime_error("maxPoolGrad geometry needs 12 numbers");
    const int64_t n = g[0], h = g[1], w = g[2], c = g[3], oh = g[4], ow = g[5], sh = g[6], sw = g[7], fh = g[8], fw = g[9], top = g[10], left = g[11];
    const float* x = a.view(0, size_t(n * h * w * c)).f32();
    const float* dy = a.view(1, size_t(n * oh * ow * c)).f32();
    float* dx = a.view(2, size_t(n * h * w * c)).f32();
    std::memset(dx, 0, sizeof(float) * size_t(n * h * w * c));
    std::vector<float> best(static_cast<size_t>(c));
    std::vector<int64_t> at(static_cast<size_t>(c));
    for (int64_t b = 0; b < n; b++) {
      const float* xb = x + b * h * w * c;
      float* dxb = dx + b * h * w * c;
      for (int64_t r = 0; r < oh; r++) {
        for (int64_t q = 0; q < ow; q++) {
          std::fill(best.begin(), best.end(), -INFINITY);
          std::fill(at.begin(), at.end(), -1);
          for (int64_t fr = 0; fr < fh; fr++) {
            const int64_t row = r * sh - top + fr;
            if (row < 0 || row >= h) continue;
            for (int64_t fc = 0; fc < fw; fc++) {
              const int64_t col = q * sw - left + fc;
              if (col < 0 || col >= w) continue;
              const int64_t base = (row * w + col) * c;
              const float* px = xb + base;
              for (int64_t ch = 0; ch < c; ch++) {
                if (px[ch] > best[ch]) {
                  best[ch] = px[ch];
                  at[ch] = base + ch;
                }
              }
            }
          }
          const float* pg = dy + ((b * oh + r) * ow + q) * c;
          for (int64_t ch = 0; ch < c; ch++) {
            if (at[ch] >= 0) dxb[at[ch]] += pg[ch];
          }
        }
      }
    }
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

}  // namespace optilab
