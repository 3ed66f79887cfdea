// neurodivergent.NeuralForecast's engine: nd::forecast::NeuralForecast with the GIL released
// during training and forecasting (a Ctrl-C check runs between training steps, see module.cc).
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <map>
#include <memory>

#include "convert.h"
#include "nd/core/error.h"
#include "nd/forecast/neuralforecast.h"

namespace nd::py {

using data::Frame;
using data::StaticFrame;
using forecast::CVResult;
using forecast::NeuralForecast;
using models::json;

namespace {

using ModelSpec = std::pair<std::string, std::string>;  // (class name, hyperparameters as JSON)

NeuralForecast make_engine(const std::vector<ModelSpec>& specs, const std::string& freq, const std::string& scaler) {
  ND_CHECK(!specs.empty(), "models: give at least one model");
  std::vector<std::unique_ptr<models::Model>> ms;
  for (const auto& [name, kwargs] : specs) ms.push_back(models::make_model(name, json::parse(kwargs)));
  return NeuralForecast(std::move(ms), freq, scaler);
}

std::vector<std::string> configs(NeuralForecast& nf) {
  std::vector<std::string> out;
  for (auto& m : nf.models()) out.push_back(json{{"class", m->name()}, {"config", m->config()}}.dump());
  return out;
}

nn::ParameterStore& store_of(NeuralForecast& nf, size_t k) {
  ND_CHECK(k < nf.models().size(), "model index ", k, " out of range (", nf.models().size(), " models)");
  return nf.models()[k]->params();
}

// The bound type: NeuralForecast is move-only, but std::vector<std::unique_ptr> reports itself
// copy-constructible, which would make nanobind instantiate a copy.
struct Engine {
  explicit Engine(NeuralForecast n) : nf(std::make_unique<NeuralForecast>(std::move(n))) {}
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  std::unique_ptr<NeuralForecast> nf;
};

}  // namespace

void bind_forecast(nb::module_& m) {
  using rel = nb::gil_scoped_release;
  m.def(
      "sample_paths",
      [](const std::vector<float>& xp, const std::vector<float>& qv, int64_t S, int64_t h,
         const std::vector<std::vector<float>>& history, const std::vector<std::string>& ids, int64_t n_paths,
         uint64_t seed, const std::string& method) {
        std::vector<float> out;
        {
          rel r;
          out = forecast::sample_paths(xp, qv, S, h, history, ids, n_paths, seed, method);
        }
        return to_numpy(std::move(out), {static_cast<size_t>(S), static_cast<size_t>(n_paths), static_cast<size_t>(h)});
      },
      nb::arg("quantile_positions"), nb::arg("quantile_values"), nb::arg("n_series"), nb::arg("h"), nb::arg("history"),
      nb::arg("ids"), nb::arg("n_paths"), nb::arg("seed"), nb::arg("method"),
      "Correlated sample paths [n_series, n_paths, h] from quantile forecasts [n_series, h, Q].");
  nb::class_<forecast::PredictionIntervals>(m, "PredictionIntervals", "Conformal prediction intervals set-up.")
      .def(
          "__init__",
          [](forecast::PredictionIntervals* self, int64_t n_windows, const std::string& method, int64_t step_size) {
            new (self) forecast::PredictionIntervals{n_windows, method, step_size};
          },
          nb::arg("n_windows"), nb::arg("method"), nb::arg("step_size"))
      .def_ro("n_windows", &forecast::PredictionIntervals::n_windows)
      .def_ro("method", &forecast::PredictionIntervals::method)
      .def_ro("step_size", &forecast::PredictionIntervals::step_size);
  nb::class_<Engine>(m, "Engine", "The C++ NeuralForecast behind neurodivergent.NeuralForecast.")
      .def(
          "__init__",
          [](Engine* self, const std::vector<ModelSpec>& specs, const std::string& freq,
             const std::string& scaler) { new (self) Engine(make_engine(specs, freq, scaler)); },
          nb::arg("models"), nb::arg("freq"), nb::arg("local_scaler_type"))
      .def_prop_rw(
          "verbose", [](const Engine& e) { return e.nf->verbose; }, [](Engine& e, bool v) { e.nf->verbose = v; })
      .def(
          "fit",
          [](Engine& e, const Frame& df, int64_t val_size, const StaticFrame* st,
             const std::optional<forecast::PredictionIntervals>& pi) {
            rel r;
            e.nf->fit(df, val_size, st, pi ? &*pi : nullptr);
          },
          nb::arg("df"), nb::arg("val_size"), nb::arg("static_df").none(), nb::arg("prediction_intervals").none())
      .def(
          "attach",
          [](Engine& e, const Frame& df, const StaticFrame* st) {
            rel r;
            e.nf->attach(df, st);
          },
          nb::arg("df"), nb::arg("static_df").none())
      .def(
          "predict",
          [](Engine& e, const Frame* df, const StaticFrame* st, const Frame* futr, const std::vector<float>& level,
             const std::vector<float>& quantiles) {
            rel r;
            return e.nf->predict(df, st, futr, forecast::Intervals{level, quantiles});
          },
          nb::arg("df").none(), nb::arg("static_df").none(), nb::arg("futr_df").none(), nb::arg("level"),
          nb::arg("quantiles"))
      .def(
          "cross_validation",
          [](Engine& e, const Frame& df, int64_t n_windows, int64_t step_size, int64_t val_size,
             int64_t test_size, bool refit, const StaticFrame* st, const std::vector<float>& level,
             const std::vector<float>& quantiles, const std::optional<forecast::PredictionIntervals>& pi) {
            rel r;
            return e.nf->cross_validation(df, n_windows, step_size, val_size, test_size, refit, st,
                                          forecast::Intervals{level, quantiles}, pi ? &*pi : nullptr);
          },
          nb::arg("df"), nb::arg("n_windows"), nb::arg("step_size"), nb::arg("val_size"), nb::arg("test_size"),
          nb::arg("refit"), nb::arg("static_df").none(), nb::arg("level"), nb::arg("quantiles"),
          nb::arg("prediction_intervals").none())
      .def(
          "simulate",
          [](Engine& e, const Frame* df, const StaticFrame* st, const Frame* futr, int64_t n_paths,
             const std::vector<float>& quantiles, uint64_t seed, const std::string& method) {
            rel r;
            return e.nf->simulate(df, st, futr, n_paths, quantiles, seed, method);
          },
          nb::arg("df").none(), nb::arg("static_df").none(), nb::arg("futr_df").none(), nb::arg("n_paths"),
          nb::arg("quantiles"), nb::arg("seed"), nb::arg("method"))
      .def(
          "predict_insample",
          [](Engine& e, int64_t step_size, const std::vector<float>& level, const std::vector<float>& quantiles) {
            rel r;
            return e.nf->predict_insample(step_size, forecast::Intervals{level, quantiles});
          },
          nb::arg("step_size"), nb::arg("level"), nb::arg("quantiles"))
      .def(
          "save",
          [](const Engine& e, const std::string& path, bool overwrite) {
            rel r;
            e.nf->save(path, overwrite);
          },
          nb::arg("path"), nb::arg("overwrite"))
      .def_static(
          "load",
          [](const std::string& path) {
            rel r;
            return std::make_unique<Engine>(NeuralForecast::load(path));
          },
          nb::arg("path"))
      .def("train_frame", [](const Engine& e) { return e.nf->train_data(); })
      // The h timestamps after the end of each series of df (default: the fit data), as a frame
      // without value columns.
      .def(
          "future_times",
          [](const Engine& e, const Frame* df, int64_t h) {
            ND_CHECK(h > 0, "h must be positive, got ", h);
            const Frame& src = df ? *df : e.nf->train_data();
            ND_CHECK(src.n_series() > 0, "no series: call fit() first or pass df");
            Frame out;
            out.ids = src.ids;
            out.time_kind = src.time_kind;
            for (int64_t s = 0; s < src.n_series(); ++s) {
              const int64_t last = src.ds[src.indptr[s + 1] - 1];
              for (int64_t k = 1; k <= h; ++k) out.ds.push_back(e.nf->freq().advance(last, k));
              out.indptr.push_back(out.indptr.back() + h);
            }
            return out;
          },
          nb::arg("df").none(), nb::arg("h"))
      .def("configs", [](Engine& e) { return configs(*e.nf); }, "Each model's class and full config (JSON).")
      .def_prop_ro("freq", [](const Engine& e) { return e.nf->freq().str(); })
      .def(
          "conformity_scores",
          [](const Engine& e, const std::string& alias) {
            std::vector<float> v = e.nf->conformity_scores(alias);
            const forecast::PredictionIntervals* pi = e.nf->prediction_intervals();
            const size_t S = static_cast<size_t>(e.nf->train_data().n_series());
            const size_t W = pi && !v.empty() ? static_cast<size_t>(pi->n_windows) : 0;
            const size_t h = W ? v.size() / (S * W) : 0;
            return to_numpy(std::move(v), {S, W, h});
          },
          nb::arg("alias"), "A model's conformity scores, [series, n_windows, h] (empty without calibration).")
      .def_prop_ro("prediction_intervals",
                   [](const Engine& e) -> std::optional<forecast::PredictionIntervals> {
                     const forecast::PredictionIntervals* pi = e.nf->prediction_intervals();
                     return pi ? std::optional<forecast::PredictionIntervals>(*pi) : std::nullopt;
                   })
      .def("reports",
           [](const Engine& e) {
             std::vector<std::string> out;
             for (const auto& r : e.nf->reports())
               out.push_back(json{{"model", r.model},
                                  {"steps", r.steps},
                                  {"seconds", r.seconds},
                                  {"train_loss", r.train_loss},
                                  {"valid_loss", r.valid_loss}}
                                 .dump());
             return out;
           })
      .def(
          "state_dict",
          [](Engine& e, size_t k) {
            nn::ParameterStore& s = store_of(*e.nf, k);
            nb::dict d;
            for (const nn::ParamInfo& p : s.params()) {
              const float* src = s.data() + p.offset;
              d[p.name.c_str()] = to_numpy(std::vector<float>(src, src + p.shape.numel()), p.shape.vec());
            }
            return d;
          },
          nb::arg("k"))
      .def(
          "interpretability",
          [](Engine& e, size_t k) {
            ND_CHECK(k < e.nf->models().size(), "model index ", k, " out of range (", e.nf->models().size(),
                     " models)");
            return interpretability_dict(*e.nf->models()[k]);
          },
          nb::arg("k"), "Model k's record of the last predict (see Model::interpretability), {name: (array, labels)}.")
      .def(
          "load_state_dict",
          [](Engine& e, size_t k, const std::map<std::string, InAny>& w) {
            return load_weights(store_of(*e.nf, k), w, "model " + std::to_string(k));
          },
          nb::arg("k"), nb::arg("weights"));
}

}  // namespace nd::py
