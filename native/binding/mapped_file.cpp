// Weight files mapped into memory, and tensors that are views into the mapping.
//
// Why: reading a checkpoint copies every byte twice (page cache -> JS chunk -> native buffer) and
// keeps a private anonymous copy of every weight for the life of the model. A mapping costs
// neither: pages come straight from the page cache when first touched, are shared with every other
// process using the same file, and the kernel may drop and re-read them under memory pressure
// instead of swapping.
//
// Lifetime: the whole mapping is one dw::Buffer whose deleter unmaps it; every tensor made here
// holds a shared_ptr to that buffer (as any view does), so the mapping lives exactly as long as
// the last tensor -- or slice, reshape, ... of one -- that views it, whether that tensor is
// disposed explicitly or finalized by the garbage collector.
//
// Safety: every byte range is checked against the size of the file as mapped (fstat of the same
// descriptor) before any tensor exists, so a header that lies or a file that shrank since its
// header was read gives OUT_OF_RANGE, never a read past the end. The one risk left is a file
// truncated by another process *while* mapped: touching a page past the new end raises SIGBUS.
// Loaders offer a read-into-memory path (`mmap: false`) for files that may be rewritten in place.
#include "mapped_file.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#ifndef _WIN32
#include <sys/mman.h>
#include <unistd.h>
#include <sys/stat.h>
#endif

#include "dw/ops.h"
#include "dw/thread_pool.h"

