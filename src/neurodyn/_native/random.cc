// Random draws for neurodyn's time loop, as XLA FFI custom calls (CPU): standard normals
// (neurodyn_normal_f32) and uniforms in [0, 1) (neurodyn_uniform_f32).
//
// Counter-based: row r of the output is a pure function of its two key words, so any
// chunking or batching (vmap) gives the same numbers. Block j of a row of n values is
// Philox4x32-10 (Salmon et al. 2011, SC'11) of counter (j, 0, 0, 0); its four words go to
// positions j, B + j, 2B + j and 3B + j, B = ceil(n / 4): as uniforms (top 24 bits), or as
// two Box-Muller pairs. log, sin and cos are short polynomials written out below so that
// the loops vectorise. neurodyn/engine/_random.py computes the same bits in pure JAX (the
// fallback without a compiler): change both together, with -ffp-contract=off kept here
// (tests/test_random.py checks them against each other and a NumPy transcription).
#include <cstdint>
#include <cstring>
#include <cmath>
#include <vector>

#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

static inline float as_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
static inline uint32_t as_uint(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

static void philox_blocks(uint32_t* __restrict w0, uint32_t* __restrict w1, uint32_t* __restrict w2,
                          uint32_t* __restrict w3, int64_t blocks, uint32_t key0, uint32_t key1) {
  for (int64_t j = 0; j < blocks; ++j) {
    uint32_t c0 = static_cast<uint32_t>(j), c1 = 0, c2 = 0, c3 = 0, k0 = key0, k1 = key1;
    for (int r = 0; r < 10; ++r) {
      const uint64_t p0 = uint64_t(0xD2511F53u) * c0, p1 = uint64_t(0xCD9E8D57u) * c2;
      const uint32_t n0 = uint32_t(p1 >> 32) ^ c1 ^ k0, n2 = uint32_t(p0 >> 32) ^ c3 ^ k1;
      c1 = uint32_t(p1);
      c3 = uint32_t(p0);
      c0 = n0;
      c2 = n2;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    w0[j] = c0;
    w1[j] = c1;
    w2[j] = c2;
    w3[j] = c3;
  }
}

// (a, b) -> r cos(2 pi u2), r sin(2 pi u2) with r = sqrt(-2 log u1), u1 in (0, 1), u2 in [0, 1)
static void box_muller(const uint32_t* __restrict a, const uint32_t* __restrict b, float* __restrict x,
                       float* __restrict y, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    const float u1 = (float(int32_t(a[j] >> 8)) + 0.5f) * 5.9604645e-08f;  // 2^-24
    const float u4 = float(int32_t(b[j] >> 8)) * 2.3841858e-07f;          // 4 u2
    // log u1 = e log 2 + log m, m in [sqrt(1/2), sqrt 2): 2 atanh((m - 1) / (m + 1))
    const uint32_t bits = as_uint(u1);
    int32_t e = int32_t(bits >> 23) - 127;
    float m = as_float((bits & 0x7FFFFFu) | 0x3F800000u);
    const uint32_t big = uint32_t(m > 1.41421356f);
    m = as_float(as_uint(m) - (big << 23));
    e += int32_t(big);
    const float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
    const float log_m = 2.0f * s * (1.0f + s2 * (0.33333333f + s2 * (0.2f + s2 * (0.14285714f + s2 * 0.11111111f))));
    const float r = std::sqrt(-2.0f * (float(e) * 0.69314718f + log_m));
    // quarter turn q and angle within it
    const int32_t q = int32_t(u4);
    const float th = (u4 - float(q)) * 1.5707963f, t2 = th * th;
    const float sn = th * (1.0f + t2 * (-1.6666667e-1f + t2 * (8.3333333e-3f + t2 * (-1.9841270e-4f + t2 * (2.7557319e-6f + t2 * -2.5052108e-8f)))));
    const float cs = 1.0f + t2 * (-0.5f + t2 * (4.1666667e-2f + t2 * (-1.3888889e-3f + t2 * (2.4801587e-5f + t2 * (-2.7557319e-7f + t2 * 2.0876757e-9f)))));
    const uint32_t odd = 0u - uint32_t(q & 1), flip = uint32_t(q & 2) << 30;
    const uint32_t cb = (as_uint(cs) & ~odd) | (as_uint(-sn) & odd);
    const uint32_t sb = (as_uint(sn) & ~odd) | (as_uint(cs) & odd);
    x[j] = r * as_float(cb ^ flip);
    y[j] = r * as_float(sb ^ flip);
  }
}

template <bool kNormal>
static ffi::Error Draw(ffi::Buffer<ffi::U32> keys, ffi::ResultBuffer<ffi::F32> out) {
  const int64_t rows = static_cast<int64_t>(keys.element_count() / 2);
  if (rows == 0) return ffi::Error::Success();
  const int64_t n = static_cast<int64_t>(out->element_count()) / rows;
  const int64_t B = (n + 3) / 4;
  thread_local std::vector<uint32_t> words;
  thread_local std::vector<float> values;
  if (static_cast<int64_t>(words.size()) < 4 * B) {
    words.resize(4 * B);
    values.resize(4 * B);
  }
  const uint32_t* k = keys.typed_data();
  float* dst = out->typed_data();
  uint32_t* w = words.data();
  float* v = values.data();
  for (int64_t row = 0; row < rows; ++row) {
    philox_blocks(w, w + B, w + 2 * B, w + 3 * B, B, k[2 * row], k[2 * row + 1]);
    if (kNormal) {
      box_muller(w, w + B, v, v + B, B);
      box_muller(w + 2 * B, w + 3 * B, v + 2 * B, v + 3 * B, B);
    } else {
      for (int64_t j = 0; j < 4 * B; ++j) v[j] = float(int32_t(w[j] >> 8)) * 5.9604645e-08f;  // 2^-24
    }
    std::memcpy(dst + row * n, v, n * sizeof(float));
  }
  return ffi::Error::Success();
}

#define NEURODYN_BIND_DRAW ffi::Ffi::Bind().Arg<ffi::Buffer<ffi::U32>>().Ret<ffi::Buffer<ffi::F32>>()
XLA_FFI_DEFINE_HANDLER_SYMBOL(neurodyn_normal_f32, Draw<true>, NEURODYN_BIND_DRAW);
XLA_FFI_DEFINE_HANDLER_SYMBOL(neurodyn_uniform_f32, Draw<false>, NEURODYN_BIND_DRAW);
