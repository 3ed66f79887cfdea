// FEDformer (Zhou et al. 2022, "FEDformer: Frequency Enhanced Decomposed Transformer for Long-term
// Series Forecasting"), as NeuralForecast 3.3's models/fedformer.py, version "Fourier": the
// decomposition encoder-decoder of decomp_transformer.h with frequency-enhanced blocks inside the
// AutoCorrelationLayers. FourierBlock (self-attention, §3.2): rfft over time, a learned complex
// [8, E, E] mixing per selected mode, output written to the lowest modes (as NF), irfft.
// FourierCrossAttention (§3.3): selected modes of queries and keys, complex q k^T activated by
// tanh (or softmax of the modulus), applied to the key modes, mixed by complex weights, scattered
// back to the query modes, / (in * out channels), irfft. As in NF, one block of each kind is
// shared by all layers of its stack (the weights live under layer 0's name), n_head must be 8,
// and the block output [B, H, E, L] is re-read as [B, L, H * E] without a transpose.
//
// Complex weights are stored as torch.view_as_real of NF's cfloat parameters: weights1 is
// [8, hidden / 8, hidden / 8, modes, 2] (neurodivergent.compat converts). Mode selection
// 'random' reproduces NF exactly: NF seeds NumPy's global generator with random_seed (BaseModel's
// seed_everything) and shuffles range(seq_len // 2) four times (encoder, decoder self, cross
// queries, cross keys); we replay that with MT19937 and NumPy's legacy bounded integers, so the
// modes are a function of the config and save -> load restores them. Any other mode_select picks
// the lowest modes, as NF. version='Wavelets' (NF 3.3 refuses it too) is rejected.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>

#include "models/decomp_transformer.h"
#include "nd/ops/activation.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/fft.h"
#include "nd/ops/linear.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

// numpy.random.RandomState's legacy random_interval(max): masked rejection on 32-bit draws.
uint32_t np_interval(std::mt19937& gen, uint32_t max) {
  if (max == 0) return 0;
  uint32_t mask = max;
  for (int s : {1, 2, 4, 8, 16}) mask |= mask >> s;
  uint32_t v;
  while ((v = static_cast<uint32_t>(gen()) & mask) > max) {
  }
  return v;
}

// NF's get_frequency_modes(seq_len, modes, mode_select_method), NumPy's generator replayed by `gen`.
std::vector<int64_t> frequency_modes(int64_t seq_len, int64_t modes, bool random, std::mt19937& gen) {
  const int64_t n = seq_len / 2;
  modes = std::min(modes, n);
  std::vector<int64_t> index(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) index[i] = i;
  if (random) {
    for (int64_t i = n - 1; i >= 1; --i) std::swap(index[i], index[np_interval(gen, static_cast<uint32_t>(i))]);
  }
  index.resize(static_cast<size_t>(std::max<int64_t>(modes, 0)));
  std::sort(index.begin(), index.end());
  return index;
}

struct Cx {
  Var re, im;  // im undefined = 0
};

// [..., 2] -> (re, im) along `axis` (the last).
Cx split(Var z) {
  const int a = z.rank() - 1;
  return {ops::select(z, a, 0), ops::select(z, a, 1)};
}
Var join(const Cx& z) {
  Var im = z.im.defined() ? z.im : ops::mul(z.re, 0.0f);
  return ops::stack({z.re, im}, z.re.rank());
}

// Complex batched product op(a) @ op(b) (no conjugation), as torch.einsum on cfloat tensors.
Cx cbmm(const Cx& a, const Cx& b, bool ta, bool tb) {
  Var rr = ops::bmm(a.re, b.re, ta, tb), ii = ops::bmm(a.im, b.im, ta, tb);
  Var ri = ops::bmm(a.re, b.im, ta, tb), ir = ops::bmm(a.im, b.re, ta, tb);
  return {ops::sub(rr, ii), ops::add(ri, ir)};
}

