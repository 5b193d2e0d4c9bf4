// The integer-only inference plan (src/quantize/integer-plan.ts): a whole int8 model as one native call per
// batch, bit-exact with the TypeScript reference loops of src/quantize/integer.ts. Activations stay bytes
// between layers: a tensor whose values lie in [o, o + 255] is stored as u = q - o (u8), o known per tensor.
// Convolutions and dense layers are oneDNN int8 primitives (u8 source x s8 weights -> s32, no scales: exact
// integer sums); the input zero point zu (in the u domain) is handled here: padding is written explicitly with
// zu before a 'valid' convolution, so every window sums (u - zu) * w = sum u * w - zu * sum w, and the caller
// folds -zu * sum w into the bias. Then the gemmlowp / TFLite requantization (as int8.cc's `requantize`) in
// 64-bit lanes, max-pooling on bytes, flatten free (NHWC). The batch runs in chunks so activations stay in cache.
#include "common.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <omp.h>
#include <tuple>
#include <utility>

namespace optilab {
using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

constexpr int64_t kSerialMacs = 2'000'000;  // below this many multiply-accumulates a call runs on one thread
constexpr int64_t kChunk = 16;  // images per pass through the layers (the largest s32 activation stays in L2)

// Requantization constants per output channel, tiled to `period` (a multiple of the channel count of at least
// 64) so the loop over a flat [rows, channels] array vectorizes whatever the channel count. Shifts are reduced
// to what int32 lanes express with the same results: a left shift of 32 or more leaves 0 (as the reference's
// `| 0`), and so does a right shift of 32 or more (|highMul| < 2^31).
struct Requant {
  int64_t period = 0;
  std::vector<int32_t> bias, mult, left, right, mask;
  int32_t zq = 0, lo = 0, hi = 0;  // output zero point and clamp bounds, in the output's u domain
  bool monotone = true;            // no left shift: the result never decreases as the sum grows (max-pool may go first)

