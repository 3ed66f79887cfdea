// Loss construction (names, quantiles, output names) and the fused weighted-mean loss op.
#include "nd/losses/losses.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <numeric>
#include <sstream>

#include "nd/kernels/loss_kernels.h"
#include "ops/op_util.h"

namespace nd::losses {

namespace {

std::string fmt_level(double v) {
  // NeuralForecast writes levels as Python prints them: 80 -> "80", 80.5 -> "80.5",
  // np.round(100 - 200 q, 2) floats -> "80.0".
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string python_float(double v) {
  std::ostringstream os;
  os << v;
  std::string s = os.str();
  if (s.find('.') == std::string::npos && s.find('e') == std::string::npos) s += ".0";
  return s;
}

Loss Loss::MAE(std::vector<float> hw) {
  Loss l(Kind::MAE);
  l.horizon_weight_ = std::move(hw);
  return l;
}
Loss Loss::MSE(std::vector<float> hw) {
  Loss l(Kind::MSE);
  l.horizon_weight_ = std::move(hw);
  return l;
}
Loss Loss::RMSE(std::vector<float> hw) {
  Loss l(Kind::RMSE);
  l.horizon_weight_ = std::move(hw);
  return l;
}
Loss Loss::MAPE(std::vector<float> hw) {
  Loss l(Kind::MAPE);
  l.horizon_weight_ = std::move(hw);
  return l;
}
Loss Loss::SMAPE(std::vector<float> hw) {
  Loss l(Kind::SMAPE);
  l.horizon_weight_ = std::move(hw);
  return l;
}
Loss Loss::MASE(int seasonality, std::vector<float> hw) {
  ND_CHECK(seasonality >= 1, "MASE: seasonality must be >= 1, got ", seasonality);
  Loss l(Kind::MASE);
  l.seasonality_ = seasonality;
  l.horizon_weight_ = std::move(hw);
  return l;
}
Loss Loss::Huber(float delta, std::vector<float> hw) {
  ND_CHECK(delta > 0.0f, "HuberLoss: delta must be positive, got ", delta);
  Loss l(Kind::Huber);
  l.delta_ = delta;
  l.horizon_weight_ = std::move(hw);
  return l;
}
Loss Loss::Quantile(float q, std::vector<float> hw) {
  ND_CHECK(q > 0.0f && q < 1.0f, "QuantileLoss: q must be in (0, 1), got ", q);
  Loss l(Kind::Quantile);
  l.q_ = q;
  l.output_names_ = {"_ql" + python_float(q)};
  l.horizon_weight_ = std::move(hw);
  return l;
}

void Loss::set_quantiles(const char* who, std::vector<float> level, std::vector<float> quantiles, bool sort_quantiles) {
  quantiles_.clear();
  level_.clear();
  output_names_.clear();
  from_quantiles_ = !quantiles.empty();
  if (!quantiles.empty()) {  // quantiles_to_outputs: unique, in the given order (sorted first by DistributionLoss)
    if (sort_quantiles) std::sort(quantiles.begin(), quantiles.end());
    std::vector<float> uq;
    for (float q : quantiles) {
      ND_CHECK(q > 0.0f && q < 1.0f, who, ": quantiles must be in (0, 1), got ", q);
      if (std::find(uq.begin(), uq.end(), q) == uq.end()) uq.push_back(q);
    }
    for (float q : uq) {
      quantiles_.push_back(q);
      if (q < 0.5f)
        output_names_.push_back("-lo-" + python_float(std::round((100.0 - 200.0 * q) * 100.0) / 100.0));
      else if (q > 0.5f)
        output_names_.push_back("-hi-" + python_float(std::round((100.0 - 200.0 * (1.0 - q)) * 100.0) / 100.0));
      else
        output_names_.push_back("-median");
    }
    return;
  }
  // level_to_outputs: the median, then both bounds of every level by ascending quantile.
  ND_CHECK(!level.empty(), who, ": level and quantiles are both empty");
  std::vector<float> ul;
  for (float v : level) {
    ND_CHECK(v > 0.0f && v < 100.0f, who, ": levels must be in (0, 100), got ", v);
    if (std::find(ul.begin(), ul.end(), v) == ul.end()) ul.push_back(v);
  }
  level_ = ul;
  std::vector<std::pair<float, std::string>> qs;
  for (float v : ul) {
    qs.push_back({(50.0f - v / 2.0f) / 100.0f, "-lo-" + fmt_level(v)});
    qs.push_back({(50.0f + v / 2.0f) / 100.0f, "-hi-" + fmt_level(v)});
  }
  std::stable_sort(qs.begin(), qs.end(), [](auto& a, auto& b) { return a.first < b.first; });
  quantiles_.push_back(0.5f);
  output_names_.push_back("-median");
  for (auto& [q, n] : qs) {
    quantiles_.push_back(q);
    output_names_.push_back(n);
  }
}

Loss Loss::MQ(std::vector<float> level, std::vector<float> quantiles, std::vector<float> hw) {
  Loss l(Kind::MQ);
  l.horizon_weight_ = std::move(hw);
  l.set_quantiles("MQLoss", std::move(level), std::move(quantiles), false);
  l.outsize_ = static_cast<int>(l.quantiles_.size());
  return l;
}

Loss Loss::Distribution(const std::string& distribution, std::vector<float> level, std::vector<float> quantiles,
                        int num_samples, bool return_params, std::vector<float> hw, float rho) {
  static const std::pair<const char*, Distr> kNames[] = {
      {"Normal", Distr::Normal},     {"StudentT", Distr::StudentT}, {"Poisson", Distr::Poisson},
      {"NegativeBinomial", Distr::NegativeBinomial}, {"Tweedie", Distr::Tweedie}, {"Bernoulli", Distr::Bernoulli}};
  Loss l(Kind::Distribution);
  bool found = false;
  for (const auto& [n, d] : kNames)
    if (distribution == n) l.distr_ = d, found = true;
  ND_CHECK(distribution != "ISQF", "DistributionLoss: distribution 'ISQF' is not supported yet");
  ND_CHECK(found, "DistributionLoss: distribution '", distribution,
           "' not available; expected one of Normal, StudentT, Poisson, NegativeBinomial, Tweedie, Bernoulli");
  ND_CHECK(num_samples >= 1, "DistributionLoss: num_samples must be >= 1, got ", num_samples);
  l.horizon_weight_ = std::move(hw);
  l.set_quantiles("DistributionLoss", std::move(level), std::move(quantiles), true);
  l.num_samples_ = num_samples;
  l.return_params_ = return_params;
  switch (l.distr_) {
    case Distr::Normal: l.param_names_ = {"-loc", "-scale"}; break;
    case Distr::StudentT: l.param_names_ = {"-df", "-loc", "-scale"}; break;
    case Distr::Poisson: l.param_names_ = {"-loc"}; break;
    case Distr::NegativeBinomial: l.param_names_ = {"-total_count", "-logits"}; break;
    case Distr::Bernoulli: l.param_names_ = {"-logits"}; break;
    case Distr::Tweedie: l.param_names_ = {"-log_mu"}; break;
    default: break;
  }
  if (l.distr_ == Distr::Tweedie) {
    ND_CHECK(rho > 1.0f && rho < 2.0f, "DistributionLoss(distribution='Tweedie') needs rho in (1, 2), got ", rho);
    ND_CHECK(!return_params, "DistributionLoss: Tweedie does not support return_params=True");
    l.rho_ = rho;
  } else {
    ND_CHECK(rho == 0.0f, "DistributionLoss: rho is an argument of the Tweedie distribution only");
  }
  l.outsize_ = static_cast<int>(l.param_names_.size());
  if (return_params) l.output_names_.insert(l.output_names_.end(), l.param_names_.begin(), l.param_names_.end());
  l.output_names_.insert(l.output_names_.begin(), "");  // the sample mean
  return l;
}

Loss Loss::Mixture(Distr d, int n_components, std::vector<float> level, std::vector<float> quantiles, int num_samples,
                   bool return_params, bool weighted, bool batch_correlation, bool horizon_correlation) {
  ND_CHECK(d == Distr::GMM || d == Distr::PMM || d == Distr::NBMM, "Loss::Mixture: not a mixture");
  Loss l(Kind::Distribution);
  l.distr_ = d;
  const char* who = d == Distr::GMM ? "GMM" : d == Distr::PMM ? "PMM" : "NBMM";
  ND_CHECK(n_components >= 1, who, ": n_components must be >= 1, got ", n_components);
  ND_CHECK(num_samples >= 1, who, ": num_samples must be >= 1, got ", num_samples);
  ND_CHECK(d != Distr::NBMM || (!batch_correlation && !horizon_correlation),
           "NBMM has no batch_correlation / horizon_correlation");
  l.set_quantiles(who, std::move(level), std::move(quantiles), false);
  l.n_components_ = n_components;
  l.num_samples_ = num_samples;
  l.return_params_ = return_params;
  l.weighted_ = weighted;
  l.batch_corr_ = batch_correlation;
  l.horizon_corr_ = horizon_correlation;
  // Parameter names interleave the components' parameters: -mu-1, -std-1, (-weight-1), -mu-2, ...
  std::vector<const char*> kinds = d == Distr::GMM    ? std::vector<const char*>{"-mu-", "-std-"}
                                   : d == Distr::PMM  ? std::vector<const char*>{"-lambda-"}
                                                      : std::vector<const char*>{"-total_count-", "-probs-"};
  if (weighted) kinds.push_back("-weight-");
  for (int k = 1; k <= n_components; ++k)
    for (const char* n : kinds) l.param_names_.push_back(n + std::to_string(k));
  l.outsize_ = static_cast<int>(kinds.size()) * n_components;
  if (return_params) l.output_names_.insert(l.output_names_.end(), l.param_names_.begin(), l.param_names_.end());
  l.output_names_.insert(l.output_names_.begin(), "");
  return l;
}

Loss Loss::by_name(const std::string& name) {
  const std::string n = lower(name);
  if (n == "mae") return MAE();
  if (n == "mse") return MSE();
  if (n == "rmse") return RMSE();
  if (n == "mape") return MAPE();
  if (n == "smape") return SMAPE();
  if (n == "huberloss" || n == "huber") return Huber();
  if (n == "mqloss" || n == "mq") return MQ();
  if (n == "quantileloss" || n == "quantile") return Quantile(0.5f);
  if (n == "gmm") return Mixture(Distr::GMM, 1);
  if (n == "pmm") return Mixture(Distr::PMM, 10);
  if (n == "nbmm") return Mixture(Distr::NBMM, 1);
  if (n == "hubermqloss") return HuberMQ();
  if (n == "tukeyloss") return Tukey();
  if (n == "relmse") return RelMSE();
  if (n == "scrps") return SCRPS();
  if (n == "accuracy") return Accuracy();
  ND_CHECK(n != "huberqloss", "HuberQLoss needs q, e.g. {\"name\": \"HuberQLoss\", \"q\": 0.5}");
  ND_CHECK(n != "distributionloss", "DistributionLoss needs a distribution, e.g. {\"name\": \"DistributionLoss\", "
           "\"distribution\": \"Normal\"}");
  ND_THROW("unknown loss '", name,
           "'; expected one of MAE, MSE, RMSE, MAPE, SMAPE, MASE, HuberLoss, QuantileLoss, MQLoss, HuberQLoss, "
           "HuberMQLoss, TukeyLoss, relMSE, sCRPS, Accuracy, DistributionLoss, GMM, PMM, NBMM");
}

const char* Loss::name() const {
  switch (kind_) {
    case Kind::MAE: return "MAE";
    case Kind::MSE: return "MSE";
    case Kind::RMSE: return "RMSE";
    case Kind::MAPE: return "MAPE";
    case Kind::SMAPE: return "SMAPE";
    case Kind::MASE: return "MASE";
    case Kind::Huber: return "HuberLoss";
    case Kind::Quantile: return "QuantileLoss";
    case Kind::MQ: return "MQLoss";
    case Kind::HuberQ: return "HuberQLoss";
    case Kind::HuberMQ: return "HuberMQLoss";
    case Kind::Tukey: return "TukeyLoss";
    case Kind::RelMSE: return "relMSE";
    case Kind::SCRPS: return "sCRPS";
    case Kind::Accuracy: return "Accuracy";
    case Kind::Distribution:
      return distr_ == Distr::GMM ? "GMM" : distr_ == Distr::PMM ? "PMM" : distr_ == Distr::NBMM ? "NBMM" : "DistributionLoss";
  }
  return "?";
}

// ---- the op ------------------------------------------------------------------------------------
namespace {

kernels::PointLoss point_kind(Kind k) {
  switch (k) {
    case Kind::MSE:
    case Kind::RMSE: return kernels::PointLoss::mse;
    case Kind::MAPE: return kernels::PointLoss::mape;
    case Kind::SMAPE: return kernels::PointLoss::smape;
    case Kind::Huber: return kernels::PointLoss::huber;
    default: return kernels::PointLoss::mae;
  }
}

// Node: in[0] = y_hat; saved[0] = y [n], saved[1] = w [n]; f: [0] scale (d loss / d sum),
// [1] delta, [2] q (Quantile); i: [0] kind, [1] n, [2] nq; ctx: quantiles (MQ).
void loss_backward(Graph& g, const Node& n) {
  const float gl = g.grad_or_null(n.out[0])[0];
  const auto kind = static_cast<Kind>(n.i[0]);
  const int64_t cnt = n.i[1], nq = n.i[2];
  const float* y = n.saved[0].data;
  const float* w = n.saved[1].data;
  const float* yhat = g.value(n.in[0]).data;
  float* gy = g.grad_accum(n.in[0]);
  const float s = gl * n.f[0];
  if (s == 0.0f) return;
  if (kind == Kind::MQ)
    kernels::quantile_loss_grad(y, yhat, w, static_cast<const float*>(n.ctx), cnt, nq, s, gy);
  else if (kind == Kind::Quantile)
    kernels::quantile_loss_grad(y, yhat, w, &n.f[2], cnt, 1, s, gy);
  else
    kernels::point_loss_grad(point_kind(kind), y, yhat, w, cnt, n.f[1], s, gy);
}

}  // namespace

Var Loss::operator()(Var y_hat, const Tensor& y, const Tensor& mask, const Tensor& y_insample,
                     int64_t series_per_window) const {
  ND_CHECK(!is_distribution(), name(), " is a distribution loss: call nll() with the window scales");
  ND_CHECK(kind_ != Kind::RelMSE, "relMSE needs a benchmark forecast: use losses::relmse()");
  Graph& g = y_hat.graph();
  ND_CHECK(y.defined() && y.rank() >= 1, name(), ": target y is empty");
  ND_CHECK(y.is_contiguous(), name(), ": target y must be contiguous");
  const int64_t cnt = y.numel();
  const int64_t nq = is_multi_quantile() || kind_ == Kind::SCRPS ? static_cast<int64_t>(quantiles_.size()) : 1;
  ND_CHECK(y_hat.numel() == cnt * nq, name(), ": prediction shape ", y_hat.shape().str(), " does not match target ",
           y.shape.str(), nq > 1 ? " times " : "", nq > 1 ? std::to_string(nq) + " quantiles" : std::string());
  if (mask.defined())
    ND_CHECK(mask.shape == y.shape && mask.is_contiguous(), name(), ": mask shape ", mask.shape.str(),
             " differs from target shape ", y.shape.str());
  const int64_t H = y.rank() >= 2 ? y.shape[1] : y.shape[0];
  const int64_t inner = y.rank() >= 2 ? cnt / (y.shape[0] * H) : 1;
  if (!horizon_weight_.empty())
    ND_CHECK(static_cast<int64_t>(horizon_weight_.size()) == H, name(), ": horizon_weight has ",
             horizon_weight_.size(), " entries but the horizon is ", H);

  // Combined weights, with a finiteness check at weighted entries.
  Arena& ar = g.arena();
  float* w = ar.alloc(cnt);
  float* ys = ar.alloc(cnt);
  const float* yh = y_hat.data();
  double wsum = 0.0;
  for (int64_t k = 0; k < cnt; ++k) {
    float wk = mask.defined() ? mask.data[k] : 1.0f;
    ND_CHECK(std::isfinite(wk), name(), ": non-finite mask value ", wk, " at flat index ", k);
    if (!horizon_weight_.empty()) wk *= horizon_weight_[(k / inner) % H];
    w[k] = wk;
    ys[k] = y.data[k];
    if (wk != 0.0f) {
      ND_CHECK(std::isfinite(y.data[k]), name(), ": non-finite target ", y.data[k], " at flat index ", k,
               " (shape ", y.shape.str(), ") where the mask is set");
      for (int64_t j = 0; j < nq; ++j)
        ND_CHECK(std::isfinite(yh[k * nq + j]), name(), ": non-finite prediction ", yh[k * nq + j],
                 " at flat index ", k * nq + j, " (shape ", y_hat.shape().str(), ")");
    } else {
      ys[k] = 0.0f;  // ignored entry: keep NaN out of the kernels (weight 0 still multiplies)
    }
    wsum += wk;
  }
  if (kind_ == Kind::MASE) {
    ND_CHECK(y_insample.defined() && y_insample.rank() == 2 && y_insample.shape[0] == y.shape[0], name(),
             ": needs y_insample [batch, input_size] matching the batch of y ", y.shape.str());
    const int64_t B = y.shape[0], L = y_insample.shape[1], per = cnt / B;
    ND_CHECK(L > seasonality_, name(), ": y_insample length ", L, " must exceed the seasonality ", seasonality_);
    for (int64_t b = 0; b < B; ++b) {
      double acc = 0.0;
      const float* r = y_insample.data + b * L;
      for (int64_t t = seasonality_; t < L; ++t) acc += std::fabs(r[t] - r[t - seasonality_]);
      const double scale = acc / static_cast<double>(L - seasonality_);
      for (int64_t k = b * per; k < (b + 1) * per; ++k) w[k] = scale == 0.0 ? 0.0f : static_cast<float>(w[k] / scale);
    }
  }
  if (kind_ >= Kind::HuberQ)
    return robust_loss(*this, y_hat, ys, y.data, w, mask.defined() ? mask.data : nullptr, cnt, nq, wsum, y.shape,
                       series_per_window);
  // NeuralForecast's MQLoss: sum_iq w_i l_iq / sum_i w_i. (Its code multiplies by
  // 1 / len(quantiles) after reshaping quantiles to [1, 1, 1, Q], so that factor is 1, and the
  // weights keep shape [B, h, N, 1], so the denominator is not multiplied by Q.)
  const double denom = wsum;
  double total;
  if (kind_ == Kind::MQ)
    total = kernels::quantile_loss_sum(ys, yh, w, quantiles_.data(), cnt, nq);
  else if (kind_ == Kind::Quantile)
    total = kernels::quantile_loss_sum(ys, yh, w, &q_, cnt, 1);
  else
    total = kernels::point_loss_sum(point_kind(kind_), ys, yh, w, cnt, delta_);
  double value = denom == 0.0 ? 0.0 : total / denom;
  double dscale = denom == 0.0 ? 0.0 : 1.0 / denom;  // d value / d total
  if (kind_ == Kind::SMAPE) {
    value *= 2.0;
    dscale *= 2.0;
  }
  if (kind_ == Kind::RMSE) {
    const double r = std::sqrt(value);
    dscale = r > 0.0 ? dscale * 0.5 / r : 0.0;
    value = r;
  }
  Var out = ops::detail::make_out(g, Shape{}, {y_hat});
  out.data()[0] = static_cast<float>(value);
  if (g.should_record({y_hat})) {
    Node& n = g.record(&loss_backward, {out}, {y_hat});
    n.saved[0] = Tensor(ys, y.shape);
    n.saved[1] = Tensor(w, y.shape);
    n.f[0] = static_cast<float>(dscale);
    n.f[1] = delta_;
    n.f[2] = q_;
    n.i[0] = static_cast<int64_t>(kind_);
    n.i[1] = cnt;
    n.i[2] = nq;
    if (nq > 1 || kind_ == Kind::MQ) {  // the Loss object may not outlive the graph: copy
      float* qc = ar.alloc(nq);
      std::memcpy(qc, quantiles_.data(), sizeof(float) * nq);
      n.ctx = qc;
    }
  }
  return out;
}

}  // namespace nd::losses
