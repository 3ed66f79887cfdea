// Scalar reference: activations (nd/kernels/activation.h), evaluated in double from the float
// inputs so the result is the correctly rounded value up to the last float rounding.
#include <cmath>

#include "kernels/ref/ref.h"

namespace nd::kernels::ref {

namespace {

// SELU constants (Klambauer et al. 2017), as in torch.nn.SELU.
constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSqrt1_2 = 0.70710678118654752440084436210485;
constexpr double kInvSqrt2Pi = 0.39894228040143267793994605993438;
constexpr double kSoftplusThreshold = 20.0;  // torch.nn.Softplus(beta=1, threshold=20)

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
// Standard normal CDF via erfc, which has no cancellation in the left tail.
double normal_cdf(double x) { return 0.5 * std::erfc(-x * kSqrt1_2); }

double forward_one(Act a, double x, double alpha) {
  switch (a) {
    case Act::identity: return x;
    case Act::relu: return x <= 0.0 ? 0.0 : x;  // NaN propagates, as torch.relu
    case Act::leaky_relu:
    case Act::prelu: return x > 0.0 ? x : alpha * x;
    case Act::elu: return x > 0.0 ? x : alpha * std::expm1(x);
    case Act::selu: return kSeluScale * (x > 0.0 ? x : kSeluAlpha * std::expm1(x));
    case Act::gelu: return x * normal_cdf(x);
    case Act::silu: return x * sigmoid(x);
    case Act::tanh: return std::tanh(x);
    case Act::sigmoid: return sigmoid(x);
    case Act::softplus: return x > kSoftplusThreshold ? x : std::log1p(std::exp(x));
    case Act::softsign: return x / (1.0 + std::fabs(x));
  }
  return x;
}

// dL/dx given dL/dy; y = f(x) as produced by the forward pass.
double backward_one(Act a, double x, double y, double dy, double alpha) {
  switch (a) {
    case Act::identity: return dy;
    case Act::relu: return x > 0.0 ? dy : 0.0;
    case Act::leaky_relu:
    case Act::prelu: return x > 0.0 ? dy : dy * alpha;
    case Act::elu: return x > 0.0 ? dy : dy * alpha * std::exp(x);
    case Act::selu: return x > 0.0 ? dy * kSeluScale : dy * kSeluScale * kSeluAlpha * std::exp(x);
    case Act::gelu: return dy * (normal_cdf(x) + x * kInvSqrt2Pi * std::exp(-0.5 * x * x));
    case Act::silu: {
      const double s = sigmoid(x);
      return dy * s * (1.0 + x * (1.0 - s));
    }
    case Act::tanh: return dy * (1.0 - y * y);
    case Act::sigmoid: return dy * y * (1.0 - y);
    case Act::softplus: {
      if (x > kSoftplusThreshold) return dy;
      const double z = std::exp(x);
      return dy * z / (z + 1.0);
    }
    case Act::softsign: {
      const double t = 1.0 + std::fabs(x);
      return dy / (t * t);
    }
  }
  return dy;
}

}  // namespace

void act_forward(Act a, const float* x, float* y, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(forward_one(a, x[i], alpha));
}

void act_backward(Act a, const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha) {
  // y is only read by the activations whose derivative is cheaper from the output.
  const bool needs_y = a == Act::tanh || a == Act::sigmoid;
  for (int64_t i = 0; i < n; ++i)
    dx[i] = static_cast<float>(backward_one(a, x ? x[i] : 0.0, needs_y ? y[i] : 0.0, dy[i], alpha));
}

void glu_forward(const float* x, float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j)
      y[r * n + j] = static_cast<float>(static_cast<double>(x[r * 2 * n + j]) * sigmoid(x[r * 2 * n + n + j]));
}

void glu_backward(const float* x, const float* dy, float* dx, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      const double a = x[r * 2 * n + j], b = x[r * 2 * n + n + j], g = dy[r * n + j];
      const double s = sigmoid(b), c = sigmoid(-b);  // c = 1 - s without cancellation
      dx[r * 2 * n + j] = static_cast<float>(g * s);
      dx[r * 2 * n + n + j] = static_cast<float>(g * a * s * c);
    }
}

}  // namespace nd::kernels::ref
