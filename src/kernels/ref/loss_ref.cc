// Scalar reference: fused loss sums and gradients (nd/kernels/loss_kernels.h), in double.
// Subgradients at kinks follow PyTorch autograd: sign(0) = 0 for the absolute value, and
// torch.maximum splits the gradient evenly on ties (pinball loss at y == yhat).
#include <cmath>

#include "kernels/ref/ref.h"

namespace nd::kernels::ref {

namespace {

inline double sign(double v) { return v > 0.0 ? 1.0 : (v < 0.0 ? -1.0 : 0.0); }
inline double weight(const float* w, int64_t i) { return w ? w[i] : 1.0; }

double point_loss(PointLoss k, double y, double yhat, double delta) {
  const double d = y - yhat, ad = std::fabs(d);
  switch (k) {
    case PointLoss::mae: return ad;
    case PointLoss::mse: return d * d;
    case PointLoss::mape: return y == 0.0 ? 0.0 : ad / std::fabs(y);
    case PointLoss::smape: {
      const double s = std::fabs(y) + std::fabs(yhat);
      return s == 0.0 ? 0.0 : ad / s;
    }
    case PointLoss::huber: return ad < delta ? 0.5 * d * d : delta * (ad - 0.5 * delta);
  }
  return 0.0;
}

// d loss / d yhat.
double point_grad(PointLoss k, double y, double yhat, double delta) {
  const double d = y - yhat, ad = std::fabs(d);
  switch (k) {
    case PointLoss::mae: return -sign(d);
    case PointLoss::mse: return -2.0 * d;
    case PointLoss::mape: return y == 0.0 ? 0.0 : -sign(d) / std::fabs(y);
    case PointLoss::smape: {
      const double s = std::fabs(y) + std::fabs(yhat);
      return s == 0.0 ? 0.0 : (-sign(d) * s - ad * sign(yhat)) / (s * s);
    }
    case PointLoss::huber: return ad < delta ? -d : -delta * sign(d);
  }
  return 0.0;
}

}  // namespace

double point_loss_sum(PointLoss k, const float* y, const float* yhat, const float* w, int64_t n, float delta) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += weight(w, i) * point_loss(k, y[i], yhat[i], delta);
  return s;
}

void point_loss_grad(PointLoss k, const float* y, const float* yhat, const float* w, int64_t n, float delta,
                     float scale, float* dyhat) {
  for (int64_t i = 0; i < n; ++i)
    dyhat[i] = static_cast<float>(dyhat[i] + static_cast<double>(scale) * weight(w, i) * point_grad(k, y[i], yhat[i], delta));
}

double quantile_loss_sum(const float* y, const float* yhat, const float* w, const float* q, int64_t n, int64_t nq) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    double row = 0.0;
    for (int64_t j = 0; j < nq; ++j) {
      const double e = static_cast<double>(y[i]) - yhat[i * nq + j];
      row += e >= 0.0 ? q[j] * e : (q[j] - 1.0) * e;
    }
    s += weight(w, i) * row;
  }
  return s;
}

void quantile_loss_grad(const float* y, const float* yhat, const float* w, const float* q, int64_t n, int64_t nq,
                        float scale, float* dyhat) {
  for (int64_t i = 0; i < n; ++i) {
    const double sw = static_cast<double>(scale) * weight(w, i);
    for (int64_t j = 0; j < nq; ++j) {
      const double e = static_cast<double>(y[i]) - yhat[i * nq + j];
      const double g = e > 0.0 ? -q[j] : (e < 0.0 ? 1.0 - q[j] : 0.5 - q[j]);
      dyhat[i * nq + j] = static_cast<float>(dyhat[i * nq + j] + sw * g);
    }
  }
}

}  // namespace nd::kernels::ref