  Requant(const int32_t* b, const int32_t* m, const int32_t* shift, int64_t cout, int32_t zq_, int32_t lo_, int32_t hi_) : zq(zq_), lo(lo_), hi(hi_) {
    period = cout * ((64 + cout - 1) / cout);
    for (int64_t j = 0; j < period; j++) {
      const int64_t c = j % cout;
      int32_t l = shift[c] > 0 ? shift[c] : 0;
      int64_t r = shift[c] > 0 ? 0 : -int64_t(shift[c]);
      int32_t mm = m[c];
      if (l > 0) monotone = false;
      if (l >= 32 || r >= 32) {
        l = 0;
        r = 0;
        mm = 0;
      }
      bias.push_back(b[c]);
      mult.push_back(mm);
      left.push_back(l);
      right.push_back(int32_t(r));
      mask.push_back(int32_t(uint32_t((uint64_t(1) << r) - 1)));
    }
  }
};

// out[i] = requantized acc[i] (u8) for a run of `n` values starting at channel 0.
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
void requantRun(const int32_t* __restrict acc, uint8_t* __restrict out, int64_t n, const Requant& q) {
  const int64_t P = q.period;
  const int32_t* __restrict bias = q.bias.data();
  const int32_t* __restrict mult = q.mult.data();
  const int32_t* __restrict left = q.left.data();
  const int32_t* __restrict mask = q.mask.data();
  const int32_t* __restrict right = q.right.data();
  const int32_t zq = q.zq, lo = q.lo, hi = q.hi;
  for (int64_t start = 0; start < n; start += P) {
    const int64_t len = std::min(P, n - start);
    const int32_t* a = acc + start;
    uint8_t* o = out + start;
    for (int64_t j = 0; j < len; j++) {
      // the sum is exact in int32 (the caller's overflow guard); a left shift wraps as TFLite's int32 one
      const int32_t x = int32_t(uint32_t(a[j] + bias[j]) << left[j]);
      // SaturatingRoundingDoublingHighMul: round(x * m / 2^31), ties away from zero (m >= 0: no saturation)
      const int64_t ab = int64_t(x) * mult[j];
      const int64_t t = ab + (ab >= 0 ? (int64_t(1) << 30) : 1 - (int64_t(1) << 30));
      const int32_t hm = int32_t((t + ((t >> 63) & ((int64_t(1) << 31) - 1))) >> 31);  // t / 2^31, truncated toward zero
      // RoundingDivideByPOT: hm / 2^right to nearest, ties away from zero
      const int32_t threshold = (mask[j] >> 1) + (hm < 0 ? 1 : 0);
      const int32_t r = (hm >> right[j]) + ((hm & mask[j]) > threshold ? 1 : 0);
      int32_t v = r + zq;
      v = v < lo ? lo : v > hi ? hi : v;
      o[j] = uint8_t(v);
    }
  }
}

// requantRun over `rows` rows of `cols` values (cols a multiple of the channel count), split over threads.
void requantize(const int32_t* acc, uint8_t* out, int64_t rows, int64_t cols, const Requant& q) {
  const int64_t block = std::max<int64_t>(1, 4096 / cols);  // rows per task
#pragma omp parallel for schedule(static) if (rows * cols >= 1 << 15)
  for (int64_t r = 0; r < rows; r += block) requantRun(acc + r * cols, out + r * cols, std::min(block, rows - r) * cols, q);
}

// Max-pool of int32 sums (NHWC), then requantization: for a monotone requantization, the same bytes as
// requantizing first, on a quarter of the values for 2x2 windows.
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
void poolRow(const int32_t* __restrict acc, int32_t* __restrict vmax, int32_t* __restrict pooled, int64_t w, int64_t c, int64_t ow, int64_t r0, int64_t r1,
             int64_t pw, int64_t sw, int64_t pl) {
  const int64_t row = w * c;
  const int32_t* first = acc + r0 * row;
  for (int64_t j = 0; j < row; j++) vmax[j] = first[j];
  for (int64_t i = r0 + 1; i < r1; i++) {
    const int32_t* p = acc + i * row;
    for (int64_t j = 0; j < row; j++) vmax[j] = p[j] > vmax[j] ? p[j] : vmax[j];
  }
  for (int64_t q = 0; q < ow; q++) {
    const int64_t c0 = std::max<int64_t>(q * sw - pl, 0), c1 = std::min<int64_t>(q * sw - pl + pw, w);
    int32_t* o = pooled + q * c;
    const int32_t* p0 = vmax + c0 * c;
    for (int64_t ch = 0; ch < c; ch++) o[ch] = p0[ch];
    for (int64_t j = c0 + 1; j < c1; j++) {
      const int32_t* p = vmax + j * c;
      for (int64_t ch = 0; ch < c; ch++) o[ch] = p[ch] > o[ch] ? p[ch] : o[ch];
    }
  }
}

void poolRequantize(const int32_t* acc, uint8_t* out, int64_t n, int64_t h, int64_t w, int64_t c, int64_t oh, int64_t ow, int64_t ph, int64_t sh,
                    int64_t pt, int64_t pw, int64_t sw, int64_t pl, const Requant& q) {
#pragma omp parallel if (n * h * w * c >= 1 << 15)
  {
    std::vector<int32_t> vmax(size_t(w * c)), pooled(size_t(ow * c));
#pragma omp for schedule(static) collapse(2)
    for (int64_t b = 0; b < n; b++) {
      for (int64_t r = 0; r < oh; r++) {
        const int64_t r0 = std::max<int64_t>(r * sh - pt, 0), r1 = std::min<int64_t>(r * sh - pt + ph, h);
        poolRow(acc + b * h * w * c, vmax.data(), pooled.data(), w, c, ow, r0, r1, pw, sw, pl);
        requantRun(pooled.data(), out + (b * oh + r) * ow * c, ow * c, q);
      }
    }
  }
}

// NHWC max-pool of bytes; windows clipped to the image (padding never wins, as the reference's).
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
void maxPoolBytes(const uint8_t* __restrict x, uint8_t* __restrict y, int64_t n, int64_t h, int64_t w, int64_t c, int64_t oh, int64_t ow,
                  int64_t ph, int64_t pw, int64_t sh, int64_t sw, int64_t pt, int64_t pl) {
#pragma omp parallel for schedule(static) collapse(2) if (n * oh * ow * c >= 1 << 15)
  for (int64_t b = 0; b < n; b++) {
    for (int64_t r = 0; r < oh; r++) {
      const int64_t r0 = std::max<int64_t>(r * sh - pt, 0), r1 = std::min<int64_t>(r * sh - pt + ph, h);
      for (int64_t q = 0; q < ow; q++) {
        const int64_t c0 = std::max<int64_t>(q * sw - pl, 0), c1 = std::min<int64_t>(q * sw - pl + pw, w);
        uint8_t* __restrict o = y + ((b * oh + r) * ow + q) * c;
        for (int64_t ch = 0; ch < c; ch++) o[ch] = 0;
        for (int64_t i = r0; i < r1; i++) {
          for (int64_t j = c0; j < c1; j++) {
            const uint8_t* __restrict p = x + ((b * h + i) * w + j) * c;
            for (int64_t ch = 0; ch < c; ch++) o[ch] = p[ch] > o[ch] ? p[ch] : o[ch];
          }
        }
      }
    }
  }
}

enum OpKind { kConv, kDense, kPool, kClampMin };

// One layer of the plan, as added by the caller; `h, w, c` its input shape (one image), `oh, ow, oc` its output's.
struct Op {
  OpKind kind;
  int64_t h, w, c, oh, ow, oc;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0, pb = 0, pr = 0;
  uint8_t pad = 0;                  // the input zero point (u domain) written into the padding
  std::vector<int8_t> weights;      // HWIO (dense: [K, N])
  std::unique_ptr<Requant> requant;
  uint8_t clampMin = 0;
  // A one-channel convolution with few filters runs "width-folded": 4 neighbouring columns become 4 input channels
  // and 4 output columns 4 x cout output channels (the same bytes in NHWC), so oneDNN's int8 kernels get whole
  // 4-byte groups instead of 1 channel padded to 4 (lenet5's conv1: half the time).
  bool fold = false;
  int64_t foldedKw() const { return (kw + 2) / 4 + 1; }
  int64_t foldedW() const { return ow / 4 + foldedKw() - 1; }
  int64_t hp() const { return h + pt + std::max<int64_t>(pb, 0); }
  int64_t wp() const { return fold ? 4 * foldedW() : w + pl + std::max<int64_t>(pr, 0); }
  bool padded() const { return fold || pt > 0 || pl > 0 || pb > 0 || pr > 0; }
};

// An op's oneDNN primitive for one batch size and thread count, with its weights in the primitive's layout.
struct Prim {
  dnnl::primitive primitive;
  memory src, weights, dst;
  std::string impl;
};

// Everything one batch size and thread count needs: primitives and preallocated activations.
struct Runner {
  std::vector<Prim> prims;               // one per op (empty for pooling and clamps)
  std::vector<std::vector<uint8_t>> padded;  // per op: its padded input (borders written once)
  std::vector<uint8_t> input, bytes[2];
  std::vector<int32_t> acc;
};

void checkExact(const memory::desc& weights, const std::string& impl) {
  requireSignalSafe(impl);
  // without VNNI oneDNN halves the weights (to avoid int16 saturation): the sums would no longer be exact
  const auto& extra = weights.data.extra;
  const bool halved = (extra.flags & dnnl_memory_extra_flag_scale_adjust) && extra.scale_adjust != 1.0f;
  if (halved || (extra.flags & ~uint64_t(dnnl_memory_extra_flag_scale_adjust)) != 0)
    throw std::runtime_error("oneDNN adjusts the int8 weights of " + impl + " (no VNNI?): its sums would not be exact");
}

// The width-folded filter (see Op::fold), HWIO [kh, foldedKw, 4, 4 * cout]: tap (i, t, k) of output column p
// is the original tap (i, 4t + k - p), or 0 outside the filter.
std::vector<int8_t> foldWeights(const Op& op) {
  const int64_t kw2 = op.foldedKw(), co = op.oc;
  std::vector<int8_t> out(size_t(op.kh * kw2 * 4 * 4 * co), 0);
  for (int64_t i = 0; i < op.kh; i++)
    for (int64_t t = 0; t < kw2; t++)
      for (int64_t k = 0; k < 4; k++)
        for (int64_t p = 0; p < 4; p++) {
          const int64_t j = 4 * t + k - p;
          if (j < 0 || j >= op.kw) continue;
          for (int64_t c = 0; c < co; c++) out[size_t((((i * kw2 + t) * 4 + k) * 4 + p) * co + c)] = op.weights[size_t((i * op.kw + j) * co + c)];
        }
  return out;
}

// Below a full chunk, the first implementation that does not use AMX: an AMX kernel reads the tile palette
// (cpuid leaf 0x1d) on every execution, which traps to the hypervisor in a VM and cost lenet5 about half of a
// one-image pass (28 -> 16 us measured); on full chunks AMX still pays for itself.
template <typename PD>
void preferSmallBatchImpl(PD& pd, int64_t n) {
  if (n >= kChunk) return;
  PD first = pd;
  while (std::string(pd.impl_info_str()).find("amx") != std::string::npos) {
    if (!pd.next_impl()) {
      pd = first;
      return;
    }
  }
}

Prim makeConv(const Op& op, int64_t n) {
  const int64_t c = op.fold ? 4 : op.c, kw = op.fold ? op.foldedKw() : op.kw, oc = op.fold ? 4 * op.oc : op.oc, ow = op.fold ? op.ow / 4 : op.ow;
  const int64_t wp = op.fold ? op.foldedW() : op.wp();
  memory::desc src({n, c, op.hp(), wp}, dt::u8, tag::nhwc);
  memory::desc dst({n, oc, op.oh, ow}, dt::s32, tag::nhwc);
  memory::desc wAny({oc, c, op.kh, kw}, dt::s8, tag::any);
  memory::desc wUser({oc, c, op.kh, kw}, dt::s8, tag::hwio);
  // right padding 0 on the explicitly padded input: oneDNN's output size is floor((hp - kh) / sh) + 1 = oh
  const int64_t padB = (op.oh - 1) * op.sh + op.kh - op.hp(), padR = (ow - 1) * op.sw + kw - wp;
  dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, wAny, dst, {op.sh, op.sw}, {0, 0},
                                    {padB, padR});
  dnnl::convolution_forward::primitive_desc pd(d, cpuEngine());
  preferSmallBatchImpl(pd, n);
  Prim p;
  p.impl = pd.impl_info_str();
  checkExact(pd.weights_desc(), p.impl);
  p.primitive = dnnl::convolution_forward(pd);
  p.src = memory(src, cpuEngine(), DNNL_MEMORY_NONE);
  p.dst = memory(dst, cpuEngine(), DNNL_MEMORY_NONE);
  p.weights = memory(pd.weights_desc(), cpuEngine());
  std::vector<int8_t> weights = op.fold ? foldWeights(op) : op.weights;
  memory user(wUser, cpuEngine(), weights.data());
  dnnl::reorder(user, p.weights).execute(cpuStream(), user, p.weights);
  cpuStream().wait();
  return p;
}

