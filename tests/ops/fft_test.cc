// rfft / irfft / complex_tanh (and the series ops of Autoformer: moving average, time-delay
// aggregation, mean autocorrelation) and FEDformer's selected-bin transforms: forward against a direct O(n^2) DFT in double (torch.fft
// semantics: norm "backward", irfft's n trimming / zero-padding and its disregard of the DC and
// Nyquist imaginary parts), and gradients against finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <vector>

#include "gradcheck.h"
#include "nd/nd.h"
#include "nd/ops/series.h"
#include "nd/kernels/fft.h"
#include "nd/ops/fft.h"

namespace nd::testing {
namespace {

using V = std::vector<Var>;
using cd = std::complex<double>;

std::vector<float> data(int64_t n, uint64_t seed) {
  std::vector<float> v(static_cast<size_t>(n));
  fill_inputs(v, Init::uniform, seed);
  return v;
}

TEST(Fft, RfftMatchesDirectDft) {
  for (int64_t n : {1, 2, 5, 8, 12, 31, 96}) {
    const int64_t rows = 3, m = n / 2 + 1;
    auto x = data(rows * n, 3 + n);
    Graph g;
    Var X = ops::rfft(g.input(Tensor(x.data(), Shape{rows, n})));
    ASSERT_EQ(X.shape(), (Shape{rows, m, 2}));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < m; ++k) {
        cd acc = 0;
        for (int64_t t = 0; t < n; ++t) acc += double(x[r * n + t]) * std::polar(1.0, -2 * M_PI * k * t / n);
        EXPECT_NEAR(X.data()[(r * m + k) * 2], acc.real(), 1e-4 * n) << n;
        EXPECT_NEAR(X.data()[(r * m + k) * 2 + 1], acc.imag(), 1e-4 * n) << n;
      }
  }
}

// torch.fft.irfft(X, n) on m bins: Hermitian completion of the first min(m, n/2+1) bins.
TEST(Fft, IrfftMatchesDirectInverse) {
  struct C { int64_t m, n; };
  for (C c : {C{5, -1}, C{5, 9}, C{5, 7}, C{5, 16}, C{9, 6}, C{1, 1}, C{3, 4}}) {
    const int64_t rows = 2, n = c.n > 0 ? c.n : 2 * (c.m - 1);
    auto X = data(rows * c.m * 2, 11 + c.m + n);
    Graph g;
    Var x = ops::irfft(g.input(Tensor(X.data(), Shape{rows, c.m, 2})), c.n);
    ASSERT_EQ(x.shape(), (Shape{rows, n}));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t t = 0; t < n; ++t) {
        double acc = 0;
        for (int64_t k = 0; k <= n / 2 && k < c.m; ++k) {
          cd z(X[(r * c.m + k) * 2], X[(r * c.m + k) * 2 + 1]);
          const bool edge = k == 0 || 2 * k == n;
          if (edge) z = z.real();
          acc += (edge ? 1.0 : 2.0) * (z * std::polar(1.0, 2 * M_PI * k * t / n)).real();
        }
        EXPECT_NEAR(x.data()[r * n + t], acc / n, 1e-5) << c.m << " " << n;
      }
  }
}

TEST(Fft, RoundTrip) {
  for (int64_t n : {6, 7, 24}) {
    auto x = data(4 * n, n);
    Graph g;
    Var y = ops::irfft(ops::rfft(g.input(Tensor(x.data(), Shape{2, 2, n}))), n);
    for (int64_t i = 0; i < 4 * n; ++i) EXPECT_NEAR(y.data()[i], x[i], 1e-5);
  }
}

