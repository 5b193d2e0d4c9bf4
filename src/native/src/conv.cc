// 2-D convolution forward, input gradient and filter gradient in tfjs's layouts (NHWC activations, HWIO
// filters), with oneDNN primitives. oneDNN picks its own (blocked) weight layout; the small filters are
// reordered on every call, activations stay in place. Primitives are built once per geometry and thread.
#include "common.h"
#include <map>
#include <omp.h>
#include <tuple>
#include <memory>

namespace optilab {
using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

// [N, H, W, C, KH, KW, O, OH, OW, strideH, strideW, dilationH, dilationW, padTop, padLeft, padBottom, padRight]
struct Geometry {
  int64_t n, h, w, c, kh, kw, o, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;
  explicit Geometry(const std::vector<int64_t>& g) {
    if (g.size() != 17) throw std::runtime_error("conv geometry needs 17 numbers");
    n = g[0]; h = g[1]; w = g[2]; c = g[3]; kh = g[4]; kw = g[5]; o = g[6]; oh = g[7]; ow = g[8];
    sh = g[9]; sw = g[10]; dh = g[11]; dw = g[12]; pt = g[13]; pl = g[14]; pb = g[15]; pr = g[16];
  }
  memory::desc src() const { return memory::desc({n, c, h, w}, dt::f32, tag::nhwc); }
  memory::desc dst() const { return memory::desc({n, o, oh, ow}, dt::f32, tag::nhwc); }
  memory::desc weightsUser() const { return memory::desc({o, c, kh, kw}, dt::f32, tag::hwio); }
  memory::desc weightsAny() const { return memory::desc({o, c, kh, kw}, dt::f32, tag::any); }
  memory::dims strides() const { return {sh, sw}; }
  memory::dims dilation() const { return {dh - 1, dw - 1}; }  // oneDNN counts dilation from 0
  memory::dims padL() const { return {pt, pl}; }
  memory::dims padR() const { return {pb, pr}; }
  size_t srcSize() const { return size_t(n * h * w * c); }
  size_t dstSize() const { return size_t(n * oh * ow * o); }
  size_t filterSize() const { return size_t(kh * kw * c * o); }

  dnnl::convolution_forward::primitive_desc forward() const {
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src(), weightsAny(), dst(),
                                      strides(), dilation(), padL(), padR());
    return dnnl::convolution_forward::primitive_desc(d, cpuEngine());
  }
};

// The oneDNN-side copy of a filter when the primitive wants a layout other than HWIO.
struct Weights {
  memory user;
  memory internal;
  bool reorder = false;
  dnnl::reorder toInternal;  // HWIO -> internal (forward, input gradient)
  dnnl::reorder toUser;      // internal -> HWIO (filter gradient)
  Weights(const memory::desc& userDesc, const memory::desc& internalDesc, bool gradient) {
    user = memory(userDesc, cpuEngine(), DNNL_MEMORY_NONE);
    reorder = internalDesc != userDesc;
    if (reorder) {
      internal = memory(internalDesc, cpuEngine());
      if (gradient) toUser = dnnl::reorder(internal, user);
      else toInternal = dnnl::reorder(user, internal);
    }
  }
  memory& forPrimitive() { return reorder ? internal : user; }
};

struct Entry {
  dnnl::primitive primitive;
  std::string impl;
  memory a, b;  // the two activation-side memories (src/dst, diff_dst/diff_src, src/diff_dst)
  std::unique_ptr<Weights> weights;
};

enum Kind { kForward = 0, kBackwardData = 1, kBackwardFilter = 2 };