Prim makeDense(const Op& op, int64_t n) {
  const int64_t k = op.h * op.w * op.c, units = op.oc;
  memory::desc src({n, k}, dt::u8, tag::ab), dst({n, units}, dt::s32, tag::ab);
  memory::desc wAny({k, units}, dt::s8, tag::any), wUser({k, units}, dt::s8, tag::ab);
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, wAny, dst), cpuEngine());
  preferSmallBatchImpl(pd, n);
  Prim p;
  p.impl = pd.impl_info_str();
  checkExact(pd.weights_desc(), p.impl);
  p.primitive = dnnl::matmul(pd);
  p.src = memory(src, cpuEngine(), DNNL_MEMORY_NONE);
  p.dst = memory(dst, cpuEngine(), DNNL_MEMORY_NONE);
  p.weights = memory(pd.weights_desc(), cpuEngine());
  memory user(wUser, cpuEngine(), const_cast<int8_t*>(op.weights.data()));
  dnnl::reorder(user, p.weights).execute(cpuStream(), user, p.weights);
  cpuStream().wait();
  return p;
}

// The input's float -> int8 quantization with the operations of runIntegerModel's TypeScript, each a double
// operation rounded to float32 as its Math.fround (-ffp-contract=off keeps them unfused): v = x * scale + offset
// (when the model rescales; scale and offset are doubles there), then q = clamp(zp + rint(v * inv)), inv a float32,
// stored as q - qmin.
struct InputQuant {
  bool rescale = false;
  double scale = 1, offset = 0, inv = 1;
  double zp = 0, qmin = 0, qmax = 255;
};

