// NBEATS (Oreshkin et al. 2020, "N-BEATS: Neural basis expansion analysis for interpretable time
// series forecasting"), as NeuralForecast's NBEATS. Stacks of fully connected blocks with doubly
// residual links (§3.2): each block maps the (time-reversed) residual window to expansion
// coefficients theta, projects them on a backcast and a forecast basis, passes the residual minus
// its backcast on, and adds its forecast to the naive level. Bases (§3.3): identity (generic),
// trend (polynomial-like functions of time; NeuralForecast offers seven families) and
// seasonality (Fourier cos / sin terms). The basis matrices are fixed constants, not parameters.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "models/models_internal.h"
#include "nd/nn/layers.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/linear.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

constexpr double kPi = 3.14159265358979323846;

// numpy.linspace(a, b, n): a + i * step, the last value exactly b.
std::vector<double> linspace(double a, double b, int64_t n) {
  std::vector<double> x(static_cast<size_t>(n), a);
  const double step = n > 1 ? (b - a) / static_cast<double>(n - 1) : 0.0;
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<double>(i) * step + a;
  if (n > 1) x[n - 1] = b;
  return x;
}

// Cubic B-spline basis on the clamped knots [0, 0, 0, linspace(0, 1, P - 2), 1, 1, 1] at x in
// [0, 1] (scipy's BSpline(t, eye(P), 3)(x)): out[j] = B_j(x), j < P (de Boor's recurrence).
void spline_row(const std::vector<double>& t, int64_t P, double x, double* out) {
  constexpr int k = 3;
  int64_t i = k;  // the knot span t[i] <= x < t[i + 1]; x == 1 uses the last non-empty span
  while (i < P - 1 && x >= t[i + 1]) ++i;
  double N[k + 1] = {1.0}, left[k + 1] = {}, right[k + 1] = {};
  for (int j = 1; j <= k; ++j) {
    left[j] = x - t[i + 1 - j];
    right[j] = t[i + j] - x;
    double saved = 0.0;
    for (int r = 0; r < j; ++r) {
      const double tmp = N[r] / (right[r + 1] + left[j - r]);
      N[r] = saved + right[r + 1] * tmp;
      saved = left[j - r] * tmp;
    }
    N[j] = saved;
  }
  for (int64_t j = 0; j < P; ++j) out[j] = 0.0;
  for (int r = 0; r <= k; ++r) out[i - k + r] = N[r];
}

// NeuralForecast's get_basis(length, n_basis, basis).T: P = n_basis + 1 functions -> [P, length].
std::vector<float> trend_basis(const std::string& kind, int64_t length, int64_t P) {
  std::vector<double> m(static_cast<size_t>(length * P), 0.0);  // [length, P]
  auto at = [&](int64_t t, int64_t j) -> double& { return m[t * P + j]; };
  if (kind == "polynomial") {
    for (int64_t t = 0; t < length; ++t)
      for (int64_t j = 0; j < P; ++j) at(t, j) = std::pow(static_cast<double>(t) / static_cast<double>(length), j);
  } else if (kind == "legendre" || kind == "chebyshev") {  // three-term recurrences on [-1, 1]
    const std::vector<double> x = linspace(-1.0, 1.0, length);
    for (int64_t t = 0; t < length; ++t) {
      double p0 = 1.0, p1 = x[t];
      for (int64_t j = 0; j < P; ++j) {
        at(t, j) = j == 0 ? 1.0 : p1;
        if (j >= 1) {
          const double n = static_cast<double>(j);
          const double p2 = kind == "legendre" ? ((2 * n + 1) * x[t] * p1 - n * p0) / (n + 1) : 2 * x[t] * p1 - p0;
          p0 = p1, p1 = p2;
        }
      }
    }
  } else if (kind == "changepoint") {
    const std::vector<double> x = linspace(0.0, 1.0, length), c = linspace(0.0, 1.0, P + 1);
    for (int64_t t = 0; t < length; ++t)
      for (int64_t j = 0; j < P; ++j) at(t, j) = std::max(0.0, x[t] - c[j + 1]);
  } else if (kind == "piecewise_linear") {  // column 0 stays zero, as in NeuralForecast
    const std::vector<double> x = linspace(0.0, 1.0, length), k = linspace(0.0, 1.0, P + 1);
    for (int64_t t = 0; t < length; ++t)
      for (int64_t j = 1; j < P; ++j)
        at(t, j) = std::max(0.0, std::min((x[t] - k[j - 1]) / (k[j] - k[j - 1]), (k[j + 1] - x[t]) / (k[j + 1] - k[j])));
  } else if (kind == "linear_hat") {
    const std::vector<double> x = linspace(0.0, 1.0, length), c = linspace(0.0, 1.0, P);
    const double width = 1.0 / static_cast<double>(P - 1);
    for (int64_t t = 0; t < length; ++t)
      for (int64_t j = 0; j < P; ++j) at(t, j) = std::max(0.0, 1.0 - std::abs(x[t] - c[j]) / width);
  } else {  // spline
    const std::vector<double> x = linspace(0.0, 1.0, length), k = linspace(0.0, 1.0, P - 2);
    std::vector<double> t = {0.0, 0.0, 0.0};
    t.insert(t.end(), k.begin(), k.end());
    t.insert(t.end(), {1.0, 1.0, 1.0});
    for (int64_t r = 0; r < length; ++r) spline_row(t, P, x[r], &at(r, 0));
  }
  std::vector<float> out(m.size());
  for (int64_t t = 0; t < length; ++t)
    for (int64_t j = 0; j < P; ++j) out[j * length + t] = static_cast<float>(at(t, j));
  return out;
}

