// One step of a population of LIF neurons with exponential synaptic channels, as an XLA
// FFI custom call (CPU, float32): neurodyn_lif_exp_f32.
//
// The same arithmetic as neurodyn's generic path (ExponentialEuler on
// LIF with exponential conductance / current channel parts), then LIF's threshold, reset and
// refractoriness), in one pass over the neurons instead of XLA's several:
//
//   I_syn = sum_c g_c (E_c - V)  [conductance]  or  g_c  [current]
//   f     = (E_L - V) / tau_m + (I_e + I + I_syn) / C_m
//   a     = -1 / tau_m - sum_{conductances} g_c / C_m      (df/dV)
//   V'    = V + dt phi1(a dt) f,      g_c' = g_c + decay_c g_c
//   then clamp (refractory), threshold, reset, refractory counter.
//
// phi1(z) = (e^z - 1) / z as a short series, the loops written so that they vectorise;
// the rare neurons past the series' range take expm1. Batches (vmap) are runs
// of n neurons, each with its own row of parameters.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>

#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

namespace {

// Parameter row layout (float32): tau_m, C_m, E_L, V_th, V_reset, I_e, dt, then per channel
// (decay, E_rev); E_rev is ignored for current channels (the last n_current channels).
constexpr int64_t kOwn = 7;

// phi1(z) = (e^z - 1) / z for |z| < kSeries: the series to z^7 / 8! (truncation below
// 2e-8 relative); larger |z| (rare: conductances over ~100 times the leak in the COBA
// benchmark) uses expm1.
constexpr float kSeries = 0.5f;

inline float phi1_series(float z) {
  float s = 1.0f / 40320.0f;
  s = s * z + 1.0f / 5040.0f;
  s = s * z + 1.0f / 720.0f;
  s = s * z + 1.0f / 120.0f;
  s = s * z + 1.0f / 24.0f;
  s = s * z + 1.0f / 6.0f;
  s = s * z + 0.5f;
  return s * z + 1.0f;
}

constexpr int64_t kBlock = 512;
constexpr int64_t kChunk = 8192;  // neurons per task when a step is split across threads

// Pointers and sizes of one call; step(lo, hi) advances global neurons [lo, hi).
struct Step {
  const float* v0;
  const int32_t* r0;
  const float* drive;
  const float* params;
  const int32_t* n_ref;
  const float* g_in[16];
  float* g_new[16];
  float* v1;
  int32_t* r1;
  bool* sp;
  int64_t n, channels, n_conductance;
  bool drive_per_run;  // one drive value per run (batch element) instead of per neuron

  using BlockFn = void (Step::*)(int64_t, int64_t, const float*, int32_t, float) const;

  // Channel counts known at compile time let the compiler fuse everything into one
  // vectorised loop; other counts (-1) take the same loop with runtime channel loops.
  template <int NC, int NI>
  static constexpr BlockFn pick_current(int64_t ni) {
    if constexpr (NI < 3) return ni == NI ? &Step::block<NC, NI> : pick_current<NC, NI + 1>(ni);
    return &Step::block<-1, -1>;
  }
  template <int NC>
  static constexpr BlockFn pick(int64_t nc, int64_t ni) {
    if constexpr (NC < 3) return nc == NC ? pick_current<NC, 0>(ni) : pick<NC + 1>(nc, ni);
    return &Step::block<-1, -1>;
  }

  void step(int64_t lo, int64_t hi) const {
    const int64_t row = kOwn + 2 * channels;
    const BlockFn fn = pick<0>(n_conductance, channels - n_conductance);
    for (int64_t start = lo; start < hi;) {
      const int64_t b = start / n;
      const int64_t len = std::min({kBlock, hi - start, (b + 1) * n - start});
      (this->*fn)(start, len, params + b * row, n_ref[b], drive_per_run ? drive[b] : 0.0f);
      start += len;
    }
  }

  template <int NC, int NI>
  void block(int64_t start, int64_t len, const float* p, int32_t steps_ref, float drive0) const {
    const int64_t nc = NC >= 0 ? NC : n_conductance;
    const float inv_tau = 1.0f / p[0], inv_C = 1.0f / p[1], dt = p[6];
    // z = (df/dV) dt depends on the conductances only: one cheap pass finds whether any
    // neuron of the block is past the series' range (rare), and the block then takes
    // expm1 for those neurons.
    int32_t strong = 0;
    for (int64_t j = 0; j < len; ++j) {
      float conductance = 0.0f;
      for (int64_t c = 0; c < nc; ++c) conductance += g_in[c][start + j];
      const float z = (-inv_tau - conductance * inv_C) * dt;
      strong |= (z <= -kSeries) | (z >= kSeries);
    }
    if (strong)
      update<NC, NI, true>(start, len, p, steps_ref, drive0);
    else
      update<NC, NI, false>(start, len, p, steps_ref, drive0);
  }

