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
//
// A projection may carry additive pair STDP (neurodyn.plasticity.STDP), in its step
// order: both traces decay over the step (a *= decay, one rounding) and the presynaptic
// spikes add A_pre; each synapse just delivered (with its old weight) becomes
// clip(w + a_post[target]) (on_pre); after the projection's deliveries every synapse into
// a postsynaptic neuron that spiked becomes clip(w + a_pre[source]) (on_post), then those
// neurons' a_post += A_post. Traces and weights in place. clip is jnp.clip's max(., w_min)
// then min(., w_max), NaN kept; no fused multiply-adds (-ffp-contract=off), so the
// results equal the pure-JAX path's bit for bit.
#include <cstdint>
#include <cstring>
#include <vector>

#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

namespace {

// Additive pair STDP (neurodyn.plasticity.STDP) on one projection: its traces and weights.
template <typename T>
struct Stdp {
  T* a_pre;                   // presynaptic traces (n_pre), in place
  T* a_post;                  // postsynaptic traces (n_post), in place
  const bool* post_spikes;    // (n_post)
  const int32_t* post_ptr;    // (n_post + 1) synapses into each neuron ...
  const int32_t* post_order;  // ... as synapse ids
  const int32_t* post_pre;    // ... and their presynaptic neurons
  T lo, hi, d_pre, d_post, A_pre, A_post;  // bounds (-inf, inf: open); the traces' decay over a step, increments

  // jnp.clip: maximum(x, lo), then minimum(., hi); NaN stays NaN, and an infinite bound changes nothing
  static T clip(T x, T lo, T hi) {
    x = x < lo ? lo : x;
    return x > hi ? hi : x;
  }

  // advance_pre then pre_spike, and advance_post: before the deliveries
  void advance(const bool* pre_spikes, size_t n_pre, size_t n_post) const {
    const uint8_t* __restrict s = reinterpret_cast<const uint8_t*>(pre_spikes);  // vectorises; bool does not
    T* __restrict a = a_pre;
    const T d = d_pre, inc = A_pre;
    for (size_t i = 0; i < n_pre; ++i) {
      const T x = a[i] * d;
      const T y = x + inc;
      a[i] = s[i] ? y : x;
    }
    T* __restrict b = a_post;
    const T e = d_post;
    for (size_t i = 0; i < n_post; ++i) b[i] = b[i] * e;
  }

  // on_post on the synapses into each neuron that spiked (ascending), then post_spike
  void post(T* __restrict w, const int32_t* fired, size_t n_fired) const {
    for (size_t j = 0; j < n_fired; ++j)
      for (int32_t m = post_ptr[fired[j]]; m < post_ptr[fired[j] + 1]; ++m) {
        const int32_t k = post_order[m];
        w[k] = clip(w[k] + a_pre[post_pre[m]], lo, hi);
      }
    for (size_t j = 0; j < n_fired; ++j) a_post[fired[j]] = a_post[fired[j]] + A_post;
  }
};

template <typename T>
struct Projection {
  const int32_t* ptr;  // CSR row pointers (n_pre + 1)
  const int32_t* idx;  // targets
  T* w;                // weights (one, if homogeneous); changed in place only with stdp
  const int32_t* del;  // delays in steps (unused if homogeneous)
  T* dst;              // ring buffer (D * n_post), updated in place
  int64_t total, n_post, delay, first;
  bool homogeneous_w, homogeneous_d;
  const Stdp<T>* stdp;  // nullptr: fixed weights

  void deliver(const int32_t* fired, size_t n_fired) const {
    if (stdp)  // per-synapse weights
      homogeneous_d ? add<false, true, true>(fired, n_fired) : add<false, false, true>(fired, n_fired);
    else if (homogeneous_d)
      homogeneous_w ? add<true, true, false>(fired, n_fired) : add<false, true, false>(fired, n_fired);
    else
      homogeneous_w ? add<true, false, false>(fired, n_fired) : add<false, false, false>(fired, n_fired);
  }

