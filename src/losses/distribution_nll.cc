// Loss::nll: the weighted mean negative log-likelihood of a distribution loss as one op. Values and
// gradients per element come from distribution.cc; mixtures combine their components here, with
// NeuralForecast's batch / horizon correlation (component log-likelihoods summed over windows or
// steps before the log-sum-exp over components, as GMM / PMM do for HINT).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "nd/core/error.h"
#include "losses/distribution_internal.h"
#include "ops/op_util.h"

namespace nd::losses {

namespace {

// Node: in[0] = raw outputs; saved[0] = d loss / d raw (already divided by the total weight).
void nll_backward(Graph& g, const Node& n) {
  const float gl = g.grad_or_null(n.out[0])[0];
  if (gl == 0.0f) return;
  const Tensor& d = n.saved[0];
  float* gy = g.grad_accum(n.in[0]);
  const int64_t cnt = d.numel();
  for (int64_t k = 0; k < cnt; ++k) gy[k] += gl * d.data[k];
}

// Sums v[e * K + k] over the elements of each correlation group and writes the sums back to every
// member: groups join the steps of a row (horizon) and / or the windows of a series (batch).
void group_sum(std::vector<double>& v, int64_t R, int64_t h, int64_t N, int64_t K, bool horizon, bool batch) {
  if (horizon)
    for (int64_t r = 0; r < R; ++r)
      for (int64_t k = 0; k < K; ++k) {
        double s = 0.0;
        for (int64_t t = 0; t < h; ++t) s += v[(r * h + t) * K + k];
        for (int64_t t = 0; t < h; ++t) v[(r * h + t) * K + k] = s;
      }
  if (batch)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t t = 0; t < h; ++t)
        for (int64_t k = 0; k < K; ++k) {
          double s = 0.0;
          for (int64_t r = n; r < R; r += N) s += v[(r * h + t) * K + k];
          for (int64_t r = n; r < R; r += N) v[(r * h + t) * K + k] = s;
        }
}

}  // namespace