// Many rows split over threads: every thread needs its own KissFFT real plan (the plan holds
// scratch), so 1 and 2 threads must agree exactly, even and odd lengths, both directions.
TEST(Fft, ThreadCountDoesNotChangeResults) {
  const int before = num_threads();
  for (int64_t n : {96, 97}) {
    const int64_t rows = 3000, m = n / 2 + 1;
    std::vector<float> x(static_cast<size_t>(rows * n));
    for (size_t k = 0; k < x.size(); ++k) x[k] = std::sin(0.37 * static_cast<double>(k)) + 0.01f * (k % 7);
    std::vector<float> X[2], back[2], adj[2];
    for (int t : {1, 2}) {
      set_num_threads(t);
      auto& Xt = X[t - 1];
      Xt.resize(static_cast<size_t>(rows * m * 2));
      back[t - 1].resize(x.size());
      adj[t - 1].resize(x.size());
      kernels::rfft_f32(rows, n, x.data(), Xt.data());
      kernels::irfft_f32(rows, m, n, Xt.data(), back[t - 1].data());
      kernels::rfft_adjoint_f32(rows, n, Xt.data(), adj[t - 1].data());
    }
    EXPECT_EQ(X[0], X[1]) << "n=" << n;
    EXPECT_EQ(back[0], back[1]) << "n=" << n;
    EXPECT_EQ(adj[0], adj[1]) << "n=" << n;
    for (size_t k = 0; k < x.size(); k += 997) EXPECT_NEAR(back[0][k], x[k], 1e-4f) << "n=" << n;
  }
  set_num_threads(before);
}

TEST(Fft, ComplexTanhMatchesStd) {
  // Both signs of the real part, near zero, near and beyond the +-20 switch, and 1e-6 apart.
  std::vector<float> z = {0.3f,  -0.7f, 2.0f,  1.5f,  -25.0f, 0.4f,  0.0f,  1.2f, -0.3f, 0.7f,  -19.5f, 2.0f,
                          19.5f, -1.0f, -5.0f, 0.25f, 1e-6f,  3.0f,  -1e-6f, -3.0f, 25.0f, -0.4f, -0.01f, 1.55f};
  const int n = static_cast<int>(z.size() / 2);
  Graph g;
  Var w = ops::complex_tanh(g.input(Tensor(z.data(), Shape{n, 2})));
  for (int k = 0; k < n; ++k) {
    cd ref = std::tanh(cd(z[2 * k], z[2 * k + 1]));
    EXPECT_NEAR(w.data()[2 * k], ref.real(), 1e-6) << z[2 * k] << " " << z[2 * k + 1];
    EXPECT_NEAR(w.data()[2 * k + 1], ref.imag(), 1e-6) << z[2 * k] << " " << z[2 * k + 1];
  }
}

// NF's MovingAvg: AvgPool1d over the replicate-padded series, here built from gather + avg_pool1d.
TEST(Fft, MovingAverageMatchesPaddedAvgPool) {
  for (int64_t k : {1, 3, 5, 25}) {
    const int64_t B = 2, T = 11, C = 3, half = (k - 1) / 2;
    auto x = data(B * T * C, 40 + k);
    Graph g;
    Var xv = g.input(Tensor(x.data(), Shape{B, T, C}));
    std::vector<int64_t> idx;
    for (int64_t j = 0; j < T + 2 * half; ++j) idx.push_back(std::min(std::max<int64_t>(j - half, 0), T - 1));
    Var ref = ops::permute(ops::avg_pool1d(ops::permute(ops::gather(xv, 1, idx), {0, 2, 1}), k, 1), {0, 2, 1});
    Var got = ops::moving_average(xv, k);
    for (int64_t i = 0; i < B * T * C; ++i) EXPECT_NEAR(got.data()[i], ref.data()[i], 1e-6) << k;
  }
}

