// evaluate_csv on tiny hand-computed frames: OWA against Naive2 (per series and M4's overall),
// Naive2 from the history up to each cross-validation cutoff, and the interval scores with
// utilsforecast's names and definitions.
#include "nd/forecast/evaluate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "nd/core/error.h"

namespace nd::forecast {
namespace {

namespace fs = std::filesystem;

class Evaluate : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nd_eval_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }
  static double at(const Evaluation& ev, const std::string& metric, const std::string& col, const std::string& id) {
    const size_t m = std::find(ev.metrics.begin(), ev.metrics.end(), metric) - ev.metrics.begin();
    const size_t c = std::find(ev.columns.begin(), ev.columns.end(), col) - ev.columns.begin();
    const size_t s = id == "all" ? ev.ids.size() : std::find(ev.ids.begin(), ev.ids.end(), id) - ev.ids.begin();
    EXPECT_LT(m, ev.metrics.size()) << metric;
    EXPECT_LT(c, ev.columns.size()) << col;
    return m < ev.metrics.size() && c < ev.columns.size() ? ev.scores[m][c][s] : -1.0;
  }
  fs::path dir_;
};

// Series a: history 1 3 2 4 3 5 (MASE scale with m = 1: 8 / 5), actuals 6 4, model 6 5,
// Naive2 (not seasonal for m = 1) 5 5. Series b: history 10 10 12 12 (scale 2 / 3), actuals 12 15,
// model 13 14, Naive2 12 12.
TEST_F(Evaluate, OwaAgainstNaive2HandComputed) {
  const std::string train = write("train.csv",
                                  "unique_id,ds,y\na,0,1\na,1,3\na,2,2\na,3,4\na,4,3\na,5,5\n"
                                  "b,0,10\nb,1,10\nb,2,12\nb,3,12\n");
  const std::string fc = write("fc.csv", "unique_id,ds,M,y\na,6,6,6\na,7,5,4\nb,4,13,12\nb,5,14,15\n");
  EvaluateOptions opt;
  opt.metrics = {"smape", "mase", "owa"};
  opt.train_path = train;
  opt.season_length = 1;
  const Evaluation ev = evaluate_csv(fc, opt);
  // a: sMAPE 50 (0 + 2/9) = 100/9, Naive2's 50 (2/11 + 2/9) = 2000/99; MASE 0.5/1.6 vs 1/1.6.
  const double sa = 100.0 / 9, sa2 = 2000.0 / 99, ma = 0.5 / 1.6, ma2 = 1.0 / 1.6;
  // b: sMAPE 50 (2/25 + 2/29), Naive2's 50 (0 + 6/27); MASE 1/(2/3) vs 1.5/(2/3).
  const double sb = 50.0 * (2.0 / 25 + 2.0 / 29), sb2 = 50.0 * 6.0 / 27, mb = 1.5, mb2 = 2.25;
  EXPECT_NEAR(at(ev, "owa", "M", "a"), 0.5 * (sa / sa2 + ma / ma2), 1e-6);
  EXPECT_NEAR(at(ev, "owa", "M", "a"), 0.525, 1e-6);
  EXPECT_NEAR(at(ev, "owa", "M", "b"), 0.5 * (sb / sb2 + mb / mb2), 1e-6);
  // M4's overall OWA: from the average sMAPE and MASE, not the average of the series' OWA.
  const double overall = 0.5 * ((sa + sb) / (sa2 + sb2) + (ma + mb) / (ma2 + mb2));
  EXPECT_NEAR(at(ev, "owa", "M", "all"), overall, 1e-6);
  EXPECT_GT(std::fabs(overall - 0.5 * (at(ev, "owa", "M", "a") + at(ev, "owa", "M", "b"))), 1e-3);
  EXPECT_NEAR(at(ev, "mase", "M", "b"), mb, 1e-6);
}

