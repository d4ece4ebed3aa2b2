// The N-API face of the kernel library. Validate in TS, re-check here cheaply, execute in C++:
// every argument is type-checked before use, every dw::Error becomes a JS Error carrying a stable
// `code`, and tensors are opaque handles whose native memory is released by dispose() (or, as a
// safety net, by the garbage collector).
//
// Ops are synchronous: each is a short native call, and applications keep their event loop free by
// running models in a worker_thread (the addon is context-aware: all state below is per instance,
// and the kernel thread pool is process-wide and guards itself against concurrent jobs).
#include <napi.h>

#include <cmath>
#include <string>
#include <vector>

#include "cpu_features.h"
#include "dw/op_list.h"
#include "dw/ops.h"
#include "dw/thread_pool.h"
#include "mapped_file.h"

namespace {

using dw::DType;
using dw::Device;
using dw::Tensor;

constexpr int kMaxDims = 8;

Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message, bool type_error) {
  Napi::Error err = type_error ? Napi::TypeError::New(env, message) : Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

[[noreturn]] void throw_type(Napi::Env env, const std::string& message) {
  throw make_error(env, "INVALID_ARGUMENT", message, true);
}

std::string describe(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "the number " + v.ToString().Utf8Value();
    case napi_string: return "a string";
    case napi_function: return "a function";
    default: return v.IsArray() ? "an array" : "an object";
  }
}

DType parse_dtype(const Napi::Value& v, const char* name) {
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    if (s == "f32") return DType::F32;
    if (s == "f16") return DType::F16;
    if (s == "bf16") return DType::BF16;
    if (s == "i32") return DType::I32;
    if (s == "i8") return DType::I8;
  }
  throw_type(v.Env(), std::string("Expected one of 'f32', 'f16', 'bf16', 'i32', 'i8' for ") + name +
                          " but received " + describe(v));
}

Device parse_device(const Napi::Value& v) {
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    if (s == "cpu") return Device::CPU;
    if (s == "cuda") return Device::CUDA;
  }
  throw_type(v.Env(), "Expected 'cpu' or 'cuda' for device but received " + describe(v));
}

int64_t parse_int(const Napi::Value& v, const char* name, int64_t lo, int64_t hi) {
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && std::floor(d) == d && d >= static_cast<double>(lo) && d <= static_cast<double>(hi))
      return static_cast<int64_t>(d);
  }
  throw_type(v.Env(), std::string("Expected an integer in [") + std::to_string(lo) + ", " + std::to_string(hi) +
                          "] for " + name + " but received " + describe(v));
}

double parse_number(const Napi::Value& v, const char* name) {
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d)) return d;
  }
  throw_type(v.Env(), std::string("Expected a finite number for ") + name + " but received " + describe(v));
}

dw::Shape parse_shape(const Napi::Value& v, const char* name, bool allow_infer = false) {
  if (!v.IsArray()) throw_type(v.Env(), std::string("Expected an array of dimensions for ") + name + " but received " + describe(v));
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() > kMaxDims)
    throw_type(v.Env(), std::string("Expected at most ") + std::to_string(kMaxDims) + " dimensions for " + name);
  dw::Shape shape;
  for (uint32_t i = 0; i < a.Length(); ++i)
    shape.push_back(parse_int(a.Get(i), name, allow_infer ? -1 : 0, int64_t{1} << 50));
  return shape;
}

}  // namespace

class DwAddon;

