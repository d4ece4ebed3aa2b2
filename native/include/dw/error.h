// Error contract of the kernel library: every failure is a dw::Error with a stable code, thrown
// before any memory is touched. The N-API layer maps the code to a typed JS KernelError.
#pragma once

#include <stdexcept>
#include <string>

namespace dw {

enum class ErrorCode {
  InvalidArgument,    // a value out of range (axis, k, stride, ...)
  ShapeMismatch,      // shapes that do not fit the op
  DTypeMismatch,      // a dtype the op does not accept
  DeviceMismatch,     // tensors on different devices
  OutOfMemory,        // allocation failed
  Unsupported,        // valid request this backend does not implement
  DeviceUnavailable,  // backend not built or no device/driver present
  Disposed,           // use after dispose()
  Internal,           // a bug: should never reach users
};

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

[[noreturn]] inline void fail(ErrorCode code, const std::string& message) { throw Error(code, message); }

}  // namespace dw

#define DW_CHECK(cond, code, msg)          \
  do {                                     \
    if (!(cond)) ::dw::fail((code), (msg)); \
  } while (0)