namespace dw::binding {
namespace {

struct Spec {
  uint64_t offset = 0;
  uint64_t bytes = 0;
  Shape shape;
  DType dtype = DType::F32;
};

Napi::Error coded(Napi::Env env, const char* code, const std::string& message, bool type_error = false) {
  Napi::Error err = type_error ? Napi::TypeError::New(env, message) : Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

[[noreturn]] void bad_arg(Napi::Env env, const std::string& message) {
  throw coded(env, "INVALID_ARGUMENT", "mapTensors: " + message, true);
}

// A non-negative integer a double represents exactly (byte offsets of files up to 8 PiB).
uint64_t parse_index(Napi::Env env, const Napi::Value& v, const std::string& what) {
  if (v.IsNumber()) {
    const double d = v.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && d >= 0 && std::floor(d) == d && d <= 9007199254740991.0) return static_cast<uint64_t>(d);
  }
  bad_arg(env, "expected a non-negative integer for " + what);
}

DType parse_dtype(Napi::Env env, const Napi::Value& v, const std::string& what) {
  if (v.IsString()) {
    const std::string s = v.As<Napi::String>().Utf8Value();
    if (s == "f32") return DType::F32;
    if (s == "f16") return DType::F16;
    if (s == "bf16") return DType::BF16;
    if (s == "i32") return DType::I32;
    if (s == "i8") return DType::I8;
  }
  bad_arg(env, "expected one of 'f32', 'f16', 'bf16', 'i32', 'i8' for " + what);
}

std::vector<Spec> parse_specs(Napi::Env env, const Napi::Value& v) {
  if (!v.IsArray()) bad_arg(env, "expected an array of tensor specs");
  const Napi::Array list = v.As<Napi::Array>();
  std::vector<Spec> specs(list.Length());
  for (uint32_t i = 0; i < list.Length(); ++i) {
    const std::string at = "specs[" + std::to_string(i) + "]";
    const Napi::Value item = list.Get(i);
    if (!item.IsObject()) bad_arg(env, "expected an object for " + at);
    const Napi::Object o = item.As<Napi::Object>();
    Spec& s = specs[i];
    s.offset = parse_index(env, o.Get("offset"), at + ".offset");
    s.bytes = parse_index(env, o.Get("byteLength"), at + ".byteLength");
    s.dtype = parse_dtype(env, o.Get("dtype"), at + ".dtype");
    const Napi::Value shape = o.Get("shape");
    if (!shape.IsArray() || shape.As<Napi::Array>().Length() > 8)
      bad_arg(env, "expected an array of at most 8 dimensions for " + at + ".shape");
    const Napi::Array dims = shape.As<Napi::Array>();
    // The product is built in double and checked against the byte count, so a huge shape can
    // neither overflow int64 nor disagree with the range it claims.
    double elements = 1;
    for (uint32_t d = 0; d < dims.Length(); ++d) {
      const uint64_t n = parse_index(env, dims.Get(d), at + ".shape[" + std::to_string(d) + "]");
      s.shape.push_back(static_cast<int64_t>(n));
      elements *= static_cast<double>(n);
    }
    if (elements * static_cast<double>(dtype_size(s.dtype)) != static_cast<double>(s.bytes))
      bad_arg(env, at + ": shape " + shape_str(s.shape) + " of " + dtype_name(s.dtype) + " does not fill " +
                       std::to_string(s.bytes) + " bytes");
  }
  return specs;
}

// ---- non-finite scan ----------------------------------------------------------------------------
// A float is NaN or ±Infinity exactly when its exponent bits are all ones. Each scan is a
// branch-free OR-reduction over unaligned loads (memcpy), which GCC vectorises; target_clones adds
// an AVX2 build picked once at load time, so one binary runs on any x86-64. Weights are only
// guaranteed element alignment (safetensors offsets are 8-byte aligned at best), hence memcpy.

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DW_SCAN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DW_SCAN_CLONES
#endif

DW_SCAN_CLONES bool any_full_exponent16(const unsigned char* p, size_t n, uint16_t mask) {
  unsigned found = 0;
  for (size_t i = 0; i < n; ++i) {
    uint16_t w;
    std::memcpy(&w, p + 2 * i, 2);
    found |= static_cast<unsigned>((w & mask) == mask);
  }
  return found != 0;
}

DW_SCAN_CLONES bool any_full_exponent32(const unsigned char* p, size_t n, uint32_t mask) {
  unsigned found = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t w;
    std::memcpy(&w, p + 4 * i, 4);
    found |= static_cast<unsigned>((w & mask) == mask);
  }
  return found != 0;
}

// Exponent mask and width of a float dtype; width 0 for types without NaN / Infinity.
struct FloatBits {
  uint32_t mask;
  size_t width;
};
FloatBits float_bits(DType d) {
  switch (d) {
    case DType::F32: return {0x7f800000u, 4};
    case DType::F16: return {0x7c00u, 2};
    case DType::BF16: return {0x7f80u, 2};
    default: return {0, 0};
  }
}

bool chunk_has_non_finite(const unsigned char* p, size_t elements, FloatBits fb) {
  return fb.width == 4 ? any_full_exponent32(p, elements, fb.mask)
                       : any_full_exponent16(p, elements, static_cast<uint16_t>(fb.mask));
}

struct NonFinite {
  size_t spec = 0;
  uint64_t element = 0;
  const char* value = "NaN";
};

// NaN, Infinity or -Infinity for the element at p (known to have a full exponent).
const char* describe(const unsigned char* p, DType d) {
  uint32_t bits = 0;
  if (d == DType::F32) {
    std::memcpy(&bits, p, 4);
  } else {
    uint16_t h;
    std::memcpy(&h, p, 2);
    bits = d == DType::BF16 ? static_cast<uint32_t>(h) << 16 : h;
  }
  const bool f16 = d == DType::F16;
  const uint32_t mantissa = f16 ? bits & 0x3ffu : bits & 0x7fffffu;
  if (mantissa != 0) return "NaN";
  return (f16 ? (bits & 0x8000u) : (bits >> 31)) ? "-Infinity" : "Infinity";
}

// The first non-finite element of any float spec, in spec order, or false. The specs are cut
// into ~1 MiB chunks scanned in parallel on the kernel pool: the scan is as much page faults as
// arithmetic (the first touch of each page of the mapping), and both scale with threads.
bool find_non_finite(const unsigned char* base, const std::vector<Spec>& specs, NonFinite* out) {
  struct Chunk {
    size_t spec;
    uint64_t begin;     // byte offset into the file
    uint64_t elements;  // elements in this chunk
  };
  constexpr uint64_t kChunkBytes = 1u << 20;
  std::vector<Chunk> chunks;
  for (size_t i = 0; i < specs.size(); ++i) {
    const FloatBits fb = float_bits(specs[i].dtype);
    if (fb.width == 0) continue;
    const uint64_t per = kChunkBytes / fb.width;
    const uint64_t total = specs[i].bytes / fb.width;
    for (uint64_t e = 0; e < total; e += per)
      chunks.push_back({i, specs[i].offset + e * fb.width, std::min(per, total - e)});
  }
  std::vector<unsigned char> flagged(chunks.size(), 0);
  parallel_for(static_cast<int64_t>(chunks.size()), 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const Chunk& ch = chunks[static_cast<size_t>(c)];
      flagged[static_cast<size_t>(c)] =
          chunk_has_non_finite(base + ch.begin, ch.elements, float_bits(specs[ch.spec].dtype));
    }
  });
  for (size_t c = 0; c < chunks.size(); ++c) {
    if (!flagged[c]) continue;
    const Chunk& ch = chunks[c];
    const Spec& s = specs[ch.spec];
    const FloatBits fb = float_bits(s.dtype);
    for (uint64_t k = 0; k < ch.elements; ++k) {
      const unsigned char* p = base + ch.begin + k * fb.width;
      if (chunk_has_non_finite(p, 1, fb)) {
        out->spec = ch.spec;
        out->element = (ch.begin - s.offset) / fb.width + k;
        out->value = describe(p, s.dtype);
        return true;
      }
    }
  }
  return false;
}

#ifndef _WIN32
void unmap(void* /*ctx*/, void* data, size_t bytes) { munmap(data, bytes); }
#endif

}  // namespace

bool release_mapped_pages(const dw::Tensor& t) {
#ifdef _WIN32
  return false;
#else
  if (!t.buffer || t.device() != dw::Device::CPU || t.buffer->deleter() != &unmap) return false;
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto lo = reinterpret_cast<uintptr_t>(t.raw());
  const uintptr_t hi = lo + t.nbytes();
  // Only pages wholly inside the tensor: a neighbour sharing a page keeps it.
  const uintptr_t first = (lo + page - 1) / page * page, last = hi / page * page;
  if (first >= last) return true;
  return madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED) == 0;