__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
void quantizeInput(const float* __restrict x, uint8_t* __restrict u, int64_t n, const InputQuant& q) {
  const double scale = q.scale, offset = q.offset, inv = q.inv;
  const double zp = q.zp, lo = q.qmin, hi = q.qmax;
  const bool rescale = q.rescale;
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    if (rescale) v = float(double(float(double(v) * scale)) + offset);
    double r = zp + std::nearbyint(double(float(double(v) * inv)));  // round half to even, as the reference's rint
    r = r < lo ? lo : r > hi ? hi : r;
    if (r != r) r = 0;  // NaN: the reference's Int32Array stores 0
    u[i] = uint8_t(int32_t(r) - int32_t(lo));
  }
}

struct Plan {
  int64_t h, w, c;  // input image
  InputQuant quant;
  std::vector<Op> ops;
  // oneDNN fixes a primitive's thread count when it is created: the OpenMP thread count is part of the key, and
  // so is the thread slot (-1: the calling thread; t: OpenMP thread t running whole chunks, see intPlanRun).
  std::map<std::tuple<int, int64_t, int>, std::unique_ptr<Runner>> runners;

  // Multiply-accumulates per image (convolutions and dense layers).
  int64_t macsPerImage() const {
    int64_t macs = 0;
    for (const Op& op : ops)
      if (op.kind == kConv) macs += op.oh * op.ow * op.oc * op.kh * op.kw * op.c;
      else if (op.kind == kDense) macs += op.h * op.w * op.c * op.oc;
    return macs;
  }