// einsum("bhex,heox->bhox"): X [B, H, E, M, 2], W [H, E, O, M, 2] -> [B, H, O, M, 2], as
// H * M matrix products [B, E] @ [E, O].
Var mode_mix(Var X, Var W) {
  const int64_t B = X.size(0), H = X.size(1), E = X.size(2), M = X.size(3), O = W.size(2);
  Cx x = split(ops::permute(X, {1, 3, 0, 2, 4}));  // [H, M, B, E]
  Cx w = split(ops::permute(W, {0, 3, 1, 2, 4}));  // [H, M, E, O]
  x = {ops::reshape(x.re, Shape{H * M, B, E}), ops::reshape(x.im, Shape{H * M, B, E})};
  w = {ops::reshape(w.re, Shape{H * M, E, O}), ops::reshape(w.im, Shape{H * M, E, O})};
  Var y = join(cbmm(x, w, false, false));  // [H * M, B, O, 2]
  return ops::permute(ops::reshape(y, Shape{H, M, B, O, 2}), {2, 0, 3, 1, 4});
}

// [B, L, H * E] -> the selected rfft modes of [B, H, E, L]: [B, H, E, M, 2].
Var select_modes(Var x, int64_t H, const std::vector<int64_t>& index) {
  const int64_t B = x.size(0), L = x.size(1), E = x.size(2) / H;
  ND_CHECK(index.empty() || index.back() <= L / 2, "FEDformer: frequency mode ", index.empty() ? 0 : index.back(),
           " is beyond the ", L / 2 + 1, " modes of a length-", L, " sequence (check decoder_input_size_multiplier)");
  return ops::reshape(ops::rfft_modes(x, index), Shape{B, H, E, static_cast<int64_t>(index.size()), 2});
}

class FourierBlock : public InnerCorrelation {
 public:
  FourierBlock(nn::ParameterStore& s, const std::string& name, int64_t d, std::vector<int64_t> index)
      : store_(s), index_(std::move(index)) {
    const float scale = 1.0f / static_cast<float>(d * d);
    w_ = s.add(name + ".weights1", Shape{8, d / 8, d / 8, static_cast<int64_t>(index_.size()), 2},
               nn::ParamInit{nn::ParamInit::uniform, 0.0f, scale});
  }
  Var forward(Var q, Var, Var) override {
    const int64_t B = q.size(0), L = q.size(1), H = 8, E = q.size(2) / H, M = static_cast<int64_t>(index_.size());
    Var y = mode_mix(select_modes(q, H, index_), store_.var(q.graph(), w_));  // [B, H, E, M, 2]
    std::vector<int64_t> freqs(static_cast<size_t>(M));  // NF writes mode i's output to frequency i
    std::iota(freqs.begin(), freqs.end(), 0);
    return ops::reshape(ops::irfft_modes(y, freqs, L), Shape{B, L, H * E});  // NF's view of [B, H, E, L]
  }

 private:
  nn::ParameterStore& store_;
  std::vector<int64_t> index_;
  nn::ParamRef w_;
};

class FourierCrossAttention : public InnerCorrelation {
 public:
  FourierCrossAttention(nn::ParameterStore& s, const std::string& name, int64_t d, std::vector<int64_t> index_q,
                        std::vector<int64_t> index_kv)
      : store_(s), d_(d), iq_(std::move(index_q)), ikv_(std::move(index_kv)) {
    const float scale = 1.0f / static_cast<float>(d * d);
    w_ = s.add(name + ".weights1", Shape{8, d / 8, d / 8, static_cast<int64_t>(iq_.size()), 2},
               nn::ParamInit{nn::ParamInit::uniform, 0.0f, scale});
  }
  Var forward(Var q, Var k, Var) override {
    const int64_t B = q.size(0), L = q.size(1), H = 8, E = q.size(2) / H;
    const int64_t Mq = static_cast<int64_t>(iq_.size()), Mk = static_cast<int64_t>(ikv_.size());
    auto flat = [&](Var z, int64_t M) {  // [B, H, E, M, 2] -> complex [B * H, E, M]
      Cx c = split(z);
      return Cx{ops::reshape(c.re, Shape{B * H, E, M}), ops::reshape(c.im, Shape{B * H, E, M})};
    };
    const Cx xq = flat(select_modes(q, H, iq_), Mq), xk = flat(select_modes(k, H, ikv_), Mk);
    Cx qk = cbmm(xq, xk, true, false);  // einsum("bhex,bhey->bhxy"): [B * H, Mq, Mk]
    // NF's activation is "tanh" (its constructor default; FEDformer does not change it).
    qk = split(ops::complex_tanh(join(qk)));
    Cx qkv = cbmm(xk, qk, false, true);  // einsum("bhxy,bhey->bhex"): [B * H, E, Mq]
    Var z = ops::reshape(join(qkv), Shape{B, H, E, Mq, 2});
    z = mode_mix(z, store_.var(q.graph(), w_));  // [B, H, E, Mq, 2]
    z = ops::mul(z, 1.0f / static_cast<float>(d_ * d_));
    return ops::reshape(ops::irfft_modes(z, iq_, L), Shape{B, L, H * E});  // mode i at frequency iq_[i]
  }

