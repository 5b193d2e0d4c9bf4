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

// The 2x2, stride-2 pool with no top/left padding (every zoo model's): windows tile the image, so each input
// gets its gradient written once (no clearing, no scatter). A window's positions past the bottom/right edge
// read `lowest` (never a maximum: the first position is always inside) and write to `discard`.
struct Window2x2 {
  const float* x[4];
  float* dx[4];
};

static Window2x2 window2x2(const float* x, float* dx, int64_t h, int64_t w, int64_t c, int64_t r, int64_t q, const float* lowest, float* discard) {
  Window2x2 win;
  for (int k = 0; k < 4; k++) {
    const int64_t row = 2 * r + k / 2, col = 2 * q + k % 2;
    const bool inside = row < h && col < w;
    win.x[k] = inside ? x + (row * w + col) * c : lowest;
    win.dx[k] = inside ? dx + (row * w + col) * c : discard;
  }
  return win;
}

__attribute__((target_clones("avx2", "default")))
static void poolGrad2x2Image(const float* x, const float* dy, float* dx, int64_t h, int64_t w, int64_t c, int64_t oh, int64_t ow,
                             const float* lowest, float* discard) {
  for (int64_t r = 0; r < oh; r++) {
    for (int64_t q = 0; q < ow; q++) {
      const Window2x2 win = window2x2(x, dx, h, w, c, r, q, lowest, discard);
      // restrict: the compiler may keep everything in registers (node-gyp builds with -fno-strict-aliasing)
      const float* __restrict x0 = win.x[0];
      const float* __restrict x1 = win.x[1];
      const float* __restrict x2 = win.x[2];
      const float* __restrict x3 = win.x[3];
      float* __restrict d0 = win.dx[0];
      float* __restrict d1 = win.dx[1];
      float* __restrict d2 = win.dx[2];
      float* __restrict d3 = win.dx[3];
      const float* __restrict g = dy + (r * ow + q) * c;
      for (int64_t ch = 0; ch < c; ch++) {
        // the first maximum in row-major order wins (strict comparisons), as in the general kernel
        // masks only, no branches (on real activations the winner is unpredictable): the first maximum wins
        const float a0 = x0[ch], a1 = x1[ch], a2 = x2[ch], a3 = x3[ch];
        const uint32_t w1 = -uint32_t(a1 > a0);
        const float m1 = a1 > a0 ? a1 : a0;
        const uint32_t w2 = -uint32_t(a2 > m1);
        const float m2 = a2 > m1 ? a2 : m1;
        const uint32_t w3 = -uint32_t(a3 > m2);
        uint32_t gv;
        std::memcpy(&gv, g + ch, 4);
        const uint32_t bits[4] = {gv & ~w1 & ~w2 & ~w3, gv & w1 & ~w2 & ~w3, gv & w2 & ~w3, gv & w3};
        std::memcpy(d0 + ch, bits, 4);
        std::memcpy(d1 + ch, bits + 1, 4);
        std::memcpy(d2 + ch, bits + 2, 4);
        std::memcpy(d3 + ch, bits + 3, 4);
      }
    }
  }
}

__attribute__((target_clones("avx2", "default")))
static void pool2x2Image(const float* x, float* y, int64_t h, int64_t w, int64_t c, int64_t oh, int64_t ow, const float* lowest, float* discard) {
  for (int64_t r = 0; r < oh; r++) {
    for (int64_t q = 0; q < ow; q++) {
      const Window2x2 win = window2x2(x, discard, h, w, c, r, q, lowest, discard);
      float* py = y + (r * ow + q) * c;
      for (int64_t ch = 0; ch < c; ch++) {
        // in the general kernel's order, so ties (+0 and -0) resolve the same way
        float m = win.x[0][ch];
        for (int k = 1; k < 4; k++) m = win.x[k][ch] > m ? win.x[k][ch] : m;
        py[ch] = m;
      }
    }
  }
}

static bool isTiled2x2(int64_t sh, int64_t sw, int64_t fh, int64_t fw, int64_t top, int64_t left) {
  return sh == 2 && sw == 2 && fh == 2 && fw == 2 && top == 0 && left == 0;
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
    if (isTiled2x2(sh, sw, fh, fw, top, left)) {
      const std::vector<float> lowest(static_cast<size_t>(c), -INFINITY);
#pragma omp parallel
      {
        std::vector<float> discard(static_cast<size_t>(c));
#pragma omp for schedule(static)
        for (int64_t b = 0; b < n; b++) poolGrad2x2Image(x + b * h * w * c, dy + b * oh * ow * c, dx + b * h * w * c, h, w, c, oh, ow, lowest.data(), discard.data());
      }
      return nullptr;
    }
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
    if (isTiled2x2(sh, sw, fh, fw, top, left)) {
      const std::vector<float> lowest(static_cast<size_t>(c), -INFINITY);
#pragma omp parallel if (n > 1)
      {
        std::vector<float> discard(static_cast<size_t>(c));
#pragma omp for schedule(static)
        for (int64_t b = 0; b < n; b++) pool2x2Image(x + b * h * w * c, y + b * oh * ow * c, h, w, c, oh, ow, lowest.data(), discard.data());
      }
      return nullptr;
    }
#pragma omp parallel for schedule(static) if (n > 1)
    for (int64_t b = 0; b < n; b++) poolImage(x + b * h * w * c, y + b * oh * ow * c, h, w, c, oh, ow, sh, sw, fh, fw, top, left);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

}  // namespace optilab