  int64_t outH() const { return ops.empty() ? h : ops.back().oh; }
  int64_t outW() const { return ops.empty() ? w : ops.back().ow; }
  int64_t outC() const { return ops.empty() ? c : ops.back().oc; }

  Runner& runner(int64_t n, int thread = -1) {
    cpuStream();  // engine and stream first, so they outlive the plan
    std::unique_ptr<Runner>* found;
#pragma omp critical(optilab_int8_runners)
    found = &runners[{omp_get_max_threads(), n, thread}];
    std::unique_ptr<Runner>& slot = *found;  // only this thread uses its slot
    if (slot) return *slot;
    auto r = std::make_unique<Runner>();
    size_t largest = size_t(n * h * w * c), largestAcc = 0;
    for (const Op& op : ops) {
      const size_t out = size_t(n * op.oh * op.ow * op.oc);
      largest = std::max(largest, out);
      std::vector<uint8_t> pad;
      if (op.kind == kConv) {
        largestAcc = std::max(largestAcc, out);
        r->prims.push_back(makeConv(op, n));
        if (op.padded()) pad.assign(size_t(n * op.hp() * op.wp() * op.c), op.pad);
      } else if (op.kind == kDense) {
        largestAcc = std::max(largestAcc, out);
        r->prims.push_back(makeDense(op, n));
      } else {
        r->prims.emplace_back();
      }
      r->padded.push_back(std::move(pad));
    }
    r->input.resize(size_t(n * h * w * c));
    r->bytes[0].resize(largest);
    r->bytes[1].resize(largest);
    r->acc.resize(largestAcc);
    slot = std::move(r);
    return *slot;
  }

