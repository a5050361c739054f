// Event-driven spike propagation for neurodyn, as an XLA FFI custom call (CPU).
//
// For every presynaptic neuron that spiked (ascending index), for each of its CSR
// synapses (storage order), the weight is added to a per-step scratch sum at
// (delay row, target). Each touched scratch entry is then added once to the ring
// buffer row where it is due: (first + delay) % D (and cleared: an entry touched
// again adds 0). This is the same floating-point order as neurodyn's pure-JAX and
// dense paths, so all three agree bit for bit.
// Cost: spikes x out-degree, plus a scan of the spike vector 32 neurons at a time. The rows
// of the spikes a few ahead are prefetched: reading scattered synapse lists is the cost.
#include <cstdint>
#include <cstring>
#include <vector>

#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

template <ffi::DataType DT>
static ffi::Error Propagate(ffi::Buffer<ffi::PRED> spikes, ffi::Buffer<ffi::S32> indptr,
                            ffi::Buffer<ffi::S32> indices, ffi::Buffer<DT> weights,
                            ffi::Buffer<ffi::S32> delays, ffi::Buffer<DT> buffer,
                            ffi::Buffer<ffi::S32> first, ffi::ResultBuffer<DT> out,
                            int64_t n_post, int64_t delay, bool homogeneous_w, bool homogeneous_d) {
  using T = ffi::NativeType<DT>;
  const bool* s = spikes.typed_data();
  const int32_t* ptr = indptr.typed_data();
  const int32_t* idx = indices.typed_data();
  const T* w = weights.typed_data();
  const int32_t* del = delays.typed_data();
  const size_t n_pre = spikes.element_count();
  const size_t total = out->element_count();
  T* dst = out->typed_data();
  if (dst != buffer.typed_data()) std::memcpy(dst, buffer.typed_data(), total * sizeof(T));
  if (n_post <= 0) return ffi::Error::Success();
  const int64_t D = static_cast<int64_t>(total) / n_post;
  const int64_t n_rows = homogeneous_d ? 1 : delay + 1;
  const size_t size = static_cast<size_t>(n_rows * n_post);

  thread_local std::vector<T> scratch_store;
  thread_local std::vector<int64_t> touched_store;
  if (scratch_store.size() < size) scratch_store.assign(size, T(0));
  T* __restrict scratch = scratch_store.data();  // plain pointers: looked up once, not per event
  const T w0 = w[0];
  // 1. the spiking neurons, silent stretches of 32 skipped at a time
  thread_local std::vector<int32_t> fired_store;
  fired_store.resize(n_pre);
  int32_t* __restrict fired = fired_store.data();
  size_t n_fired = 0;
  size_t i = 0;
  for (; i + 32 <= n_pre; i += 32) {
    uint64_t word[4];
    std::memcpy(word, s + i, 32);
    if ((word[0] | word[1] | word[2] | word[3]) == 0) continue;
    for (size_t j = i; j < i + 32; ++j) {
      fired[n_fired] = static_cast<int32_t>(j);
      n_fired += s[j];
    }
  }
  for (; i < n_pre; ++i) {
    fired[n_fired] = static_cast<int32_t>(i);
    n_fired += s[i];
  }
  size_t n_events = 0;
  for (size_t j = 0; j < n_fired; ++j) n_events += static_cast<size_t>(ptr[fired[j] + 1] - ptr[fired[j]]);
  if (touched_store.size() < n_events) touched_store.resize(n_events);
  int64_t* __restrict touched = touched_store.data();  // every event's scratch entry (repeats included)
  size_t n_touched = 0;
  // 2. their synapses, the rows of the next spikes prefetched (they are scattered in memory;
  // the first kAhead rows are requested together, so a step with few spikes waits once)
  constexpr size_t kAhead = 8;
  auto prefetch_row = [&](int32_t pre) {
    for (int64_t k = ptr[pre]; k < ptr[pre + 1]; k += 16) {
      __builtin_prefetch(idx + k);
      if (!homogeneous_d) __builtin_prefetch(del + k);
      if (!homogeneous_w) {
        __builtin_prefetch(w + k);
        if (sizeof(T) > 4) __builtin_prefetch(w + k + 8);
      }
    }
  };
  for (size_t j = 0; j < n_fired && j < kAhead; ++j) prefetch_row(fired[j]);
  for (size_t j = 0; j < n_fired; ++j) {
    if (j + kAhead < n_fired) prefetch_row(fired[j + kAhead]);
    const int32_t pre = fired[j];
    for (int64_t k = ptr[pre]; k < ptr[pre + 1]; ++k) {
      const int64_t t = homogeneous_d ? idx[k] : idx[k] + static_cast<int64_t>(del[k]) * n_post;
      touched[n_touched++] = t;
      scratch[t] += homogeneous_w ? w0 : w[k];
    }
  }
  // Rows of the ring buffer for each delay row of the scratch sum (no division per event).
  const int64_t base = static_cast<int64_t>(first.typed_data()[0]) + (homogeneous_d ? delay : 0);
  int64_t row_start[1];
  std::vector<int64_t> row_starts(homogeneous_d ? 0 : static_cast<size_t>(n_rows));
  row_start[0] = (base % D) * n_post;
  for (int64_t r = 0; r < static_cast<int64_t>(row_starts.size()); ++r) row_starts[r] = ((base + r) % D) * n_post - r * n_post;
  for (size_t j = 0; j < n_touched; ++j) {
    const int64_t t = touched[j];
    const int64_t start = homogeneous_d ? row_start[0] : row_starts[t / n_post];  // t = row * n_post + target
    dst[start + t] += scratch[t];  // a repeated entry adds the 0 left by its first
    scratch[t] = T(0);
  }
  return ffi::Error::Success();
}

#define NEURODYN_BIND(DT)                       \
  ffi::Ffi::Bind()                              \
      .Arg<ffi::Buffer<ffi::PRED>>()            \
      .Arg<ffi::Buffer<ffi::S32>>()             \
      .Arg<ffi::Buffer<ffi::S32>>()             \
      .Arg<ffi::Buffer<DT>>()                   \
      .Arg<ffi::Buffer<ffi::S32>>()             \
      .Arg<ffi::Buffer<DT>>()                   \
      .Arg<ffi::Buffer<ffi::S32>>()             \
      .Ret<ffi::Buffer<DT>>()                   \
      .Attr<int64_t>("n_post")                  \
      .Attr<int64_t>("delay")                   \
      .Attr<bool>("homogeneous_w")              \
      .Attr<bool>("homogeneous_d")

XLA_FFI_DEFINE_HANDLER_SYMBOL(neurodyn_propagate_f32, Propagate<ffi::F32>, NEURODYN_BIND(ffi::F32));
XLA_FFI_DEFINE_HANDLER_SYMBOL(neurodyn_propagate_f64, Propagate<ffi::F64>, NEURODYN_BIND(ffi::F64));
