// Module registration and argument helpers. Every kernel is synchronous and works on caller-owned memory:
// tfjs-wasm tensors are passed as Float32Array views of the wasm heap, so no data is copied.
#include "common.h"
#include <omp.h>

namespace optilab {

Args::Args(napi_env e, napi_callback_info info, size_t expected) : env(e), argv(expected) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr) != napi_ok || argc < expected) {
    throw std::runtime_error("expected " + std::to_string(expected) + " arguments");
  }
}

View Args::view(size_t i, size_t minLength) const {
  bool isTyped = false;
  napi_is_typedarray(env, argv[i], &isTyped);
  if (!isTyped) throw std::runtime_error("argument " + std::to_string(i) + " must be a typed array");
  napi_typedarray_type type;
  View v;
  napi_value buffer;
  size_t offset;
  napi_get_typedarray_info(env, argv[i], &type, &v.length, &v.data, &buffer, &offset);
  if (v.length < minLength) {
    throw std::runtime_error("argument " + std::to_string(i) + " has " + std::to_string(v.length) + " elements, needs " + std::to_string(minLength));
  }
  return v;
}

int32_t Args::i32(size_t i) const {
  int32_t v = 0;
  if (napi_get_value_int32(env, argv[i], &v) != napi_ok) throw std::runtime_error("argument " + std::to_string(i) + " must be a number");
  return v;
}

double Args::f64(size_t i) const {
  double v = 0;
  if (napi_get_value_double(env, argv[i], &v) != napi_ok) throw std::runtime_error("argument " + std::to_string(i) + " must be a number");
  return v;
}

std::vector<int64_t> Args::ints(size_t i) const {
  View v = view(i, 0);
  const int32_t* p = static_cast<const int32_t*>(v.data);
  return std::vector<int64_t>(p, p + v.length);
}

dnnl::engine& cpuEngine() {
  thread_local dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpuStream() {
  thread_local dnnl::stream stream(cpuEngine());
  return stream;
}

void requireSignalSafe(const std::string& implementation) {
  if (implementation.find("gemm") != std::string::npos) {
    throw std::runtime_error("oneDNN picked " + implementation + ", which is not signal-safe; using the wasm kernel instead");
  }
}

static napi_value setThreads(napi_env env, napi_callback_info info) {
  try {
    Args a(env, info, 1);
    omp_set_num_threads(a.i32(0));
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

static napi_value getThreads(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_int32(env, omp_get_max_threads(), &out);
  return out;
}

static napi_value version(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  std::string s = "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
                  " (cpu runtime " + (v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other") + ")";
  napi_value out;
  napi_create_string_utf8(env, s.c_str(), s.size(), &out);
  return out;
}

}  // namespace optilab

static napi_value Init(napi_env env, napi_value exports) {
  // Single-threaded unless the caller asks for more, so thread counts stay explicit and comparable.
  omp_set_num_threads(1);
  napi_property_descriptor props[] = {
      {"conv2dForward", nullptr, optilab::conv2dForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackwardData", nullptr, optilab::conv2dBackwardData, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackwardFilter", nullptr, optilab::conv2dBackwardFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convImplementation", nullptr, optilab::convImplementation, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, optilab::matmul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, optilab::maxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool", nullptr, optilab::maxPool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumLeading", nullptr, optilab::sumLeading, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamStep", nullptr, optilab::adamStep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"biasActivation", nullptr, optilab::biasActivation, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reluGrad", nullptr, optilab::reluGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addBias", nullptr, optilab::addBias, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"intConv2d", nullptr, optilab::intConv2d, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, optilab::setThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"getThreads", nullptr, optilab::getThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, optilab::version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  try {
    optilab::defineIntPlan(env, exports);
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
