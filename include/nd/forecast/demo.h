// `nd demo`: fit a model on the embedded AirPassengers data with the last year held out, print
// the forecast next to the actuals and the seasonal naive benchmark, and plot it.
#pragma once
#include <ostream>
#include <string>

#include "nd/models/model.h"

namespace nd::forecast {

struct DemoOptions {
  std::string model = "MLP";
  models::json hyperparameters = models::json::object();  // overrides of the demo defaults
  std::string plot_path = "nd_demo.svg";
  bool verbose = true;
};

struct DemoResult {
  double model_mae = 0, model_smape = 0, naive_mae = 0, naive_smape = 0;
  double coverage80 = -1;  // share of actuals inside the 80% interval (-1 without one)
  double fit_seconds = 0;
};

DemoResult run_demo(const DemoOptions& opt, std::ostream& out);

}  // namespace nd::forecast