// Against the definition in double, and for an even length against NF's FFT route (mean over
// channels of irfft(rfft(q) * conj(rfft(k)))), with several threads as with one.
TEST(Fft, MeanAutocorrelationMatchesDefinitionAndFftRoute) {
  const int before = num_threads();
  for (int64_t L : {1, 5, 8, 30}) {
    const int64_t B = 3, C = 4;
    auto q = data(B * L * C, 60 + L), k = data(B * L * C, 70 + L);
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      Graph g;
      Var qv = g.input(Tensor(q.data(), Shape{B, L, C})), kv = g.input(Tensor(k.data(), Shape{B, L, C}));
      Var got = ops::mean_autocorrelation(qv, kv);
      ASSERT_EQ(got.shape(), Shape({B, L}));
      for (int64_t b = 0; b < B; ++b)
        for (int64_t tau = 0; tau < L; ++tau) {
          double r = 0.0;
          for (int64_t t = 0; t < L; ++t)
            for (int64_t c = 0; c < C; ++c)
              r += static_cast<double>(q[(b * L + (t + tau) % L) * C + c]) * k[(b * L + t) * C + c];
          EXPECT_NEAR(got.data()[b * L + tau], r / C, 1e-5) << "L " << L << " b " << b << " tau " << tau;
        }
      if (L % 2 == 0) {
        Var qf = ops::rfft(ops::permute(qv, {0, 2, 1})), kf = ops::rfft(ops::permute(kv, {0, 2, 1}));
        Var qr = ops::select(qf, 3, 0), qi = ops::select(qf, 3, 1), kr = ops::select(kf, 3, 0), ki = ops::select(kf, 3, 1);
        Var re = ops::add(ops::mul(qr, kr), ops::mul(qi, ki)), im = ops::sub(ops::mul(qi, kr), ops::mul(qr, ki));
        Var fft = ops::mean(ops::irfft(ops::stack({re, im}, 3)), {1});
        for (int64_t i = 0; i < B * L; ++i) EXPECT_NEAR(got.data()[i], fft.data()[i], 1e-5) << "L " << L;
      }
    }
  }
  set_num_threads(before);
  Graph g;
  std::vector<float> x(24);
  Var a = g.input(Tensor(x.data(), Shape{2, 3, 4})), b = g.input(Tensor(x.data(), Shape{2, 4, 3}));
  EXPECT_THROW(ops::mean_autocorrelation(a, b), Error);
}

// The selected-bin DFTs against the FFT route: rfft of the token-major channels, gathered; the
// bins scattered into a zero spectrum, irfft. Even and odd lengths, DC and Nyquist among the bins.
TEST(Fft, ModeTransformsMatchTheFftRoute) {
  struct Case {
    int64_t L;
    std::vector<int64_t> freqs;
  };
  for (const Case& c : {Case{8, {0, 1, 4}}, Case{9, {4, 2, 0, 3}}, Case{12, {6}}, Case{96, {0, 5, 17, 48, 30}}}) {
    const int64_t B = 2, C = 3, M = static_cast<int64_t>(c.freqs.size()), L = c.L;
    auto x = data(B * L * C, 80 + L), y = data(B * C * M * 2, 90 + L);
    Graph g;
    Var xv = g.input(Tensor(x.data(), Shape{B, L, C})), yv = g.input(Tensor(y.data(), Shape{B, C, M, 2}));
    Var got = ops::rfft_modes(xv, c.freqs);
    Var ref = ops::gather(ops::rfft(ops::permute(xv, {0, 2, 1})), 2, c.freqs);
    ASSERT_EQ(got.shape(), ref.shape());
    for (int64_t i = 0; i < ref.numel(); ++i) EXPECT_NEAR(got.data()[i], ref.data()[i], 2e-5) << "L " << L << " i " << i;
    std::vector<int64_t> src(static_cast<size_t>(L / 2 + 1), M);  // scatter: bin m -> frequency freqs[m]
    for (int64_t m = 0; m < M; ++m) src[c.freqs[m]] = m;
    Var spec = ops::gather(ops::pad(yv, 2, 0, 1), 2, src);
    Var iref = ops::irfft(spec, L);
    Var igot = ops::irfft_modes(yv, c.freqs, L);
    ASSERT_EQ(igot.shape(), iref.shape());
    for (int64_t i = 0; i < iref.numel(); ++i) EXPECT_NEAR(igot.data()[i], iref.data()[i], 1e-5) << "L " << L << " i " << i;
  }
  Graph g;
  std::vector<float> x(24);
  Var a = g.input(Tensor(x.data(), Shape{2, 4, 3}));
  EXPECT_THROW(ops::rfft_modes(a, {3}), Error);  // beyond L / 2
  Var z = g.input(Tensor(x.data(), Shape{2, 3, 2, 2}));
  EXPECT_THROW(ops::irfft_modes(z, {1, 1}, 4), Error);  // twice
  EXPECT_THROW(ops::irfft_modes(z, {1}, 4), Error);     // bins != frequencies
}