TEST_F(Evaluate, OwaInCrossValidationUsesHistoryUpToEachCutoff) {
  // Series a continues after the first cutoff; the window after cutoff 5 must see Naive2 = 5 (the
  // value at ds 5), the one after cutoff 7 Naive2 = 4 (the value at ds 7).
  const std::string train = write("train.csv", "unique_id,ds,y\na,0,1\na,1,3\na,2,2\na,3,4\na,4,3\na,5,5\n"
                                               "a,6,6\na,7,4\na,8,4\na,9,3\n");
  const std::string cv = write("cv.csv", "unique_id,ds,cutoff,M,y\na,6,5,6,6\na,7,5,5,4\na,8,7,4,4\na,9,7,4,3\n");
  EvaluateOptions opt;
  opt.metrics = {"smape", "mae", "owa"};
  opt.train_path = train;
  opt.season_length = 1;
  const Evaluation ev = evaluate_csv(cv, opt);
  // Model errors |0|, |1|, |0|, |1| -> MAE 0.5; Naive2 (5, 5, 4, 4) errors 1, 1, 0, 1 -> MAE 0.75.
  // sMAPE: model 25 (2/9 + 2/7), Naive2 25 (2/11 + 2/9 + 0 + 2/7). The MASE scale cancels.
  const double s = 25.0 * (2.0 / 9 + 2.0 / 7), s2 = 25.0 * (2.0 / 11 + 2.0 / 9 + 2.0 / 7);
  EXPECT_NEAR(at(ev, "owa", "M", "a"), 0.5 * (s / s2 + 0.5 / 0.75), 1e-6);
}

TEST_F(Evaluate, IntervalScoresFollowUtilsforecast) {
  const std::string train = write("train.csv", "unique_id,ds,y\na,0,1\na,1,3\na,2,2\na,3,4\na,4,3\na,5,5\n");
  const std::string fc =
      write("fc.csv", "unique_id,ds,M-median,M-lo-80,M-hi-80,y\na,6,10,8,12,10\na,7,22,21,25,20\n");
  EvaluateOptions opt;
  opt.metrics = {"mae", "coverage", "mqloss", "scaled_mqloss", "quantile_loss", "scaled_quantile_loss", "crps",
                 "scaled_crps"};
  opt.train_path = train;
  opt.season_length = 1;
  const Evaluation ev = evaluate_csv(fc, opt);
  // q = 0.1 (lo-80): pinball max(0.1 d, -0.9 d) of d = y - lo = 2, -1 -> 0.2, 0.9: mean 0.55.
  // q = 0.9 (hi-80): d = -2, -5 -> 0.2, 0.5: mean 0.35. mqloss = 0.45; scaled by 8 / 5.
  EXPECT_NEAR(at(ev, "quantile_loss_q0.1", "M-median", "a"), 0.55, 1e-9);
  EXPECT_NEAR(at(ev, "quantile_loss_q0.9", "M-median", "a"), 0.35, 1e-9);
  EXPECT_NEAR(at(ev, "mqloss", "M-median", "a"), 0.45, 1e-9);
  EXPECT_NEAR(at(ev, "mqloss", "M-median", "all"), 0.45, 1e-9);
  EXPECT_NEAR(at(ev, "scaled_mqloss", "M-median", "a"), 0.45 / 1.6, 1e-9);
  EXPECT_NEAR(at(ev, "scaled_quantile_loss_q0.9", "M-median", "a"), 0.35 / 1.6, 1e-9);
  EXPECT_NEAR(at(ev, "coverage_level80", "M-median", "a"), 0.5, 1e-9);  // 10 in [8, 12], 20 not in [21, 25]
  EXPECT_NEAR(at(ev, "mae", "M-median", "a"), 1.0, 1e-9);
  // crps = 2 mqloss; utilsforecast's scaled_crps = 2 mqloss n / sum |y| = 2 * 0.45 * 2 / 30.
  EXPECT_NEAR(at(ev, "crps", "M-median", "a"), 0.9, 1e-9);
  EXPECT_NEAR(at(ev, "scaled_crps", "M-median", "a"), 0.06, 1e-9);
  // Without interval metrics asked for, interval columns still get coverage and mqloss.
  opt.metrics = {"mae"};
  opt.train_path.clear();
  const Evaluation def = evaluate_csv(fc, opt);
  EXPECT_EQ(def.metrics, (std::vector<std::string>{"mae", "coverage_level80", "mqloss"}));
  EXPECT_NE(def.to_csv().find("all,mqloss,0.45\n"), std::string::npos) << def.to_csv();
}

TEST_F(Evaluate, ErrorsNameTheProblem) {
  const std::string fc = write("fc.csv", "unique_id,ds,M,y\na,6,6,6\n");
  EvaluateOptions opt;
  opt.metrics = {"owa"};
  try {
    evaluate_csv(fc, opt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("need the training data (--train)"), std::string::npos) << e.what();
  }
  opt.metrics = {"energy_score"};
  EXPECT_THROW(evaluate_csv(fc, opt), Error);
  opt.metrics = {"owa"};
  opt.train_path = write("train.csv", "unique_id,ds,y\nb,0,1\nb,1,2\n");
  try {
    evaluate_csv(fc, opt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("series 'a'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nd::forecast
