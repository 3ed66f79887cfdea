// cross_validation on a tiny frame: cutoffs, windows, columns and actuals against a hand-computed
// table; forecasts equal an independent fit + predict on the data up to each cutoff.
#include <gtest/gtest.h>

#include "nd/core/error.h"
#include "nd/data/csv.h"
#include "nd/forecast/neuralforecast.h"

namespace nd::forecast {
namespace {

using models::json;

// Series A: ds 1..10, y = 10 * ds; series B: ds 1..8, y = 100 + ds.
data::Frame tiny(int64_t cut_a = 10, int64_t cut_b = 8) {
  std::string csv = "unique_id,ds,y\n";
  for (int64_t t = 1; t <= cut_a; ++t) csv += "A," + std::to_string(t) + "," + std::to_string(10 * t) + "\n";
  for (int64_t t = 1; t <= cut_b; ++t) csv += "B," + std::to_string(t) + "," + std::to_string(100 + t) + "\n";
  return data::read_csv_string(csv, "tiny.csv");
}

std::unique_ptr<models::Model> model() {
  return models::make_model("NLinear", {{"h", 2}, {"input_size", 3}, {"max_steps", 20}, {"learning_rate", 0.01},
                                         {"random_seed", 5}, {"scaler_type", "standard"}});
}

NeuralForecast make_nf() {
  std::vector<std::unique_ptr<models::Model>> ms;
  ms.push_back(model());
  NeuralForecast nf(std::move(ms), "1");
  nf.verbose = false;
  return nf;
}

TEST(ForecastCrossValidation, CutoffsWindowsColumnsMatchHandComputation) {
  NeuralForecast nf = make_nf();
  const CVResult cv = nf.cross_validation(tiny(), /*n_windows=*/3, /*step_size=*/1);
  EXPECT_EQ(cv.columns, (std::vector<std::string>{"NLinear", "y"}));
  // test_size = h + step * (n_windows - 1) = 4: A's cutoffs 6, 7, 8; B's 4, 5, 6.
  const std::vector<std::string> ids = {"A", "A", "A", "A", "A", "A", "B", "B", "B", "B", "B", "B"};
  const std::vector<int64_t> cutoff = {6, 6, 7, 7, 8, 8, 4, 4, 5, 5, 6, 6};
  const std::vector<int64_t> ds = {7, 8, 8, 9, 9, 10, 5, 6, 6, 7, 7, 8};
  const std::vector<float> y = {70, 80, 80, 90, 90, 100, 105, 106, 106, 107, 107, 108};
  EXPECT_EQ(cv.unique_id, ids);
  EXPECT_EQ(cv.cutoff, cutoff);
  EXPECT_EQ(cv.ds, ds);
  EXPECT_EQ(cv.column("y"), y);
  EXPECT_EQ(cv.to_csv().rfind("unique_id,ds,cutoff,NLinear,y\nA,7,6,", 0), 0u);
}

TEST(ForecastCrossValidation, ForecastsEqualFitThenPredictAtEachCutoff) {
  // No refit: one model trained on the data before the first cutoff predicts every window.
  NeuralForecast nf = make_nf();
  const CVResult cv = nf.cross_validation(tiny(), 3, 1);
  NeuralForecast ref = make_nf();
  ref.fit(tiny(6, 4));
  for (int w = 0; w < 3; ++w) {
    const data::Frame upto = tiny(6 + w, 4 + w);
    const data::Frame f = ref.predict(&upto);
    EXPECT_EQ(f.column("NLinear")[0], cv.column("NLinear")[2 * w]) << "A window " << w;
    EXPECT_EQ(f.column("NLinear")[3], cv.column("NLinear")[6 + 2 * w + 1]) << "B window " << w;
  }
  // Refit: a fresh model (same seed) trained on the data up to each cutoff.
  NeuralForecast nf2 = make_nf();
  const CVResult cv2 = nf2.cross_validation(tiny(), 2, 2, 0, 0, /*refit=*/true);
  for (int w = 0; w < 2; ++w) {
    NeuralForecast r = make_nf();
    r.fit(tiny(6 - 2 + 2 * w + 2, 4 - 2 + 2 * w + 2));  // test_size = 2 + 2 = 4; cutoffs 6, 8 (A) / 4, 6 (B)
    const data::Frame f = r.predict();
    EXPECT_EQ(f.column("NLinear")[1], cv2.column("NLinear")[2 * w + 1]) << "A refit window " << w;
  }
}

TEST(ForecastCrossValidation, ArgumentErrors) {
  NeuralForecast nf = make_nf();
  EXPECT_THROW(nf.cross_validation(tiny(), 0, 1), Error);
  EXPECT_THROW(nf.cross_validation(tiny(), 2, 1, 0, 5), Error);     // both n_windows and test_size
  EXPECT_THROW(nf.cross_validation(tiny(), 0, 2, 0, 5), Error);     // (5 - 2) % 2 != 0
  try {
    nf.cross_validation(tiny(), 8, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("series 'B' has 8 values"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nd::forecast

namespace nd::forecast {
namespace {

TEST(ForecastPredictInsample, WindowsOverTheTrainingData) {
  NeuralForecast nf = make_nf();
  nf.fit(tiny());
  const CVResult in = nf.predict_insample(2);
  // input_size 3, h 2: cutoffs at indices 2, 4, 6 for A (ds 3, 5, 7; 8 + 2 > 10 stops at 6) and
  // 2, 4 for B (length 8).
  const std::vector<int64_t> cut = {3, 3, 5, 5, 7, 7, 3, 3, 5, 5};
  const std::vector<int64_t> ds = {4, 5, 6, 7, 8, 9, 4, 5, 6, 7};
  EXPECT_EQ(in.cutoff, cut);
  EXPECT_EQ(in.ds, ds);
  EXPECT_EQ(in.column("y")[0], 40.0f);
  // The forecast at a cutoff equals predict() on the data up to it.
  const data::Frame upto = tiny(5, 5);
  const data::Frame f = nf.predict(&upto);
  EXPECT_EQ(f.column("NLinear")[0], in.column("NLinear")[2]);
  EXPECT_EQ(f.column("NLinear")[2], in.column("NLinear")[8]);
}

}  // namespace
}  // namespace nd::forecast
