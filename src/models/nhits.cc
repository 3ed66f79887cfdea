// NHITS (Challu et al. 2023, "N-HiTS: Neural Hierarchical Interpolation for Time Series
// Forecasting"), as NeuralForecast's NHITS. Stacks of MLP blocks with doubly residual links
// (N-BEATS, Oreshkin et al. 2020): each block max/avg-pools its input (multi-rate sampling, §3.1),
// predicts a backcast of the input window and a few forecast "knots" (expressiveness ratio
// n_freq_downsample), and interpolates the knots to the horizon (hierarchical interpolation, §3.2).
// The next block sees the input minus the backcast; the forecast is the last input value (a
// naive level) plus the sum of the block forecasts.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "models/models_internal.h"
#include "nd/nn/layers.h"
#include "nd/ops/conv.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

class NHITSModel : public Model {
 public:
  explicit NHITSModel(const json& cfg) : Model("NHITS", cfg) {
    const int64_t L = input_size(), h = this->h(), Q = n_outputs();
    const std::vector<std::string> types = getsv("stack_types");
    const std::vector<int64_t> n_blocks = getiv("n_blocks"), pools = getiv("n_pool_kernel_size"),
                               freqs = getiv("n_freq_downsample");
    ND_CHECK(!types.empty() && n_blocks.size() == types.size() && pools.size() == types.size() &&
                 freqs.size() == types.size(),
             "NHITS: stack_types, n_blocks, n_pool_kernel_size and n_freq_downsample must have the same length (got ",
             types.size(), ", ", n_blocks.size(), ", ", pools.size(), ", ", freqs.size(), ")");
    const auto units = config()["mlp_units"].get<std::vector<std::vector<int64_t>>>();
    ND_CHECK(!units.empty(), "NHITS: mlp_units must not be empty");
    for (size_t j = 0; j < units.size(); ++j)
      ND_CHECK(units[j].size() == 2 && units[j][0] >= 1 && units[j][1] >= 1 &&
                   units[j][0] == (j == 0 ? units[0][0] : units[j - 1][1]),
               "NHITS: mlp_units must be [in, out] pairs of positive sizes that chain (each in = the previous out), "
               "got ", config()["mlp_units"].dump());
    pool_max_ = gets("pooling_mode") == "MaxPool1d";
    ND_CHECK(pool_max_ || gets("pooling_mode") == "AvgPool1d", "NHITS: pooling_mode must be 'MaxPool1d' or "
             "'AvgPool1d', got '", gets("pooling_mode"), "'");
    const std::string interp = gets("interpolation_mode");
    nearest_ = interp == "nearest";
    ND_CHECK(nearest_ || interp == "linear", "NHITS: interpolation_mode '", interp,
             "' is not supported; use 'linear' or 'nearest' (the cubic modes are not implemented)");
    const double drop = getf("dropout_prob_theta");
    ND_CHECK(drop >= 0.0 && drop < 1.0, "NHITS: dropout_prob_theta must be in [0, 1), got ", drop);
    const int64_t F = static_cast<int64_t>(futr_exog_list().size());
    const int64_t X = static_cast<int64_t>(hist_exog_list().size()), S = static_cast<int64_t>(stat_exog_list().size());
    const uint64_t seed = static_cast<uint64_t>(geti("random_seed"));
    for (size_t i = 0; i < types.size(); ++i) {
      ND_CHECK(types[i] == "identity", "NHITS: stack type '", types[i], "' not found (NHITS stacks are 'identity')");
      ND_CHECK(n_blocks[i] >= 0 && pools[i] >= 1 && freqs[i] >= 1, "NHITS: n_blocks must be >= 0 and "
               "n_pool_kernel_size, n_freq_downsample >= 1, got ", n_blocks[i], ", ", pools[i], ", ", freqs[i]);
      for (int64_t b = 0; b < n_blocks[i]; ++b) {
        auto blk = std::make_unique<Block>();
        const std::string name = "blocks." + std::to_string(blocks_.size());
        blk->pool = pools[i];
        blk->knots = std::max<int64_t>(h / freqs[i], 1);
        const int64_t ph = ceil_div(L, pools[i]), pf = ceil_div(L + h, pools[i]);
        const int64_t in = ph + X * ph + F * pf + S;
        // NeuralForecast's block MLP: Linear(in, units[0][0]) with no activation after it, then
        // [Linear, activation, (Dropout)] per pair of mlp_units, then Linear to the n_theta
        // coefficients; names follow the torch.nn.Sequential indices.
        int64_t idx = 0;
        auto lname = [&](int64_t k) { return name + ".layers." + std::to_string(k); };
        blk->lin.push_back(std::make_unique<nn::Linear>(store_, lname(idx++), in, units[0][0]));
        for (size_t j = 0; j < units.size(); ++j) {
          blk->lin.push_back(std::make_unique<nn::Linear>(store_, lname(idx++), units[j][0], units[j][1]));
          // One activation module per block, shared by its layers (a PReLU slope is declared
          // once, under its first index).
          if (j == 0)
            blk->act = std::make_unique<NFActivation>(store_, lname(idx), "NHITS", "activation", gets("activation"),
                                                      nf_block_activations());
          ++idx;
          if (drop > 0.0) {
            blk->drop.push_back(std::make_unique<nn::Dropout>(store_, lname(idx++), static_cast<float>(drop),
                                                              seed * 1000003u + blocks_.size() * 101u + j));
          }
        }
        blk->lin.push_back(std::make_unique<nn::Linear>(store_, lname(idx), units.back()[1], L + Q * blk->knots));
        if (nearest_) {  // torch's nearest: src = min(floor(dst * (in / out)), in - 1), in float
          const float scale = static_cast<float>(blk->knots) / static_cast<float>(h);
          for (int64_t t = 0; t < h; ++t)
            blk->nearest_idx.push_back(blk->knots == h ? t
                                       : h == 2 * blk->knots
                                           ? t >> 1
                                           : std::min(static_cast<int64_t>(std::floor(static_cast<float>(t) * scale)),
                                                      blk->knots - 1));
        }
        blocks_.push_back(std::move(blk));
      }
    }
    ND_CHECK(!blocks_.empty(), "NHITS: n_blocks adds up to no block at all");
    for (int64_t t = L - 1; t >= 0; --t) flip_.push_back(t);
  }

