// Window scalers against NeuralForecast's TemporalNorm and local scalers against coreforecast,
// from the goldens written by tests/golden/make_golden.py.
#include "nd/data/scalers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nd/core/error.h"

namespace nd::data {
namespace {

using json = nlohmann::json;

const json& scalers_golden() {
  static json doc = [] {
    std::ifstream f(std::string(ND_GOLDEN_DIR) + "/torch_parity.json");
    return json::parse(f)["scalers"];
  }();
  return doc;
}

TEST(DataScalers, WindowStatisticsMatchTemporalNorm) {
  const json& g = scalers_golden();
  ASSERT_FALSE(g.empty()) << "goldens generated without neuralforecast";
  const auto x = g["x"].get<std::vector<float>>(), mask = g["mask"].get<std::vector<float>>();
  const int64_t rows = g["rows"], len = g["len"];
  std::vector<float> shift(rows), scale(rows), scratch(2 * len);
  for (const json& w : g["windows"]) {
    const std::string type = w["type"];
    const ScalerType t = scaler_from_name(type);
    window_statistics(t, x.data(), mask.data(), rows, len, len, shift.data(), scale.data(), scratch.data());
    const auto want_shift = w["shift"].get<std::vector<float>>(), want_scale = w["scale"].get<std::vector<float>>();
    const auto want_z = w["z"].get<std::vector<float>>();
    for (int64_t r = 0; r < rows; ++r) {
      EXPECT_NEAR(shift[r], want_shift[r], 1e-5 * std::max(1.0f, std::fabs(want_shift[r]))) << type << " row " << r;
      EXPECT_NEAR(scale[r], want_scale[r], 1e-5 * std::max(1.0f, std::fabs(want_scale[r]))) << type << " row " << r;
      std::vector<float> z(x.begin() + r * len, x.begin() + (r + 1) * len);
      scale_forward(t, z.data(), len, shift[r], scale[r]);
      for (int64_t k = 0; k < len; ++k)
        EXPECT_NEAR(z[k], want_z[r * len + k], 2e-5 * std::max(1.0f, std::fabs(want_z[r * len + k])))
            << type << " row " << r << " t " << k;
      scale_inverse(t, z.data(), len, shift[r], scale[r]);
      for (int64_t k = 0; k < len; ++k)
        EXPECT_NEAR(z[k], x[r * len + k], 1e-4 * std::max(1.0f, std::fabs(x[r * len + k]))) << type << " inverse";
    }
  }
}

TEST(DataScalers, LocalStatisticsMatchCoreforecast) {
  const json& g = scalers_golden();
  ASSERT_FALSE(g.empty());
  const auto values = g["local_values"].get<std::vector<float>>();
  const auto indptr = g["local_indptr"].get<std::vector<int64_t>>();
  std::vector<float> scratch(values.size());
  for (const json& l : g["local"]) {
    const std::string type = l["type"];
    const auto stats = l["stats"].get<std::vector<double>>(), want_z = l["z"].get<std::vector<double>>();
    for (size_t s = 0; s + 1 < indptr.size(); ++s) {
      const int64_t n = indptr[s + 1] - indptr[s];
      const LocalScalerType t = local_scaler_from_name(type);
      const LocalStats st = local_statistics(t, values.data() + indptr[s], n, scratch.data());
      const float loc = st.loc, scale = st.scale;
      EXPECT_NEAR(loc, stats[2 * s], 1e-5 * std::max(1.0, std::fabs(stats[2 * s]))) << type << " series " << s;
      if (stats[2 * s + 1] != 0.0)
        EXPECT_NEAR(scale, stats[2 * s + 1], 1e-5 * std::max(1.0, stats[2 * s + 1])) << type << " series " << s;
      else
        EXPECT_EQ(scale, 1.0f) << "constant series: scale 1 so values map to 0";
      std::vector<float> z(values.begin() + indptr[s], values.begin() + indptr[s + 1]);
      local_forward(t, z.data(), n, st);
      for (int64_t k = 0; k < n; ++k)
        EXPECT_NEAR(z[k], want_z[indptr[s] + k], 1e-5 * std::max(1.0, std::fabs(want_z[indptr[s] + k]))) << type;
    }
  }
}

TEST(DataScalers, NamesAndErrors) {
  for (const char* n : {"identity", "standard", "robust", "minmax", "minmax1", "invariant", "revin"})
    EXPECT_STREQ(scaler_name(scaler_from_name(n)), n);
  EXPECT_EQ(scaler_from_name("None"), ScalerType::identity);
  try {
    scaler_from_name("zscore");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown scaler_type 'zscore'"), std::string::npos);
  }
  EXPECT_STREQ(local_scaler_name(local_scaler_from_name("boxcox")), "boxcox");
  EXPECT_THROW(local_scaler_from_name("zscore"), Error);
  EXPECT_STREQ(local_scaler_name(local_scaler_from_name("robust-iqr")), "robust-iqr");
}

}  // namespace
}  // namespace nd::data
