// Integer-only convolution and dense layers (src/quantize/integer.ts, as gemmlowp / TFLite): int32 accumulation
// of (x - zx) * w plus an int32 bias, then requantization by a Q31 multiplier and a shift per output channel,
// the output zero point and the activation's clamp. Bit-exact with the TypeScript reference, including its
// arithmetic at the edges (left shifts that wrap as TFLite's int32 ones, right shifts of 31 bits and more).
#include "common.h"
#include <vector>

namespace optilab {

namespace {

// round(a * b / 2^31), ties away from zero (gemmlowp's SaturatingRoundingDoublingHighMul without saturation,
// which only matters for a = b = -2^31, impossible with a non-negative multiplier).
inline int64_t highMul(int64_t a, int32_t b) {
  __int128 ab = static_cast<__int128>(a) * b;
  __int128 nudge = ab >= 0 ? (__int128(1) << 30) : (1 - (__int128(1) << 30));
  return static_cast<int64_t>((ab + nudge) / (__int128(1) << 31));  // C++ division truncates toward zero
}

// gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero (in 64 bits, so
// exponents of 31 and more, beyond TFLite's int32 shifts, are exact too).
inline int32_t roundingDivideByPOT(int32_t x, int32_t exponent) {
  if (exponent == 0) return x;
  if (exponent > 62) return 0;
  const int64_t v = x;
  const int64_t mask = (int64_t(1) << exponent) - 1;
  const int64_t remainder = v & mask;
  const int64_t threshold = (mask >> 1) + (v < 0 ? 1 : 0);
  return static_cast<int32_t>((v >> exponent) + (remainder > threshold ? 1 : 0));
}

inline int32_t requantize(int64_t acc, int32_t multiplier, int32_t shift, int32_t zp, int32_t lo, int32_t hi) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  // TFLite shifts an int32 left: a product past int32 wraps (two's complement)
  const int32_t a = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(acc) << left));
  const int32_t v = roundingDivideByPOT(static_cast<int32_t>(highMul(a, multiplier)), right) + zp;
  return v < lo ? lo : v > hi ? hi : v;
}

// The loop nest, compiled for the machine's widest integer vector units (the channel loop vectorizes).
__attribute__((target_clones("avx512f", "avx2", "default")))
void convLoops(const int32_t* x, const int32_t* wt, const int32_t* bias, const int32_t* mult, const int32_t* shift, bool perChannel, int32_t* out,
               int64_t n, int64_t h, int64_t w, int64_t cin, int64_t kh, int64_t kw, int64_t cout, int64_t oh, int64_t ow, int64_t sh, int64_t sw,
               int64_t pt, int64_t pl, int32_t zx, int32_t zy, int32_t lo, int32_t hi) {
#pragma omp parallel
  {
    std::vector<int32_t> acc(static_cast<size_t>(cout));
#pragma omp for schedule(static) collapse(2)
    for (int64_t b = 0; b < n; b++) {
      for (int64_t y = 0; y < oh; y++) {
        for (int64_t xo = 0; xo < ow; xo++) {
          for (int64_t c = 0; c < cout; c++) acc[c] = bias[c];
          for (int64_t i = 0; i < kh; i++) {
            const int64_t iy = y * sh + i - pt;
            if (iy < 0 || iy >= h) continue;  // padding holds the zero point: (q - zx) = 0
            for (int64_t j = 0; j < kw; j++) {
              const int64_t ix = xo * sw + j - pl;
              if (ix < 0 || ix >= w) continue;
              const int32_t* xp = x + ((b * h + iy) * w + ix) * cin;
              const int32_t* wp = wt + (i * kw + j) * cin * cout;
              for (int64_t ci = 0; ci < cin; ci++) {
                const int32_t xv = xp[ci] - zx;
                if (xv == 0) continue;
                const int32_t* __restrict wr = wp + ci * cout;
                int32_t* __restrict ac = acc.data();
                for (int64_t c = 0; c < cout; c++) ac[c] += xv * wr[c];
              }
            }
          }
          int32_t* o = out + ((b * oh + y) * ow + xo) * cout;
          for (int64_t c = 0; c < cout; c++) o[c] = requantize(acc[c], mult[perChannel ? c : 0], shift[perChannel ? c : 0], zy, lo, hi);
        }
      }
    }
  }
}

}  // namespace

// intConv2d(x, w, bias, multipliers, shifts, out, geometry, params):
// geometry [n, h, w, cin, kh, kw, cout, oh, ow, strideH, strideW, padTop, padLeft], params [zx, zy, lo, hi];
// x NHWC, w HWIO, all Int32Arrays; a dense layer is the 1x1 case with h = w = 1. Multipliers and shifts hold one
// value per output channel, or one for all.
napi_value intConv2d(napi_env env, napi_callback_info info) {
  try {
    Args a(env, info, 8);
    auto g = a.ints(6);
    auto p = a.ints(7);
    if (g.size() != 13 || p.size() != 4) throw std::runtime_error("intConv2d needs 13 geometry and 4 parameter numbers");
    const int64_t n = g[0], h = g[1], w = g[2], cin = g[3], kh = g[4], kw = g[5], cout = g[6], oh = g[7], ow = g[8], sh = g[9], sw = g[10], pt = g[11], pl = g[12];
    const int32_t zx = int32_t(p[0]), zy = int32_t(p[1]), lo = int32_t(p[2]), hi = int32_t(p[3]);
    const int32_t* x = static_cast<const int32_t*>(a.view(0, size_t(n * h * w * cin)).data);
    const int32_t* wt = static_cast<const int32_t*>(a.view(1, size_t(kh * kw * cin * cout)).data);
    const int32_t* bias = static_cast<const int32_t*>(a.view(2, size_t(cout)).data);
    View vm = a.view(3, 1), vs = a.view(4, 1);
    const int32_t* mult = static_cast<const int32_t*>(vm.data);
    const int32_t* shift = static_cast<const int32_t*>(vs.data);
    const bool perChannel = vm.length >= size_t(cout) && vs.length >= size_t(cout);
    int32_t* out = static_cast<int32_t*>(a.view(5, size_t(n * oh * ow * cout)).data);
    convLoops(x, wt, bias, mult, shift, perChannel, out, n, h, w, cin, kh, kw, cout, oh, ow, sh, sw, pt, pl, zx, zy, lo, hi);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

}  // namespace optilab