  Var forward(const WindowBatch& w) override {
    const int64_t L = input_size(), h = this->h(), Q = n_outputs(), B = w.B;
    Var y = w.insample_y;
    if (getb("exclude_insample_y")) y = ops::mul(y, 0.0f);  // as BaseModel._parse_windows
    // Blocks work on the time-reversed window (NeuralForecast's convention; backcasts match it).
    Var residuals = ops::gather(y, 1, flip_), mask = ops::gather(w.insample_mask, 1, flip_);
    Var forecast = ops::reshape(ops::slice(y, 1, L - 1, L), Shape{B, 1, 1});  // level: the naive forecast
    for (auto& blk : blocks_) {
      std::vector<Var> in = {pool(residuals, blk->pool)};
      // Exogenous inputs are pooled over time like the target (channels last after pooling).
      if (w.hist_exog.defined()) in.push_back(ops::flatten(pool_time(w.hist_exog, blk->pool), 1));
      if (w.futr_exog.defined()) in.push_back(ops::flatten(pool_time(w.futr_exog, blk->pool), 1));
      if (w.stat_exog.defined()) in.push_back(w.stat_exog);
      Var x = in.size() == 1 ? in[0] : ops::concat(in, 1);
      x = blk->lin[0]->forward(x);
      for (size_t j = 1; j + 1 < blk->lin.size(); ++j) {
        x = blk->act->forward(blk->lin[j]->forward(x));
        if (!blk->drop.empty()) x = blk->drop[j - 1]->forward(x);
      }
      Var theta = blk->lin.back()->forward(x);  // [B, L + Q * knots]
      Var backcast = ops::slice(theta, 1, 0, L);
      Var knots = ops::reshape(ops::slice(theta, 1, L, L + Q * blk->knots), Shape{B, Q, blk->knots});
      Var f = nearest_ ? ops::gather(knots, 2, blk->nearest_idx) : ops::interpolate_linear(knots, h);  // [B, Q, h]
      residuals = ops::mul(ops::sub(residuals, backcast), mask);
      forecast = ops::add(forecast, ops::permute(f, {0, 2, 1}));  // [B, h, Q]
    }
    return forecast;
  }

  void set_training(bool on) override {
    for (auto& blk : blocks_)
      for (auto& d : blk->drop) d->train(on);
  }

 private:
  struct Block {
    std::vector<std::unique_ptr<nn::Linear>> lin;
    std::unique_ptr<NFActivation> act;
    std::vector<std::unique_ptr<nn::Dropout>> drop;
    int64_t pool = 1, knots = 1;
    std::vector<int64_t> nearest_idx;
  };

  // torch.nn.MaxPool1d / AvgPool1d(kernel, stride=kernel, ceil_mode=True) over the last axis.
  Var pool(Var x, int64_t k) const {
    if (k == 1) return x;
    return pool_max_ ? ops::max_pool1d(x, k, k, 0, true) : ops::avg_pool1d(x, k, k, 0, true);
  }
  // [B, T, C] pooled over T -> [B, ceil(T / k), C].
  Var pool_time(Var x, int64_t k) const {
    return ops::permute(pool(ops::permute(x, {0, 2, 1}), k), {0, 2, 1});
  }

  bool pool_max_ = true, nearest_ = false;
  std::vector<std::unique_ptr<Block>> blocks_;
  std::vector<int64_t> flip_;
};

}  // namespace

ModelInfo nhits_info() {
  ModelInfo info;
  info.name = "NHITS";
  info.description = "Hierarchical interpolation MLP stacks with multi-rate pooling (Challu et al. 2023)";
  info.params = common_params({{"num_lr_decays", 3}});
  info.params.push_back({"stack_types", json::array({"identity", "identity", "identity"}), "stack types (identity)"});
  info.params.push_back({"n_blocks", json::array({1, 1, 1}), "blocks per stack"});
  info.params.push_back({"mlp_units", json::array({json::array({512, 512}), json::array({512, 512}),
                                                   json::array({512, 512})}),
                         "[in, out] units of each hidden layer of every block's MLP"});
  info.params.push_back({"n_pool_kernel_size", json::array({2, 2, 1}), "input pooling kernel of each stack"});
  info.params.push_back({"n_freq_downsample", json::array({4, 2, 1}), "forecast knots = h / this, per stack"});
  info.params.push_back({"pooling_mode", "MaxPool1d", "input pooling: MaxPool1d or AvgPool1d"});
  info.params.push_back({"interpolation_mode", "linear", "knot interpolation: linear or nearest"});
  info.params.push_back({"dropout_prob_theta", 0.0, "dropout after each hidden activation of the block MLPs"});
  info.params.push_back({"activation", "ReLU", "ReLU, Softplus, Tanh, SELU, LeakyReLU, PReLU or Sigmoid"});
  info.futr_exog = info.hist_exog = info.stat_exog = true;
  info.create = [](const json& cfg) { return std::make_unique<NHITSModel>(cfg); };
  return info;
}

}  // namespace nd::models
