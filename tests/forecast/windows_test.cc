// Window counting / sampling as NeuralForecast's unfold + availability filter.
#include "nd/forecast/windows.h"

#include <gtest/gtest.h>

#include <numeric>

namespace nd::forecast {
namespace {

// Brute force: materialize every padded window and apply the availability filter.
int64_t brute_count(const WindowSpec& s, int64_t n) {
  const int64_t left = s.start_padding ? s.input_size - 1 : 0, total = left + n + s.h, len = s.input_size + s.h;
  int64_t c = 0;
  for (int64_t p = 0; p + len <= total; p += s.step_size) {
    int64_t in = 0, out = 0;
    for (int64_t k = 0; k < len; ++k) {
      const int64_t i = p + k - left;
      const bool ok = i >= 0 && i < n;
      (k < s.input_size ? in : out) += ok;
    }
    c += in >= 1 && out >= 1;
  }
  return c;
}

TEST(ForecastWindows, CountMatchesBruteForce) {
  for (bool pad : {false, true})
    for (int64_t L : {1, 3, 7})
      for (int64_t h : {1, 4})
        for (int64_t step : {1, 2, 5})
          for (int64_t n : {1, 2, 5, 9, 30}) {
            WindowSpec s{L, h, step, pad};
            int64_t first = -1;
            EXPECT_EQ(count_windows(s, n, &first), brute_count(s, n))
                << "L " << L << " h " << h << " step " << step << " n " << n << " pad " << pad;
          }
}

TEST(ForecastWindows, SamplerIsDeterministicAndFillsMasks) {
  std::vector<float> a(20), b(7);
  std::iota(a.begin(), a.end(), 1.0f);
  std::iota(b.begin(), b.end(), 100.0f);
  std::vector<SeriesView> series = {{a.data(), 20}, {b.data(), 7}};
  WindowSpec spec{4, 3, 1, true};
  WindowSampler s1(spec, 2, 16, false, 9), s2(spec, 2, 16, false, 9);
  WindowBatchData w1, w2;
  for (int k = 0; k < 3; ++k) {
    s1.next(series, &w1);
    s2.next(series, &w2);
    EXPECT_EQ(w1.y, w2.y);
    EXPECT_EQ(w1.mask, w2.mask);
  }
  // Every window: masked values are 0, unmasked ones are consecutive series values.
  for (int64_t r = 0; r < w1.W; ++r) {
    float prev = -1;
    int avail_in = 0, avail_out = 0;
    for (int64_t k = 0; k < 7; ++k) {
      const float v = w1.y[r * 7 + k], m = w1.mask[r * 7 + k];
      if (m == 0) {
        EXPECT_EQ(v, 0.0f);
        continue;
      }
      (k < 4 ? avail_in : avail_out)++;
      if (prev >= 0) EXPECT_EQ(v, prev + 1);
      prev = v;
    }
    EXPECT_GE(avail_in, 1);
    EXPECT_GE(avail_out, 1);
  }
}

TEST(ForecastWindows, LastWindowsPadShortSeries) {
  std::vector<float> a = {1, 2, 3, 4, 5}, b = {7, 8};
  WindowBatchData w;
  last_windows({3, 2, 1, false}, {{a.data(), 5}, {b.data(), 2}}, &w);
  EXPECT_EQ(std::vector<float>(w.y.begin(), w.y.begin() + 3), (std::vector<float>{3, 4, 5}));
  EXPECT_EQ(std::vector<float>(w.y.begin() + 5, w.y.begin() + 8), (std::vector<float>{0, 7, 8}));
  EXPECT_EQ(std::vector<float>(w.mask.begin() + 5, w.mask.begin() + 8), (std::vector<float>{0, 1, 1}));
}

}  // namespace
}  // namespace nd::forecast
