// Box-Cox local scaler as NeuralForecast 3.3 uses it (core.py: LocalBoxCoxScaler(method="loglik",
// lower=0.0) from coreforecast): per-series lambda by maximum profile likelihood, found with
// Brent's minimizer over [0, 2]; the transform and its inverse follow coreforecast's
// (include/coreforecast/scalers.h: BoxCoxLogLik, BoxCoxTransform, BoxCoxInverseTransform).
#include <cfloat>
#include <cmath>
#include <limits>

#include "nd/core/error.h"
#include "nd/data/scalers.h"

namespace nd::data {

namespace {

// Negative Box-Cox profile log-likelihood (Box & Cox 1964; scipy.stats.boxcox_llf):
//   -[(lambda - 1) * sum(log x) - n/2 * log(var(x^lambda / lambda))]
// with the population variance; lambda == 0 uses var(log x). coreforecast evaluates it in the
// data's precision (float32 for NeuralForecast), at a float lambda, and returns a float: we take
// the same float lambda and round the result the same way so Brent's comparisons see what
// coreforecast's see; the sums themselves run in double (more accurate, not bit-identical).
float neg_loglik(double lambda_d, const float* x, int64_t n, bool constant) {
  const float lambda = static_cast<float>(lambda_d);
  double sum_log = 0.0;
  for (int64_t k = 0; k < n; ++k) sum_log += std::log(static_cast<double>(x[k]));
  double var = 0.0;
  if (!constant) {  // a constant series has variance exactly 0 (log -> -inf), whatever the rounding
    double mean = 0.0;
    auto value = [&](int64_t k) {
      const double lx = std::log(static_cast<double>(x[k]));
      return lambda == 0.0f ? lx : std::exp(lx * lambda) / lambda;
    };
    for (int64_t k = 0; k < n; ++k) mean += value(k);
    mean /= static_cast<double>(n);
    for (int64_t k = 0; k < n; ++k) var += (value(k) - mean) * (value(k) - mean);
    var /= static_cast<double>(n);
  }
  return static_cast<float>(-((lambda - 1.0) * sum_log - static_cast<double>(n) / 2.0 * std::log(var)));
}

// Brent's minimizer without derivatives (R. P. Brent, "Algorithms for Minimization without
// Derivatives", 1973, ch. 5; netlib fmin), step for step as coreforecast's brent.h so that the
// same objective values lead to the same lambda: golden-section steps, parabolic interpolation
// when it stays inside the bracket, stop when the bracket is within 2 * tol1 of x.
template <typename F>
double brent_minimize(F f, double a, double b, double tol) {
  constexpr double kGolden = 0.3819660;  // (3 - sqrt(5)) / 2, truncated as in coreforecast
  const double sqrt_eps = std::sqrt(std::numeric_limits<double>::epsilon());
  double x = a + kGolden * (b - a), w = x, v = x;
  double fx = f(x), fw = fx, fv = fx;
  double d = 0.0, e = 0.0;
  const double tol3 = tol / 3.0;
  for (;;) {
    const double xm = 0.5 * (a + b);
    const double tol1 = sqrt_eps * std::fabs(x) + tol3;
    const double t2 = 2.0 * tol1;
    if (std::fabs(x - xm) <= t2 - 0.5 * (b - a)) break;
    double p = 0.0, q = 0.0, r = 0.0;
    if (std::fabs(e) > tol1) {  // trial parabola through (v, fv), (w, fw), (x, fx)
      r = (x - w) * (fx - fv);
      q = (x - v) * (fx - fw);
      p = (x - v) * q - (x - w) * r;
      q = 2.0 * (q - r);
      if (q > 0.0)
        p = -p;
      else
        q = -q;
      r = e;
      e = d;
    }
    double u;
    if (std::fabs(p) >= std::fabs(0.5 * q * r) || p <= q * (a - x) || p >= q * (b - x)) {
      e = (x < xm) ? b - x : a - x;  // golden-section step into the larger part
      d = kGolden * e;
    } else {
      d = p / q;  // parabolic step, kept tol1 away from the ends
      u = x + d;
      if (u - a < t2 || b - u < t2) d = (x >= xm) ? -tol1 : tol1;
    }
    if (std::fabs(d) >= tol1)
      u = x + d;
    else
      u = d > 0.0 ? x + tol1 : x - tol1;
    const double fu = f(u);
    if (fu <= fx) {
      (u < x ? b : a) = x;
      v = w, fv = fw;
      w = x, fw = fx;
      x = u, fx = fu;
    } else {
      (u < x ? a : b) = u;
      if (fu <= fw || w == x) {
        v = w, fv = fw;
        w = u, fw = fu;
      } else if (fu <= fv || v == x || v == w) {
        v = u, fv = fu;
      }
    }
  }
  return x;
}

}  // namespace

float boxcox_lambda_loglik(const float* x, int64_t n, float lower, float upper) {
  ND_CHECK(n > 0, "Box-Cox: empty series");
  bool constant = true;
  for (int64_t k = 0; k < n; ++k) {
    ND_CHECK(x[k] >= 0.0f, "Box-Cox by log-likelihood needs values >= 0; got ", x[k], " at position ", k);
    constant = constant && x[k] == x[0];
  }
  // coreforecast's tolerance is eps^(1/4) of the data type: float32 in NeuralForecast.
  const double tol = std::pow(static_cast<double>(FLT_EPSILON), 0.25);
  const double lambda =
      brent_minimize([&](double l) { return static_cast<double>(neg_loglik(l, x, n, constant)); }, lower, upper, tol);
  return static_cast<float>(lambda);
}

float boxcox_forward(float x, float lambda) {
  if (lambda < 0.0f && x < 0.0f) return std::numeric_limits<float>::quiet_NaN();
  if (std::fabs(lambda) < 1e-19f) return std::log(x);
  if (x > 0.0f) return std::expm1(lambda * std::log(x)) / lambda;
  return (-std::exp(lambda * std::log(-x)) - 1.0f) / lambda;  // odd extension below 0
}

float boxcox_inverse(float z, float lambda) {
  const float t = lambda * z + 1.0f;
  if (lambda < 0.0f && t < 0.0f) return std::numeric_limits<float>::quiet_NaN();
  if (lambda == 0.0f) return std::exp(z);
  if (t > 0.0f) return std::exp(std::log1p(lambda * z) / lambda);
  return -std::exp(std::log(-lambda * z - 1.0f) / lambda);
}

}  // namespace nd::data
