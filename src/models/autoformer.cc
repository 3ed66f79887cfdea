// Autoformer (Wu et al. 2021, "Autoformer: Decomposition Transformers with Auto-Correlation for
// Long-Term Series Forecasting"), as NeuralForecast 3.3's models/autoformer.py: the decomposition
// encoder-decoder of decomp_transformer.h with the Auto-Correlation mechanism (§3.2) inside every
// AutoCorrelationLayer. Auto-Correlation finds period-based dependencies from the
// autocorrelation of queries and keys, computed with real FFTs (Wiener-Khinchin:
// irfft(rfft(q) * conj(rfft(k)))), averaged over heads and channels; the top
// k = int(factor * ln L) delays are softmax-weighted and the values rolled by those delays summed.
// As in NF, training mode picks the delays from the batch-averaged correlation (one set shared by
// the batch, time_delay_agg_training) and eval mode per sample (time_delay_agg_inference); the
// decoder self-attention's mask flag and the attention dropout are unused, as in NF. Like NF,
// irfft takes its default length, so for odd window lengths the correlation has L - 1 lags.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "models/decomp_transformer.h"
#include "nd/ops/activation.h"
#include "nd/ops/series.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/fft.h"
#include "nd/ops/reduce.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

// Indices of the k largest of v[0 .. n) in descending order (torch.topk, sorted).
std::vector<int64_t> top_k(const float* v, int64_t n, int64_t k) {
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int64_t a, int64_t b) {
    return v[a] > v[b] || (v[a] == v[b] && a < b);
  });
  idx.resize(static_cast<size_t>(k));
  return idx;
}

class AutoCorrelation : public InnerCorrelation {
 public:
  explicit AutoCorrelation(double factor) : factor_(factor) {}

  // q [B, L, C], k / v [B, S, C] -> [B, L, C]
  Var forward(Var q, Var k, Var v) override {
    const int64_t B = q.size(0), L = q.size(1), S = k.size(1);
    if (L > S) {  // zero-pad keys and values to the query length, or cut them to it
      k = ops::pad(k, 1, 0, L - S);
      v = ops::pad(v, 1, 0, L - S);
    } else if (L < S) {
      k = ops::slice(k, 1, 0, L);
      v = ops::slice(v, 1, 0, L);
    }
    // Period-based dependencies: corr = irfft(Q * conj(K)) over time, per channel, averaged over
    // heads and channels: [B, Lc].
    Var mean_value;
    if (L % 2 == 0) {  // the circular cross-correlation itself, without the spectra
      mean_value = ops::mean_autocorrelation(q, k);
    } else {  // NF's irfft without n returns L - 1 lags here: the FFT route reproduces that
      Var qf = ops::rfft(ops::permute(q, {0, 2, 1}));  // [B, C, m, 2]
      Var kf = ops::rfft(ops::permute(k, {0, 2, 1}));
      Var qr = ops::select(qf, 3, 0), qi = ops::select(qf, 3, 1);
      Var kr = ops::select(kf, 3, 0), ki = ops::select(kf, 3, 1);
      Var re = ops::add(ops::mul(qr, kr), ops::mul(qi, ki));
      Var im = ops::sub(ops::mul(qi, kr), ops::mul(qr, ki));
      mean_value = ops::mean(ops::irfft(ops::stack({re, im}, 3)), {1});
    }
    const int64_t Lc = mean_value.size(1);
    const int64_t K = static_cast<int64_t>(factor_ * std::log(static_cast<double>(L)));
    ND_CHECK(K <= Lc, "Autoformer: factor * ln(length) = ", K, " delays exceed the ", Lc,
             " correlation lags; lower factor");
    if (K <= 0) return ops::mul(v, 0.0f);
    std::vector<int64_t> delays(static_cast<size_t>(B * K)), flat(static_cast<size_t>(B * K));
    const float* mv = mean_value.data();
    if (training_) {  // time_delay_agg_training: delays of the batch-mean correlation
      std::vector<float> avg(static_cast<size_t>(Lc), 0.0f);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t j = 0; j < Lc; ++j) avg[j] += mv[b * Lc + j] / static_cast<float>(B);
      const std::vector<int64_t> top = top_k(avg.data(), Lc, K);
      for (int64_t b = 0; b < B; ++b) std::copy(top.begin(), top.end(), delays.begin() + b * K);
    } else {  // time_delay_agg_inference: per-sample delays
      for (int64_t b = 0; b < B; ++b) {
        const std::vector<int64_t> top = top_k(mv + b * Lc, Lc, K);
        std::copy(top.begin(), top.end(), delays.begin() + b * K);
      }
    }
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < K; ++i) flat[b * K + i] = b * Lc + delays[b * K + i];
    Var weights = ops::reshape(ops::gather(ops::reshape(mean_value, Shape{B * Lc}), 0, flat), Shape{B, K});
    return ops::time_delay_aggregate(v, ops::softmax(weights), delays);
  }

 private:
  double factor_;
};

class AutoformerModel : public DecompTransformer {
 public:
  explicit AutoformerModel(const json& cfg) : DecompTransformer("Autoformer", cfg) {
    factor_ = getf("factor");
    ND_CHECK(factor_ >= 0.0, "Autoformer: factor must be >= 0, got ", factor_);
    build();
  }

 protected:
  std::shared_ptr<InnerCorrelation> encoder_inner(int64_t) override { return make(); }
  std::shared_ptr<InnerCorrelation> decoder_self_inner(int64_t) override { return make(); }
  std::shared_ptr<InnerCorrelation> decoder_cross_inner(int64_t) override { return make(); }

 private:
  std::shared_ptr<InnerCorrelation> make() const { return std::make_shared<AutoCorrelation>(factor_); }
  double factor_ = 3.0;
};

}  // namespace

ModelInfo autoformer_info() {
  ModelInfo info;
  info.name = "Autoformer";
  info.description = "Decomposition encoder-decoder with FFT auto-correlation (Wu et al. 2021)";
  info.params = common_params({{"max_steps", 5000}, {"learning_rate", 1e-4}, {"inference_windows_batch_size", 1024}});
  std::vector<HParam> own = decomp_transformer_params(4);
  // NF's order: ..., hidden_size, dropout, factor, n_head, conv_hidden_size, ...
  own.insert(own.begin() + 3, {"factor", 3, "Auto-Correlation factor: int(factor * ln L) delays are aggregated"});
  info.params.insert(info.params.end(), own.begin(), own.end());
  info.futr_exog = true;
  info.create = [](const json& cfg) { return std::make_unique<AutoformerModel>(cfg); };
  return info;
}

}  // namespace nd::models
