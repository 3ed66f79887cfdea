// Forecasts of distribution losses: num_samples draws per forecast step from the decoupled
// distribution (torch.distributions' sampling schemes: StudentT as normal over the root of a
// scaled chi-square, NegativeBinomial as a gamma-Poisson mixture, NeuralForecast's Tweedie as a
// Poisson number of gammas, mixtures by component), their mean and torch.quantile-style quantiles.
// Every step draws from its own stream seeded by (seed, stream, step), so forecasts are
// bit-identical across runs, batch sizes and thread counts.
#include <algorithm>
#include <cmath>
#include <vector>

#include "losses/distribution_internal.h"
#include "nd/core/error.h"
#include "nd/core/parallel.h"
#include "nd/core/rng.h"

namespace nd::losses {

namespace {

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Double-precision draws on one stream.
class Sampler {
 public:
  explicit Sampler(uint64_t seed) : rng_(seed) {}
  double uniform() {  // (0, 1), 53 bits
    for (;;) {
      const uint64_t a = rng_.next_u32() >> 5, b = rng_.next_u32() >> 6;
      const double u = (static_cast<double>(a) * 67108864.0 + static_cast<double>(b)) * (1.0 / 9007199254740992.0);
      if (u > 0.0) return u;
    }
  }
  double normal() {  // Box-Muller, both values used
    if (spare_ok_) {
      spare_ok_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(uniform())), th = 6.283185307179586 * uniform();
    spare_ = r * std::sin(th);
    spare_ok_ = true;
    return r * std::cos(th);
  }
  // Gamma(shape a, scale 1): Marsaglia & Tsang (2000); a < 1 through Gamma(a + 1) * U^(1 / a).
  double gamma(double a) {
    if (!(a > 0.0)) return 0.0;
    if (a < 1.0) return gamma(a + 1.0) * std::pow(uniform(), 1.0 / a);
    const double d = a - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x, v;
      do {
        x = normal();
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v = v * v * v;
      const double u = uniform();
      if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
      if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
    }
  }
  // Poisson(lam): multiplication below 10, Hoermann's PTRS (1993) above.
  double poisson(double lam) {
    if (!(lam > 0.0)) return 0.0;
    if (lam < 10.0) {
      const double e = std::exp(-lam);
      double p = uniform(), k = 0.0;
      while (p > e) p *= uniform(), k += 1.0;
      return k;
    }
    const double sl = std::sqrt(lam), ll = std::log(lam), b = 0.931 + 2.53 * sl, a = -0.059 + 0.02483 * b;
    const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
      const double u = uniform() - 0.5, v = uniform(), us = 0.5 - std::fabs(u);
      const double k = std::floor((2.0 * a / us + b) * u + lam + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0.0 || (us < 0.013 && v > us)) continue;
      if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <= -lam + k * ll - std::lgamma(k + 1.0))
        return k;
    }
  }

 private:
  Rng rng_;
  bool spare_ok_ = false;
  double spare_ = 0.0;
};

constexpr double kEps = 1.1920928955078125e-07;

double nb_draw(Sampler& s, double r, double p) {  // Gamma(r, rate = exp(-logits)) then Poisson
  const double pc = std::min(std::max(p, kEps), 1.0 - kEps);
  return s.poisson(s.gamma(r) * pc / (1.0 - pc));
}

// One draw of one forecast step from its decoupled parameters d (see detail::decouple).
double draw(const Loss& l, Sampler& s, const double* d) {
  switch (l.distribution()) {
    case Distr::Normal: return d[0] + d[1] * s.normal();
    case Distr::StudentT: {
      const double z = s.normal(), chi2 = 2.0 * s.gamma(0.5 * d[0]);
      return d[1] + d[2] * z / std::sqrt(chi2 / d[0]);
    }
    case Distr::Poisson: return s.poisson(d[0]);
    case Distr::NegativeBinomial: return nb_draw(s, d[0], d[1]);
    case Distr::Bernoulli: return s.uniform() < d[0] ? 1.0 : 0.0;
    case Distr::Tweedie: {  // NeuralForecast's: N ~ Poisson(lambda), Gamma(N * alpha, beta) (sigma2 = 1)
      const double rho = l.rho(), mu = std::exp(d[0]);
      const double lam = std::pow(mu, 2.0 - rho) / (2.0 - rho), alpha = (2.0 - rho) / (rho - 1.0);
      const double beta = std::pow(mu, 1.0 - rho) / (rho - 1.0);
      const double n = s.poisson(lam) + 1e-5;
      return s.gamma(n * alpha) / beta;
    }
    default: {  // mixtures: a component by its weight, then a draw from it
      const int K = l.n_components(), per = l.outputs_per_component();
      int k = K - 1;
      if (K > 1) {
        double u = s.uniform(), acc = 0.0;
        for (int j = 0; j < K; ++j) {
          acc += l.weighted() ? d[j * per + per - 1] : 1.0 / K;
          if (u < acc) {
            k = j;
            break;
          }
        }
      }
      const double* c = d + k * per;
      if (l.distribution() == Distr::GMM) return c[0] + c[1] * s.normal();
      if (l.distribution() == Distr::PMM) return s.poisson(c[0]);
      return nb_draw(s, c[0], c[1]);
    }
  }
}

