// Shared by the per-model tests: forward parity against NeuralForecast goldens
// (tests/golden/models/<model>.json, written by tests/golden/make_model_goldens.py), training on
// AirPassengers through nd::forecast::NeuralForecast, and error-message capture.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nd/autograd/graph.h"
#include "nd/core/error.h"
#include "nd/data/csv.h"
#include "nd/data/embedded.h"
#include "nd/forecast/metrics.h"
#include "nd/forecast/neuralforecast.h"
#include "nd/models/model.h"

namespace nd::models::testing {

inline json load_model_golden(const std::string& file) {
  std::ifstream f(std::string(ND_GOLDEN_DIR) + "/models/" + file);
  EXPECT_TRUE(f.good()) << "missing golden " << file << " (run tests/golden/make_model_goldens.py)";
  return json::parse(f);
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// Builds `model` with the case's hyperparameters, copies NeuralForecast's weights by name
// (`rename`: our name -> NeuralForecast's where they differ), runs forward in eval mode (train
// mode for cases marked "train", whose updated BatchNorm running statistics must then match
// "running_after") on the golden inputs and returns max |ours - theirs| / max |theirs|.
// `keep`, when given, receives the model after the forward pass (for what else it exposes).
inline double parity_error(const std::string& model, const json& c,
                           const std::map<std::string, std::string>& rename = {},
                           std::unique_ptr<Model>* keep = nullptr) {
  std::unique_ptr<Model> m = make_model(model, c["hparams"]);
  nn::ParameterStore& s = m->params();
  const json& sd = c["state_dict"];
  for (const nn::ParamInfo& p : s.params()) {
    const std::string theirs = rename.count(p.name) ? rename.at(p.name) : p.name;
    EXPECT_TRUE(sd.contains(theirs)) << c["name"] << ": NeuralForecast has no parameter " << theirs;
    if (!sd.contains(theirs)) return INFINITY;
    EXPECT_EQ(Shape(sd[theirs]["shape"].get<std::vector<int64_t>>()), p.shape) << c["name"] << ": " << p.name;
    const std::vector<float> v = sd[theirs]["values"].get<std::vector<float>>();
    EXPECT_EQ(static_cast<int64_t>(v.size()), p.shape.numel()) << p.name;
    if (static_cast<int64_t>(v.size()) != p.shape.numel()) return INFINITY;
    std::copy(v.begin(), v.end(), s.value(s.find(p.name)).data);
  }
  // Every trainable NeuralForecast parameter has a counterpart (no layer silently missing).
  EXPECT_EQ(s.num_parameters(), c["n_trainable"].get<int64_t>()) << c["name"];

  const int64_t B = c["B"].get<int64_t>(), L = m->input_size(), h = m->h();
  std::vector<float> y = c["insample_y"].get<std::vector<float>>(), mask = c["insample_mask"].get<std::vector<float>>();
  std::map<std::string, std::vector<float>> exog;
  Graph g;
  NoGradGuard ng(g);
  WindowBatch w;
  w.B = B, w.L = L, w.h = h;
  // Multivariate models take [B, L, N] (golden "insample_shape"), univariate ones [B, L].
  const Shape in_shape = c.contains("insample_shape") && c["insample_shape"][2].get<int64_t>() > 1
                             ? Shape(c["insample_shape"].get<std::vector<int64_t>>())
                             : (m->multivariate() ? Shape{B, L, 1} : Shape{B, L});
  w.insample_y = g.input(Tensor(y.data(), in_shape));
  w.insample_mask = g.input(Tensor(mask.data(), in_shape));
  for (const char* k : {"futr_exog", "hist_exog", "stat_exog"}) {
    if (!c.contains(k)) continue;
    exog[k] = c[k]["values"].get<std::vector<float>>();
    Var v = g.input(Tensor(exog[k].data(), Shape(c[k]["shape"].get<std::vector<int64_t>>())));
    (std::string(k) == "futr_exog" ? w.futr_exog : std::string(k) == "hist_exog" ? w.hist_exog : w.stat_exog) = v;
  }
  m->set_training(c.value("train", false));
  Var out = m->forward(w);
  if (c.contains("running_after"))
    for (auto& [name, t] : c["running_after"].items()) {
      const std::vector<float> want = t["values"].get<std::vector<float>>();
      const nn::ParamRef r = s.find(name);
      EXPECT_TRUE(r.defined()) << name;
      if (!r.defined()) return INFINITY;
      const Tensor got = s.value(r);
      for (size_t k = 0; k < want.size(); ++k)
        EXPECT_NEAR(got.data[k], want[k], 1e-5 * (1.0 + std::fabs(want[k]))) << c["name"] << ": " << name << "[" << k << "]";
    }
  EXPECT_EQ(out.shape(), Shape(c["output_shape"].get<std::vector<int64_t>>())) << c["name"];
  const std::vector<float> ref = c["output"].get<std::vector<float>>();
  if (out.numel() != static_cast<int64_t>(ref.size())) return INFINITY;
  double diff = 0.0, scale = 0.0;
  for (size_t k = 0; k < ref.size(); ++k) {
    diff = std::max(diff, static_cast<double>(std::fabs(out.data()[k] - ref[k])));
    scale = std::max(scale, static_cast<double>(std::fabs(ref[k])));
  }
  if (keep) *keep = std::move(m);
  return diff / std::max(scale, 1e-12);
}

// Runs every case of a model's golden file, requiring relative error <= tol; prints the errors.
inline void expect_parity(const std::string& model, const std::string& file,
                          const std::map<std::string, std::string>& rename = {}, double tol = 1e-4) {
  const json doc = load_model_golden(file);
  ASSERT_FALSE(doc["cases"].empty());
  for (const json& c : doc["cases"]) {
    const double err = parity_error(model, c, rename);
    std::printf("  %s/%s: max|diff|/max|ref| = %.3g\n", model.c_str(), c["name"].get<std::string>().c_str(), err);
    EXPECT_LE(err, tol) << model << " case " << c["name"];
  }
}

struct AirResult {
  double mae = 0.0, naive_mae = 0.0, seconds = 0.0;
  std::vector<float> forecast;
};

// Fits on AirPassengers without its last 12 months and scores the forecast of those months.
inline AirResult fit_air_passengers(const std::string& model, const json& hp) {
  constexpr int64_t kH = 12;
  data::Frame all = data::read_csv_string(data::embedded_air_passengers(), "air_passengers.csv");
  const int64_t n = all.n_rows();
  data::Frame train = all;
  train.indptr = {0, n - kH};
  train.ds.resize(n - kH);
  for (auto& col : train.values) col.resize(n - kH);
  std::vector<std::unique_ptr<Model>> ms;
  ms.push_back(make_model(model, hp));
  const std::string alias = ms[0]->alias();
  forecast::NeuralForecast nf(std::move(ms), "MS");
  nf.verbose = false;
  nf.fit(train);
  AirResult r;
  r.seconds = nf.reports().at(0).seconds;
  data::Frame f = nf.predict();
  r.forecast = f.column(alias);
  const std::vector<float>& y = all.column("y");
  std::vector<float> naive(kH);
  forecast::seasonal_naive(y.data(), n - kH, 12, kH, naive.data());
  r.mae = forecast::mae(y.data() + n - kH, r.forecast.data(), kH);
  r.naive_mae = forecast::mae(y.data() + n - kH, naive.data(), kH);
  std::printf("  %s on AirPassengers: MAE %.2f vs seasonal naive %.2f (%.2f s training)\n", model.c_str(), r.mae,
              r.naive_mae, r.seconds);
  return r;
}

}  // namespace nd::models::testing
