// Event-driven spike propagation for neurodyn, as an XLA FFI custom call (CPU).
//
// One call takes the spikes of one presynaptic population and any number of its
// projections. For every presynaptic neuron that spiked (ascending index), for each of
// a projection's CSR synapses (storage order), the weight is added to a per-step
// scratch sum at (delay row, target). Each touched scratch entry is then added once to
// the ring buffer row where it is due: (first + delay) % D (and cleared: an entry
// touched again adds 0). This is the same floating-point order as neurodyn's pure-JAX
// and dense paths, so all three agree bit for bit.
// Cost: spikes x out-degree, plus one scan of the spike vector, 32 neurons at a time,
// shared by the projections. Reading the scattered synapse rows is the cost: the rows of
// the first spikes are requested together, later ones a few spikes ahead.
#include <cstdint>
#include <cstring>
#include <vector>

#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

namespace {

template <typename T>
struct Projection {
  const int32_t* ptr;  // CSR row pointers (n_pre + 1)
  const int32_t* idx;  // targets
  const T* w;          // weights (one, if homogeneous)
  const int32_t* del;  // delays in steps (unused if homogeneous)
  T* dst;              // ring buffer (D * n_post), updated in place
  int64_t total, n_post, delay, first;
  bool homogeneous_w, homogeneous_d;

  void deliver(const int32_t* fired, size_t n_fired) const {
    if (homogeneous_d)
      homogeneous_w ? add<true, true>(fired, n_fired) : add<false, true>(fired, n_fired);
    else
      homogeneous_w ? add<true, false>(fired, n_fired) : add<false, false>(fired, n_fired);
  }