  // Runs `n` images (float, [n, h, w, c]) through every op; returns the output bytes ([n, outH, outW, outC]).
  const uint8_t* run(const float* images, int64_t n, int thread = -1) {
    Runner& r = runner(n, thread);
    auto& s = cpuStream();
    quantizeInput(images, r.input.data(), n * h * w * c, quant);
    const uint8_t* src = r.input.data();
    int next = 0;
    for (size_t i = 0; i < ops.size(); i++) {
      const Op& op = ops[i];
      uint8_t* dst = r.bytes[next].data();
      // a max-pool right after a monotone requantization pools the sums first
      const Op* pool = i + 1 < ops.size() && ops[i + 1].kind == kPool && op.kind == kConv && op.requant->monotone ? &ops[i + 1] : nullptr;
      if (op.kind == kConv || op.kind == kDense) {
        const uint8_t* x = src;
        if (op.padded()) {
          // the interior of the padded input; its borders hold the zero point since the runner was made
          uint8_t* p = r.padded[i].data();
          // (columns past the padded width are never read)
          const int64_t hp = op.hp(), wp = op.wp(), row = op.w * op.c, copy = std::min(op.w, wp - op.pl) * op.c;
          for (int64_t b = 0; b < n; b++)
            for (int64_t y = 0; y < op.h; y++) std::memcpy(p + ((b * hp + y + op.pt) * wp + op.pl) * op.c, src + (b * op.h + y) * row, size_t(copy));
          x = p;
        }
        Prim& pr = r.prims[i];
        pr.src.set_data_handle(const_cast<uint8_t*>(x));
        pr.dst.set_data_handle(r.acc.data());
        pr.primitive.execute(s, {{DNNL_ARG_SRC, pr.src}, {DNNL_ARG_WEIGHTS, pr.weights}, {DNNL_ARG_DST, pr.dst}});
        s.wait();
        if (pool) {
          poolRequantize(r.acc.data(), dst, n, op.oh, op.ow, op.oc, pool->oh, pool->ow, pool->kh, pool->sh, pool->pt, pool->kw, pool->sw, pool->pl, *op.requant);
          i++;
        } else {
          requantize(r.acc.data(), dst, n * op.oh * op.ow, op.oc, *op.requant);
        }
      } else if (op.kind == kPool) {
        maxPoolBytes(src, dst, n, op.h, op.w, op.c, op.oh, op.ow, op.kh, op.kw, op.sh, op.sw, op.pt, op.pl);
      } else {
        const int64_t count = n * op.h * op.w * op.c;
        const uint8_t m = op.clampMin;
        for (int64_t j = 0; j < count; j++) dst[j] = src[j] < m ? m : src[j];
      }
      src = dst;
      next ^= 1;
    }
    return src;
  }
};

void deletePlan(napi_env, void* data, void*) { delete static_cast<Plan*>(data); }

Plan& planOf(napi_env env, napi_value v) {
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok || !data) throw std::runtime_error("expected an integer plan (from intPlanCreate)");
  return *static_cast<Plan*>(data);
}

void checkWindow(const Op& op) {
  // oh, ow were computed from the padded size, so the windows fit it
  if (op.oh < 1 || op.ow < 1 || op.kh < 1 || op.kw < 1 || op.sh < 1 || op.sw < 1 || op.pt < 0 || op.pl < 0) throw std::runtime_error("bad layer geometry");
}

// Requantization constants for `cout` channels from Int32Array arguments bias, multipliers, shifts, out [zq, lo, hi].
std::unique_ptr<Requant> requantArgs(const Args& a, size_t first, int64_t cout) {
  const int32_t* bias = static_cast<const int32_t*>(a.view(first, size_t(cout)).data);
  const int32_t* mult = static_cast<const int32_t*>(a.view(first + 1, size_t(cout)).data);
  const int32_t* shift = static_cast<const int32_t*>(a.view(first + 2, size_t(cout)).data);
  auto p = a.ints(first + 3);
  if (p.size() != 3 || p[1] < 0 || p[2] > 255 || p[1] > p[2]) throw std::runtime_error("requantization needs [zq, lo, hi] with 0 <= lo <= hi <= 255");
  for (int64_t c = 0; c < cout; c++)
    if (mult[c] < 0) throw std::runtime_error("multipliers must be >= 0");
  return std::make_unique<Requant>(bias, mult, shift, cout, int32_t(p[0]), int32_t(p[1]), int32_t(p[2]));
}

Op& append(Plan& plan, OpKind kind) {
  Op op{};
  op.kind = kind;
  op.h = plan.outH();
  op.w = plan.outW();
  op.c = plan.outC();
  plan.ops.push_back(std::move(op));
  return plan.ops.back();
}

// intPlanCreate(input Int32Array [h, w, c], quantization Float64Array [rescale (0/1), scale, offset, inv, zp, qmin, qmax]) -> plan
napi_value intPlanCreate(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, 2);
    auto g = a.ints(0);
    if (g.size() != 3 || g[0] < 1 || g[1] < 1 || g[2] < 1) throw std::runtime_error("intPlanCreate needs [h, w, c]");
    const double* qp = static_cast<const double*>(a.view(1, 7).data);
    if (qp[6] - qp[5] > 255 || qp[6] < qp[5]) throw std::runtime_error("the input's range must fit a byte");
    auto plan = new Plan();
    plan->h = g[0];
    plan->w = g[1];
    plan->c = g[2];
    plan->quant.rescale = qp[0] != 0;
    plan->quant.scale = qp[1];
    plan->quant.offset = qp[2];
    plan->quant.inv = qp[3];
    plan->quant.zp = qp[4];
    plan->quant.qmin = qp[5];
    plan->quant.qmax = qp[6];
    napi_value out;
    if (napi_create_external(env, plan, deletePlan, nullptr, &out) != napi_ok) {
      delete plan;
      throw std::runtime_error("could not create the plan object");
    }
    return out;
  });
}