 private:
  nn::ParameterStore& store_;
  int64_t d_;
  std::vector<int64_t> iq_, ikv_;
  nn::ParamRef w_;
};

class FEDformerModel : public DecompTransformer {
 public:
  explicit FEDformerModel(const json& cfg) : DecompTransformer("FEDformer", cfg) {
    const std::string version = gets("version");
    ND_CHECK(version == "Fourier", "FEDformer: version='", version,
             "' is not supported; only version='Fourier' is implemented (NeuralForecast 3.3 also accepts only it)");
    ND_CHECK(heads_ == 8, "FEDformer: n_head must be 8 (NF's Fourier weights have 8 heads), got ", heads_);
    ND_CHECK(d_ % 8 == 0, "FEDformer: hidden_size must be divisible by 8 (n_head), got ", d_);
    const int64_t modes = geti("modes"), L = input_size(), Ld = L / 2 + h();
    ND_CHECK(modes >= 1, "FEDformer: modes must be >= 1, got ", modes);
    ND_CHECK(L / 2 >= 1, "FEDformer: input_size must be >= 2");
    const bool random = gets("mode_select") == "random";
    std::mt19937 gen(static_cast<uint32_t>(geti("random_seed")));  // np.random.seed(random_seed)
    enc_index_ = frequency_modes(L, modes, random, gen);
    dec_index_ = frequency_modes(Ld, modes, random, gen);
    cross_q_ = frequency_modes(Ld, modes, random, gen);
    cross_kv_ = frequency_modes(L, modes, random, gen);
    build();
  }

 protected:
  std::shared_ptr<InnerCorrelation> encoder_inner(int64_t) override {
    if (!enc_)
      enc_ = std::make_shared<FourierBlock>(store_, "encoder.attn_layers.0.attention.inner_correlation", d_,
                                            enc_index_);
    return enc_;
  }
  std::shared_ptr<InnerCorrelation> decoder_self_inner(int64_t) override {
    if (!dec_self_)
      dec_self_ = std::make_shared<FourierBlock>(store_, "decoder.layers.0.self_attention.inner_correlation", d_,
                                                 dec_index_);
    return dec_self_;
  }
  std::shared_ptr<InnerCorrelation> decoder_cross_inner(int64_t) override {
    if (!dec_cross_)
      dec_cross_ = std::make_shared<FourierCrossAttention>(
          store_, "decoder.layers.0.cross_attention.inner_correlation", d_, cross_q_, cross_kv_);
    return dec_cross_;
  }

 private:
  std::vector<int64_t> enc_index_, dec_index_, cross_q_, cross_kv_;
  std::shared_ptr<InnerCorrelation> enc_, dec_self_, dec_cross_;
};

}  // namespace

ModelInfo fedformer_info() {
  ModelInfo info;
  info.name = "FEDformer";
  info.description = "Decomposition encoder-decoder with Fourier-enhanced blocks (Zhou et al. 2022)";
  info.params = common_params({{"max_steps", 5000}, {"learning_rate", 1e-4}, {"inference_windows_batch_size", 1024}});
  std::vector<HParam> own = decomp_transformer_params(8);
  own.insert(own.begin() + 1, {{"version", "Fourier", "frequency basis: Fourier (Wavelets is not supported)"},
                               {"modes", 64, "frequency modes kept by each Fourier block"},
                               {"mode_select", "random", "mode selection: random (NF's seeded draw) or lowest"}});
  info.params.insert(info.params.end(), own.begin(), own.end());
  info.futr_exog = true;
  info.create = [](const json& cfg) { return std::make_unique<FEDformerModel>(cfg); };
  return info;
}

}  // namespace nd::models
