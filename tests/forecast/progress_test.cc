// Progress output: silent when verbose is off, plain lines with every field when stderr is not a
// terminal, an in-place bar (carriage returns, throttled, newline at the end) on a terminal.
#include "nd/forecast/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "nd/data/csv.h"
#include "nd/data/embedded.h"
#include "nd/forecast/neuralforecast.h"

namespace nd::forecast {
namespace {

// Everything written to a temporary stream.
std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  return s;
}

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

NeuralForecast mlp(int64_t max_steps) {
  std::vector<std::unique_ptr<models::Model>> ms;
  ms.push_back(models::make_model("MLP", {{"h", 12}, {"input_size", 24}, {"max_steps", max_steps},
                                          {"hidden_size", 8}, {"val_check_steps", 5}}));
  return NeuralForecast(std::move(ms), "MS");
}

TEST(ForecastProgress, SilentWhenNotVerbose) {
  NeuralForecast nf = mlp(20);
  nf.verbose = false;
  testing::internal::CaptureStderr();
  nf.fit(data::read_csv_string(data::embedded_air_passengers(), "air"), 12);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(ForecastProgress, PlainLinesWhenStderrIsNotATerminal) {
  NeuralForecast nf = mlp(20);
  nf.verbose = true;
  testing::internal::CaptureStderr();  // a file, not a terminal
  nf.fit(data::read_csv_string(data::embedded_air_passengers(), "air"), 12);
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  EXPECT_EQ(count(out, "\n"), 10) << out;  // every 2 steps of 20, the last one included
  for (const char* field : {"[MLP] step 2/20  loss ", "[MLP] step 20/20  loss ", "  valid ", " steps/s  ETA "})
    EXPECT_NE(out.find(field), std::string::npos) << field << "\n" << out;
}

TEST(ForecastProgress, TerminalBarRedrawsInPlaceAndEndsTheLine) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressBar bar("NHITS", 1000, f, /*tty=*/true, /*min_interval_s=*/3600.0);
    for (int64_t s = 1; s < 1000; ++s) bar.update(s, 0.5f, s >= 500 ? 0.25f : -1.0f);
    bar.finish(1000, 0.125f, 0.25f);
  }
  const std::string out = contents(f);
  std::fclose(f);
  // Drawn on the first step, then throttled (an hour between redraws) until the final draw.
  EXPECT_EQ(count(out, "\r"), 2) << out;
  EXPECT_EQ(count(out, "\n"), 1);
  EXPECT_EQ(out.back(), '\n');
  EXPECT_NE(out.find("[NHITS] [------------------------] step 1/1000  loss 0.50000"), std::string::npos) << out;
  EXPECT_NE(out.find("[########################] step 1000/1000  loss 0.12500  valid 0.25000"), std::string::npos)
      << out;
  EXPECT_NE(out.find("ETA 0.0s"), std::string::npos) << out;
}

TEST(ForecastProgress, TerminalBarLeftOpenByAnErrorIsClosed) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressBar bar("MLP", 10, f, true);
    bar.update(1, 1.0f, -1.0f);
  }  // no finish(): training threw
  const std::string out = contents(f);
  std::fclose(f);
  EXPECT_EQ(out.back(), '\n');
}

}  // namespace
}  // namespace nd::forecast