// intPlanConv(plan, geometry [kh, kw, cout, sh, sw, padTop, padLeft, padBottom, padRight, padValue], weights Int8Array HWIO,
//             bias, multipliers, shifts (Int32Arrays, one per channel), out [zq, lo, hi]); builds the primitive to check it
napi_value intPlanConv(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, 7);
    Plan& plan = planOf(env, a.argv[0]);
    auto g = a.ints(1);
    if (g.size() != 10 || g[9] < 0 || g[9] > 255) throw std::runtime_error("intPlanConv needs 10 geometry numbers");
    Op& op = append(plan, kConv);
    op.kh = g[0]; op.kw = g[1]; op.oc = g[2]; op.sh = g[3]; op.sw = g[4]; op.pt = g[5]; op.pl = g[6]; op.pb = g[7]; op.pr = g[8];
    op.pad = uint8_t(g[9]);
    op.oh = (op.h + op.pt + op.pb - op.kh) / op.sh + 1;
    op.ow = (op.w + op.pl + op.pr - op.kw) / op.sw + 1;
    op.fold = op.c == 1 && op.sw == 1 && op.ow % 4 == 0 && op.oc <= 8 && op.wp() >= op.pl + 1;
    try {
      checkWindow(op);
      const int8_t* w = static_cast<const int8_t*>(a.view(2, size_t(op.kh * op.kw * op.c * op.oc)).data);
      op.weights.assign(w, w + op.kh * op.kw * op.c * op.oc);
      op.requant = requantArgs(a, 3, op.oc);
      makeConv(op, kChunk);  // throws for a geometry oneDNN will not run exactly
    } catch (...) {
      plan.ops.pop_back();
      throw;
    }
    return nullptr;
  });
}

// intPlanDense(plan, units, weights Int8Array [K, units], bias, multipliers, shifts, out [zq, lo, hi]); K = the input's size
napi_value intPlanDense(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, 7);
    Plan& plan = planOf(env, a.argv[0]);
    const int64_t units = a.i32(1);
    if (units < 1) throw std::runtime_error("intPlanDense needs units >= 1");
    Op& op = append(plan, kDense);
    op.oh = op.ow = 1;
    op.oc = units;
    try {
      const int64_t k = op.h * op.w * op.c;
      const int8_t* w = static_cast<const int8_t*>(a.view(2, size_t(k * units)).data);
      op.weights.assign(w, w + k * units);
      op.requant = requantArgs(a, 3, units);
      makeDense(op, kChunk);
    } catch (...) {
      plan.ops.pop_back();
      throw;
    }
    return nullptr;
  });
}

// intPlanMaxPool(plan, geometry [ph, pw, sh, sw, padTop, padLeft, oh, ow])
napi_value intPlanMaxPool(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, 2);
    Plan& plan = planOf(env, a.argv[0]);
    auto g = a.ints(1);
    if (g.size() != 8) throw std::runtime_error("intPlanMaxPool needs 8 geometry numbers");
    Op& op = append(plan, kPool);
    op.kh = g[0]; op.kw = g[1]; op.sh = g[2]; op.sw = g[3]; op.pt = g[4]; op.pl = g[5]; op.oh = g[6]; op.ow = g[7];
    op.oc = op.c;
    if (op.oh < 1 || op.ow < 1 || op.kh < 1 || op.kw < 1 || op.sh < 1 || op.sw < 1 || op.pt < 0 || op.pl < 0 || op.pt >= op.kh || op.pl >= op.kw ||
        (op.oh - 1) * op.sh - op.pt >= op.h || (op.ow - 1) * op.sw - op.pl >= op.w) {
      plan.ops.pop_back();
      throw std::runtime_error("bad pooling geometry");
    }
    return nullptr;
  });
}