Var Loss::nll(Var raw, const Tensor& y, const Tensor& mask, const float* loc, const float* scale,
              int64_t series_per_window) const {
  ND_CHECK(is_distribution(), name(), " is not a distribution loss");
  ND_CHECK(y.defined() && y.rank() == 2 && y.is_contiguous(), name(), ": targets must be [rows, h], got ",
           y.shape.str());
  const int64_t R = y.shape[0], h = y.shape[1], P = outsize_, cnt = R * h;
  ND_CHECK(raw.numel() == cnt * P, name(), ": output shape ", raw.shape().str(), " does not match targets ",
           y.shape.str(), " times ", P, " distribution parameters");
  if (mask.defined())
    ND_CHECK(mask.shape == y.shape && mask.is_contiguous(), name(), ": mask shape ", mask.shape.str(),
             " differs from target shape ", y.shape.str());
  if (!horizon_weight_.empty())
    ND_CHECK(static_cast<int64_t>(horizon_weight_.size()) == h, name(), ": horizon_weight has ",
             horizon_weight_.size(), " entries but the horizon is ", h);
  const int64_t N = std::max<int64_t>(series_per_window, 1);
  ND_CHECK(R % N == 0, name(), ": ", R, " rows are not whole windows of ", N, " series");
  Graph& g = raw.graph();
  const float* x = raw.data();

  // Weights: mask times horizon weight (DistributionLoss; the mixtures weigh by the mask alone).
  std::vector<double> w(cnt), yv(cnt);
  double W = 0.0;
  std::string need;
  for (int64_t e = 0; e < cnt; ++e) {
    double we = mask.defined() ? mask.data[e] : 1.0;
    ND_CHECK(std::isfinite(we), name(), ": non-finite mask value ", we, " at flat index ", e);
    if (!horizon_weight_.empty() && distr_ < Distr::GMM) we *= horizon_weight_[e % h];
    w[e] = we;
    // An ignored entry may be NaN or outside the support: 0 then. Otherwise its value counts where
    // a mixture's correlation sums log-likelihoods over masked entries too, as NeuralForecast does.
    yv[e] = std::isfinite(y.data[e]) && distribution_support_violation(*this, y.data + e, 1) < 0 ? y.data[e] : 0.0;
    if (we != 0.0) {
      ND_CHECK(std::isfinite(y.data[e]), name(), ": non-finite target ", y.data[e], " at row ", e / h, ", step ",
               e % h, " where the mask is set");
      ND_CHECK(distribution_support_violation(*this, y.data + e, 1, &need) < 0, name(), ": the target ", y.data[e],
               " at row ", e / h, ", step ", e % h, " is outside the distribution's support (", need, ")");
    }
    W += we;
  }
  const double inv = W == 0.0 ? 0.0 : 1.0 / W;

  Arena& ar = g.arena();
  float* grad = ar.alloc(cnt * P);
  double total = 0.0;
  std::vector<double> ge(static_cast<size_t>(P));
  if (distr_ < Distr::GMM) {
    for (int64_t e = 0; e < cnt; ++e) {
      const int64_t r = e / h;
      const double l = detail::element_nll(*this, x + e * P, loc[r], scale[r], yv[e], ge.data());
      if (w[e] != 0.0) total += w[e] * l;
      for (int64_t p = 0; p < P; ++p) grad[e * P + p] = static_cast<float>(w[e] * inv * ge[p]);
    }
  } else {
    // Mixtures: component log-likelihoods lp [cnt, K] (summed over the correlation groups),
    // log weights lw, a = lp + lw; loss_e = -logsumexp_k a; gamma = softmax_k a.
    const int64_t K = n_components_, per = P / K;
    std::vector<double> lp(cnt * K), cg(cnt * K * 2), A(cnt * K);
    std::vector<detail::MixWeights> mw(static_cast<size_t>(cnt));
    for (int64_t e = 0; e < cnt; ++e) {
      const int64_t r = e / h;
      detail::mixture_weights(*this, x + e * P, &mw[e]);
      for (int64_t k = 0; k < K; ++k)
        lp[e * K + k] = detail::component_lp(*this, x + e * P, static_cast<int>(k), loc[r], scale[r], yv[e], &cg[(e * K + k) * 2]);
    }
    group_sum(lp, R, h, N, K, horizon_corr_, batch_corr_);
    for (int64_t e = 0; e < cnt; ++e) {
      double mx = -std::numeric_limits<double>::infinity(), s = 0.0;
      for (int64_t k = 0; k < K; ++k) mx = std::max(mx, lp[e * K + k] + mw[e].lw[k]);
      for (int64_t k = 0; k < K; ++k) s += std::exp(lp[e * K + k] + mw[e].lw[k] - mx);
      if (w[e] != 0.0) total += w[e] * -(mx + std::log(s));
      for (int64_t k = 0; k < K; ++k) A[e * K + k] = -w[e] * inv * std::exp(lp[e * K + k] + mw[e].lw[k] - mx) / s;
    }
    std::vector<double> dlp = A;  // d loss / d lp of each element: the group sums of A
    group_sum(dlp, R, h, N, K, horizon_corr_, batch_corr_);
    for (int64_t e = 0; e < cnt; ++e) {
      float* ge_out = grad + e * P;
      for (int64_t k = 0; k < K; ++k) {
        ge_out[k] = static_cast<float>(dlp[e * K + k] * cg[(e * K + k) * 2]);
        if (per - weighted_ >= 2) ge_out[K + k] = static_cast<float>(dlp[e * K + k] * cg[(e * K + k) * 2 + 1]);
      }
      if (weighted_) {  // through log_softmax(log(clamp(softmax(raw weights))))
        const detail::MixWeights& m = mw[e];
        double sg = 0.0, sh = 0.0;
        for (int64_t k = 0; k < K; ++k) sg += A[e * K + k];
        std::vector<double> H(K);
        for (int64_t k = 0; k < K; ++k) sh += (H[k] = (A[e * K + k] - m.pi[k] * sg) * (m.free[k] ? 1.0 : 0.0));
        for (int64_t k = 0; k < K; ++k) ge_out[(per - 1) * K + k] = static_cast<float>(H[k] - m.q[k] * sh);
      }
    }
  }
  Var out = ops::detail::make_out(g, Shape{}, {raw});
  out.data()[0] = static_cast<float>(total * inv);
  if (g.should_record({raw})) {
    Node& n = g.record(&nll_backward, {out}, {raw});
    n.saved[0] = Tensor(grad, Shape{cnt * P});
  }
  return out;
}

}  // namespace nd::losses
