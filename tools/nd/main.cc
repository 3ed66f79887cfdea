// nd: the command-line front door. Parses arguments, calls the library, maps errors to exit
// code 2 with a one-line message. Model hyperparameters come as --<name> value (dashes or
// underscores), typed by the model's schema.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "hparams.h"
#include "nd/core/error.h"
#include "nd/data/csv.h"
#include "nd/forecast/demo.h"
#include "nd/forecast/evaluate.h"
#include "nd/forecast/metrics.h"
#include "nd/forecast/neuralforecast.h"

namespace {

using nd::models::json;

void print_models(std::ostream& out, const std::string& only) {
  for (const nd::models::ModelInfo& m : nd::models::all_models()) {
    if (!only.empty() && &m != &nd::models::find_model(only)) continue;
    out << m.name << ": " << m.description << "\n";
    for (const nd::models::HParam& p : m.params)
      out << "  --" << p.name << " (default " << (p.default_value.is_null() ? "required / None" : p.default_value.dump())
          << ")  " << p.help << "\n";
    out << "\n";
  }
}

// Options shared by fit and cv.
struct TrainArgs {
  std::string data, model, freq, local_scaler, static_csv;
  int64_t h = 0, val_size = 0;
  bool quiet = false;
  nd::forecast::PredictionIntervals pi;
  int64_t conformal_windows = 0;  // 0: no conformal intervals
  void add(CLI::App* c) {
    c->add_option("--conformal-windows,--conformal_windows", conformal_windows,
                  "calibrate conformal prediction intervals on this many cross-validation windows (>= 2)");
    c->add_option("--conformal-method,--conformal_method", pi.method,
                  "conformal_distribution or conformal_error")->capture_default_str();
    c->add_option("--conformal-step-size,--conformal_step_size", pi.step_size,
                  "steps between the calibration windows")->capture_default_str();
    c->add_option("--data", data, "training data CSV (unique_id, ds, y)")->required();
    c->add_option("--model", model, "model name (see `nd models`)")->required();
    c->add_option("--h", h, "forecast horizon")->required();
    c->add_option("--freq", freq, "pandas frequency alias (default: inferred)");
    c->add_option("--val-size,--val_size", val_size, "values held out per series for validation");
    c->add_option("--local-scaler-type,--local_scaler_type", local_scaler, "standard, robust, robust-iqr, minmax, boxcox");
    c->add_option("--static", static_csv, "static features CSV (unique_id + columns) for stat_exog_list");
    c->add_flag("--quiet,-q", quiet, "no training progress");
    c->allow_extras();
  }
  nd::forecast::NeuralForecast make(const std::vector<std::string>& extras) const {
    const nd::models::ModelInfo& info = nd::models::find_model(model);
    json hp = nd::cli::parse_hyperparameters(info, extras);
    hp["h"] = h;
    std::vector<std::unique_ptr<nd::models::Model>> ms;
    ms.push_back(nd::models::make_model(info.name, hp));
    nd::forecast::NeuralForecast nf(std::move(ms), freq, local_scaler);
    nf.verbose = !quiet;
    return nf;
  }
  // The conformal set-up asked for, checked (nullptr without --conformal-windows).
  const nd::forecast::PredictionIntervals* intervals_setup() {
    if (conformal_windows == 0) {
      ND_CHECK(pi.method == "conformal_distribution" && pi.step_size == 1,
               "--conformal-method / --conformal-step-size need --conformal-windows");
      return nullptr;
    }
    pi.n_windows = conformal_windows;
    pi.check();
    return &pi;
  }
};

// The inputs of the commands that forecast with a saved model (predict, simulate).
struct SavedModelArgs {
  std::string model, data, futr, static_csv;
  void add(CLI::App* c, const char* what) {
    c->add_option("--model", model, "directory written by `nd fit`")->required();
    c->add_option("--data", data, std::string("series to ") + what + " (default: the training data)");
    c->add_option("--futr", futr, "future exogenous values CSV (unique_id, ds, futr_exog_list columns)");
    c->add_option("--static", static_csv, "static features CSV (default: those given to fit)");
  }
  // Reads what was given; the pointers are null for what was not.
  nd::data::Frame df, futr_df;
  nd::data::StaticFrame st;
  void read() {
    if (!data.empty()) df = nd::data::read_csv(data);
    if (!futr.empty()) futr_df = nd::data::read_csv(futr, {"unique_id", "ds", "y", false});
    if (!static_csv.empty()) st = nd::data::read_static_csv(static_csv);
  }
  const nd::data::Frame* df_ptr() const { return data.empty() ? nullptr : &df; }
  const nd::data::Frame* futr_ptr() const { return futr.empty() ? nullptr : &futr_df; }
  const nd::data::StaticFrame* static_ptr() const { return static_csv.empty() ? nullptr : &st; }
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t p = 0;
  while (p <= s.size()) {
    const size_t q = std::min(s.find(',', p), s.size());
    if (q > p) out.push_back(s.substr(p, q - p));
    p = q + 1;
  }
  return out;
}

// "80,90" -> {80, 90}, naming the flag on a bad number.
std::vector<float> numbers(const std::string& flag, const std::string& s) {
  std::vector<float> out;
  for (const std::string& item : split(s)) {
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    ND_CHECK(end && *end == '\0', "--", flag, " expects comma-separated numbers, got '", item, "'");
    out.push_back(static_cast<float>(v));
  }
  return out;
}

nd::forecast::Intervals intervals(const std::string& level, const std::string& quantiles) {
  return {numbers("level", level), numbers("quantiles", quantiles)};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nd: neural time-series forecasting (NeuralForecast-compatible)"};
  app.require_subcommand(1);

  nd::forecast::DemoOptions demo;
  std::vector<std::string> demo_sets;
  int demo_steps = -1;
  bool demo_quiet = false;
  auto* demo_cmd = app.add_subcommand("demo", "Forecast the embedded AirPassengers data: table, errors vs seasonal naive, SVG plot");
  demo_cmd->add_option("--model", demo.model, "model name (see `nd models`)")->capture_default_str();
  demo_cmd->add_option("--max-steps,--max_steps", demo_steps, "training steps (default: the demo's)");
  demo_cmd->add_option("--plot", demo.plot_path, "SVG plot path ('' for none)")->capture_default_str();
  demo_cmd->add_option("--set", demo_sets, "hyperparameter override name=value (repeatable)");
  demo_cmd->add_flag("--quiet,-q", demo_quiet, "no training progress");

  std::string model_name;
  auto* models_cmd = app.add_subcommand("models", "List the models with their hyperparameters and defaults");
  models_cmd->add_option("name", model_name, "only this model");

  TrainArgs fit_args;
  std::string fit_out;
  auto* fit_cmd = app.add_subcommand("fit", "Train a model and save it (directory of safetensors + JSON)");
  fit_args.add(fit_cmd);
  fit_cmd->add_option("--out", fit_out, "directory to save the fitted model into")->required();

  SavedModelArgs pred_args;
  std::string pred_out;
  auto* pred_cmd = app.add_subcommand("predict", "Forecast h steps after each series with a saved model");
  pred_args.add(pred_cmd, "forecast");
  pred_cmd->add_option("--out", pred_out, "forecast CSV (default: stdout)");
  std::string pred_level, pred_quantiles;
  pred_cmd->add_option("--level", pred_level,
                       "prediction intervals, e.g. 80,90 (distribution losses, or models fitted with --conformal-windows)");
  pred_cmd->add_option("--quantiles", pred_quantiles, "quantiles, e.g. 0.1,0.5,0.9 (instead of --level)");

  SavedModelArgs sim_args;
  std::string sim_out, sim_quantiles, sim_method = "gaussian_copula";
  int64_t sim_paths = 100;
  uint64_t sim_seed = 1;
  auto* sim_cmd = app.add_subcommand("simulate", "Sample paths of the next h steps with a saved model (NF's simulate)");
  sim_args.add(sim_cmd, "simulate");
  sim_cmd->add_option("--n-paths,--n_paths", sim_paths, "sample paths per series")->capture_default_str();
  sim_cmd->add_option("--method", sim_method, "gaussian_copula or schaake_shuffle")->capture_default_str();
  sim_cmd->add_option("--quantiles", sim_quantiles, "quantile grid of the marginals (default 0.01,...,0.99)");
  sim_cmd->add_option("--seed", sim_seed, "random seed")->capture_default_str();
  sim_cmd->add_option("--out", sim_out, "paths CSV: unique_id, ds, sample_id, models (default: stdout)");

  TrainArgs cv_args;
  int64_t n_windows = 1, cv_step = 1;
  bool refit = false;
  std::string cv_out, cv_metrics = "mae,smape";
  auto* cv_cmd = app.add_subcommand("cv", "Cross-validate: rolling-origin forecasts and their errors");
  cv_args.add(cv_cmd);
  cv_cmd->add_option("--n-windows,--n_windows", n_windows, "number of forecast windows")->capture_default_str();
  cv_cmd->add_option("--step-size,--step_size", cv_step, "steps between window cutoffs")->capture_default_str();
  cv_cmd->add_flag("--refit", refit, "retrain before every window");
  cv_cmd->add_option("--metrics", cv_metrics, "comma-separated: mae, mse, rmse, mape, smape")->capture_default_str();
  cv_cmd->add_option("--out", cv_out, "cross-validation CSV (unique_id, ds, cutoff, model columns, y)");
  std::string cv_level, cv_quantiles;
  cv_cmd->add_option("--level", cv_level,
                     "prediction intervals, e.g. 80,90 (distribution losses; point models with --conformal-windows "
                     "and --refit)");
  cv_cmd->add_option("--quantiles", cv_quantiles, "quantiles, e.g. 0.1,0.5,0.9 (instead of --level)");

  nd::forecast::EvaluateOptions ev_opt;
  std::string ev_data, ev_metrics = "mae,rmse,smape", ev_out;
  auto* ev_cmd = app.add_subcommand("evaluate", "Score a forecast or cross-validation CSV per series and overall");
  ev_cmd->add_option("--data", ev_data, "forecast or cross-validation CSV (unique_id, ds, [cutoff], models, [y])")
      ->required();
  ev_cmd->add_option("--actuals", ev_opt.actuals_path, "actuals CSV (unique_id, ds, y) when --data has no y");
  ev_cmd->add_option("--train", ev_opt.train_path, "training data CSV (needed by mase, owa, scaled_*)");
  ev_cmd->add_option("--season-length,--season_length", ev_opt.season_length,
                    "season length m of mase, owa and scaled_* (default: from --train's frequency)");
  ev_cmd->add_option("--metrics", ev_metrics,
                     "comma-separated: mae, mse, rmse, mape, smape, mase, owa, coverage, mqloss, scaled_mqloss, "
                     "quantile_loss, scaled_quantile_loss, crps, scaled_crps")
      ->capture_default_str();
  ev_cmd->add_option("--out", ev_out, "scores CSV (default: stdout)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "nd: error: %s (see nd --help)\n", e.what());
    return 2;
  }
  try {
    if (*demo_cmd) {
      for (const std::string& s : demo_sets) {
        const size_t eq = s.find('=');
        ND_CHECK(eq != std::string::npos && eq > 0, "--set expects name=value, got '", s, "'");
        demo.hyperparameters.update(nd::cli::parse_hyperparameters(
            nd::models::find_model(demo.model), {"--" + s.substr(0, eq), s.substr(eq + 1)}));
      }
      if (demo_steps > 0) demo.hyperparameters["max_steps"] = demo_steps;
      demo.verbose = !demo_quiet;
      nd::forecast::run_demo(demo, std::cout);
    } else if (*models_cmd) {
      print_models(std::cout, model_name);
    } else if (*fit_cmd) {
      nd::forecast::NeuralForecast nf = fit_args.make(fit_cmd->remaining());
      nd::data::StaticFrame st;
      if (!fit_args.static_csv.empty()) st = nd::data::read_static_csv(fit_args.static_csv);
      nf.fit(nd::data::read_csv(fit_args.data), fit_args.val_size, fit_args.static_csv.empty() ? nullptr : &st,
             fit_args.intervals_setup());
      nf.save(fit_out, true);
      for (const auto& r : nf.reports())
        std::fprintf(stderr, "%s: %lld steps in %.2f s, final training loss %.5f; saved to %s\n", r.model.c_str(),
                     static_cast<long long>(r.steps), r.seconds, r.train_loss, fit_out.c_str());
    } else if (*pred_cmd) {
      nd::forecast::NeuralForecast nf = nd::forecast::NeuralForecast::load(pred_args.model);
      pred_args.read();
      const nd::data::Frame f = nf.predict(pred_args.df_ptr(), pred_args.static_ptr(), pred_args.futr_ptr(),
                                           intervals(pred_level, pred_quantiles));
      if (pred_out.empty())
        std::cout << nd::data::to_csv_string(f);
      else
        nd::data::write_csv(f, pred_out);
    } else if (*sim_cmd) {
      nd::forecast::NeuralForecast nf = nd::forecast::NeuralForecast::load(sim_args.model);
      sim_args.read();
      const std::string csv = nf.simulate(sim_args.df_ptr(), sim_args.static_ptr(), sim_args.futr_ptr(), sim_paths,
                                          numbers("quantiles", sim_quantiles), sim_seed, sim_method)
                                  .to_csv();
      if (sim_out.empty()) {
        std::cout << csv;
      } else {
        const std::string tmp = sim_out + ".tmp";
        std::ofstream f(tmp);
        f << csv;
        f.close();
        ND_CHECK(f.good() && std::rename(tmp.c_str(), sim_out.c_str()) == 0, "cannot write '", sim_out, "'");
      }
    } else if (*ev_cmd) {
      ev_opt.metrics = split(ev_metrics);
      const std::string csv = nd::forecast::evaluate_csv(ev_data, ev_opt).to_csv();
      if (ev_out.empty()) {
        std::cout << csv;
      } else {
        std::ofstream f(ev_out);
        f << csv;
        ND_CHECK(f.good(), "cannot write '", ev_out, "'");
      }
    } else if (*cv_cmd) {
      const std::vector<std::string> metrics = split(cv_metrics);
      for (const std::string& m : metrics)
        ND_CHECK(m == "mae" || m == "mse" || m == "rmse" || m == "mape" || m == "smape", "unknown metric '", m,
                 "'; expected mae, mse, rmse, mape, smape");
      nd::forecast::NeuralForecast nf = cv_args.make(cv_cmd->remaining());
      nd::data::StaticFrame st;
      if (!cv_args.static_csv.empty()) st = nd::data::read_static_csv(cv_args.static_csv);
      const nd::forecast::CVResult cv =
          nf.cross_validation(nd::data::read_csv(cv_args.data), n_windows, cv_step, cv_args.val_size, 0, refit,
                              cv_args.static_csv.empty() ? nullptr : &st, intervals(cv_level, cv_quantiles),
                              cv_args.intervals_setup());
      if (!cv_out.empty()) cv.write_csv(cv_out);
      const std::vector<float>& y = cv.column("y");
      std::printf("%-24s", "model");
      for (const std::string& m : metrics) std::printf("%12s", m.c_str());
      std::printf("\n");
      for (const std::string& col : cv.columns) {
        if (col == "y") continue;
        const std::vector<float>& p = cv.column(col);
        std::printf("%-24s", col.c_str());
        for (const std::string& m : metrics) {
          const int64_t n = cv.n_rows();
          const double v = m == "mae"    ? nd::forecast::mae(y.data(), p.data(), n)
                           : m == "mse"  ? nd::forecast::mse(y.data(), p.data(), n)
                           : m == "rmse" ? nd::forecast::rmse(y.data(), p.data(), n)
                           : m == "mape" ? nd::forecast::mape(y.data(), p.data(), n)
                                         : nd::forecast::smape(y.data(), p.data(), n);
          std::printf("%12.4f", v);
        }
        std::printf("\n");
      }
    }
  } catch (const nd::Error& e) {
    std::fprintf(stderr, "nd: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nd: internal error: %s\n", e.what());
    return 3;
  }
  return 0;
}