// A JS handle on one tensor view. `tensor.buffer` is null once disposed.
class TensorHandle : public Napi::ObjectWrap<TensorHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeTensor",
                       {InstanceAccessor<&TensorHandle::Shape>("shape"),
                        InstanceAccessor<&TensorHandle::Strides>("strides"),
                        InstanceAccessor<&TensorHandle::DTypeName>("dtype"),
                        InstanceAccessor<&TensorHandle::DeviceName>("device"),
                        InstanceAccessor<&TensorHandle::Disposed>("disposed"),
                        InstanceAccessor<&TensorHandle::Contiguous>("contiguous"),
                        InstanceAccessor<&TensorHandle::ByteLength>("byteLength"),
                        InstanceMethod<&TensorHandle::Dispose>("dispose")});
  }

  explicit TensorHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorHandle>(info) {}
  // The GC's safety net for tensors that were never disposed.
  void Finalize(Napi::Env env) override { release(env); }

  void init(Napi::Env env, Tensor t) {
    tensor_ = std::move(t);
    // Only the handle whose buffer is not shared with a view reports it, so the GC sees each
    // allocation once; views report nothing.
    if (tensor_.buffer && tensor_.buffer.use_count() == 1 && tensor_.device() == Device::CPU) {
      reported_ = static_cast<int64_t>(tensor_.buffer->bytes());
      Napi::MemoryManagement::AdjustExternalMemory(env, reported_);
    }
  }

  const Tensor& tensor(const char* name) const {
    if (!tensor_.buffer)
      throw make_error(Env(), "DISPOSED", std::string("Tensor ") + name + " has been disposed", false);
    return tensor_;
  }
  Tensor& mutable_tensor(const char* name) {
    tensor(name);
    return tensor_;
  }

 private:
  void release(napi_env env) {
    if (reported_ && env) Napi::MemoryManagement::AdjustExternalMemory(Napi::Env(env), -reported_);
    reported_ = 0;
    tensor_.buffer.reset();
  }

  Napi::Value Shape(const Napi::CallbackInfo& info) { return dims(info.Env(), tensor_.shape); }
  Napi::Value Strides(const Napi::CallbackInfo& info) { return dims(info.Env(), tensor_.strides); }
  Napi::Value DTypeName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), dw::dtype_name(tensor_.dtype)); }
  Napi::Value DeviceName(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), dw::device_name(tensor_.device()));
  }
  Napi::Value Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !tensor_.buffer); }
  Napi::Value Contiguous(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), tensor_.is_contiguous()); }
  Napi::Value ByteLength(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(tensor_.buffer ? tensor_.nbytes() : 0));
  }
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    release(info.Env());
    return info.Env().Undefined();
  }

  static Napi::Array dims(Napi::Env env, const dw::Shape& s) {
    Napi::Array a = Napi::Array::New(env, s.size());
    for (size_t i = 0; i < s.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(s[i])));
    return a;
  }

  Tensor tensor_;
  int64_t reported_ = 0;
};

class DwAddon : public Napi::Addon<DwAddon> {
 public:
  DwAddon(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = TensorHandle::Define(env);
    tensor_ctor_ = Napi::Persistent(ctor);
    DefineAddon(exports,
                {InstanceValue("NativeTensor", ctor),
                 InstanceMethod<&DwAddon::FromBuffer>("fromBuffer"),
                 InstanceMethod<&DwAddon::MapTensors>("mapTensors"),
                 InstanceMethod<&DwAddon::ReleasePages>("releasePages"),
                 InstanceMethod<&DwAddon::Empty>("empty"),
                 InstanceMethod<&DwAddon::Zeros>("zeros"),
                 InstanceMethod<&DwAddon::ToBuffer>("toBuffer"),
                 InstanceMethod<&DwAddon::Reshape>("reshape"),
                 InstanceMethod<&DwAddon::Slice>("slice"),
                 InstanceMethod<&DwAddon::Transpose>("transpose"),
                 InstanceMethod<&DwAddon::Contiguous>("contiguous"),
                 InstanceMethod<&DwAddon::CopyInto>("copyInto"),
                 InstanceMethod<&DwAddon::Cast>("cast"),
                 InstanceMethod<&DwAddon::To>("to"),
                 InstanceMethod<&DwAddon::Matmul>("matmul"),
                 InstanceMethod<&DwAddon::Add>("add"),
                 InstanceMethod<&DwAddon::Mul>("mul"),
                 InstanceMethod<&DwAddon::Scale>("scale"),
                 InstanceMethod<&DwAddon::LayerNorm>("layerNorm"),
                 InstanceMethod<&DwAddon::Gelu>("gelu"),
                 InstanceMethod<&DwAddon::Softmax>("softmax"),
                 InstanceMethod<&DwAddon::LogSoftmax>("logSoftmax"),
                 InstanceMethod<&DwAddon::Conv1d>("conv1d"),
                 InstanceMethod<&DwAddon::Embedding>("embedding"),
                 InstanceMethod<&DwAddon::Attention>("attention"),
                 InstanceMethod<&DwAddon::Argmax>("argmax"),
                 InstanceMethod<&DwAddon::Topk>("topk"),
                 InstanceMethod<&DwAddon::Concat>("concat"),
                 InstanceMethod<&DwAddon::Gemm>("gemm"),
                 InstanceMethod<&DwAddon::SumRows>("sumRows"),
                 InstanceMethod<&DwAddon::EmbeddingBackward>("embeddingBackward"),
                 InstanceMethod<&DwAddon::LayerNormBackward>("layerNormBackward"),
                 InstanceMethod<&DwAddon::GeluBackward>("geluBackward"),
                 InstanceMethod<&DwAddon::AttentionBackward>("attentionBackward"),
                 InstanceMethod<&DwAddon::LogitsLoss>("logitsLoss"),
                 InstanceMethod<&DwAddon::AdamwStep>("adamwStep"),
                 InstanceMethod<&DwAddon::SumSquares>("sumSquares"),
                 InstanceMethod<&DwAddon::ScaleInPlace>("scaleInPlace"),
                 InstanceMethod<&DwAddon::AddInPlace>("addInPlace"),
                 InstanceMethod<&DwAddon::FillZero>("fillZero"),
                 InstanceMethod<&DwAddon::SetNumThreads>("setNumThreads"),
                 InstanceMethod<&DwAddon::NumThreads>("numThreads"),
                 InstanceMethod<&DwAddon::CpuInfo>("cpuInfo"),
                 InstanceMethod<&DwAddon::SetIsa>("setIsa"),
                 InstanceMethod<&DwAddon::ListOps>("listOps"),
                 InstanceMethod<&DwAddon::RunOp>("runOp"),
                 InstanceMethod<&DwAddon::CudaStatus>("cudaStatus")});
  }

