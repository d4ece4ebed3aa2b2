// Finds the backend for a device. The CUDA backend is a separate shared library
// (libdw_cuda.so, built only where a CUDA toolkit was found) that is dlopen()ed on first use, so
// the addon itself never links against the CUDA runtime and loads on machines without a GPU,
// a driver or the CUDA libraries.
#include <dlfcn.h>
#include <unistd.h>

#include <mutex>
#include <string>

#include "dw/backend.h"
#include "dw/cuda_entry.h"

namespace dw {
namespace {

struct CudaState {
  std::once_flag once;
  Backend* backend = nullptr;
  std::string reason;
};

CudaState& cuda_state() {
  static CudaState s;
  return s;
}

std::string library_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&cuda_available), &info) && info.dli_fname) {
    std::string path = info.dli_fname;
    size_t slash = path.rfind('/');
    if (slash != std::string::npos) return path.substr(0, slash);
  }
  return ".";
}

void load_cuda(CudaState& s) {
  std::string path;
  if (const char* env = std::getenv("DW_CUDA_LIB")) path = env;
  else path = library_dir() + "/libdw_cuda.so";
  if (access(path.c_str(), F_OK) != 0) {
    s.reason = "built without CUDA (no " + path +
               "; rebuild with a CUDA toolkit: DW_CUDA=ON npm run build:native)";
    return;
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* err = dlerror();
    s.reason = "could not load " + path + ": " + (err ? err : "unknown error");
    return;
  }
  auto create = reinterpret_cast<CudaCreateFn>(dlsym(handle, DW_CUDA_ENTRY_SYMBOL));
  if (!create) {
    s.reason = "libdw_cuda.so has no entry point " DW_CUDA_ENTRY_SYMBOL;
    return;
  }
  char err[512] = {0};
  Backend* be = create(DW_CUDA_ABI_VERSION, err, sizeof err);
  if (!be) {
    s.reason = err[0] ? err : "CUDA backend failed to initialise";
    return;
  }
  s.backend = be;  // lives for the rest of the process, as does the library
}

}  // namespace

bool cuda_available(std::string* reason) {
  CudaState& s = cuda_state();
  std::call_once(s.once, [&] { load_cuda(s); });
  if (!s.backend && reason) *reason = s.reason;
  return s.backend != nullptr;
}

Backend& cuda_backend() {
  std::string reason;
  if (!cuda_available(&reason)) fail(ErrorCode::DeviceUnavailable, "cuda backend unavailable: " + reason);
  return *cuda_state().backend;
}

Backend& backend_for(Device device) { return device == Device::CPU ? cpu_backend() : cuda_backend(); }

}  // namespace dw