  template <bool HW, bool HD, bool PL>
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
    const T w0 = HW ? w[0] : T(0);  // (no weights to read in an empty projection)
    // STDP's on_pre, read into locals (a store to w cannot change them)
    const T* __restrict a_post = PL ? stdp->a_post : nullptr;
    const T lo = PL ? stdp->lo : T(0), hi = PL ? stdp->hi : T(0);
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
        const T wk = HW ? w0 : w[k];
        scratch[t] += wk;
        if (PL) w[k] = Stdp<T>::clip(wk + a_post[idx[k]], lo, hi);  // on_pre, after delivering the old weight
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
const int32_t* spiking(const bool* s, size_t n_pre, size_t* n_fired, std::vector<int32_t>& fired_store) {
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
// first (the ring-buffer row of the next step), and for a projection with STDP
// (stdp[p] = 1) also a_pre, a_post, post spikes,
// post_indptr, post_order, post_pre, (w_min, w_max, d_pre, d_post, A_pre, A_post). Results
// per projection: its buffer, then (with STDP) its weights, a_pre and a_post.
template <ffi::DataType DT>
static ffi::Error Propagate(ffi::Buffer<ffi::PRED> spikes, ffi::RemainingArgs args, ffi::RemainingRets rets,
                            ffi::Span<const int64_t> n_post, ffi::Span<const int64_t> delay,
                            ffi::Span<const int64_t> homogeneous_w, ffi::Span<const int64_t> homogeneous_d,
                            ffi::Span<const int64_t> stdp) {
  using T = ffi::NativeType<DT>;
  constexpr size_t kArgs = 6, kStdpArgs = 13, kStdpRets = 4;
  const size_t P = n_post.size();
  size_t n_args = 0, n_rets = 0;
  for (size_t p = 0; p < stdp.size(); ++p) {
    n_args += stdp[p] ? kStdpArgs : kArgs;
    n_rets += stdp[p] ? kStdpRets : 1;
  }
  if (stdp.size() != P || delay.size() != P || homogeneous_w.size() != P || homogeneous_d.size() != P ||
      args.size() != n_args || rets.size() != n_rets)
    return ffi::Error::InvalidArgument("propagate: 6 inputs (13 with STDP) and five attributes per projection");
  thread_local std::vector<int32_t> fired_store, post_store;
  const size_t n_pre = spikes.element_count();
  size_t n_fired = 0;
  const int32_t* fired = spiking(spikes.typed_data(), n_pre, &n_fired, fired_store);
  // a, r: the projection's first argument and result
  for (size_t p = 0, a = 0, r = 0; p < P; a += stdp[p] ? kStdpArgs : kArgs, r += stdp[p] ? kStdpRets : 1, ++p) {
    auto indptr = args.get<ffi::Buffer<ffi::S32>>(a);
    auto indices = args.get<ffi::Buffer<ffi::S32>>(a + 1);
    auto weights = args.get<ffi::Buffer<DT>>(a + 2);
    auto delays = args.get<ffi::Buffer<ffi::S32>>(a + 3);
    auto buffer = args.get<ffi::Buffer<DT>>(a + 4);
    auto first = args.get<ffi::Buffer<ffi::S32>>(a + 5);
    auto out = rets.get<ffi::Buffer<DT>>(r);
    if (!indptr || !indices || !weights || !delays || !buffer || !first || !out)
      return ffi::Error::InvalidArgument("propagate: wrong types of a projection's inputs");
    T* dst = (*out)->typed_data();
    const size_t total = (*out)->element_count();
    if (dst != buffer->typed_data()) std::memcpy(dst, buffer->typed_data(), total * sizeof(T));
    T* w = const_cast<T*>(weights->typed_data());  // written only with STDP, then as the aliased result
    Stdp<T> rule{};
    if (stdp[p]) {
      auto a_pre = args.get<ffi::Buffer<DT>>(a + 6);
      auto a_post = args.get<ffi::Buffer<DT>>(a + 7);
      auto post_spikes = args.get<ffi::Buffer<ffi::PRED>>(a + 8);
      auto post_indptr = args.get<ffi::Buffer<ffi::S32>>(a + 9);
      auto post_order = args.get<ffi::Buffer<ffi::S32>>(a + 10);
      auto post_pre = args.get<ffi::Buffer<ffi::S32>>(a + 11);
      auto params = args.get<ffi::Buffer<DT>>(a + 12);
      auto w_out = rets.get<ffi::Buffer<DT>>(r + 1);
      auto a_pre_out = rets.get<ffi::Buffer<DT>>(r + 2);
      auto a_post_out = rets.get<ffi::Buffer<DT>>(r + 3);
      if (!a_pre || !a_post || !post_spikes || !post_indptr || !post_order || !post_pre || !params || !w_out ||
          !a_pre_out || !a_post_out || (*a_pre_out)->element_count() != n_pre ||
          (*a_post_out)->element_count() != static_cast<size_t>(n_post[p]) || params->element_count() != 6)
        return ffi::Error::InvalidArgument("propagate: wrong types or sizes of a projection's STDP inputs");
      auto in_place = [](ffi::Result<ffi::Buffer<DT>>& res, const ffi::Buffer<DT>& in) {
        T* o = res->typed_data();  // the result, filled from its input unless aliased to it
        if (o != in.typed_data()) std::memcpy(o, in.typed_data(), in.element_count() * sizeof(T));
        return o;
      };
      w = in_place(*w_out, *weights);
      const T* q = params->typed_data();
      rule = Stdp<T>{in_place(*a_pre_out, *a_pre), in_place(*a_post_out, *a_post), post_spikes->typed_data(),
                     post_indptr->typed_data(), post_order->typed_data(), post_pre->typed_data(),
                     q[0], q[1], q[2], q[3], q[4], q[5]};
      rule.advance(spikes.typed_data(), n_pre, static_cast<size_t>(n_post[p]));
    }
    if (n_post[p] <= 0) continue;
    const Projection<T> proj{indptr->typed_data(), indices->typed_data(), w, delays->typed_data(), dst,
                             static_cast<int64_t>(total), n_post[p], delay[p], first->typed_data()[0],
                             homogeneous_w[p] != 0, homogeneous_d[p] != 0, stdp[p] ? &rule : nullptr};
    if (n_fired) proj.deliver(fired, n_fired);  // on_pre as well
    if (stdp[p]) {
      size_t n_post_fired = 0;
      const int32_t* post_fired = spiking(rule.post_spikes, static_cast<size_t>(n_post[p]), &n_post_fired, post_store);
      rule.post(w, post_fired, n_post_fired);
    }
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
      .Attr<ffi::Span<const int64_t>>("homogeneous_d") \
      .Attr<ffi::Span<const int64_t>>("stdp")

XLA_FFI_DEFINE_HANDLER_SYMBOL(neurodyn_propagate_f32, Propagate<ffi::F32>, NEURODYN_BIND(ffi::F32));
XLA_FFI_DEFINE_HANDLER_SYMBOL(neurodyn_propagate_f64, Propagate<ffi::F64>, NEURODYN_BIND(ffi::F64));