TEST(Fft, BadShapesNameThemselves) {
  std::vector<float> x(6);
  Graph g;
  Var v = g.input(Tensor(x.data(), Shape{2, 3}));
  EXPECT_THROW(ops::irfft(v), Error);
  EXPECT_THROW(ops::complex_tanh(v), Error);
}

#define GRAD_CASE(name, shapes, body, ...) \
  GradCase { name, shapes, [](V& x) -> V body, __VA_ARGS__ }

std::vector<GradCase> cases() {
  using S = std::vector<Shape>;
  return {
      GRAD_CASE("rfft_even", (S{{3, 8}}), { return {ops::rfft(x[0])}; }),
      GRAD_CASE("rfft_odd", (S{{2, 2, 7}}), { return {ops::rfft(x[0])}; }),
      GRAD_CASE("irfft_default_n", (S{{3, 5, 2}}), { return {ops::irfft(x[0])}; }),
      GRAD_CASE("irfft_odd_n", (S{{2, 5, 2}}), { return {ops::irfft(x[0], 9)}; }),
      GRAD_CASE("irfft_pad", (S{{2, 3, 2}}), { return {ops::irfft(x[0], 10)}; }),
      GRAD_CASE("irfft_trim", (S{{2, 7, 2}}), { return {ops::irfft(x[0], 6)}; }),
      GRAD_CASE("rfft_irfft_chain", (S{{2, 11}}), { return {ops::irfft(ops::rfft(x[0]), 11)}; }),
      GRAD_CASE("complex_tanh", (S{{3, 4, 2}}), { return {ops::complex_tanh(x[0])}; }),
      GRAD_CASE("time_delay_aggregate", (S{{2, 7, 3}, {2, 3}}),
                { return {ops::time_delay_aggregate(x[0], x[1], {0, 3, 6, 2, 2, 5})}; }),
      GRAD_CASE("mean_autocorrelation_even", (S{{2, 6, 3}, {2, 6, 3}}),
                { return {ops::mean_autocorrelation(x[0], x[1])}; }),
      GRAD_CASE("mean_autocorrelation_odd", (S{{3, 5, 2}, {3, 5, 2}}),
                { return {ops::mean_autocorrelation(x[0], x[1])}; }),
      GRAD_CASE("mean_autocorrelation_same_input", (S{{2, 4, 3}}),
                { return {ops::mean_autocorrelation(x[0], x[0])}; }),
      GRAD_CASE("rfft_modes_even", (S{{2, 8, 3}}), { return {ops::rfft_modes(x[0], {0, 3, 4, 1})}; }),
      GRAD_CASE("rfft_modes_odd", (S{{2, 7, 2}}), { return {ops::rfft_modes(x[0], {3, 1})}; }),
      GRAD_CASE("irfft_modes_even", (S{{2, 3, 3, 2}}), { return {ops::irfft_modes(x[0], {4, 0, 2}, 8)}; }),
      GRAD_CASE("irfft_modes_odd", (S{{2, 2, 2, 2}}), { return {ops::irfft_modes(x[0], {3, 1}, 7)}; }),
      GRAD_CASE("moving_average_k5", (S{{2, 9, 3}}), { return {ops::moving_average(x[0], 5)}; }),
      GRAD_CASE("moving_average_k7_short", (S{{2, 4, 2}}), { return {ops::moving_average(x[0], 7)}; }),
      GRAD_CASE("moving_average_k1", (S{{1, 5, 2}}), { return {ops::moving_average(x[0], 1)}; }),
  };
}

class FftGrad : public ::testing::TestWithParam<GradCase> {};

TEST_P(FftGrad, MatchesFiniteDifferences) {
  const GradCase& c = GetParam();
  GradReport r = gradcheck(c);
  EXPECT_GT(r.checked, 0);
  EXPECT_LE(r.worst_ratio, 1.0) << c.name << ": " << r.where << " (abs err " << r.max_abs_err << ")";
}

INSTANTIATE_TEST_SUITE_P(Fft, FftGrad, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<GradCase>& i) { return i.param.name; });

}  // namespace
}  // namespace nd::testing
