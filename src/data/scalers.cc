// Window (TemporalNorm) and local (per-series) scalers; see nd/data/scalers.h for the semantics.
#include "nd/data/scalers.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "nd/core/error.h"

namespace nd::data {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Available values of one window gathered into `out`; returns the count.
int64_t gather(const float* x, const float* mask, int64_t len, float* out) {
  int64_t m = 0;
  for (int64_t k = 0; k < len; ++k)
    if (!mask || mask[k] >= 1.0f) out[m++] = x[k];
  return m;
}

// torch.nanmedian: the lower of the two middle values for an even count.
float lower_median(float* v, int64_t m) {
  const int64_t k = (m - 1) / 2;
  std::nth_element(v, v + k, v + m);
  return v[k];
}

double mean_of(const float* v, int64_t m) {
  double s = 0.0;
  for (int64_t k = 0; k < m; ++k) s += v[k];
  return s / static_cast<double>(m);
}

double std_of(const float* v, int64_t m, double mean) {
  double s = 0.0;
  for (int64_t k = 0; k < m; ++k) s += (v[k] - mean) * (v[k] - mean);
  return std::sqrt(s / static_cast<double>(m));
}

// numpy's linear-interpolated quantile of sorted values.
double quantile_sorted(const float* v, int64_t m, double q) {
  const double pos = q * static_cast<double>(m - 1);
  const int64_t lo = static_cast<int64_t>(std::floor(pos));
  const int64_t hi = std::min<int64_t>(lo + 1, m - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

ScalerType scaler_from_name(const std::string& name) {
  const std::string n = lower(name);
  if (n == "identity" || n == "none" || n.empty()) return ScalerType::identity;
  if (n == "standard") return ScalerType::standard;
  if (n == "robust") return ScalerType::robust;
  if (n == "minmax") return ScalerType::minmax;
  if (n == "minmax1") return ScalerType::minmax1;
  if (n == "invariant") return ScalerType::invariant;
  if (n == "revin") return ScalerType::revin;
  ND_THROW("unknown scaler_type '", name, "'; expected one of identity, standard, robust, minmax, minmax1, invariant, revin");
}

const char* scaler_name(ScalerType t) {
  switch (t) {
    case ScalerType::identity: return "identity";
    case ScalerType::standard: return "standard";
    case ScalerType::robust: return "robust";
    case ScalerType::minmax: return "minmax";
    case ScalerType::minmax1: return "minmax1";
    case ScalerType::invariant: return "invariant";
    case ScalerType::revin: return "revin";
  }
  return "?";
}

void window_statistics(ScalerType t, const float* x, const float* mask, int64_t rows, int64_t len, int64_t stride,
                       float* shift, float* scale, float* scratch, float eps) {
  float* v = scratch;
  float* dev = scratch + len;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t m = gather(x + r * stride, mask ? mask + r * stride : nullptr, len, v);
    double sh = 0.0, sc = 1.0;
    switch (t) {
      case ScalerType::identity:
        shift[r] = 0.0f;
        scale[r] = 1.0f;
        continue;
      case ScalerType::standard:
      case ScalerType::revin: {
        // masked_mean gives 0 for an empty window (nan_to_num); std 0 -> 1.
        const double mu = m ? mean_of(v, m) : 0.0;
        double sd = m ? std_of(v, m, mu) : 0.0;
        if (sd == 0.0) sd = 1.0;
        sh = mu;
        sc = static_cast<float>(sd) + eps;
        break;
      }
      case ScalerType::robust:
      case ScalerType::invariant: {
        if (m == 0) {
          sh = 0.0;
          sc = 1.0 + eps;
          break;
        }
        // median; mad = median |x - median|; mad 0 -> std * 0.6745; still 0 -> 1.
        for (int64_t k = 0; k < m; ++k) dev[k] = v[k];
        const float med = lower_median(dev, m);
        for (int64_t k = 0; k < m; ++k) dev[k] = std::fabs(v[k] - med);
        double mad = lower_median(dev, m);
        if (mad == 0.0) {
          const double mu = mean_of(v, m);
          mad = static_cast<float>(std_of(v, m, mu)) * 0.6744897501960817;
        }
        if (mad == 0.0) mad = 1.0;
        sh = med;
        sc = static_cast<float>(mad) + eps;
        break;
      }
      case ScalerType::minmax:
      case ScalerType::minmax1: {
        if (m == 0) {  // torch: max over -inf / min over +inf -> range inf - (-inf); NF never feeds this
          sh = 0.0;
          sc = 1.0 + eps;
          break;
        }
        float lo = v[0], hi = v[0];
        for (int64_t k = 1; k < m; ++k) lo = std::min(lo, v[k]), hi = std::max(hi, v[k]);
        float range = hi - lo;
        if (range == 0.0f) range = 1.0f;
        sh = lo;
        sc = range + eps;
        break;
      }
    }
    shift[r] = static_cast<float>(sh);
    scale[r] = static_cast<float>(sc);
  }
}

void scale_forward(ScalerType t, float* x, int64_t n, float shift, float scale) {
  switch (t) {
    case ScalerType::identity: return;
    case ScalerType::minmax1:
      for (int64_t k = 0; k < n; ++k) x[k] = ((x[k] - shift) / scale) * 2.0f - 1.0f;
      return;
    case ScalerType::invariant:
      for (int64_t k = 0; k < n; ++k) x[k] = std::asinh((x[k] - shift) / scale);
      return;
    default:
      for (int64_t k = 0; k < n; ++k) x[k] = (x[k] - shift) / scale;
  }
}

void scale_inverse(ScalerType t, float* z, int64_t n, float shift, float scale) {
  switch (t) {
    case ScalerType::identity: return;
    case ScalerType::minmax1:
      for (int64_t k = 0; k < n; ++k) z[k] = ((z[k] + 1.0f) / 2.0f) * scale + shift;
      return;
    case ScalerType::invariant:
      for (int64_t k = 0; k < n; ++k) z[k] = std::sinh(z[k]) * scale + shift;
      return;
    default:
      for (int64_t k = 0; k < n; ++k) z[k] = z[k] * scale + shift;
  }
}

LocalScalerType local_scaler_from_name(const std::string& name) {
  const std::string n = lower(name);
  if (n == "standard") return LocalScalerType::standard;
  if (n == "robust") return LocalScalerType::robust;
  if (n == "robust-iqr") return LocalScalerType::robust_iqr;
  if (n == "minmax") return LocalScalerType::minmax;
  if (n == "boxcox") return LocalScalerType::boxcox;
  ND_THROW("unknown local_scaler_type '", name, "'; expected one of standard, robust, robust-iqr, minmax, boxcox");
}

const char* local_scaler_name(LocalScalerType t) {
  switch (t) {
    case LocalScalerType::standard: return "standard";
    case LocalScalerType::robust: return "robust";
    case LocalScalerType::robust_iqr: return "robust-iqr";
    case LocalScalerType::minmax: return "minmax";
    case LocalScalerType::boxcox: return "boxcox";
  }
  return "?";
}

LocalStats local_statistics(LocalScalerType t, const float* x, int64_t n, float* scratch) {
  ND_CHECK(n > 0, "local scaler: empty series");
  LocalStats out;
  double l = 0.0, s = 1.0;
  switch (t) {
    case LocalScalerType::boxcox:
      out.lambda = boxcox_lambda_loglik(x, n);
      return out;
    case LocalScalerType::standard: {
      const double mu = mean_of(x, n);
      l = mu;
      s = std_of(x, n, mu);
      break;
    }
    case LocalScalerType::robust:
    case LocalScalerType::robust_iqr: {
      std::copy(x, x + n, scratch);
      std::sort(scratch, scratch + n);
      const double med = quantile_sorted(scratch, n, 0.5);
      l = med;
      if (t == LocalScalerType::robust_iqr) {
        s = quantile_sorted(scratch, n, 0.75) - quantile_sorted(scratch, n, 0.25);
      } else {
        for (int64_t k = 0; k < n; ++k) scratch[k] = static_cast<float>(std::fabs(x[k] - med));
        std::sort(scratch, scratch + n);
        s = quantile_sorted(scratch, n, 0.5);
      }
      break;
    }
    case LocalScalerType::minmax: {
      float lo = x[0], hi = x[0];
      for (int64_t k = 1; k < n; ++k) lo = std::min(lo, x[k]), hi = std::max(hi, x[k]);
      l = lo;
      s = static_cast<double>(hi) - lo;
      break;
    }
  }
  out.loc = static_cast<float>(l);
  out.scale = (s == 0.0 || !std::isfinite(s)) ? 1.0f : static_cast<float>(s);
  return out;
}

void local_forward(LocalScalerType t, float* x, int64_t n, const LocalStats& s) {
  if (t == LocalScalerType::boxcox) {
    for (int64_t k = 0; k < n; ++k) x[k] = boxcox_forward(x[k], s.lambda);
    return;
  }
  for (int64_t k = 0; k < n; ++k) x[k] = (x[k] - s.loc) / s.scale;
}

void local_inverse(LocalScalerType t, float* z, int64_t n, const LocalStats& s) {
  if (t == LocalScalerType::boxcox) {
    for (int64_t k = 0; k < n; ++k) z[k] = boxcox_inverse(z[k], s.lambda);
    return;
  }
  for (int64_t k = 0; k < n; ++k) z[k] = z[k] * s.scale + s.loc;
}

}  // namespace nd::data