// intPlanClampMin(plan, lo): u = max(u, lo) (a ReLU on the integer grid)
napi_value intPlanClampMin(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, 2);
    Plan& plan = planOf(env, a.argv[0]);
    const int32_t lo = a.i32(1);
    if (lo < 0 || lo > 255) throw std::runtime_error("intPlanClampMin needs 0 <= lo <= 255");
    Op& op = append(plan, kClampMin);
    op.oh = op.h;
    op.ow = op.w;
    op.oc = op.c;
    op.clampMin = uint8_t(lo);
    return nullptr;
  });
}

// intPlanRun(plan, images Float32Array [n, h, w, c], n, out Int32Array [n, outputs], offset): out = output bytes + offset
napi_value intPlanRun(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, 5);
    Plan& plan = planOf(env, a.argv[0]);
    const int64_t n = a.i32(2);
    if (n < 1) throw std::runtime_error("intPlanRun needs n >= 1");
    const int64_t in = plan.h * plan.w * plan.c, outs = plan.outH() * plan.outW() * plan.outC();
    const float* x = static_cast<const float*>(a.view(1, size_t(n * in)).data);
    int32_t* out = static_cast<int32_t*>(a.view(3, size_t(n * outs)).data);
    const int32_t offset = a.i32(4);
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    auto chunk = [&](int64_t k, int thread) {
      const int64_t start = k * kChunk, m = std::min(kChunk, n - start);
      const uint8_t* y = plan.run(x + start * in, m, thread);
      int32_t* o = out + start * outs;
      for (int64_t j = 0; j < m * outs; j++) o[j] = int32_t(y[j]) + offset;
    };
    const int threads = omp_get_max_threads();
    if (threads > 1 && n * plan.macsPerImage() < kSerialMacs) {
      // too little work to share: one thread (lenet5 at batch 1 ran 1.6x slower on two)
      omp_set_num_threads(1);
      try {
        for (int64_t k = 0; k < chunks; k++) chunk(k, -1);
      } catch (...) {
        omp_set_num_threads(threads);
        throw;
      }
      omp_set_num_threads(threads);
      return nullptr;
    }
    if (threads == 1 || chunks == 1) {
      for (int64_t k = 0; k < chunks; k++) chunk(k, -1);
      return nullptr;
    }
    // Whole chunks per thread, each on its own runner, stream and single-threaded primitives (oneDNN runs a
    // primitive on one thread inside a parallel region): splitting a 16-image chunk's small layers over threads
    // gained little.
    std::string error;
#pragma omp parallel for schedule(dynamic, 1) num_threads(int(std::min<int64_t>(threads, chunks)))
    for (int64_t k = 0; k < chunks; k++) {
      try {
        chunk(k, omp_get_thread_num());
      } catch (const std::exception& e) {
#pragma omp critical(optilab_int8_error)
        error = e.what();
      }
    }
    if (!error.empty()) throw std::runtime_error(error);
    return nullptr;
  });
}

// intPlanInfo(plan) -> the oneDNN implementations of the plan's layers (at the current thread count), comma-separated
napi_value intPlanInfo(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, 1);
    Plan& plan = planOf(env, a.argv[0]);
    Runner& r = plan.runner(kChunk);
    std::string s;
    for (size_t i = 0; i < plan.ops.size(); i++) {
      const char* names[] = {"conv", "dense", "maxpool", "clamp"};
      s += (i ? ", " : "") + std::string(names[plan.ops[i].kind]) + (r.prims[i].impl.empty() ? "" : " " + r.prims[i].impl);
    }
    napi_value out;
    napi_create_string_utf8(env, s.c_str(), s.size(), &out);
    return out;
  });
}

}  // namespace

// Defines the plan's functions on `exports` (addon.cc's module initialisation calls it).
void defineIntPlan(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"intPlanCreate", nullptr, intPlanCreate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"intPlanConv", nullptr, intPlanConv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"intPlanDense", nullptr, intPlanDense, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"intPlanMaxPool", nullptr, intPlanMaxPool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"intPlanClampMin", nullptr, intPlanClampMin, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"intPlanRun", nullptr, intPlanRun, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"intPlanInfo", nullptr, intPlanInfo, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) throw std::runtime_error("could not define the plan functions");
}

}  // namespace optilab
