// NeuralForecast's other point and quantile losses: HuberQLoss, HuberMQLoss, TukeyLoss, relMSE,
// sCRPS and Accuracy (construction, the op with its gradient where NeuralForecast trains with it).
#include <cmath>
#include <cstring>

#include "nd/kernels/loss_kernels.h"
#include "nd/losses/losses.h"
#include "ops/op_util.h"

namespace nd::losses {

Loss Loss::HuberQ(float q, float delta, std::vector<float> hw) {
  ND_CHECK(q > 0.0f && q < 1.0f, "HuberQLoss: q must be in (0, 1), got ", q);
  ND_CHECK(delta > 0.0f, "HuberQLoss: delta must be positive, got ", delta);
  Loss l(Kind::HuberQ);
  l.q_ = q;
  l.delta_ = delta;
  l.output_names_ = {"_q" + python_float(q) + "_d" + python_float(delta)};
  l.horizon_weight_ = std::move(hw);
  return l;
}

Loss Loss::HuberMQ(std::vector<float> level, std::vector<float> quantiles, float delta, std::vector<float> hw) {
  ND_CHECK(delta > 0.0f, "HuberMQLoss: delta must be positive, got ", delta);
  Loss l(Kind::HuberMQ);
  l.delta_ = delta;
  l.horizon_weight_ = std::move(hw);
  l.set_quantiles("HuberMQLoss", std::move(level), std::move(quantiles), false);
  l.outsize_ = static_cast<int>(l.quantiles_.size());
  return l;
}

Loss Loss::Tukey(float c, bool normalize) {
  ND_CHECK(c > 0.0f, "TukeyLoss: c must be positive, got ", c);
  Loss l(Kind::Tukey);
  l.c_ = c;
  l.normalize_ = normalize;
  return l;
}

Loss Loss::RelMSE(std::vector<float> hw) {
  Loss l(Kind::RelMSE);
  l.horizon_weight_ = std::move(hw);
  return l;
}

Loss Loss::SCRPS(std::vector<float> level, std::vector<float> quantiles) {
  Loss l(Kind::SCRPS);
  l.set_quantiles("sCRPS", std::move(level), std::move(quantiles), false);
  l.outsize_ = static_cast<int>(l.quantiles_.size());
  l.output_names_ = {""};
  return l;
}

Loss Loss::Accuracy() { return Loss(Kind::Accuracy); }

namespace {

// Node: in[0] = y_hat; saved[0] = y, saved[1] = w (Huber*) or the mask (Tukey), saved[2] = s
// (Tukey); f: [0] d value / d sum, [1] delta or c; i: [0] kind, [1] n, [2] nq; ctx: quantiles.
void robust_backward(Graph& g, const Node& n) {
  const float s = g.grad_or_null(n.out[0])[0] * n.f[0];
  if (s == 0.0f) return;
  const auto kind = static_cast<Kind>(n.i[0]);
  const float* y = n.saved[0].data;
  const float* yhat = g.value(n.in[0]).data;
  float* gy = g.grad_accum(n.in[0]);
  if (kind == Kind::Tukey)
    kernels::tukey_loss_grad(y, yhat, n.saved[1].data, n.saved[2].data, n.i[1], n.f[1], s, gy);
  else
    kernels::huber_quantile_loss_grad(y, yhat, n.saved[1].data, static_cast<const float*>(n.ctx), n.i[1], n.i[2],
                                      n.f[1], kind == Kind::HuberMQ, s, gy);
}

}  // namespace

Var robust_loss(const Loss& l, Var y_hat, const float* y, const float* y_all, const float* w, const float* mask,
                int64_t cnt, int64_t nq, double wsum, const Shape& y_shape, int64_t series_per_window) {
  Graph& g = y_hat.graph();
  Arena& ar = g.arena();
  const float* yh = y_hat.data();
  const Kind kind = l.kind();
  double value = 0.0, dscale = 0.0;
  float* s = nullptr;
  const float* qs = kind == Kind::HuberQ ? nullptr : l.quantiles().data();
  float q1 = l.q();
  if (kind == Kind::HuberQ || kind == Kind::HuberMQ) {
    const double total =
        kernels::huber_quantile_loss_sum(y, yh, w, kind == Kind::HuberQ ? &q1 : qs, cnt, nq, l.delta(),
                                         kind == Kind::HuberMQ);
    value = wsum == 0.0 ? 0.0 : total / wsum;
    dscale = wsum == 0.0 ? 0.0 : 1.0 / wsum;
  } else if (kind == Kind::Tukey) {
    // NeuralForecast normalizes over the last axis of [B, h, N]: the series of a window.
    s = ar.alloc(cnt);
    const int64_t N = std::max<int64_t>(series_per_window, 1), per = cnt / y_shape[0];  // per row: h
    ND_CHECK(y_shape[0] % N == 0, "TukeyLoss: ", y_shape[0], " rows are not whole windows of ", N, " series");
    for (int64_t r0 = 0; r0 < y_shape[0]; r0 += N)
      for (int64_t t = 0; t < per; ++t) {
        if (!l.normalize()) {
          for (int64_t k = 0; k < N; ++k) s[(r0 + k) * per + t] = 1.0f;
          continue;
        }
        double m = 0.0, cntm = 0.0;
        for (int64_t k = 0; k < N; ++k) {
          const int64_t e = (r0 + k) * per + t;
          if (!mask || mask[e] >= 1.0f) m += y[e], cntm += 1.0;
        }
        m = cntm > 0.0 ? m / cntm : 0.0;  // nanmean of nothing -> nan -> 0
        double v = 0.0;
        for (int64_t k = 0; k < N; ++k) {
          const int64_t e = (r0 + k) * per + t;
          if (!mask || mask[e] >= 1.0f) v += (y[e] - m) * (y[e] - m);
        }
        v = cntm > 0.0 ? v / cntm : 0.0;
        for (int64_t k = 0; k < N; ++k) s[(r0 + k) * per + t] = static_cast<float>(std::sqrt(v) + 1e-2);
      }
    const double c = l.c(), k = c * c / 6.0 / static_cast<double>(cnt);
    value = k * kernels::tukey_loss_sum(y, yh, mask, s, cnt, l.c());
    dscale = k;
  } else if (kind == Kind::SCRPS) {
    const double mql = wsum == 0.0 ? 0.0 : kernels::quantile_loss_sum(y, yh, w, qs, cnt, nq) / wsum;
    double norm = 0.0, unmean = 0.0;
    // NeuralForecast's norm sums |y| over every entry, masked ones included.
    for (int64_t i = 0; i < cnt; ++i) {
      if (std::isfinite(y_all[i])) norm += std::fabs(y_all[i]);
      unmean += mask ? mask[i] : 1.0;
    }
    value = 2.0 * mql * unmean / (norm + 1e-5);
  } else if (kind == Kind::Accuracy) {
    double hit = 0.0;
    for (int64_t i = 0; i < cnt; ++i) hit += (y[i] == yh[i] ? 1.0 : 0.0) * (mask ? mask[i] : 1.0);
    value = hit / static_cast<double>(cnt);
  } else {
    ND_THROW("robust_loss: ", l.name(), " is not one of its losses");
  }
  Var out = ops::detail::make_out(g, Shape{}, {y_hat});
  out.data()[0] = static_cast<float>(value);
  if (g.should_record({y_hat})) {
    ND_CHECK(l.trainable(), l.name(), " cannot be used for training (it has no gradient here, as in NeuralForecast)");
    Node& n = g.record(&robust_backward, {out}, {y_hat});
    n.saved[0] = Tensor(const_cast<float*>(y), y_shape);
    if (kind == Kind::Tukey) {
      float* mk = ar.alloc(cnt);
      for (int64_t i = 0; i < cnt; ++i) mk[i] = mask ? mask[i] : 1.0f;
      n.saved[1] = Tensor(mk, y_shape);
      n.saved[2] = Tensor(s, y_shape);
      n.f[1] = l.c();
    } else {
      n.saved[1] = Tensor(const_cast<float*>(w), y_shape);
      n.f[1] = l.delta();
      float* qc = ar.alloc(nq);
      if (kind == Kind::HuberQ)
        qc[0] = q1;
      else
        std::memcpy(qc, qs, sizeof(float) * static_cast<size_t>(nq));
      n.ctx = qc;
    }
    n.f[0] = static_cast<float>(dscale);
    n.i[0] = static_cast<int64_t>(kind);
    n.i[1] = cnt;
    n.i[2] = nq;
  }
  return out;
}

double relmse(const float* y, const float* y_hat, const float* y_benchmark, const float* mask, int64_t rows, int64_t h,
              const std::vector<float>& horizon_weight) {
  ND_CHECK(horizon_weight.empty() || static_cast<int64_t>(horizon_weight.size()) == h,
           "relMSE: horizon_weight has ", horizon_weight.size(), " entries but the horizon is ", h);
  double num = 0.0, den = 0.0, wsum = 0.0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = 0; t < h; ++t) {
      const int64_t i = r * h + t;
      const double w = (mask ? mask[i] : 1.0) * (horizon_weight.empty() ? 1.0 : horizon_weight[t]);
      if (w == 0.0) continue;
      num += w * (y[i] - y_hat[i]) * (y[i] - y_hat[i]);
      den += w * (y[i] - y_benchmark[i]) * (y[i] - y_benchmark[i]);
      wsum += w;
    }
  if (wsum == 0.0) return 0.0;
  const double norm = den / wsum + 1e-5;
  return (num / wsum) / norm;
}

}  // namespace nd::losses