Entry& entryFor(Kind kind, const std::vector<int64_t>& key) {
  cpuStream();  // engine and stream first, so they outlive the cache at thread exit
  // oneDNN fixes a primitive's thread count when it is created: the OpenMP thread count is part of the key.
  thread_local std::map<std::tuple<int, int, std::vector<int64_t>>, std::unique_ptr<Entry>> cache;
  auto& slot = cache[{kind, omp_get_max_threads(), key}];
  if (slot) return *slot;
  Geometry g(key);
  auto e = std::make_unique<Entry>();
  auto fwd = g.forward();
  if (kind == kForward) {
    e->primitive = dnnl::convolution_forward(fwd);
    e->impl = fwd.impl_info_str();
    e->a = memory(g.src(), cpuEngine(), DNNL_MEMORY_NONE);
    e->b = memory(g.dst(), cpuEngine(), DNNL_MEMORY_NONE);
    e->weights = std::make_unique<Weights>(g.weightsUser(), fwd.weights_desc(), false);
  } else if (kind == kBackwardData) {
    dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, g.src(), g.weightsAny(), g.dst(), g.strides(), g.dilation(), g.padL(), g.padR());
    dnnl::convolution_backward_data::primitive_desc pd(d, cpuEngine(), fwd);
    e->primitive = dnnl::convolution_backward_data(pd);
    e->impl = pd.impl_info_str();
    e->a = memory(g.dst(), cpuEngine(), DNNL_MEMORY_NONE);  // diff_dst
    e->b = memory(g.src(), cpuEngine(), DNNL_MEMORY_NONE);  // diff_src
    e->weights = std::make_unique<Weights>(g.weightsUser(), pd.weights_desc(), false);
  } else {
    dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, g.src(), g.weightsAny(), g.dst(), g.strides(), g.dilation(), g.padL(), g.padR());
    dnnl::convolution_backward_weights::primitive_desc pd(d, cpuEngine(), fwd);
    e->primitive = dnnl::convolution_backward_weights(pd);
    e->impl = pd.impl_info_str();
    e->a = memory(g.src(), cpuEngine(), DNNL_MEMORY_NONE);
    e->b = memory(g.dst(), cpuEngine(), DNNL_MEMORY_NONE);  // diff_dst
    e->weights = std::make_unique<Weights>(g.weightsUser(), pd.diff_weights_desc(), true);
  }
  requireSignalSafe(e->impl);
  slot = std::move(e);
  return *slot;
}

}  // namespace

// conv2dForward(x, filter, y, geometry): y = conv(x, filter).
napi_value conv2dForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, 4);
    auto key = a.ints(3);
    Geometry g(key);
    View x = a.view(0, g.srcSize()), f = a.view(1, g.filterSize()), y = a.view(2, g.dstSize());
    Entry& e = entryFor(kForward, key);
    auto& s = cpuStream();
    e.a.set_data_handle(x.data);
    e.b.set_data_handle(y.data);
    e.weights->user.set_data_handle(f.data);
    if (e.weights->reorder) e.weights->toInternal.execute(s, e.weights->user, e.weights->internal);
    e.primitive.execute(s, {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.weights->forPrimitive()}, {DNNL_ARG_DST, e.b}});
    s.wait();
    return nullptr;
  });
}

// conv2dBackwardData(dy, filter, dx, geometry): dx = gradient of conv(x, filter) with respect to x.
napi_value conv2dBackwardData(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, 4);
    auto key = a.ints(3);
    Geometry g(key);
    View dy = a.view(0, g.dstSize()), f = a.view(1, g.filterSize()), dx = a.view(2, g.srcSize());
    Entry& e = entryFor(kBackwardData, key);
    auto& s = cpuStream();
    e.a.set_data_handle(dy.data);
    e.b.set_data_handle(dx.data);
    e.weights->user.set_data_handle(f.data);
    if (e.weights->reorder) e.weights->toInternal.execute(s, e.weights->user, e.weights->internal);
    e.primitive.execute(s, {{DNNL_ARG_DIFF_DST, e.a}, {DNNL_ARG_WEIGHTS, e.weights->forPrimitive()}, {DNNL_ARG_DIFF_SRC, e.b}});
    s.wait();
    return nullptr;
  });
}

// conv2dBackwardFilter(x, dy, dw, geometry): dw = gradient of conv(x, filter) with respect to the filter.
napi_value conv2dBackwardFilter(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, 4);
    auto key = a.ints(3);
    Geometry g(key);
    View x = a.view(0, g.srcSize()), dy = a.view(1, g.dstSize()), dw = a.view(2, g.filterSize());
    Entry& e = entryFor(kBackwardFilter, key);
    auto& s = cpuStream();
    e.a.set_data_handle(x.data);
    e.b.set_data_handle(dy.data);
    e.weights->user.set_data_handle(dw.data);
    e.primitive.execute(s, {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_DIFF_DST, e.b}, {DNNL_ARG_DIFF_WEIGHTS, e.weights->forPrimitive()}});
    if (e.weights->reorder) e.weights->toUser.execute(s, e.weights->internal, e.weights->user);
    s.wait();
    return nullptr;
  });
}

// convImplementation(kind, geometry): the oneDNN implementation chosen for a geometry (for profiling and info).
napi_value convImplementation(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, 2);
    Entry& e = entryFor(static_cast<Kind>(a.i32(0)), a.ints(1));
    napi_value out;
    napi_create_string_utf8(env, e.impl.c_str(), e.impl.size(), &out);
    return out;
  });
}

}  // namespace optilab
