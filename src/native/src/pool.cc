// MaxPool and MaxPoolGrad in NHWC. The gradient goes to the first maximum of each window in row-major order
// (tfjs's cpu kernel's tie rule), accumulated where windows overlap. Images are split over OpenMP threads.
#include "common.h"
#include <cmath>
#include <cstring>

namespace optilab {

// One image. Per output position, a branch-free running maximum over the window, vectorised across channels
// (window-local index of the first maximum in `at`, -1 while none), then one scatter-add per channel.
__attribute__((target_clones("avx2", "default")))
static void poolGradImage(const float* x, const float* dy, float* dx, int64_t h, int64_t w, int64_t c, int64_t oh, int64_t ow,
                          int64_t sh, int64_t sw, int64_t fh, int64_t fw, int64_t top, int64_t left, float* best, int32_t* at) {
  for (int64_t r = 0; r < oh; r++) {
    for (int64_t q = 0; q < ow; q++) {
      for (int64_t ch = 0; ch < c; ch++) {
        best[ch] = -INFINITY;
        at[ch] = -1;
      }
      for (int64_t fr = 0; fr < fh; fr++) {
        const int64_t row = r * sh - top + fr;
        if (row < 0 || row >= h) continue;
        for (int64_t fc = 0; fc < fw; fc++) {
          const int64_t col = q * sw - left + fc;
          if (col < 0 || col >= w) continue;
          const float* px = x + (row * w + col) * c;
          const int32_t k = int32_t(fr * fw + fc);
          for (int64_t ch = 0; ch < c; ch++) {
            const bool greater = px[ch] > best[ch];  // strict: ties keep the first maximum
            best[ch] = greater ? px[ch] : best[ch];
            at[ch] = greater ? k : at[ch];
          }
        }
      }
      const float* pg = dy + (r * ow + q) * c;
      for (int64_t ch = 0; ch < c; ch++) {
        if (at[ch] < 0) continue;
        const int64_t row = r * sh - top + at[ch] / fw, col = q * sw - left + at[ch] % fw;
        dx[(row * w + col) * c + ch] += pg[ch];
      }
    }
  }
}

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
#pragma omp parallel
    {
      std::vector<float> best(static_cast<size_t>(c));
      std::vector<int32_t> at(static_cast<size_t>(c));
#pragma omp for schedule(static)
      for (int64_t b = 0; b < n; b++) {
        // each thread clears the images it scatters into (the clearing is half of this kernel's memory traffic)
        std::memset(dx + b * h * w * c, 0, sizeof(float) * size_t(h * w * c));
        poolGradImage(x + b * h * w * c, dy + b * oh * ow * c, dx + b * h * w * c, h, w, c, oh, ow, sh, sw, fh, fw, top, left, best.data(), at.data());
      }
    }
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

// One image: the window maximum per output position, vectorised across channels (padding never wins).
__attribute__((target_clones("avx2", "default")))
static void poolImage(const float* x, float* y, int64_t h, int64_t w, int64_t c, int64_t oh, int64_t ow, int64_t sh, int64_t sw,
                      int64_t fh, int64_t fw, int64_t top, int64_t left) {
  for (int64_t r = 0; r < oh; r++) {
    for (int64_t q = 0; q < ow; q++) {
      float* py = y + (r * ow + q) * c;
      for (int64_t ch = 0; ch < c; ch++) py[ch] = -INFINITY;
      for (int64_t fr = 0; fr < fh; fr++) {
        const int64_t row = r * sh - top + fr;
        if (row < 0 || row >= h) continue;
        for (int64_t fc = 0; fc < fw; fc++) {
          const int64_t col = q * sw - left + fc;
          if (col < 0 || col >= w) continue;
          const float* px = x + (row * w + col) * c;
          for (int64_t ch = 0; ch < c; ch++) py[ch] = px[ch] > py[ch] ? px[ch] : py[ch];
        }
      }
    }
  }
}

// maxPool(x, y, geometry): geometry as maxPoolGrad's.
napi_value maxPool(napi_env env, napi_callback_info info) {
  try {
    Args a(env, info, 3);
    auto g = a.ints(2);
    if (g.size() != 12) throw std::runtime_error("maxPool geometry needs 12 numbers");
    const int64_t n = g[0], h = g[1], w = g[2], c = g[3], oh = g[4], ow = g[5], sh = g[6], sw = g[7], fh = g[8], fw = g[9], top = g[10], left = g[11];
    const float* x = a.view(0, size_t(n * h * w * c)).f32();
    float* y = a.view(1, size_t(n * oh * ow * c)).f32();
#pragma omp parallel for schedule(static) if (n > 1)
    for (int64_t b = 0; b < n; b++) poolImage(x + b * h * w * c, y + b * oh * ow * c, h, w, c, oh, ow, sh, sw, fh, fw, top, left);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

}  // namespace optilab
