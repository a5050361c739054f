// One step of a population of LIF neurons with exponential synaptic channels, as an XLA
// FFI custom call (CPU, float32): neurodyn_lif_exp_f32.
//
// The same arithmetic as neurodyn's generic path (ExponentialEuler on
// WithSynapses(LIF, {ExpConductance | ExpCurrent ...}), then LIF's threshold, reset and
// refractoriness), in one pass over the neurons instead of XLA's several:
//
//   I_syn = sum_c g_c (E_c - V)  [conductance]  or  g_c  [current]
//   f     = (E_L - V) / tau_m + (I_e + I + I_syn) / C_m
//   a     = -1 / tau_m - sum_{conductances} g_c / C_m      (df/dV)
//   V'    = V + dt phi1(a dt) f,      g_c' = g_c + decay_c g_c
//   then clamp (refractory), threshold, reset, refractory counter.
//
// phi1(z) = (e^z - 1) / z: a degree-8 series for |z| < 1/2, else (exp(z) - 1) / z with a
// polynomial exp; both are written so that the loop vectorises. Batches (vmap) are runs
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

inline float as_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float exp_poly(float x) {  // Cephes-style: 2^k e^r, |r| <= ln(2)/2
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
  const float r = (x - k * 0.693359375f) + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * as_float(static_cast<uint32_t>(static_cast<int32_t>(k) + 127) << 23);
}

inline float phi1(float z) {
  const bool small = (z < 0.5f) & (z > -0.5f);
  float s = 1.0f / 362880.0f;  // the series to z^8 / 9!
  s = s * z + 1.0f / 40320.0f;
  s = s * z + 1.0f / 5040.0f;
  s = s * z + 1.0f / 720.0f;
  s = s * z + 1.0f / 120.0f;
  s = s * z + 1.0f / 24.0f;
  s = s * z + 1.0f / 6.0f;
  s = s * z + 0.5f;
  s = s * z + 1.0f;
  const float safe = small ? 1.0f : z;
  const float big = (exp_poly(safe) - 1.0f) / safe;
  return small ? s : big;
}

constexpr int64_t kBlock = 256;
constexpr int64_t kChunk = 8192;  // neurons per task when a step is split across threads

// Pointers and sizes of one call; step(lo, hi) advances global neurons [lo, hi).
struct Step {
  const float* v0;
  const int32_t* r0;
  const float* drive;
  const float* params;
  const int32_t* n_ref;
  const float* g_in[16];
  const float* arrival[16];  // events delivered this step per channel, or null
  float* g_new[16];
  float* v1;
  int32_t* r1;
  bool* sp;
  int64_t n, channels, n_conductance;

  void step(int64_t lo, int64_t hi) const {
    const int64_t row = kOwn + 2 * channels;
    for (int64_t start = lo; start < hi;) {
      const int64_t b = start / n;
      const int64_t len = std::min({kBlock, hi - start, (b + 1) * n - start});
      block(start, len, params + b * row, n_ref[b]);
      start += len;
    }
  }

  void block(int64_t start, int64_t len, const float* p, int32_t steps_ref) const {
    const float tau_m = p[0], C_m = p[1], E_L = p[2], V_th = p[3], V_reset = p[4], I_e = p[5], dt = p[6];
    float current[kBlock], conductance[kBlock], z[kBlock], phi[kBlock], vn[kBlock];
    for (int64_t j = 0; j < len; ++j) {
      current[j] = 0.0f;
      conductance[j] = 0.0f;
    }
    const float* v = v0 + start;
    float g_now[kBlock];
    for (int64_t c = 0; c < channels; ++c) {
      const float* g = g_now;
      float* gn = g_new[c] + start;
      if (arrival[c] != nullptr) {
        for (int64_t j = 0; j < len; ++j) g_now[j] = g_in[c][start + j] + arrival[c][start + j];
      } else {
        for (int64_t j = 0; j < len; ++j) g_now[j] = g_in[c][start + j];
      }
      const float decay = p[kOwn + 2 * c], E = p[kOwn + 2 * c + 1];
      if (c < n_conductance) {
        for (int64_t j = 0; j < len; ++j) {
          current[j] += g[j] * (E - v[j]);
          conductance[j] += g[j];
        }
      } else {
        for (int64_t j = 0; j < len; ++j) current[j] += g[j];
      }
      for (int64_t j = 0; j < len; ++j) gn[j] = g[j] + decay * g[j];
    }
    const float* in = drive + start;
    for (int64_t j = 0; j < len; ++j) {
      current[j] = (E_L - v[j]) / tau_m + (I_e + in[j] + current[j]) / C_m;  // now dV/dt
      z[j] = (-1.0f / tau_m - conductance[j] / C_m) * dt;
    }
    for (int64_t j = 0; j < len; ++j) phi[j] = phi1(z[j]);
    for (int64_t j = 0; j < len; ++j) vn[j] = v[j] + dt * phi[j] * current[j];
    const int32_t* r = r0 + start;
    for (int64_t j = 0; j < len; ++j) {
      const bool clamped = r[j] > 0;
      const float x = clamped ? V_reset : vn[j];
      const bool fire = (x >= V_th) & !clamped;
      v1[start + j] = fire ? V_reset : x;
      r1[start + j] = fire ? steps_ref : std::max(r[j] - 1, 0);
      sp[start + j] = fire;
    }
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
                         ffi::RemainingRets gs_out, int64_t n, int64_t n_current, int64_t arrivals) {
  // remaining args: the channels' variables, then the arrivals of the channels in the bit mask
  const int64_t channels = static_cast<int64_t>(gs_out.size());
  if (channels > 16 || static_cast<int64_t>(gs.size()) != channels + __builtin_popcountll(arrivals))
    return ffi::Error::InvalidArgument("at most 16 synaptic channels; one input per channel and per arrival");
  Step st{V.typed_data(), refractory.typed_data(), I.typed_data(), params.typed_data(), n_ref.typed_data(),
          {}, {}, {}, V_out->typed_data(), ref_out->typed_data(), spiked->typed_data(), n, channels,
          channels - n_current};
  for (int64_t c = 0; c < channels; ++c) {
    auto a = gs.get<ffi::Buffer<ffi::F32>>(c);
    auto r = gs_out.get<ffi::Buffer<ffi::F32>>(c);
    if (!a.has_value() || !r.has_value()) return ffi::Error::InvalidArgument("synaptic channels must be float32");
    st.g_in[c] = a->typed_data();
    st.g_new[c] = (*r)->typed_data();
  }
  for (int64_t c = 0, next = channels; c < channels; ++c) {
    st.arrival[c] = nullptr;
    if (arrivals >> c & 1) {
      auto a = gs.get<ffi::Buffer<ffi::F32>>(next++);
      if (!a.has_value()) return ffi::Error::InvalidArgument("arrivals must be float32");
      st.arrival[c] = a->typed_data();
    }
  }
  const int64_t total = n > 0 ? static_cast<int64_t>(V.element_count()) : 0;
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
                                  .Attr<int64_t>("n_current")
                                  .Attr<int64_t>("arrivals"));
