// Distribution losses: NeuralForecast 3.3's domain maps and scale_decouple (losses/pytorch.py),
// the negative log-likelihood of every distribution and mixture with its gradient with respect to
// the network's raw outputs, and the fused weighted-mean op. The per-element math runs in double
// (torch's float32 results agree to ~1e-7); gradients are analytic and computed with the value, so
// backward is one scaled copy.
#include "losses/distribution_internal.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "nd/core/error.h"
#include "ops/op_util.h"

namespace nd::losses {

namespace detail {

double softplus(double x) { return x > 20.0 ? x : std::log1p(std::exp(x)); }
double dsoftplus(double x) { return x > 20.0 ? 1.0 : 1.0 / (1.0 + std::exp(-x)); }  // softplus'(x) = sigmoid(x)

// Digamma by recurrence to x >= 6 and the asymptotic series (error < 1e-13 there).
double digamma(double x) {
  double r = 0.0;
  while (x < 6.0) {
    r -= 1.0 / x;
    x += 1.0;
  }
  const double f = 1.0 / (x * x);
  return r + std::log(x) - 0.5 / x -
         f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

}  // namespace detail

namespace {

using detail::digamma;
using detail::dsoftplus;
using detail::softplus;

constexpr double kEps = 1.1920928955078125e-07;  // torch.finfo(float32).eps: probs_to_logits' clamp
constexpr double kHalfLog2Pi = 0.91893853320467274178;

double clamp(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }
bool inside(double v, double lo, double hi) { return v > lo && v < hi; }  // clamp passes a gradient

// log N(y; mu, sd) and its derivatives with respect to mu and sd.
double normal_lp(double y, double mu, double sd, double* dmu, double* dsd) {
  const double z = (y - mu) / sd;
  *dmu = z / sd;
  *dsd = (z * z - 1.0) / sd;
  return -0.5 * z * z - std::log(sd) - kHalfLog2Pi;
}

// log Poisson(y; rate) (torch: y.xlogy(rate) - rate - lgamma(y + 1)) and d / d rate.
double poisson_lp(double y, double rate, double* drate) {
  *drate = y / rate - 1.0;
  return (y == 0.0 ? 0.0 : y * std::log(rate)) - rate - std::lgamma(y + 1.0);
}

// log NegativeBinomial(y; total_count r, probs p) as torch computes it (logits from probs clamped
// to [eps, 1 - eps]) and its derivatives with respect to r and p.
double nbinom_lp(double y, double r, double p, double* dr, double* dp) {
  const double pc = clamp(p, kEps, 1.0 - kEps);
  double lp = r * std::log1p(-pc) + y * std::log(pc);
  *dr = std::log1p(-pc);
  *dp = inside(p, kEps, 1.0 - kEps) ? -r / (1.0 - pc) + y / pc : 0.0;
  if (r + y != 0.0) {
    lp += std::lgamma(r + y) - std::lgamma(1.0 + y) - std::lgamma(r);
    *dr += digamma(r + y) - digamma(r);
  }
  return lp;
}

// NegativeBinomial's parameterization (nbinomial_scale_decouple; NBMM's differs in how loc and
// scale enter): from mu, alpha (after softplus) to (total_count, probs), with the Jacobian.
struct NbParams {
  double r, p, dr_dalpha, dp_dmu, dp_dalpha;
};
NbParams nb_params(double mu, double alpha) {
  const double u = mu * alpha, d = 1.0 / ((1.0 + u) * (1.0 + u));
  return {1.0 / alpha, u / (1.0 + u) + 1e-8, -1.0 / (alpha * alpha), d * alpha, d * mu};
}

}  // namespace

namespace detail {

double element_nll(const Loss& l, const float* raw, double loc, double scale, double y, double* g) {
  switch (l.distribution()) {
    case Distr::Normal: {  // (loc, scale): mean = raw0 * scale + loc, std = (softplus(raw1) + 0.2) * scale
      const double mu = raw[0] * scale + loc, sd = (softplus(raw[1]) + 0.2) * scale;
      double dmu, dsd;
      const double lp = normal_lp(y, mu, sd, &dmu, &dsd);
      g[0] = -dmu * scale;
      g[1] = -dsd * dsoftplus(raw[1]) * scale;
      return -lp;
    }
    case Distr::StudentT: {  // (df, loc, scale): df = 3 + softplus, scale = (softplus + 0.1) * scale
      const double df = 3.0 + softplus(raw[0]), mu = raw[1] * scale + loc, ts = (softplus(raw[2]) + 0.1) * scale;
      const double z = (y - mu) / ts, z2 = z * z, q = df + z2;
      const double nll = 0.5 * (df + 1.0) * std::log1p(z2 / df) + std::log(ts) + 0.5 * std::log(df) +
                         0.5 * std::log(M_PI) + std::lgamma(0.5 * df) - std::lgamma(0.5 * (df + 1.0));
      const double ddf = 0.5 * std::log1p(z2 / df) - 0.5 * (df + 1.0) * z2 / (df * q) + 0.5 / df +
                         0.5 * digamma(0.5 * df) - 0.5 * digamma(0.5 * (df + 1.0));
      g[0] = ddf * dsoftplus(raw[0]);
      g[1] = -(df + 1.0) * z / q / ts * scale;
      g[2] = (1.0 - (df + 1.0) * z2 / q) / ts * dsoftplus(raw[2]) * scale;
      return nll;
    }
    case Distr::Poisson: {  // rate = softplus(raw * scale + loc) + 1e-10
      const double a = raw[0] * scale + loc, rate = softplus(a) + 1e-10;
      double drate;
      const double lp = poisson_lp(y, rate, &drate);
      g[0] = -drate * dsoftplus(a) * scale;
      return -lp;
    }
    case Distr::NegativeBinomial: {  // mu = softplus * scale + loc, alpha = softplus / (scale + 1)
      const double mu = (softplus(raw[0]) + 1e-8) * scale + loc, alpha = (softplus(raw[1]) + 1e-8) / (scale + 1.0);
      const NbParams p = nb_params(mu, alpha);
      double dr, dp;
      const double lp = nbinom_lp(y, p.r, p.p, &dr, &dp);
      g[0] = -dp * p.dp_dmu * dsoftplus(raw[0]) * scale;
      g[1] = -(dr * p.dr_dalpha + dp * p.dp_dalpha) * dsoftplus(raw[1]) / (scale + 1.0);
      return -lp;
    }
    case Distr::Bernoulli: {  // probs = sigmoid(raw); torch's logits come from probs clamped to [eps, 1 - eps]
      const double pr = 1.0 / (1.0 + std::exp(-static_cast<double>(raw[0])));
      const double pc = clamp(pr, kEps, 1.0 - kEps), lg = std::log(pc) - std::log1p(-pc);
      g[0] = inside(pr, kEps, 1.0 - kEps) ? pc - y : 0.0;
      return softplus(lg) - lg * y;
    }
    case Distr::Tweedie: {  // log_mu = clamp(clamp(softplus(raw), 1e-9, 37) + log(loc), 1e-9, 37)
      const double rho = l.rho(), s = softplus(raw[0]), c1 = clamp(s, 1e-9, 37.0), m1 = c1 + std::log(loc);
      const double lm = std::isnan(m1) ? m1 : clamp(m1, 1e-9, 37.0);
      const double e1 = std::exp((1.0 - rho) * lm), e2 = std::exp((2.0 - rho) * lm);
      g[0] = (-y * e1 + e2) * dsoftplus(raw[0]) * (inside(s, 1e-9, 37.0) && inside(m1, 1e-9, 37.0) ? 1.0 : 0.0);
      return -(y * e1 / (1.0 - rho) - e2 / (2.0 - rho));
    }
    default: ND_THROW("element_nll: ", l.name(), " is a mixture");
  }
}

int decouple(const Loss& l, const float* raw, double loc, double scale, double* out) {
  const int K = l.n_components();
  switch (l.distribution()) {
    case Distr::Normal:
      out[0] = raw[0] * scale + loc, out[1] = (softplus(raw[1]) + 0.2) * scale;
      return 2;
    case Distr::StudentT:
      out[0] = 3.0 + softplus(raw[0]), out[1] = raw[1] * scale + loc, out[2] = (softplus(raw[2]) + 0.1) * scale;
      return 3;
    case Distr::Poisson: out[0] = softplus(raw[0] * scale + loc) + 1e-10; return 1;
    case Distr::NegativeBinomial: {
      const NbParams p = nb_params((softplus(raw[0]) + 1e-8) * scale + loc, (softplus(raw[1]) + 1e-8) / (scale + 1.0));
      out[0] = p.r, out[1] = p.p;
      return 2;
    }
    case Distr::Bernoulli: out[0] = 1.0 / (1.0 + std::exp(-static_cast<double>(raw[0]))); return 1;
    case Distr::Tweedie: {
      const double m1 = clamp(softplus(raw[0]), 1e-9, 37.0) + std::log(loc);
      out[0] = std::isnan(m1) ? m1 : clamp(m1, 1e-9, 37.0);
      return 1;
    }
    case Distr::GMM:
    case Distr::PMM:
    case Distr::NBMM: {
      // Raw layout: n_outputs chunks of K (torch.tensor_split of the last axis); weights softmaxed.
      const int per = l.outputs_per_component();
      double wmax = -std::numeric_limits<double>::infinity(), wsum = 0.0;
      if (l.weighted()) {
        for (int k = 0; k < K; ++k) wmax = std::max(wmax, static_cast<double>(raw[(per - 1) * K + k]));
        for (int k = 0; k < K; ++k) wsum += std::exp(raw[(per - 1) * K + k] - wmax);
      }
      for (int k = 0; k < K; ++k) {
        double* o = out + k * per;
        if (l.distribution() == Distr::GMM) {
          o[0] = raw[k] * scale + loc, o[1] = (softplus(raw[K + k]) + 0.2) * scale;
        } else if (l.distribution() == Distr::PMM) {
          o[0] = softplus(raw[k] * scale + loc) + 1e-3;
        } else {
          const NbParams p = nb_params((softplus(raw[k]) + 1e-8) * loc, (softplus(raw[K + k]) + 1e-8) / (loc + 1.0));
          o[0] = p.r, o[1] = p.p;
        }
        if (l.weighted()) o[per - 1] = std::exp(raw[(per - 1) * K + k] - wmax) / wsum;
      }
      return per * K;
    }
  }
  return 0;
}

}  // namespace detail

int64_t distribution_support_violation(const Loss& l, const float* y, int64_t n, std::string* what) {
  const Distr d = l.distribution();
  const bool nonneg = d == Distr::Poisson || d == Distr::NegativeBinomial || d == Distr::PMM || d == Distr::NBMM;
  if (what) *what = d == Distr::Bernoulli ? "values 0 or 1" : "values >= 0";
  for (int64_t k = 0; k < n; ++k) {
    if (nonneg && y[k] < 0.0f) return k;
    if (d == Distr::Bernoulli && y[k] != 0.0f && y[k] != 1.0f) return k;
  }
  return -1;
}

namespace detail {

void mixture_weights(const Loss& l, const float* raw, MixWeights* m) {
  const int K = l.n_components(), per = l.outputs_per_component();
  m->lw.resize(K), m->q.resize(K), m->pi.resize(K), m->free.resize(K);
  double mx = -std::numeric_limits<double>::infinity(), s = 0.0;
  if (l.weighted()) {
    for (int k = 0; k < K; ++k) mx = std::max(mx, static_cast<double>(raw[(per - 1) * K + k]));
    for (int k = 0; k < K; ++k) s += (m->q[k] = std::exp(raw[(per - 1) * K + k] - mx));
    for (int k = 0; k < K; ++k) m->q[k] /= s;
  } else {
    for (int k = 0; k < K; ++k) m->q[k] = 1.0 / K;
  }
  double lmx = -std::numeric_limits<double>::infinity(), ls = 0.0;
  for (int k = 0; k < K; ++k) {
    m->free[k] = inside(m->q[k], kEps, 1.0 - kEps);
    m->lw[k] = std::log(clamp(m->q[k], kEps, 1.0 - kEps));
    lmx = std::max(lmx, m->lw[k]);
  }
  for (int k = 0; k < K; ++k) ls += std::exp(m->lw[k] - lmx);
  const double lse = lmx + std::log(ls);
  for (int k = 0; k < K; ++k) m->pi[k] = std::exp(m->lw[k] - lse), m->lw[k] -= lse;
}

double component_lp(const Loss& l, const float* raw, int k, double loc, double scale, double y, double* g) {
  const int K = l.n_components();
  switch (l.distribution()) {
    case Distr::GMM: {
      const double mu = raw[k] * scale + loc, sd = (softplus(raw[K + k]) + 0.2) * scale;
      double dmu, dsd;
      const double lp = normal_lp(y, mu, sd, &dmu, &dsd);
      g[0] = dmu * scale, g[1] = dsd * dsoftplus(raw[K + k]) * scale;
      return lp;
    }
    case Distr::PMM: {
      const double a = raw[k] * scale + loc, rate = softplus(a) + 1e-3;
      double drate;
      const double lp = poisson_lp(y, rate, &drate);
      g[0] = drate * dsoftplus(a) * scale;
      return lp;
    }
    default: {  // NBMM: mu = softplus * loc, alpha = softplus / (loc + 1)
      const double mu = (softplus(raw[k]) + 1e-8) * loc, alpha = (softplus(raw[K + k]) + 1e-8) / (loc + 1.0);
      const NbParams p = nb_params(mu, alpha);
      double dr, dp;
      const double lp = nbinom_lp(y, p.r, p.p, &dr, &dp);
      g[0] = dp * p.dp_dmu * dsoftplus(raw[k]) * loc;
      g[1] = (dr * p.dr_dalpha + dp * p.dp_dalpha) * dsoftplus(raw[K + k]) / (loc + 1.0);
      return lp;
    }
  }
}

}  // namespace detail

}  // namespace nd::losses
