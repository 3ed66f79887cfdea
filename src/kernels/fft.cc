// Real FFTs over KissFFT (any length, mixed radix). Even lengths use KissFFT's real-input
// routines (kiss_fftr / kiss_fftri: half the work of a complex transform); odd lengths (e.g.
// FEDformer's input_size / 2 + h can be odd) go through one complex FFT of length n.
#include "nd/kernels/fft.h"

#include <kiss_fft.h>
#include <kiss_fftr.h>

#include <algorithm>
#include <memory>
#include <type_traits>
#include <vector>

#include "nd/core/error.h"
#include "nd/core/parallel.h"

namespace nd::kernels {

namespace {

struct CfgDeleter {
  void operator()(void* p) const { kiss_fft_free(p); }
};
using Cfg = std::unique_ptr<std::remove_pointer_t<kiss_fft_cfg>, CfgDeleter>;

struct RCfgDeleter {
  void operator()(void* p) const { kiss_fftr_free(p); }
};
using RCfg = std::unique_ptr<std::remove_pointer_t<kiss_fftr_cfg>, RCfgDeleter>;

// Plans and scratch per thread. KissFFT's real-input plans carry their own scratch buffer
// (kiss_fftr writes the plan's tmpbuf), so one plan must never serve two threads at once; kept
// per thread and reused, repeated transforms (every training step) also allocate nothing.
struct ThreadPlans {
  std::vector<std::pair<int64_t, RCfg>> real[2];     // [inverse]
  std::vector<std::pair<int64_t, Cfg>> complex[2];   // [inverse]
  std::vector<kiss_fft_cpx> a, b;
  std::vector<float> f;
};
ThreadPlans& thread_plans() {
  thread_local ThreadPlans p;
  return p;
}

kiss_fftr_cfg real_plan(int64_t n, bool inverse) {
  auto& v = thread_plans().real[inverse ? 1 : 0];
  for (auto& e : v)
    if (e.first == n) return e.second.get();
  RCfg c(kiss_fftr_alloc(static_cast<int>(n), inverse ? 1 : 0, nullptr, nullptr));
  ND_CHECK(c != nullptr, "fft: KissFFT could not plan a real transform of length ", n);
  v.emplace_back(n, std::move(c));
  return v.back().second.get();
}

kiss_fft_cfg complex_plan(int64_t n, bool inverse) {
  auto& v = thread_plans().complex[inverse ? 1 : 0];
  for (auto& e : v)
    if (e.first == n) return e.second.get();
  Cfg c(kiss_fft_alloc(static_cast<int>(n), inverse ? 1 : 0, nullptr, nullptr));
  ND_CHECK(c != nullptr, "fft: KissFFT could not plan a transform of length ", n);
  v.emplace_back(n, std::move(c));
  return v.back().second.get();
}

template <typename T>
T* scratch(std::vector<T>& v, int64_t n) {
  if (v.size() < static_cast<size_t>(n)) v.resize(static_cast<size_t>(n));
  return v.data();
}

// kiss_fftri on a half spectrum H [n / 2 + 1] (real parts of DC / Nyquist only) -> n samples,
// unnormalized: x_t = sum_k w_k Re(H_k e^{2 pi i k t / n}), w = 1 for DC / Nyquist, else 2.
template <typename Fill>
void half_inverse_rows(int64_t rows, int64_t n, float scale, float* x, Fill&& fill) {
  const int64_t mf = n / 2 + 1;
  parallel_for(rows, std::max<int64_t>(1, 65536 / n), [&](int64_t r0, int64_t r1) {
    kiss_fftr_cfg cfg = real_plan(n, true);
    ThreadPlans& tp = thread_plans();
    kiss_fft_cpx* h = scratch(tp.a, mf);
    float* out = scratch(tp.f, n);
    for (int64_t r = r0; r < r1; ++r) {
      fill(r, h);
      kiss_fftri(cfg, h, out);
      float* xr = x + r * n;
      for (int64_t t = 0; t < n; ++t) xr[t] = out[t] * scale;
    }
  });
}

// Runs fn(cfg, row, in, out) over rows in parallel, each worker with its own plan and two
// length-n buffers.
template <typename F>
void for_rows(int64_t rows, int64_t n, bool inverse, F&& fn) {
  // Chunks of >= 64k samples: smaller transforms cost less than waking the thread pool.
  parallel_for(rows, std::max<int64_t>(1, 65536 / std::max<int64_t>(n, 1)), [&](int64_t r0, int64_t r1) {
    kiss_fft_cfg cfg = complex_plan(n, inverse);
    ThreadPlans& tp = thread_plans();
    kiss_fft_cpx* in = scratch(tp.a, n);
    kiss_fft_cpx* out = scratch(tp.b, n);
    for (int64_t r = r0; r < r1; ++r) fn(cfg, r, in, out);
  });
}

}  // namespace

void rfft_f32(int64_t rows, int64_t n, const float* x, float* X) {
  const int64_t m = n / 2 + 1;
  if (n % 2 == 0) {
    parallel_for(rows, std::max<int64_t>(1, 65536 / n), [&](int64_t r0, int64_t r1) {
      kiss_fftr_cfg cfg = real_plan(n, false);
      kiss_fft_cpx* out = scratch(thread_plans().a, m);
      for (int64_t r = r0; r < r1; ++r) {
        kiss_fftr(cfg, x + r * n, out);
        float* Xr = X + r * m * 2;
        for (int64_t k = 0; k < m; ++k) Xr[2 * k] = out[k].r, Xr[2 * k + 1] = out[k].i;
      }
    });
    return;
  }
  for_rows(rows, n, false, [&](kiss_fft_cfg cfg, int64_t r, kiss_fft_cpx* in, kiss_fft_cpx* out) {
    const float* xr = x + r * n;
    for (int64_t t = 0; t < n; ++t) in[t] = {xr[t], 0.0f};
    kiss_fft(cfg, in, out);
    float* Xr = X + r * m * 2;
    for (int64_t k = 0; k < m; ++k) Xr[2 * k] = out[k].r, Xr[2 * k + 1] = out[k].i;
  });
}

void irfft_f32(int64_t rows, int64_t m, int64_t n, const float* X, float* x) {
  const int64_t used = std::min(m, n / 2 + 1);
  const float inv_n = 1.0f / static_cast<float>(n);
  if (n % 2 == 0) {
    half_inverse_rows(rows, n, inv_n, x, [&](int64_t r, kiss_fft_cpx* h) {
      const float* Xr = X + r * m * 2;
      for (int64_t k = 0; k <= n / 2; ++k) h[k] = k < used ? kiss_fft_cpx{Xr[2 * k], Xr[2 * k + 1]} : kiss_fft_cpx{0, 0};
    });
    return;
  }
  for_rows(rows, n, true, [&](kiss_fft_cfg cfg, int64_t r, kiss_fft_cpx* in, kiss_fft_cpx* out) {
    const float* Xr = X + r * m * 2;
    for (int64_t k = 0; k < n; ++k) in[k] = {0.0f, 0.0f};
    for (int64_t k = 0; k < used; ++k) {
      in[k] = {Xr[2 * k], Xr[2 * k + 1]};
      if (k > 0 && n - k != k) in[n - k] = {Xr[2 * k], -Xr[2 * k + 1]};  // Hermitian mirror
    }
    in[0].i = 0.0f;                     // the DC bin's imaginary part does not contribute
    if (n % 2 == 0 && used == n / 2 + 1) in[n / 2].i = 0.0f;  // nor the Nyquist bin's
    kiss_fft(cfg, in, out);
    float* xr = x + r * n;
    for (int64_t t = 0; t < n; ++t) xr[t] = out[t].r * inv_n;
  });
}

void rfft_adjoint_f32(int64_t rows, int64_t n, const float* G, float* g) {
  const int64_t m = n / 2 + 1;
  if (n % 2 == 0) {  // Re(sum_k G_k e^{i theta}) is kiss_fftri's sum with interior bins halved
    half_inverse_rows(rows, n, 1.0f, g, [&](int64_t r, kiss_fft_cpx* h) {
      const float* Gr = G + r * m * 2;
      for (int64_t k = 0; k < m; ++k) {
        const float w = (k == 0 || k == n / 2) ? 1.0f : 0.5f;
        h[k] = {w * Gr[2 * k], w * Gr[2 * k + 1]};
      }
    });
    return;
  }
  for_rows(rows, n, true, [&](kiss_fft_cfg cfg, int64_t r, kiss_fft_cpx* in, kiss_fft_cpx* out) {
    const float* Gr = G + r * m * 2;
    for (int64_t k = 0; k < n; ++k) in[k] = {0.0f, 0.0f};
    for (int64_t k = 0; k < m; ++k) in[k] = {Gr[2 * k], Gr[2 * k + 1]};
    kiss_fft(cfg, in, out);
    float* gr = g + r * n;
    for (int64_t t = 0; t < n; ++t) gr[t] = out[t].r;
  });
}

}  // namespace nd::kernels