#endif
}

Napi::Value map_tensors(const Napi::CallbackInfo& info, const WrapTensor& wrap) {
  const Napi::Env env = info.Env();
  if (info.Length() < 4) bad_arg(env, "expected (fd, specs, device, checkFinite)");
  const uint64_t fd64 = parse_index(env, info[0], "fd");
  if (fd64 > static_cast<uint64_t>(std::numeric_limits<int>::max())) bad_arg(env, "fd out of range");
  const int fd = static_cast<int>(fd64);
  const std::vector<Spec> specs = parse_specs(env, info[1]);
  Device device;
  {
    const std::string d = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : std::string();
    if (d == "cpu") device = Device::CPU;
    else if (d == "cuda") device = Device::CUDA;
    else bad_arg(env, "expected 'cpu' or 'cuda' for device");
  }
  const bool check_finite = info[3].ToBoolean().Value();

#ifdef _WIN32
  (void)fd;
  (void)device;
  (void)check_finite;
  throw coded(env, "MAP_FAILED", "memory-mapped loading is not implemented on Windows");
#else
  struct stat st;
  if (fstat(fd, &st) != 0)
    throw coded(env, "MAP_FAILED", std::string("cannot stat the file: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw coded(env, "MAP_FAILED", "not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  // Checked against the file as it is now, before anything is mapped or made: the caller's
  // header was read earlier and the file may have shrunk since.
  for (size_t i = 0; i < specs.size(); ++i)
    if (specs[i].offset > size || specs[i].bytes > size - specs[i].offset)
      throw coded(env, "OUT_OF_RANGE",
                  "specs[" + std::to_string(i) + "]: bytes [" + std::to_string(specs[i].offset) + ", " +
                      std::to_string(specs[i].offset + specs[i].bytes) + ") run past the end of the " +
                      std::to_string(size) + "-byte file");

  std::shared_ptr<Buffer> mapping;
  if (size > 0) {
    // MAP_PRIVATE with PROT_WRITE: the file is never written (a private mapping cannot write
    // back), but a kernel that writes into a weight in place (Tensor.assign on a loaded tensor)
    // gets a private copy of the touched page instead of a segfault -- the same semantics as a
    // weight read into memory. Not MAP_POPULATE: on a writable private mapping it prefaults
    // for writing, i.e. copies every page into anonymous memory (measured: RssAnon grew by the
    // whole file and the load took 3x longer). Pages come in on first read instead -- during the
    // finite check when it runs (in parallel), else during the first forward pass.
    void* base = mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (base == MAP_FAILED)
      throw coded(env, "MAP_FAILED", std::string("cannot map the file: ") + std::strerror(errno));
    mapping = std::make_shared<Buffer>(base, static_cast<size_t>(size), Device::CPU, &unmap, nullptr);
  }
  const auto* base = static_cast<const unsigned char*>(mapping ? mapping->data() : nullptr);

  Napi::Object result = Napi::Object::New(env);
  if (check_finite && base) {
    NonFinite bad;
    if (find_non_finite(base, specs, &bad)) {
      Napi::Object nf = Napi::Object::New(env);
      nf.Set("index", Napi::Number::New(env, static_cast<double>(bad.spec)));
      nf.Set("element", Napi::Number::New(env, static_cast<double>(bad.element)));
      nf.Set("value", Napi::String::New(env, bad.value));
      result.Set("tensors", Napi::Array::New(env, 0));
      result.Set("copied", Napi::Number::New(env, 0));
      result.Set("nonFinite", nf);
      return result;
    }
  }

  Napi::Array tensors = Napi::Array::New(env, specs.size());
  uint32_t copied = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    const Spec& s = specs[i];
    Tensor t;
    // A view needs the element alignment every kernel assumes; the mapping itself is page
    // aligned, so that is the file offset's. Anything else (a misaligned tensor, another device,
    // an empty tensor) is an ordinary tensor filled from the mapping.
    if (device == Device::CPU && mapping && s.bytes > 0 && s.offset % dtype_size(s.dtype) == 0) {
      t.buffer = mapping;
      t.offset = static_cast<size_t>(s.offset);
      t.shape = s.shape;
      t.strides = contiguous_strides(s.shape);
      t.dtype = s.dtype;
    } else {
      t = ops::from_host(s.bytes ? base + s.offset : nullptr, static_cast<size_t>(s.bytes), s.shape, s.dtype, device);
      if (s.bytes > 0) ++copied;
    }
    tensors.Set(static_cast<uint32_t>(i), wrap(std::move(t)));
  }
  result.Set("tensors", tensors);
  result.Set("copied", Napi::Number::New(env, copied));
  result.Set("nonFinite", env.Null());
  return result;
#endif
}

}  // namespace dw::binding