// Fourier templates [cos(2 pi f t / h) ; sin(2 pi f t / h)] -> [2F, length]; the backcast grid runs
// backwards in time (sign -1) because the blocks see the reversed window.
std::vector<float> seasonal_basis(const std::vector<double>& freq, int64_t length, int64_t h, double sign) {
  const int64_t F = static_cast<int64_t>(freq.size());
  std::vector<float> out(static_cast<size_t>(2 * F * length));
  for (int64_t t = 0; t < length; ++t)
    for (int64_t f = 0; f < F; ++f) {
      const double g = sign * 2.0 * kPi * (static_cast<double>(t) / static_cast<double>(h)) * freq[f];
      out[f * length + t] = static_cast<float>(std::cos(g));
      out[(F + f) * length + t] = static_cast<float>(std::sin(g));
    }
  return out;
}

class NBEATSModel : public Model {
 public:
  explicit NBEATSModel(const json& cfg) : Model("NBEATS", cfg) {
    const int64_t L = input_size(), h = this->h(), Q = n_outputs();
    const std::vector<std::string> types = getsv("stack_types");
    const std::vector<int64_t> n_blocks = getiv("n_blocks");
    ND_CHECK(!types.empty() && n_blocks.size() == types.size(),
             "NBEATS: stack_types and n_blocks must have the same length (got ", types.size(), " and ",
             n_blocks.size(), ")");
    for (const std::string& t : types)
      ND_CHECK(t == "identity" || t == "trend" || t == "seasonality", "NBEATS: block type '", t,
               "' not found (use 'identity', 'trend' or 'seasonality')");
    for (const std::string& t : types)
      ND_CHECK(h > 1 || t == "identity", "NBEATS: horizon h=1 incompatible with 'seasonality' or 'trend' in stacks");
    ND_CHECK(!getb("exclude_insample_y"), "NBEATS does not support exclude_insample_y=True (it takes no exogenous "
             "variables)");
    // NeuralForecast's NBEATSBlock raises NotImplementedError("dropout") for any positive value.
    ND_CHECK(getf("dropout_prob_theta") == 0.0, "NBEATS: dropout_prob_theta > 0 is not implemented (nor in "
             "NeuralForecast's NBEATS), got ", getf("dropout_prob_theta"));
    const auto units = config()["mlp_units"].get<std::vector<std::vector<int64_t>>>();
    ND_CHECK(!units.empty(), "NBEATS: mlp_units must not be empty");
    for (size_t j = 0; j < units.size(); ++j)
      ND_CHECK(units[j].size() == 2 && units[j][0] >= 1 && units[j][1] >= 1 &&
                   units[j][0] == (j == 0 ? units[0][0] : units[j - 1][1]),
               "NBEATS: mlp_units must be [in, out] pairs of positive sizes that chain (each in = the previous "
               "out), got ", config()["mlp_units"].dump());
    const std::string basis = gets("basis");
    const int64_t n_basis = geti("n_basis"), H = geti("n_harmonics");
    const bool has_trend = std::find(types.begin(), types.end(), "trend") != types.end();
    const bool has_season = std::find(types.begin(), types.end(), "seasonality") != types.end();
    if (has_trend) {
      static const std::vector<std::string> kinds = {"legendre",   "polynomial", "changepoint", "piecewise_linear",
                                                     "linear_hat", "spline",     "chebyshev"};
      ND_CHECK(std::find(kinds.begin(), kinds.end(), basis) != kinds.end(), "NBEATS: basis '", basis,
               "' not found; use legendre, polynomial, changepoint, piecewise_linear, linear_hat, spline or chebyshev");
      ND_CHECK(n_basis >= 0, "NBEATS: n_basis must be >= 0, got ", n_basis);
      ND_CHECK(basis != "spline" || n_basis >= 3, "NBEATS: the spline basis needs n_basis >= 3, got ", n_basis);
      ND_CHECK(basis != "linear_hat" || n_basis >= 1, "NBEATS: the linear_hat basis needs n_basis >= 1");
    }
    std::vector<double> freq = {0.0};  // numpy: append(0, arange(H, H / 2 * h) / H)
    if (has_season) {
      ND_CHECK(H >= 1, "NBEATS: n_harmonics must be >= 1, got ", H);
      const double stop = static_cast<double>(H) / 2.0 * static_cast<double>(h);
      for (double f = static_cast<double>(H); f < stop; f += 1.0) freq.push_back(f / static_cast<double>(H));
    }
    const bool shared = getb("shared_weights");
    int64_t global = 0;
    for (size_t i = 0; i < types.size(); ++i) {
      ND_CHECK(n_blocks[i] >= 0, "NBEATS: n_blocks must be >= 0, got ", n_blocks[i]);
      for (int64_t b = 0; b < n_blocks[i]; ++b, ++global) {
        if (shared && b > 0) {  // the stack's blocks are one module (blocks.<first> in the state_dict)
          order_.push_back(order_.back());
          continue;
        }
        auto blk = std::make_unique<Block>();
        blk->kind = types[i];
        int64_t n_theta = L + Q * h;
        if (blk->kind == "trend") {
          blk->P = n_basis + 1;
          blk->back = trend_basis(basis, L, blk->P);
          blk->fore = trend_basis(basis, h, blk->P);
          n_theta = (Q + 1) * blk->P;
        } else if (blk->kind == "seasonality") {
          blk->P = 2 * static_cast<int64_t>(freq.size());
          blk->back = seasonal_basis(freq, L, h, -1.0);
          blk->fore = seasonal_basis(freq, h, h, 1.0);
          n_theta = (Q + 1) * blk->P;
        }
        const std::string name = "blocks." + std::to_string(global) + ".layers.";
        // Linear(L, units[0][0]) without activation, [Linear, activation] per pair, Linear -> theta.
        int64_t idx = 0;
        blk->lin.push_back(std::make_unique<nn::Linear>(store_, name + std::to_string(idx++), L, units[0][0]));
        for (size_t j = 0; j < units.size(); ++j) {
          blk->lin.push_back(
              std::make_unique<nn::Linear>(store_, name + std::to_string(idx++), units[j][0], units[j][1]));
          if (j == 0)  // one activation module per block (a PReLU slope shared by its layers)
            blk->act = std::make_unique<NFActivation>(store_, name + std::to_string(idx), "NBEATS", "activation",
                                                      gets("activation"), nf_block_activations());
          ++idx;
        }
        blk->lin.push_back(std::make_unique<nn::Linear>(store_, name + std::to_string(idx), units.back()[1], n_theta));
        order_.push_back(blk.get());
        blocks_.push_back(std::move(blk));
      }
    }
    ND_CHECK(!blocks_.empty(), "NBEATS: n_blocks adds up to no block at all");
    for (int64_t t = L - 1; t >= 0; --t) flip_.push_back(t);
  }

