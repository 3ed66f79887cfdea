// Real FFTs along the last axis (KissFFT, BSD-3-Clause: Debian libkissfft-dev), torch.fft
// semantics with norm="backward". Complex numbers are interleaved (re, im) pairs, the layout of
// torch.view_as_real: a spectrum of m bins is m * 2 floats.
#pragma once
#include <cstdint>

namespace nd::kernels {

// x [rows, n] -> X [rows, n / 2 + 1, 2]:  X_k = sum_t x_t exp(-2 pi i k t / n).
void rfft_f32(int64_t rows, int64_t n, const float* x, float* X);

// X [rows, m, 2] -> x [rows, n]: torch.fft.irfft(X, n). The spectrum is read as Hermitian:
// bins past n / 2 are ignored, missing ones are zero, and the imaginary parts of the DC bin (and
// of the Nyquist bin when n is even) do not contribute.
//   x_t = (1 / n) sum_k w_k Re(X_k exp(2 pi i k t / n)), w_k = 1 for DC / Nyquist, else 2.
void irfft_f32(int64_t rows, int64_t m, int64_t n, const float* X, float* x);

// Adjoint of rfft_f32: G [rows, n / 2 + 1, 2] -> g [rows, n], g_t = Re(sum_k G_k exp(2 pi i k t / n))
// (each bin once: no Hermitian doubling, no 1 / n).
void rfft_adjoint_f32(int64_t rows, int64_t n, const float* G, float* g);

}  // namespace nd::kernels