  template <int NC, int NI, bool Exact>
  void update(int64_t start, int64_t len, const float* p, int32_t steps_ref, float drive0) const {
    static const float kZeros[kBlock] = {};
    const int64_t nc = NC >= 0 ? NC : n_conductance, nt = NC >= 0 ? NC + NI : channels;
    const float tau_m = p[0], C_m = p[1], E_L = p[2], V_th = p[3], V_reset = p[4], I_e = p[5], dt = p[6];
    const float inv_tau = 1.0f / tau_m, inv_C = 1.0f / C_m;
    const float* gi[16];
    float* go[16];
    float decay[16], E[16];
    for (int64_t c = 0; c < nt; ++c) {
      gi[c] = g_in[c] + start;
      go[c] = g_new[c] + start;
      decay[c] = p[kOwn + 2 * c];
      E[c] = p[kOwn + 2 * c + 1];
    }
    const float *v = v0 + start, *in = drive_per_run ? kZeros : drive + start;
    const float I_0 = I_e + drive0;
    const int32_t* r = r0 + start;
    float* vo = v1 + start;
    int32_t* ro = r1 + start;
    bool* so = sp + start;
    float zs[Exact ? kBlock : 1], fs[Exact ? kBlock : 1], vs[Exact ? kBlock : 1];  // for the redo below
    int32_t rs[Exact ? kBlock : 1];
    // outputs may be the inputs' buffers (aliased), always at the same index
#pragma GCC ivdep
    for (int64_t j = 0; j < len; ++j) {
      const float vj = v[j];
      const int32_t rj = r[j];
      float current = I_0 + in[j], conductance = 0.0f;
      for (int64_t c = 0; c < nt; ++c) {
        const float g = gi[c][j];
        if (c < nc) {
          current += g * (E[c] - vj);
          conductance += g;
        } else {
          current += g;
        }
        go[c][j] = g + decay[c] * g;
      }
      const float f = (E_L - vj) * inv_tau + current * inv_C;  // dV/dt
      const float z = (-inv_tau - conductance * inv_C) * dt;
      if constexpr (Exact) {
        zs[j] = z;
        fs[j] = f;
        vs[j] = vj;
        rs[j] = rj;
      }
      fire(vj + dt * phi1_series(z) * f, rj, V_th, V_reset, steps_ref, vo + j, ro + j, so + j);
    }
    if constexpr (Exact) {  // neurons past the series' range: phi1 from expm1
      for (int64_t j = 0; j < len; ++j)
        if (zs[j] <= -kSeries || zs[j] >= kSeries)
          fire(vs[j] + dt * (std::expm1(zs[j]) / zs[j]) * fs[j], rs[j], V_th, V_reset, steps_ref, vo + j, ro + j, so + j);
    }
  }

  // Refractory clamp, threshold, reset and the refractory counter of one neuron.
  static inline void fire(float x, int32_t r, float V_th, float V_reset, int32_t steps_ref, float* v, int32_t* ro,
                          bool* s) {
    const bool clamped = r > 0;
    x = clamped ? V_reset : x;
    const bool fired = (x >= V_th) & !clamped;
    *v = fired ? V_reset : x;
    *ro = fired ? steps_ref : (clamped ? r - 1 : 0);
    *s = fired;
  }
};

struct Progress {
  std::atomic<int64_t> next{0}, done{0};
};

}  // namespace

static ffi::Error LifExp(ffi::ThreadPool pool, ffi::Buffer<ffi::F32> V, ffi::Buffer<ffi::S32> refractory,
                         ffi::Buffer<ffi::F32> I, ffi::Buffer<ffi::F32> params, ffi::Buffer<ffi::S32> n_ref,
                         ffi::RemainingArgs gs, ffi::ResultBuffer<ffi::F32> V_out,
                         ffi::ResultBuffer<ffi::S32> ref_out, ffi::ResultBuffer<ffi::PRED> spiked,
                         ffi::RemainingRets gs_out, int64_t n, int64_t n_current) {
  // remaining args: the channels' variables (conductances first)
  const int64_t channels = static_cast<int64_t>(gs_out.size());
  if (channels > 16 || static_cast<int64_t>(gs.size()) != channels)
    return ffi::Error::InvalidArgument("at most 16 synaptic channels, one input per channel");
  const int64_t total = n > 0 ? static_cast<int64_t>(V.element_count()) : 0;
  const bool per_run = n > 0 && static_cast<int64_t>(I.element_count()) * n == total && n != 1;
  if (!per_run && static_cast<int64_t>(I.element_count()) != total)
    return ffi::Error::InvalidArgument("the drive has one value per neuron or one per run");
  Step st{V.typed_data(), refractory.typed_data(), I.typed_data(), params.typed_data(), n_ref.typed_data(),
          {}, {}, V_out->typed_data(), ref_out->typed_data(), spiked->typed_data(), n, channels,
          channels - n_current, per_run};
  for (int64_t c = 0; c < channels; ++c) {
    auto a = gs.get<ffi::Buffer<ffi::F32>>(c);
    auto r = gs_out.get<ffi::Buffer<ffi::F32>>(c);
    if (!a.has_value() || !r.has_value()) return ffi::Error::InvalidArgument("synaptic channels must be float32");
    st.g_in[c] = a->typed_data();
    st.g_new[c] = (*r)->typed_data();
  }
  const int64_t chunks = (total + kChunk - 1) / kChunk;
  if (chunks < 2) {
    st.step(0, total);
    return ffi::Error::Success();
  }
  // Large populations: this thread and one of XLA's take chunks until none is left. The
  // helper may start late (its pool busy): it then finds no chunk and returns.
  auto progress = std::make_shared<Progress>();
  auto work = [st, progress, chunks, total]() {
    for (int64_t c; (c = progress->next.fetch_add(1)) < chunks;) {
      st.step(c * kChunk, std::min(total, (c + 1) * kChunk));
      progress->done.fetch_add(1, std::memory_order_release);
    }
  };
  auto helper = work;
  pool.Schedule(std::move(helper));
  work();
  while (progress->done.load(std::memory_order_acquire) < chunks) std::this_thread::yield();
  return ffi::Error::Success();
}

XLA_FFI_DEFINE_HANDLER_SYMBOL(neurodyn_lif_exp_f32, LifExp,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::ThreadPool>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::S32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::S32>>()
                                  .RemainingArgs()
                                  .Ret<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::S32>>()
                                  .Ret<ffi::Buffer<ffi::PRED>>()
                                  .RemainingRets()
                                  .Attr<int64_t>("n")
                                  .Attr<int64_t>("n_current"));
