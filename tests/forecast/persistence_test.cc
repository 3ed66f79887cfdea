// Save -> load gives bit-identical predictions; damaged or foreign saves give clear errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

#include "nd/core/error.h"
#include "nd/data/csv.h"
#include "nd/data/embedded.h"
#include "nd/forecast/neuralforecast.h"
#include "nd/io/safetensors.h"

namespace nd::forecast {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

class Persistence : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nd_persist_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  NeuralForecast fitted() {
    std::vector<std::unique_ptr<models::Model>> ms;
    ms.push_back(models::make_model("MLP", {{"h", 12}, {"input_size", 24}, {"max_steps", 10}, {"hidden_size", 16},
                                            {"loss", {{"name", "MQLoss"}, {"level", {80}}}}, {"scaler_type", "robust"}}));
    ms.push_back(models::make_model("DLinear", {{"h", 12}, {"input_size", 24}, {"max_steps", 10}}));
    NeuralForecast nf(std::move(ms), "MS", "standard");
    nf.verbose = false;
    nf.fit(data::read_csv_string(data::embedded_air_passengers(), "air"));
    return nf;
  }
  fs::path dir_;
};

TEST_F(Persistence, LoadGivesBitIdenticalPredictions) {
  NeuralForecast nf = fitted();
  const data::Frame before = nf.predict();
  nf.save(dir_.string());
  NeuralForecast back = NeuralForecast::load(dir_.string());
  const data::Frame after = back.predict();
  ASSERT_EQ(before.columns, after.columns);
  for (size_t c = 0; c < before.columns.size(); ++c) EXPECT_EQ(before.values[c], after.values[c]) << before.columns[c];
  EXPECT_EQ(before.ds, after.ds);
  EXPECT_EQ(back.freq().str(), "MS");
  // The weights file is plain safetensors with PyTorch-style names.
  const io::StFile w = io::read_safetensors((dir_ / "model_0.safetensors").string());
  EXPECT_TRUE(w.tensors.count("mlp.0.weight"));
  EXPECT_EQ(w.at("out.weight").shape, (std::vector<int64_t>{12 * 3, 16}));
}

TEST_F(Persistence, RefusesToOverwriteUnlessAsked) {
  NeuralForecast nf = fitted();
  nf.save(dir_.string());
  EXPECT_NE(error_of([&] { nf.save(dir_.string()); }).find("already exists"), std::string::npos);
  nf.save(dir_.string(), true);
  EXPECT_NO_THROW(NeuralForecast::load(dir_.string()));
  for (const auto& e : fs::directory_iterator(dir_.parent_path()))
    EXPECT_EQ(e.path().string().find(dir_.string() + ".tmp"), std::string::npos) << "temp dir left behind";
}

TEST_F(Persistence, DamagedSavesNameTheFile) {
  NeuralForecast nf = fitted();
  nf.save(dir_.string());
  const fs::path weights = dir_ / "model_0.safetensors";
  fs::resize_file(weights, fs::file_size(weights) / 2);
  std::string msg = error_of([&] { NeuralForecast::load(dir_.string()); });
  EXPECT_NE(msg.find("model_0.safetensors' is truncated"), std::string::npos) << msg;
  std::ofstream(weights, std::ios::trunc) << "hello, I am not a model";
  msg = error_of([&] { NeuralForecast::load(dir_.string()); });
  EXPECT_NE(msg.find("model_0.safetensors"), std::string::npos) << msg;
  std::ofstream(dir_ / "nd_config.json", std::ios::trunc) << "{\"format\": \"something-else\"}";
  msg = error_of([&] { NeuralForecast::load(dir_.string()); });
  EXPECT_NE(msg.find("is not a neuro-divergent save file"), std::string::npos) << msg;
  std::ofstream(dir_ / "nd_config.json", std::ios::trunc) << "{\"format\": \"neuro-divergent\", \"format_version\": 99}";
  msg = error_of([&] { NeuralForecast::load(dir_.string()); });
  EXPECT_NE(msg.find("format version 99"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { NeuralForecast::load((dir_ / "nope").string()); }).find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace nd::forecast