  Var forward(const WindowBatch& w) override {
    const int64_t L = input_size(), h = this->h(), Q = n_outputs(), B = w.B;
    Graph& g = w.insample_y.graph();
    Var residuals = ops::gather(w.insample_y, 1, flip_), mask = ops::gather(w.insample_mask, 1, flip_);
    Var forecast = ops::reshape(ops::slice(w.insample_y, 1, L - 1, L), Shape{B, 1, 1});  // naive level
    for (Block* blk : order_) {
      Var x = blk->lin[0]->forward(residuals);
      for (size_t j = 1; j + 1 < blk->lin.size(); ++j) x = blk->act->forward(blk->lin[j]->forward(x));
      Var theta = blk->lin.back()->forward(x);
      Var backcast, f;
      if (blk->kind == "identity") {
        backcast = ops::slice(theta, 1, 0, L);
        f = ops::reshape(ops::slice(theta, 1, L, L + Q * h), Shape{B, h, Q});
      } else {  // einsum("bp,pt->bt") and einsum("bpq,pt->btq") with the fixed bases
        const int64_t P = blk->P;
        Var bb = g.input(Tensor(blk->back.data(), Shape{P, L})), fb = g.input(Tensor(blk->fore.data(), Shape{P, h}));
        backcast = ops::matmul(ops::slice(theta, 1, 0, P), bb);
        Var ft = ops::permute(ops::reshape(ops::slice(theta, 1, P, P + P * Q), Shape{B, P, Q}), {0, 2, 1});
        f = ops::permute(ops::matmul(ft, fb), {0, 2, 1});  // [B, Q, h] -> [B, h, Q]
      }
      residuals = ops::mul(ops::sub(residuals, backcast), mask);
      forecast = ops::add(forecast, f);
    }
    return forecast;
  }

