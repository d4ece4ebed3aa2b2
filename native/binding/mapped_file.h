// Tensors that are views into a memory-mapped weight file (see mapped_file.cpp).
#pragma once

#include <napi.h>

#include <functional>

#include "dw/tensor.h"

namespace dw::binding {

// Turns a native tensor into a JS tensor handle (the addon's own wrapper).
using WrapTensor = std::function<Napi::Value(dw::Tensor)>;

// mapTensors(fd, specs, device, checkFinite) -> { tensors, copied, nonFinite }
//   fd          an open, readable descriptor of the file (the caller closes it; the mapping
//               outlives it)
//   specs       [{ offset, byteLength, shape, dtype }]: absolute byte ranges of the file
//   device      'cpu': views into the mapping where aligned; 'cuda': uploaded from the mapping
//   checkFinite scan float tensors for NaN / ±Infinity before any tensor is made
// Returns the tensors in spec order, how many had to be copied (misaligned for their dtype), and
// either null or { index, element, value } naming the first non-finite element (no tensors then).
// Throws code OUT_OF_RANGE when a spec does not fit the file as it is now, MAP_FAILED when the
// file cannot be mapped (the caller may read it instead), INVALID_ARGUMENT for malformed specs.
Napi::Value map_tensors(const Napi::CallbackInfo& info, const WrapTensor& wrap);

// Drops the whole pages of a tensor that views a mapping from this process's resident set
// (madvise MADV_DONTNEED): the bytes are re-read from the file on the next touch. For weights that
// were read once and are not needed again soon (e.g. float originals of int8 weights). Returns
// false, doing nothing, for a tensor that is not a view of a mapping. Pages privately modified
// since mapping revert to the file's contents, so call it only on tensors nobody writes.
bool release_mapped_pages(const dw::Tensor& t);

}  // namespace dw::binding