 private:
  // Runs fn, turning dw::Error (and allocation failures) into JS errors with a code.
  template <class Fn>
  Napi::Value guard(Napi::Env env, Fn&& fn) {
    try {
      return fn();
    } catch (const Napi::Error&) {
      throw;
    } catch (const dw::Error& e) {
      throw make_error(env, dw::error_code_name(e.code()), e.what(), false);
    } catch (const std::bad_alloc&) {
      throw make_error(env, "OUT_OF_MEMORY", "native allocation failed", false);
    } catch (const std::exception& e) {
      throw make_error(env, "INTERNAL", std::string("internal error: ") + e.what(), false);
    }
  }

  Napi::Value wrap(Napi::Env env, Tensor t) {
    Napi::Object obj = tensor_ctor_.New({});
    TensorHandle::Unwrap(obj)->init(env, std::move(t));
    return obj;
  }

  TensorHandle* handle(const Napi::Value& v, const char* name) {
    if (v.IsObject() && v.As<Napi::Object>().InstanceOf(tensor_ctor_.Value())) return TensorHandle::Unwrap(v.As<Napi::Object>());
    throw_type(v.Env(), std::string("Expected a Tensor for ") + name + " but received " + describe(v));
  }
  const Tensor& arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
    return handle(info[i], name)->tensor(name);
  }
  // null/undefined -> nullptr
  const Tensor* optional_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
    if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
    return &arg(info, i, name);
  }
  static void need(const Napi::CallbackInfo& info, size_t n, const char* fn) {
    if (info.Length() < n)
      throw_type(info.Env(), std::string(fn) + ": expected " + std::to_string(n) + " arguments but received " +
                                 std::to_string(info.Length()));
  }

  Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
    need(info, 4, "fromBuffer");
    if (!info[0].IsTypedArray() && !info[0].IsDataView() && !info[0].IsArrayBuffer())
      throw_type(info.Env(), "Expected a TypedArray or ArrayBuffer for data but received " + describe(info[0]));
    const void* data;
    size_t bytes;
    if (info[0].IsArrayBuffer()) {
      auto ab = info[0].As<Napi::ArrayBuffer>();
      data = ab.Data();
      bytes = ab.ByteLength();
    } else if (info[0].IsTypedArray()) {
      auto ta = info[0].As<Napi::TypedArray>();
      data = static_cast<const char*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
      bytes = ta.ByteLength();
    } else {
      auto dv = info[0].As<Napi::DataView>();
      data = static_cast<const char*>(dv.ArrayBuffer().Data()) + dv.ByteOffset();
      bytes = dv.ByteLength();
    }
    dw::Shape shape = parse_shape(info[1], "shape");
    DType dtype = parse_dtype(info[2], "dtype");
    Device device = parse_device(info[3]);
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::from_host(data, bytes, shape, dtype, device)); });
  }

  // Tensors viewing a memory-mapped weight file: mapped_file.cpp.
  Napi::Value MapTensors(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&] {
      return dw::binding::map_tensors(info, [&](Tensor t) { return wrap(info.Env(), std::move(t)); });
    });
  }

  Napi::Value ReleasePages(const Napi::CallbackInfo& info) {
    need(info, 1, "releasePages");
    const Tensor& t = arg(info, 0, "tensor");
    return Napi::Boolean::New(info.Env(), dw::binding::release_mapped_pages(t));
  }

  Napi::Value Empty(const Napi::CallbackInfo& info) {
    need(info, 3, "empty");
    dw::Shape shape = parse_shape(info[0], "shape");
    DType dtype = parse_dtype(info[1], "dtype");
    Device device = parse_device(info[2]);
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::empty(shape, dtype, device)); });
  }
  Napi::Value Zeros(const Napi::CallbackInfo& info) {
    need(info, 3, "zeros");
    dw::Shape shape = parse_shape(info[0], "shape");
    DType dtype = parse_dtype(info[1], "dtype");
    Device device = parse_device(info[2]);
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::zeros(shape, dtype, device)); });
  }

  Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
    need(info, 1, "toBuffer");
    const Tensor& t = arg(info, 0, "tensor");
    return guard(info.Env(), [&]() -> Napi::Value {
      Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(info.Env(), t.nbytes());
      dw::ops::to_host(t, ab.Data(), t.nbytes());
      return ab;
    });
  }

  Napi::Value Reshape(const Napi::CallbackInfo& info) {
    need(info, 2, "reshape");
    const Tensor& t = arg(info, 0, "tensor");
    dw::Shape shape = parse_shape(info[1], "shape", true);
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::view_reshape(t, shape)); });
  }
  Napi::Value Slice(const Napi::CallbackInfo& info) {
    need(info, 4, "slice");
    const Tensor& t = arg(info, 0, "tensor");
    int dim = static_cast<int>(parse_int(info[1], "dim", -kMaxDims, kMaxDims - 1));
    int64_t start = parse_int(info[2], "start", 0, int64_t{1} << 50);
    int64_t end = parse_int(info[3], "end", 0, int64_t{1} << 50);
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::view_slice(t, dim, start, end)); });
  }
  Napi::Value Transpose(const Napi::CallbackInfo& info) {
    need(info, 3, "transpose");
    const Tensor& t = arg(info, 0, "tensor");
    int d0 = static_cast<int>(parse_int(info[1], "dim0", -kMaxDims, kMaxDims - 1));
    int d1 = static_cast<int>(parse_int(info[2], "dim1", -kMaxDims, kMaxDims - 1));
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::view_transpose(t, d0, d1)); });
  }
  Napi::Value Contiguous(const Napi::CallbackInfo& info) {
    need(info, 1, "contiguous");
    const Tensor& t = arg(info, 0, "tensor");
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::contiguous(t)); });
  }
  Napi::Value CopyInto(const Napi::CallbackInfo& info) {
    need(info, 2, "copyInto");
    Tensor& dst = handle(info[0], "dst")->mutable_tensor("dst");
    const Tensor& src = arg(info, 1, "src");
    return guard(info.Env(), [&]() -> Napi::Value {
      dw::ops::copy_into(dst, src);
      return info.Env().Undefined();
    });
  }
  Napi::Value Cast(const Napi::CallbackInfo& info) {
    need(info, 2, "cast");
    const Tensor& t = arg(info, 0, "tensor");
    DType dtype = parse_dtype(info[1], "dtype");
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::cast(t, dtype)); });
  }
  Napi::Value To(const Napi::CallbackInfo& info) {
    need(info, 2, "to");
    const Tensor& t = arg(info, 0, "tensor");
    Device device = parse_device(info[1]);
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::to_device(t, device)); });
  }

  Napi::Value Matmul(const Napi::CallbackInfo& info) {
    need(info, 4, "matmul");
    const Tensor& a = arg(info, 0, "a");
    const Tensor& b = arg(info, 1, "b");
    const Tensor* bias = optional_arg(info, 2, "bias");
    bool trans_b = info[3].ToBoolean().Value();
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::matmul(a, b, bias, trans_b)); });
  }
  Napi::Value Add(const Napi::CallbackInfo& info) {
    need(info, 2, "add");
    const Tensor& a = arg(info, 0, "a");
    const Tensor& b = arg(info, 1, "b");
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::add(a, b)); });
  }
  Napi::Value Mul(const Napi::CallbackInfo& info) {
    need(info, 2, "mul");
    const Tensor& a = arg(info, 0, "a");
    const Tensor& b = arg(info, 1, "b");
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::mul(a, b)); });
  }
  Napi::Value Scale(const Napi::CallbackInfo& info) {
    need(info, 2, "scale");
    const Tensor& a = arg(info, 0, "a");
    float s = static_cast<float>(parse_number(info[1], "s"));
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::scale(a, s)); });
  }
  Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
    need(info, 4, "layerNorm");
    const Tensor& x = arg(info, 0, "x");
    const Tensor& g = arg(info, 1, "gamma");
    const Tensor& b = arg(info, 2, "beta");
    float eps = static_cast<float>(parse_number(info[3], "eps"));
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::layer_norm(x, g, b, eps)); });
  }
  Napi::Value Gelu(const Napi::CallbackInfo& info) {
    need(info, 1, "gelu");
    const Tensor& x = arg(info, 0, "x");
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::gelu(x)); });
  }
  Napi::Value Softmax(const Napi::CallbackInfo& info) {
    need(info, 1, "softmax");
    const Tensor& x = arg(info, 0, "x");
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::softmax(x)); });
  }
  Napi::Value LogSoftmax(const Napi::CallbackInfo& info) {
    need(info, 1, "logSoftmax");
    const Tensor& x = arg(info, 0, "x");
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::log_softmax(x)); });
  }
  Napi::Value Conv1d(const Napi::CallbackInfo& info) {
    need(info, 5, "conv1d");
    const Tensor& x = arg(info, 0, "x");
    const Tensor& w = arg(info, 1, "w");
    const Tensor* bias = optional_arg(info, 2, "bias");
    int stride = static_cast<int>(parse_int(info[3], "stride", 1, 1024));
    int padding = static_cast<int>(parse_int(info[4], "padding", 0, 1 << 20));
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::conv1d(x, w, bias, stride, padding)); });
  }
  Napi::Value Embedding(const Napi::CallbackInfo& info) {
    need(info, 2, "embedding");
    const Tensor& ids = arg(info, 0, "ids");
    const Tensor& table = arg(info, 1, "table");
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::embedding(ids, table)); });
  }
  Napi::Value Attention(const Napi::CallbackInfo& info) {
    need(info, 6, "attention");
    const Tensor& q = arg(info, 0, "q");
    const Tensor& k = arg(info, 1, "k");
    const Tensor& v = arg(info, 2, "v");
    dw::AttentionParams p;
    p.scale = static_cast<float>(parse_number(info[3], "scale"));
    p.causal = info[4].ToBoolean().Value();
    bool want_lse = info[5].ToBoolean().Value();
    return guard(info.Env(), [&]() -> Napi::Value {
      dw::ops::AttentionResult r = dw::ops::attention(q, k, v, p, want_lse);
      Napi::Array out = Napi::Array::New(info.Env(), 2);
      out.Set(0u, wrap(info.Env(), r.out));
      out.Set(1u, r.lse ? wrap(info.Env(), *r.lse) : info.Env().Null());
      return out;
    });
  }
  Napi::Value Argmax(const Napi::CallbackInfo& info) {
    need(info, 1, "argmax");
    const Tensor& x = arg(info, 0, "x");
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::argmax(x)); });
  }
  Napi::Value Topk(const Napi::CallbackInfo& info) {
    need(info, 2, "topk");
    const Tensor& x = arg(info, 0, "x");
    int k = static_cast<int>(parse_int(info[1], "k", 1, int64_t{1} << 30));
    return guard(info.Env(), [&]() -> Napi::Value {
      auto r = dw::ops::topk(x, k);
      Napi::Array out = Napi::Array::New(info.Env(), 2);
      out.Set(0u, wrap(info.Env(), r.first));
      out.Set(1u, wrap(info.Env(), r.second));
      return out;
    });
  }
  Napi::Value Concat(const Napi::CallbackInfo& info) {
    need(info, 2, "concat");
    if (!info[0].IsArray()) throw_type(info.Env(), "Expected an array of Tensors for inputs but received " + describe(info[0]));
    Napi::Array list = info[0].As<Napi::Array>();
    std::vector<Tensor> inputs;
    for (uint32_t i = 0; i < list.Length(); ++i) {
      std::string name = "inputs[" + std::to_string(i) + "]";
      inputs.push_back(handle(list.Get(i), name.c_str())->tensor(name.c_str()));
    }
    int dim = static_cast<int>(parse_int(info[1], "dim", -kMaxDims, kMaxDims - 1));
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::concat(inputs, dim)); });
  }

  // ---- training (backward) ops ----------------------------------------------------------------
  // Tensors written in place (out, d_table, d_gamma, param, ...) are passed as mutable handles;
  // when the result is such a tensor, nothing new is wrapped: the caller already holds it.

  // null/undefined -> nullptr, else a tensor the op writes into.
  Tensor* optional_mut(const Napi::CallbackInfo& info, size_t i, const char* name) {
    if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
    return &handle(info[i], name)->mutable_tensor(name);
  }
  Tensor& mut(const Napi::CallbackInfo& info, size_t i, const char* name) {
    return handle(info[i], name)->mutable_tensor(name);
  }

  // gemm(a, b, transA, transB, out | null, accumulate) -> new tensor, or null when out was given
  Napi::Value Gemm(const Napi::CallbackInfo& info) {
    need(info, 6, "gemm");
    const Tensor& a = arg(info, 0, "a");
    const Tensor& b = arg(info, 1, "b");
    const bool trans_a = info[2].ToBoolean().Value(), trans_b = info[3].ToBoolean().Value();
    Tensor* out = optional_mut(info, 4, "out");
    const bool accumulate = info[5].ToBoolean().Value();
    return guard(info.Env(), [&]() -> Napi::Value {
      Tensor r = dw::ops::gemm(a, b, trans_a, trans_b, out, accumulate);
      return out ? info.Env().Null() : wrap(info.Env(), std::move(r));
    });
  }
  // sumRows(x, out | null, accumulate) -> new tensor, or null when out was given
  Napi::Value SumRows(const Napi::CallbackInfo& info) {
    need(info, 3, "sumRows");
    const Tensor& x = arg(info, 0, "x");
    Tensor* out = optional_mut(info, 1, "out");
    const bool accumulate = info[2].ToBoolean().Value();
    return guard(info.Env(), [&]() -> Napi::Value {
      Tensor r = dw::ops::sum_rows(x, out, accumulate);
      return out ? info.Env().Null() : wrap(info.Env(), std::move(r));
    });
  }
  Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
    need(info, 3, "embeddingBackward");
    const Tensor& ids = arg(info, 0, "ids");
    const Tensor& d_out = arg(info, 1, "dOut");
    Tensor& d_table = mut(info, 2, "dTable");
    return guard(info.Env(), [&]() -> Napi::Value {
      dw::ops::embedding_backward(ids, d_out, d_table);
      return info.Env().Undefined();
    });
  }
  Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
    need(info, 6, "layerNormBackward");
    const Tensor& x = arg(info, 0, "x");
    const Tensor& gamma = arg(info, 1, "gamma");
    const Tensor& d_out = arg(info, 2, "dOut");
    const float eps = static_cast<float>(parse_number(info[3], "eps"));
    Tensor* d_gamma = optional_mut(info, 4, "dGamma");
    Tensor* d_beta = optional_mut(info, 5, "dBeta");
    return guard(info.Env(),
                 [&] { return wrap(info.Env(), dw::ops::layer_norm_backward(x, gamma, d_out, eps, d_gamma, d_beta)); });
  }
  Napi::Value GeluBackward(const Napi::CallbackInfo& info) {
    need(info, 2, "geluBackward");
    const Tensor& x = arg(info, 0, "x");
    const Tensor& d_out = arg(info, 1, "dOut");
    return guard(info.Env(), [&] { return wrap(info.Env(), dw::ops::gelu_backward(x, d_out)); });
  }
  // attentionBackward(q, k, v, out, lse, dOut, scale, causal) -> [dq, dk, dv]
  Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
    need(info, 8, "attentionBackward");
    const Tensor& q = arg(info, 0, "q");
    const Tensor& k = arg(info, 1, "k");
    const Tensor& v = arg(info, 2, "v");
    const Tensor& out = arg(info, 3, "out");
    const Tensor& lse = arg(info, 4, "lse");
    const Tensor& d_out = arg(info, 5, "dOut");
    dw::AttentionParams p;
    p.scale = static_cast<float>(parse_number(info[6], "scale"));
    p.causal = info[7].ToBoolean().Value();
    return guard(info.Env(), [&]() -> Napi::Value {
      dw::ops::AttentionGrads g = dw::ops::attention_backward(q, k, v, out, lse, d_out, p);
      Napi::Array r = Napi::Array::New(info.Env(), 3);
      r.Set(0u, wrap(info.Env(), std::move(g.dq)));
      r.Set(1u, wrap(info.Env(), std::move(g.dk)));
      r.Set(2u, wrap(info.Env(), std::move(g.dv)));
      return r;
    });
  }
  // logitsLoss(student, teacher | null, labels, temperature, ceScale, klScale, inPlace)
  //   -> [ce, kl, grad | null (in place: the gradient is in the student tensor)]
  Napi::Value LogitsLoss(const Napi::CallbackInfo& info) {
    need(info, 7, "logitsLoss");
    dw::ops::LogitsLossParams p;
    p.in_place = info[6].ToBoolean().Value();
    const Tensor& student = p.in_place ? mut(info, 0, "studentLogits") : arg(info, 0, "studentLogits");
    const Tensor* teacher = optional_arg(info, 1, "teacherLogits");
    const Tensor& labels = arg(info, 2, "labels");
    p.temperature = static_cast<float>(parse_number(info[3], "temperature"));
    p.ce_scale = static_cast<float>(parse_number(info[4], "ceScale"));
    p.kl_scale = static_cast<float>(parse_number(info[5], "klScale"));
    return guard(info.Env(), [&]() -> Napi::Value {
      dw::ops::LogitsLossResult res = dw::ops::logits_loss(student, teacher, labels, p);
      Napi::Array r = Napi::Array::New(info.Env(), 3);
      r.Set(0u, wrap(info.Env(), std::move(res.ce)));
      r.Set(1u, wrap(info.Env(), std::move(res.kl)));
      r.Set(2u, p.in_place ? info.Env().Null() : wrap(info.Env(), std::move(res.grad)));
      return r;
    });
  }
  // adamwStep(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step)
  Napi::Value AdamwStep(const Napi::CallbackInfo& info) {
    need(info, 10, "adamwStep");
    Tensor& param = mut(info, 0, "param");
    const Tensor& grad = arg(info, 1, "grad");
    Tensor& m = mut(info, 2, "m");
    Tensor& v = mut(info, 3, "v");
    dw::ops::AdamWParams p;
    p.lr = parse_number(info[4], "lr");
    p.beta1 = parse_number(info[5], "beta1");
    p.beta2 = parse_number(info[6], "beta2");
    p.eps = parse_number(info[7], "eps");
    p.weight_decay = parse_number(info[8], "weightDecay");
    p.step = parse_int(info[9], "step", 1, int64_t{1} << 53);
    return guard(info.Env(), [&]() -> Napi::Value {
      dw::ops::adamw_step(param, grad, m, v, p);
      return info.Env().Undefined();
    });
  }
  Napi::Value SumSquares(const Napi::CallbackInfo& info) {
    need(info, 1, "sumSquares");
    const Tensor& x = arg(info, 0, "x");
    return guard(info.Env(), [&]() -> Napi::Value { return Napi::Number::New(info.Env(), dw::ops::sum_squares(x)); });
  }
  Napi::Value ScaleInPlace(const Napi::CallbackInfo& info) {
    need(info, 2, "scaleInPlace");
    Tensor& x = mut(info, 0, "x");
    const float s = static_cast<float>(parse_number(info[1], "s"));
    return guard(info.Env(), [&]() -> Napi::Value {
      dw::ops::scale_in_place(x, s);
      return info.Env().Undefined();
    });
  }
  Napi::Value AddInPlace(const Napi::CallbackInfo& info) {
    need(info, 3, "addInPlace");
    Tensor& dst = mut(info, 0, "dst");
    const Tensor& src = arg(info, 1, "src");
    const float alpha = static_cast<float>(parse_number(info[2], "alpha"));
    return guard(info.Env(), [&]() -> Napi::Value {
      dw::ops::add_in_place(dst, src, alpha);
      return info.Env().Undefined();
    });
  }
  Napi::Value FillZero(const Napi::CallbackInfo& info) {
    need(info, 1, "fillZero");
    Tensor& x = mut(info, 0, "x");
    return guard(info.Env(), [&]() -> Napi::Value {
      dw::ops::fill_zero(x);
      return info.Env().Undefined();
    });
  }

  Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
    need(info, 1, "setNumThreads");
    dw::set_num_threads(static_cast<int>(parse_int(info[0], "threads", 0, 1024)));
    return info.Env().Undefined();
  }
  Napi::Value NumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), dw::num_threads()); }
  Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
    const auto& f = dw::cpu::cpu_features();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("avx2", f.avx2);
    o.Set("fma", f.fma);
    o.Set("f16c", f.f16c);
    o.Set("avx512f", f.avx512f);
    o.Set("avx512bw", f.avx512bw);
    o.Set("avx512vl", f.avx512vl);
    o.Set("avx512vnni", f.avx512vnni);
    o.Set("avx512bf16", f.avx512bf16);
    o.Set("simd", dw::cpu::isa_name(dw::cpu::active_isa()));
    o.Set("detected", dw::cpu::isa_name(dw::cpu::detected_isa()));
    o.Set("note", dw::cpu::isa_note());
    return o;
  }
  Napi::Value SetIsa(const Napi::CallbackInfo& info) {
    need(info, 1, "setIsa");
    dw::cpu::Isa isa;
    if (!info[0].IsString() || !dw::cpu::parse_isa(info[0].As<Napi::String>().Utf8Value(), &isa))
      throw_type(info.Env(), "setIsa: expected 'scalar', 'avx2' or 'avx512' but received " + describe(info[0]));
    return guard(info.Env(), [&]() -> Napi::Value {
      dw::cpu::set_active_isa(isa);
      return info.Env().Undefined();
    });
  }

  // ---- the op list (dw/op_list.h): every op by name ----------------------------------------------
  Napi::Value ListOps(const Napi::CallbackInfo& info) {
    return guard(info.Env(), [&]() -> Napi::Value {
      const auto ops = dw::all_ops();
      Napi::Array out = Napi::Array::New(info.Env(), ops.size());
      for (size_t i = 0; i < ops.size(); ++i) {
        Napi::Object o = Napi::Object::New(info.Env());
        o.Set("name", ops[i]->name);
        o.Set("signature", ops[i]->signature);
        o.Set("cuda", ops[i]->cuda);
        out.Set(static_cast<uint32_t>(i), o);
      }
      return out;
    });
  }
  // runOp(name, inputs: Tensor[], attrs: { [name]: number | boolean }) -> Tensor[]
  Napi::Value RunOp(const Napi::CallbackInfo& info) {
    need(info, 3, "runOp");
    if (!info[0].IsString()) throw_type(info.Env(), "runOp: expected an op name but received " + describe(info[0]));
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    if (!info[1].IsArray()) throw_type(info.Env(), name + ": expected an array of input tensors but received " + describe(info[1]));
    Napi::Array arr = info[1].As<Napi::Array>();
    std::vector<Tensor> inputs;
    for (uint32_t i = 0; i < arr.Length(); ++i)
      inputs.push_back(handle(arr.Get(i), ("input " + std::to_string(i)).c_str())->tensor("input"));
    dw::OpAttrs attrs;
    if (!info[2].IsObject()) throw_type(info.Env(), name + ": expected an attributes object but received " + describe(info[2]));
    Napi::Object obj = info[2].As<Napi::Object>();
    Napi::Array keys = obj.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      const std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
      Napi::Value v = obj.Get(key);
      if (v.IsBoolean()) attrs.set(key, v.As<Napi::Boolean>().Value() ? 1.0 : 0.0);
      else if (v.IsNumber()) attrs.set(key, v.As<Napi::Number>().DoubleValue());
      else throw_type(info.Env(), name + ": attribute '" + key + "' must be a number or a boolean but is " + describe(v));
    }
    return guard(info.Env(), [&]() -> Napi::Value {
      std::vector<Tensor> outs = dw::run_op(name, inputs, attrs);
      Napi::Array out = Napi::Array::New(info.Env(), outs.size());
      for (size_t i = 0; i < outs.size(); ++i) out.Set(static_cast<uint32_t>(i), wrap(info.Env(), std::move(outs[i])));
      return out;
    });
  }
  Napi::Value CudaStatus(const Napi::CallbackInfo& info) {
    std::string reason;
    bool ok = dw::cuda_available(&reason);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("available", ok);
    o.Set("reason", ok ? std::string() : reason);
    return o;
  }

  Napi::FunctionReference tensor_ctor_;
};

NODE_API_ADDON(DwAddon)