double mean_of(const Loss& l, const double* d) {
  auto nb_mean = [](double r, double p) {
    const double pc = std::min(std::max(p, kEps), 1.0 - kEps);
    return r * pc / (1.0 - pc);
  };
  switch (l.distribution()) {
    case Distr::Normal: return d[0];
    case Distr::StudentT: return d[1];
    case Distr::Poisson:
    case Distr::Bernoulli: return d[0];
    case Distr::NegativeBinomial: return nb_mean(d[0], d[1]);
    case Distr::Tweedie: return std::exp(d[0]);
    default: {
      const int K = l.n_components(), per = l.outputs_per_component();
      double m = 0.0;
      for (int k = 0; k < K; ++k) {
        const double* c = d + k * per;
        const double w = l.weighted() ? c[per - 1] : 1.0 / K;
        m += w * (l.distribution() == Distr::NBMM ? nb_mean(c[0], c[1]) : c[0]);
      }
      return m;
    }
  }
}

}  // namespace

int64_t distribution_forecast_width(const Loss& l, int64_t n_quantiles) {
  return 1 + n_quantiles + (l.return_params() ? static_cast<int64_t>(l.param_names().size()) : 0);
}

void distribution_forecast(const Loss& l, const float* raw, int64_t R, int64_t h, const float* loc,
                           const float* scale, const std::vector<float>& qs, uint64_t seed, const uint64_t* stream,
                           float* out) {
  ND_CHECK(l.is_distribution(), l.name(), " is not a distribution loss");
  const int64_t P = l.outputsize_multiplier(), Q = static_cast<int64_t>(qs.size());
  const int64_t C = distribution_forecast_width(l, Q), n = l.num_samples();
  parallel_for(R * h, 8, [&](int64_t e0, int64_t e1) {
    std::vector<double> d(static_cast<size_t>(P) + 4);
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t e = e0; e < e1; ++e) {
      const int64_t r = e / h, t = e % h;
      const int np = detail::decouple(l, raw + e * P, loc[r], scale[r], d.data());
      Sampler s(mix(mix(mix(seed) ^ stream[r]) ^ static_cast<uint64_t>(t)));
      double sum = 0.0;
      for (int64_t k = 0; k < n; ++k) sum += (x[k] = static_cast<float>(draw(l, s, d.data())));
      float* o = out + e * C;
      o[0] = static_cast<float>(sum / static_cast<double>(n));
      std::sort(x.begin(), x.end());
      for (int64_t q = 0; q < Q; ++q) {  // torch.quantile(interpolation='linear')
        const double pos = static_cast<double>(qs[q]) * static_cast<double>(n - 1);
        const int64_t lo = static_cast<int64_t>(std::floor(pos)), hi = std::min(lo + 1, n - 1);
        o[1 + q] = static_cast<float>(x[lo] + (static_cast<double>(x[hi]) - x[lo]) * (pos - static_cast<double>(lo)));
      }
      if (l.return_params())
        for (int p = 0; p < np; ++p) o[1 + Q + p] = static_cast<float>(d[p]);
    }
  });
}

void distribution_mean(const Loss& l, const float* raw, int64_t R, int64_t h, const float* loc, const float* scale,
                       float* out) {
  const int64_t P = l.outputsize_multiplier();
  std::vector<double> d(static_cast<size_t>(P) + 4);
  for (int64_t e = 0; e < R * h; ++e) {
    detail::decouple(l, raw + e * P, loc[e / h], scale[e / h], d.data());
    out[e] = static_cast<float>(mean_of(l, d.data()));
  }
}

}  // namespace nd::losses
