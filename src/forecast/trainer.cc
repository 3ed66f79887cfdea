// The training loop of one model (NeuralForecast BaseModel.training_step / validation_step) and
// batched inference from each series' last window.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>

#include "nd/autograd/graph.h"
#include "nd/core/error.h"
#include "nd/core/interrupt.h"
#include "nd/forecast/neuralforecast.h"
#include "nd/forecast/progress.h"
#include "nd/kernels/gemm.h"
#include "nd/losses/distribution.h"
#include "nd/ops/shape.h"
#include "nd/optim/optimizer.h"

namespace nd::forecast {

namespace {

WindowSpec spec_of(const models::Model& m) {
  return {m.input_size(), m.h(), m.geti("step_size"), m.getb("start_padding_enabled")};
}

// Splits a scaled window batch into the model's inputs and the loss targets. Distribution losses
// score the targets in the data's scale (NeuralForecast's original_outsample_y): keep_raw copies
// them (and the inputs, for MASE-style validation) before the windows are scaled.
struct Split {
  std::vector<float> in_y, in_mask, out_y, out_mask, in_raw, out_raw;
  void keep_raw(const WindowBatchData& b) {
    const int64_t W = b.W, L = b.L, h = b.h, len = L + h;
    in_raw.resize(W * L), out_raw.resize(W * h);
    for (int64_t r = 0; r < W; ++r) {
      std::copy(b.y.begin() + r * len, b.y.begin() + r * len + L, in_raw.begin() + r * L);
      std::copy(b.y.begin() + r * len + L, b.y.begin() + (r + 1) * len, out_raw.begin() + r * h);
    }
  }
  void from(const WindowBatchData& b) {
    const int64_t W = b.W, L = b.L, h = b.h, len = L + h;
    in_y.resize(W * L), in_mask.resize(W * L), out_y.resize(W * h), out_mask.resize(W * h);
    for (int64_t r = 0; r < W; ++r) {
      std::copy(b.y.begin() + r * len, b.y.begin() + r * len + L, in_y.begin() + r * L);
      std::copy(b.mask.begin() + r * len, b.mask.begin() + r * len + L, in_mask.begin() + r * L);
      std::copy(b.y.begin() + r * len + L, b.y.begin() + (r + 1) * len, out_y.begin() + r * h);
      std::copy(b.mask.begin() + r * len + L, b.mask.begin() + (r + 1) * len, out_mask.begin() + r * h);
    }
  }
};

// Rows of a window: all series for multivariate models (rows are window-major), else one.
int64_t rows_per_window(const models::Model& m) { return m.multivariate() ? m.n_series() : 1; }

// Multivariate models take the N rows of each window as insample_y [W, L, N] (and future
// exogenous channels as NF's [W, F, L + h, N]) and return [W, h, Q * N], which NeuralForecast's
// losses read as [W, h, N, Q] (domain_map); that is regrouped into rows again: [W * N, h, Q], what
// the losses and the inverse scaling expect (Model::multivariate_rows).
Var forward_multivariate(models::Model& m, Graph& g, Split& s, WindowBatchData& wb, int64_t r0, int64_t n) {
  const int64_t L = m.input_size(), h = m.h(), N = m.n_series(), W = n / N;
  models::WindowBatch b;
  b.B = W, b.L = L, b.h = h;
  b.insample_y = ops::permute(g.input(Tensor(s.in_y.data() + r0 * L, Shape{W, N, L})), {0, 2, 1});
  b.insample_mask = ops::permute(g.input(Tensor(s.in_mask.data() + r0 * L, Shape{W, N, L})), {0, 2, 1});
  if (wb.F > 0)
    b.futr_exog =
        ops::permute(g.input(Tensor(wb.futr.data() + r0 * (L + h) * wb.F, Shape{W, N, L + h, wb.F})), {0, 3, 2, 1});
  return m.multivariate_rows(m.forward(b));
}

// Model inputs for rows [r0, r0 + n) of a scaled batch (whole windows for multivariate models).
Var forward(models::Model& m, Graph& g, Split& s, WindowBatchData& wb, int64_t r0, int64_t n) {
  if (m.multivariate()) return forward_multivariate(m, g, s, wb, r0, n);
  models::WindowBatch b;
  const int64_t L = m.input_size(), h = m.h();
  b.B = n, b.L = L, b.h = h;
  b.insample_y = g.input(Tensor(s.in_y.data() + r0 * L, Shape{n, L}));
  b.insample_mask = g.input(Tensor(s.in_mask.data() + r0 * L, Shape{n, L}));
  if (wb.X > 0) b.hist_exog = g.input(Tensor(wb.hist.data() + r0 * L * wb.X, Shape{n, L, wb.X}));
  if (wb.F > 0) b.futr_exog = g.input(Tensor(wb.futr.data() + r0 * (L + h) * wb.F, Shape{n, L + h, wb.F}));
  if (wb.S > 0) b.stat_exog = g.input(Tensor(wb.stat.data() + r0 * wb.S, Shape{n, wb.S}));
  return m.forward(b);
}

// Stream ids of rows [0, n) for the distribution samplers: `base` keeps the forecasts of different
// calls (cross-validation windows) on different streams.
std::vector<uint64_t> row_streams(int64_t n, uint64_t base) {
  std::vector<uint64_t> s(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) s[r] = (base << 32) ^ static_cast<uint64_t>(r);
  return s;
}

// Validation loss of a distribution-loss model, in the data's scale as NeuralForecast's
// _compute_valid_loss: the likelihood itself, MQLoss on quantiles of samples, or a point loss on
// the distributions' means.
float distribution_validation_loss(models::Model& m, Var raw, const Split& sp, const WindowBatchData& wb) {
  const losses::Loss& loss = m.loss();
  const losses::Loss& vl = m.valid_loss();
  const int64_t W = wb.W, h = wb.h, L = wb.L;
  const Tensor y(const_cast<float*>(sp.out_raw.data()), Shape{W, h});
  const Tensor mask(const_cast<float*>(sp.out_mask.data()), Shape{W, h});
  Graph& g = raw.graph();
  if (vl.is_distribution()) return loss.nll(raw, y, mask, wb.shift.data(), wb.scale.data(), rows_per_window(m)).item();
  Var out;
  if (vl.is_multi_quantile() || vl.kind() == losses::Kind::SCRPS) {
    const int64_t Q = static_cast<int64_t>(loss.quantiles().size()), C = losses::distribution_forecast_width(loss, Q);
    std::vector<float> f(static_cast<size_t>(W * h * C));
    const std::vector<uint64_t> streams = row_streams(W, 0);
    losses::distribution_forecast(loss, raw.data(), W, h, wb.shift.data(), wb.scale.data(), loss.quantiles(),
                                  static_cast<uint64_t>(m.geti("random_seed")), streams.data(), f.data());
    out = g.empty(Shape{W, h, Q}, false);
    for (int64_t e = 0; e < W * h; ++e) std::copy_n(f.data() + e * C + 1, Q, out.data() + e * Q);
  } else {
    out = g.empty(Shape{W, h}, false);
    losses::distribution_mean(loss, raw.data(), W, h, wb.shift.data(), wb.scale.data(), out.data());
  }
  return vl(out, y, mask, Tensor(const_cast<float*>(sp.in_raw.data()), Shape{W, L}), rows_per_window(m)).item();
}

// Mean validation loss over the windows whose outputs lie in the last val_size values of each
// series, step_size apart (scaled space; the data's scale for distribution losses).
float validation_loss(models::Model& m, const std::vector<SeriesView>& series, int64_t val_size,
                      data::ScalerType st) {
  const int64_t L = m.input_size(), h = m.h(), step = m.geti("step_size");
  WindowSpec spec = spec_of(m);
  WindowBatchData wb;
  int64_t W = 0;
  for (const SeriesView& s : series)
    for (int64_t out0 = s.n - val_size; out0 + h <= s.n; out0 += step) ++W;
  wb.resize(W, L, h, series[0]);
  int64_t row = 0;
  WindowSpec nopad = spec;
  nopad.start_padding = false;
  if (m.multivariate()) {  // window-major rows: every series of a window together
    for (int64_t k = 0; (val_size - h) - k * step >= 0; ++k)
      for (const SeriesView& s : series) fill_window(nopad, s, s.n - val_size + k * step - L, row++, &wb);
  } else {
    for (const SeriesView& s : series)
      for (int64_t out0 = s.n - val_size; out0 + h <= s.n; out0 += step) fill_window(nopad, s, out0 - L, row++, &wb);
  }
  Split sp;
  sp.keep_raw(wb);
  scale_windows(st, &wb);
  sp.from(wb);
  Graph g;
  NoGradGuard ng(g);
  Var yhat = forward(m, g, sp, wb, 0, W);
  if (m.loss().is_distribution()) return distribution_validation_loss(m, yhat, sp, wb);
  // As NeuralForecast's _compute_valid_loss: forecasts, targets and inputs in the data's scale.
  Var out = g.empty(yhat.shape(), false);
  const int64_t per_row = yhat.numel() / W;
  for (int64_t r = 0; r < W; ++r) {
    std::copy_n(yhat.data() + r * per_row, per_row, out.data() + r * per_row);
    data::scale_inverse(st, out.data() + r * per_row, per_row, wb.shift[r], wb.scale[r]);
  }
  return m.valid_loss()(out, Tensor(sp.out_raw.data(), Shape{W, h}), Tensor(sp.out_mask.data(), Shape{W, h}),
                        Tensor(sp.in_raw.data(), Shape{W, L}), rows_per_window(m))
      .item();
}

void check_multivariate(const models::Model& m, const std::vector<SeriesView>& series) {
  if (!m.multivariate()) return;
  ND_CHECK(static_cast<int64_t>(series.size()) == m.n_series(), m.alias(), " is multivariate with n_series = ",
           m.n_series(), " but the data has ", series.size(), " series");
  ND_CHECK(m.hist_exog_list().empty() && m.stat_exog_list().empty(), m.alias(),
           ": historic and static exogenous variables are not supported for multivariate models (future ones are)");
}

}  // namespace

TrainReport train_model(models::Model& m, const std::vector<SeriesView>& series, int64_t val_size, bool verbose) {
  const int64_t L = m.input_size(), h = m.h();
  const WindowSpec spec = spec_of(m);
  const data::ScalerType st = data::scaler_from_name(m.gets("scaler_type"));
  ND_CHECK(st != data::ScalerType::revin, m.name(), ": scaler_type 'revin' is not supported yet");
  ND_CHECK(val_size >= 0, "val_size must be >= 0, got ", val_size);
  if (val_size > 0)
    ND_CHECK(val_size >= h, "val_size (", val_size, ") must be at least the horizon h = ", h);
  check_multivariate(m, series);
  std::vector<SeriesView> train(series.size());
  int64_t windows = 0;
  for (size_t s = 0; s < series.size(); ++s) {
    ND_CHECK(series[s].n > val_size, "series ", s, " has ", series[s].n, " values, not more than val_size ", val_size);
    train[s] = series[s];
    train[s].n = series[s].n - val_size;
    train[s].n_future = 0;
    windows += count_windows(spec, train[s].n, nullptr);
  }
  ND_CHECK(windows > 0, m.name(), ": every series is too short for training: input_size + h = ", L + h,
           " (without start_padding_enabled a series needs at least input_size + 1 training values)");

  WindowSampler sampler(spec, m.geti("batch_size"), m.geti("windows_batch_size"), m.getb("drop_last_loader"),
                        static_cast<uint64_t>(m.geti("random_seed")) * 7919u + 17u);
  optim::AdamOptions ao;
  ao.lr = static_cast<float>(m.getf("learning_rate"));
  optim::Adam opt(m.params(), ao);
  std::unique_ptr<optim::StepLR> sched;
  if (m.geti("num_lr_decays") > 0)
    sched = std::make_unique<optim::StepLR>(optim::StepLR::neuralforecast(opt, m.geti("max_steps"), m.geti("num_lr_decays")));
  const models::json& clip = m.config()["gradient_clip_val"];
  const bool distribution = m.loss().is_distribution();
  const int64_t max_steps = m.geti("max_steps"), check_every = m.geti("val_check_steps");
  const int64_t patience = m.geti("early_stop_patience_steps");

  TrainReport rep;
  rep.model = m.alias();
  Graph g;
  g.set_release_values(true);  // the step reads only the loss (before backward)
  WindowBatchData wb;
  Split sp;
  float best = std::numeric_limits<float>::infinity();
  int64_t bad_checks = 0;
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<ProgressBar> bar;
  if (verbose) bar = std::make_unique<ProgressBar>(rep.model, max_steps, stderr, ProgressBar::is_tty(stderr));
  m.set_training(true);
  rep.step_ms.reserve(static_cast<size_t>(max_steps));
  for (int64_t step = 1; step <= max_steps; ++step) {
    check_interrupt();
    const auto ts = std::chrono::steady_clock::now();
    const double gemm_s0 = kernels::gemm_counters().seconds;
    if (m.multivariate())
      sampler.next_multivariate(train, &wb);
    else
      sampler.next(train, &wb);
    if (distribution) sp.keep_raw(wb);
    scale_windows(st, &wb);
    sp.from(wb);
    g.reset();
    opt.zero_grad();
    Var yhat = forward(m, g, sp, wb, 0, wb.W);
    const Tensor out_mask(sp.out_mask.data(), Shape{wb.W, h});
    Var loss = distribution ? m.loss().nll(yhat, Tensor(sp.out_raw.data(), Shape{wb.W, h}), out_mask,
                                           wb.shift.data(), wb.scale.data(), rows_per_window(m))
                            : m.loss()(yhat, Tensor(sp.out_y.data(), Shape{wb.W, h}), out_mask,
                                       Tensor(sp.in_y.data(), Shape{wb.W, L}), rows_per_window(m));
    rep.train_loss = loss.item();
    ND_CHECK(std::isfinite(rep.train_loss), m.name(), ": training loss became ", rep.train_loss, " at step ", step,
             " (try a lower learning_rate or a scaler_type)");
    g.backward(loss);
    if (clip.is_number()) optim::clip_grad_norm(m.params(), clip.get<float>());
    opt.step();
    if (sched) sched->step();
    rep.step_ms.push_back(
        static_cast<float>(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ts).count()));
    if (const double gemm_s = kernels::gemm_counters().seconds - gemm_s0; gemm_s > 0.0)
      rep.step_gemm_ms.push_back(static_cast<float>(1e3 * gemm_s));
    rep.steps = step;
    bool stop = false;
    if (val_size > 0 && step % check_every == 0) {
      m.set_training(false);
      rep.valid_loss = validation_loss(m, series, val_size, st);
      m.set_training(true);
      if (rep.valid_loss < best) {
        best = rep.valid_loss;
        bad_checks = 0;
      } else if (patience > 0 && ++bad_checks >= patience) {
        stop = true;
      }
    }
    if (bar) {
      if (stop || step == max_steps)
        bar->finish(step, rep.train_loss, rep.valid_loss, stop ? "  (early stop)" : "");
      else
        bar->update(step, rep.train_loss, rep.valid_loss);
    }
    if (stop) break;
  }
  m.set_training(false);
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

std::vector<float> predict_model(models::Model& m, const std::vector<SeriesView>& series,
                                 const std::vector<float>* quantiles, uint64_t stream) {
  const int64_t h = m.h(), Q = m.n_outputs();
  const losses::Loss& loss = m.loss();
  const bool distribution = loss.is_distribution();
  const std::vector<float>& qs = quantiles ? *quantiles : loss.quantiles();
  const int64_t C = distribution ? losses::distribution_forecast_width(loss, static_cast<int64_t>(qs.size())) : Q;
  const data::ScalerType st = data::scaler_from_name(m.gets("scaler_type"));
  check_multivariate(m, series);
  WindowBatchData wb;
  last_windows(spec_of(m), series, &wb);  // multivariate: one window, its rows in series order
  scale_windows(st, &wb);
  Split sp;
  sp.from(wb);
  const int64_t S = wb.W;
  int64_t chunk = m.geti("inference_windows_batch_size") * rows_per_window(m);  // in rows
  if (chunk <= 0) chunk = S;
  std::vector<float> out(static_cast<size_t>(S * h * C));
  const std::vector<uint64_t> streams = row_streams(S, stream);
  Graph g;
  m.set_training(false);
  for (int64_t s0 = 0; s0 < S; s0 += chunk) {
    const int64_t n = std::min(chunk, S - s0);
    g.reset();
    NoGradGuard ng(g);
    Var yhat = forward(m, g, sp, wb, s0, n);  // [n, h, Q]
    if (distribution)  // samples in the data's scale: the window scaling is in the decoupled parameters
      losses::distribution_forecast(loss, yhat.data(), n, h, wb.shift.data() + s0, wb.scale.data() + s0, qs,
                                    static_cast<uint64_t>(m.geti("random_seed")), streams.data() + s0,
                                    out.data() + s0 * h * C);
    else
      std::copy(yhat.data(), yhat.data() + n * h * Q, out.begin() + s0 * h * Q);
  }
  // Back to the data scale, window by window.
  if (!distribution)
    for (int64_t s = 0; s < S; ++s) data::scale_inverse(st, out.data() + s * h * Q, h * Q, wb.shift[s], wb.scale[s]);
  return out;
}

}  // namespace nd::forecast