  template <bool HW, bool HD>
  void add(const int32_t* fired, size_t n_fired) const {
    const int64_t D = total / n_post;
    const int64_t n_rows = HD ? 1 : delay + 1;
    const size_t size = static_cast<size_t>(n_rows * n_post);
    thread_local std::vector<T> scratch_store;
    thread_local std::vector<int64_t> touched_store;
    if (scratch_store.size() < size) scratch_store.assign(size, T(0));
    T* __restrict scratch = scratch_store.data();  // plain pointers: looked up once, not per event
    int64_t* __restrict touched = nullptr;  // every event's scratch entry (repeats included)
    if (!HD) {
      size_t n_events = 0;
      for (size_t j = 0; j < n_fired; ++j) n_events += static_cast<size_t>(ptr[fired[j] + 1] - ptr[fired[j]]);
      if (touched_store.size() < n_events) touched_store.resize(n_events);
      touched = touched_store.data();
    }
    size_t n_touched = 0;
    const T w0 = w[0];
    constexpr size_t kAhead = 8;
    auto prefetch_row = [&](int32_t pre) {
      for (int64_t k = ptr[pre]; k < ptr[pre + 1]; k += 16) {
        __builtin_prefetch(idx + k);
        if (!HD) __builtin_prefetch(del + k);
        if (!HW) {
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
        const int64_t t = HD ? idx[k] : idx[k] + static_cast<int64_t>(del[k]) * n_post;
        if (!HD) touched[n_touched++] = t;
        scratch[t] += HW ? w0 : w[k];
      }
    }
    if (HD) {  // one ring-buffer row: walk the synapse rows again (now in cache)
      T* __restrict row = dst + ((first + delay) % D) * n_post;
      for (size_t j = 0; j < n_fired; ++j)
        for (int64_t k = ptr[fired[j]]; k < ptr[fired[j] + 1]; ++k) {
          const int32_t t = idx[k];
          row[t] += scratch[t];  // a repeated target adds the 0 left by its first
          scratch[t] = T(0);
        }
      return;
    }
    // Rows of the ring buffer for each delay row of the scratch sum (no division per event).
    thread_local std::vector<int64_t> row_store;
    row_store.resize(static_cast<size_t>(n_rows));
    int64_t* row_starts = row_store.data();
    for (int64_t r = 0; r < n_rows; ++r) row_starts[r] = ((first + r) % D) * n_post - r * n_post;
    for (size_t j = 0; j < n_touched; ++j) {
      const int64_t t = touched[j];  // t = delay row * n_post + target
      dst[row_starts[t / n_post] + t] += scratch[t];
      scratch[t] = T(0);
    }
  }
};

// The spiking neurons in ascending order, silent stretches of 32 skipped at a time.
const int32_t* spiking(const bool* s, size_t n_pre, size_t* n_fired) {
  thread_local std::vector<int32_t> fired_store;
  fired_store.resize(n_pre);
  int32_t* __restrict fired = fired_store.data();
  size_t n = 0, i = 0;
  for (; i + 32 <= n_pre; i += 32) {
    uint64_t word[4];
    std::memcpy(word, s + i, 32);
    if ((word[0] | word[1] | word[2] | word[3]) == 0) continue;
    for (size_t j = i; j < i + 32; ++j) {
      fired[n] = static_cast<int32_t>(j);
      n += s[j];
    }
  }
  for (; i < n_pre; ++i) {
    fired[n] = static_cast<int32_t>(i);
    n += s[i];
  }
  *n_fired = n;
  return fired;
}

}  // namespace

// Arguments after the spikes, per projection: indptr, indices, weights, delays, buffer,
// first (the ring-buffer row of the next step); one result per projection (its buffer).
template <ffi::DataType DT>
static ffi::Error Propagate(ffi::Buffer<ffi::PRED> spikes, ffi::RemainingArgs args, ffi::RemainingRets rets,
                            ffi::Span<const int64_t> n_post, ffi::Span<const int64_t> delay,
                            ffi::Span<const int64_t> homogeneous_w, ffi::Span<const int64_t> homogeneous_d) {
  using T = ffi::NativeType<DT>;
  const size_t P = rets.size();
  if (args.size() != 6 * P || n_post.size() != P || delay.size() != P || homogeneous_w.size() != P ||
      homogeneous_d.size() != P)
    return ffi::Error::InvalidArgument("propagate: six inputs and four attributes per projection");
  size_t n_fired = 0;
  const int32_t* fired = spiking(spikes.typed_data(), spikes.element_count(), &n_fired);
  for (size_t p = 0; p < P; ++p) {
    auto indptr = args.get<ffi::Buffer<ffi::S32>>(6 * p);
    auto indices = args.get<ffi::Buffer<ffi::S32>>(6 * p + 1);
    auto weights = args.get<ffi::Buffer<DT>>(6 * p + 2);
    auto delays = args.get<ffi::Buffer<ffi::S32>>(6 * p + 3);
    auto buffer = args.get<ffi::Buffer<DT>>(6 * p + 4);
    auto first = args.get<ffi::Buffer<ffi::S32>>(6 * p + 5);
    auto out = rets.get<ffi::Buffer<DT>>(p);
    if (!indptr || !indices || !weights || !delays || !buffer || !first || !out)
      return ffi::Error::InvalidArgument("propagate: wrong types of a projection's inputs");
    T* dst = (*out)->typed_data();
    const size_t total = (*out)->element_count();
    if (dst != buffer->typed_data()) std::memcpy(dst, buffer->typed_data(), total * sizeof(T));
    if (n_post[p] <= 0 || n_fired == 0) continue;
    const Projection<T> proj{indptr->typed_data(), indices->typed_data(), weights->typed_data(),
                             delays->typed_data(), dst, static_cast<int64_t>(total), n_post[p], delay[p],
                             first->typed_data()[0], homogeneous_w[p] != 0, homogeneous_d[p] != 0};
    proj.deliver(fired, n_fired);
  }
  return ffi::Error::Success();
}

#define NEURODYN_BIND(DT)                          \
  ffi::Ffi::Bind()                                 \
      .Arg<ffi::Buffer<ffi::PRED>>()               \
      .RemainingArgs()                             \
      .RemainingRets()                             \
      .Attr<ffi::Span<const int64_t>>("n_post")    \
      .Attr<ffi::Span<const int64_t>>("delay")     \
      .Attr<ffi::Span<const int64_t>>("homogeneous_w") \
      .Attr<ffi::Span<const int64_t>>("homogeneous_d")

XLA_FFI_DEFINE_HANDLER_SYMBOL(neurodyn_propagate_f32, Propagate<ffi::F32>, NEURODYN_BIND(ffi::F32));
XLA_FFI_DEFINE_HANDLER_SYMBOL(neurodyn_propagate_f64, Propagate<ffi::F64>, NEURODYN_BIND(ffi::F64));
