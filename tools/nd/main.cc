// nd: the command-line front door. Parses arguments, calls the library, maps errors to exit
// code 2 with a one-line message.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "nd/core/error.h"
#include "nd/forecast/demo.h"
#include "nd/models/model.h"

namespace {

using nd::models::json;

// "--set name=value": value parsed as JSON when it is JSON (numbers, lists, objects), else a string.
json parse_sets(const std::vector<std::string>& sets) {
  json j = json::object();
  for (const std::string& s : sets) {
    const size_t eq = s.find('=');
    ND_CHECK(eq != std::string::npos && eq > 0, "--set expects name=value, got '", s, "'");
    std::string key = s.substr(0, eq);
    for (char& c : key)
      if (c == '-') c = '_';
    const std::string val = s.substr(eq + 1);
    json v = json::parse(val, nullptr, false);
    j[key] = v.is_discarded() ? json(val) : v;
  }
  return j;
}

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nd: neural time-series forecasting (NeuralForecast-compatible)"};
  app.require_subcommand(1);

  nd::forecast::DemoOptions demo;
  std::vector<std::string> demo_sets;
  int demo_steps = -1;
  bool quiet = false;
  auto* demo_cmd = app.add_subcommand("demo", "Forecast the embedded AirPassengers data: table, errors vs seasonal naive, SVG plot");
  demo_cmd->add_option("--model", demo.model, "model name (see `nd models`)")->capture_default_str();
  demo_cmd->add_option("--max-steps,--max_steps", demo_steps, "training steps (default: the demo's)");
  demo_cmd->add_option("--plot", demo.plot_path, "SVG plot path ('' for none)")->capture_default_str();
  demo_cmd->add_option("--set", demo_sets, "hyperparameter override name=value (repeatable)");
  demo_cmd->add_flag("--quiet,-q", quiet, "no training progress");

  std::string model_name;
  auto* models_cmd = app.add_subcommand("models", "List the models with their hyperparameters and defaults");
  models_cmd->add_option("name", model_name, "only this model");

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
      demo.hyperparameters = parse_sets(demo_sets);
      if (demo_steps > 0) demo.hyperparameters["max_steps"] = demo_steps;
      demo.verbose = !quiet;
      nd::forecast::run_demo(demo, std::cout);
    } else if (*models_cmd) {
      print_models(std::cout, model_name);
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