 private:
  struct Block {
    std::string kind;
    std::vector<std::unique_ptr<nn::Linear>> lin;
    std::unique_ptr<NFActivation> act;
    int64_t P = 0;
    std::vector<float> back, fore;  // [P, L] and [P, h] basis matrices (trend / seasonality)
  };
  std::vector<std::unique_ptr<Block>> blocks_;
  std::vector<Block*> order_;  // blocks in evaluation order (shared_weights repeats one)
  std::vector<int64_t> flip_;
};

}  // namespace

ModelInfo nbeats_info() {
  ModelInfo info;
  info.name = "NBEATS";
  info.description = "Doubly residual MLP stacks with generic / trend / seasonality bases (Oreshkin et al. 2020)";
  info.params = common_params({{"num_lr_decays", 3}});
  info.params.push_back({"n_harmonics", 2, "harmonic terms of the seasonality stacks"});
  info.params.push_back({"n_polynomials", nullptr, "deprecated and ignored (use n_basis and basis)"});
  info.params.push_back({"n_basis", 2, "degree of the trend basis (n_basis + 1 functions)"});
  info.params.push_back({"basis", "polynomial", "trend basis: legendre, polynomial, changepoint, piecewise_linear, "
                                                "linear_hat, spline, chebyshev"});
  info.params.push_back({"stack_types", json::array({"identity", "trend", "seasonality"}),
                         "stack types: identity, trend, seasonality"});
  info.params.push_back({"n_blocks", json::array({1, 1, 1}), "blocks per stack"});
  info.params.push_back({"mlp_units", json::array({json::array({512, 512}), json::array({512, 512}),
                                                   json::array({512, 512})}),
                         "[in, out] units of each hidden layer of every block's MLP"});
  info.params.push_back({"dropout_prob_theta", 0.0, "must be 0 (NeuralForecast's NBEATS has no dropout)"});
  info.params.push_back({"activation", "ReLU", "ReLU, Softplus, Tanh, SELU, LeakyReLU, PReLU or Sigmoid"});
  info.params.push_back({"shared_weights", false, "the blocks of a stack share one set of weights"});
  info.create = [](const json& cfg) { return std::make_unique<NBEATSModel>(cfg); };
  return info;
}

}  // namespace nd::models
