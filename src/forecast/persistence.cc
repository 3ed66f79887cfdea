// NeuralForecast::save / load: <dir>/nd_config.json (format, version, frequency, local scaler,
// each model's class / alias / full config), <dir>/model_<k>.safetensors (weights by parameter
// name) and <dir>/dataset.safetensors (the fit frame, so predict() works after load).
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <cstring>
#include <fstream>

#include "nd/core/error.h"
#include "nd/forecast/neuralforecast.h"
#include "nd/io/safetensors.h"

namespace nd::forecast {

namespace fs = std::filesystem;
using models::json;

namespace {

// 1: config, weights, dataset. 2: + the fitted local-scaler state ("local_stats:<column>",
// [series, 3] = loc, scale, lambda) in dataset.safetensors; version-1 saves recompute it from the
// dataset at predict time, which gives the same numbers. 3: + conformal intervals
// ("prediction_intervals" in the config, "conformity_scores:<alias>" [series, n_windows, h]).
constexpr int kFormatVersion = 3;
constexpr const char* kFormat = "neuro-divergent";

io::StFile weights_of(models::Model& m) {
  io::StFile f;
  nn::ParameterStore& s = m.params();
  for (const nn::ParamInfo& p : s.params())
    f.put_f32(p.name, p.shape.vec(), s.data() + p.offset);
  f.metadata["class"] = m.name();
  f.metadata["format"] = kFormat;
  return f;
}

io::StFile dataset_of(const data::Frame& df) {
  io::StFile f;
  f.put_i64("indptr", {static_cast<int64_t>(df.indptr.size())}, df.indptr.data());
  f.put_i64("ds", {static_cast<int64_t>(df.ds.size())}, df.ds.data());
  for (size_t c = 0; c < df.columns.size(); ++c)
    f.put_f32("column:" + df.columns[c], {static_cast<int64_t>(df.values[c].size())}, df.values[c].data());
  f.metadata["ids"] = json(df.ids).dump();
  f.metadata["columns"] = json(df.columns).dump();
  f.metadata["time_kind"] = df.time_kind == data::TimeKind::integer ? "integer" : "datetime";
  return f;
}

data::Frame frame_of(const io::StFile& f, const std::string& path) {
  data::Frame df;
  try {
    df.ids = json::parse(f.metadata.at("ids")).get<std::vector<std::string>>();
    df.columns = json::parse(f.metadata.at("columns")).get<std::vector<std::string>>();
    df.time_kind = f.metadata.at("time_kind") == "integer" ? data::TimeKind::integer : data::TimeKind::datetime;
  } catch (const std::exception& e) {
    ND_THROW("'", path, "': dataset metadata is missing or malformed (", e.what(), ")");
  }
  df.indptr = f.i64("indptr");
  df.ds = f.i64("ds");
  for (const std::string& c : df.columns) df.values.push_back(f.f32("column:" + c));
  df.check();
  return df;
}

}  // namespace

void NeuralForecast::save(const std::string& dir, bool overwrite) const {
  ND_CHECK(fitted_, "save() before fit()");
  fs::path target = fs::path(dir).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "run/" names the directory "run"
  ND_CHECK(!target.empty(), "save: empty path");
  ND_CHECK(overwrite || !fs::exists(target), "'", dir, "' already exists (pass overwrite to replace it)");
  const fs::path tmp = target.string() + ".tmp." + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  ND_CHECK(!ec, "cannot create '", tmp.string(), "': ", ec.message());
  try {
    json cfg = {{"format", kFormat},
                {"format_version", kFormatVersion},
                {"freq", freq_.str()},
                {"local_scaler_type", has_local_scaler_ ? data::local_scaler_name(local_scaler_) : ""},
                {"models", json::array()},
                {"dataset", "dataset.safetensors"}};
    if (has_pi_)
      cfg["prediction_intervals"] = {{"n_windows", pi_.n_windows}, {"method", pi_.method}, {"step_size", pi_.step_size}};
    for (size_t k = 0; k < models_.size(); ++k) {
      const std::string file = "model_" + std::to_string(k) + ".safetensors";
      io::write_safetensors(weights_of(*models_[k]), (tmp / file).string());
      cfg["models"].push_back(
          {{"class", models_[k]->name()}, {"alias", models_[k]->alias()}, {"config", models_[k]->config()}, {"weights", file}});
    }
    io::StFile ds = dataset_of(train_);
    if (!static_.ids.empty()) {  // static features given to fit travel with the model
      ds.metadata["static_ids"] = json(static_.ids).dump();
      ds.metadata["static_columns"] = json(static_.columns).dump();
      for (size_t c = 0; c < static_.columns.size(); ++c)
        ds.put_f32("static:" + static_.columns[c], {static_cast<int64_t>(static_.values[c].size())},
                   static_.values[c].data());
    }
    for (const auto& [col, stats] : local_stats_) {
      std::vector<float> flat;
      for (const data::LocalStats& st : stats) flat.insert(flat.end(), {st.loc, st.scale, st.lambda});
      ds.put_f32("local_stats:" + col, {static_cast<int64_t>(stats.size()), 3}, flat.data());
    }
    for (const auto& [alias, sc] : scores_) {
      const int64_t S = train_.n_series(), W = pi_.n_windows;
      ds.put_f32("conformity_scores:" + alias, {S, W, static_cast<int64_t>(sc.size()) / std::max<int64_t>(S * W, 1)},
                 sc.data());
    }
    io::write_safetensors(ds, (tmp / "dataset.safetensors").string());
    std::ofstream out(tmp / "nd_config.json");
    out << cfg.dump(2) << "\n";
    out.close();
    ND_CHECK(out.good(), "cannot write '", (tmp / "nd_config.json").string(), "'");
    // Swap in: the old save (if any) is removed only after the new one is complete.
    const fs::path old = target.string() + ".old." + std::to_string(::getpid());
    if (fs::exists(target)) fs::rename(target, old);
    fs::rename(tmp, target);
    fs::remove_all(old, ec);
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

NeuralForecast NeuralForecast::load(const std::string& dir) {
  const fs::path root(dir);
  const fs::path cfg_path = root / "nd_config.json";
  std::ifstream in(cfg_path);
  ND_CHECK(in.good(), "cannot open '", cfg_path.string(), "' (not a saved NeuralForecast directory?)");
  json cfg = json::parse(in, nullptr, false);
  ND_CHECK(!cfg.is_discarded() && cfg.is_object() && cfg.value("format", "") == kFormat, "'", cfg_path.string(),
           "' is not a neuro-divergent save file");
  const int version = cfg.value("format_version", 0);
  ND_CHECK(version >= 1 && version <= kFormatVersion, "'", cfg_path.string(), "' has format version ", version,
           "; this build reads versions 1..", kFormatVersion);
  NeuralForecast nf;
  try {
    nf.freq_alias_ = cfg.at("freq").get<std::string>();
    nf.freq_ = data::Frequency::parse(nf.freq_alias_);
    const std::string ls = cfg.at("local_scaler_type").get<std::string>();
    if (!ls.empty()) {
      nf.local_scaler_ = data::local_scaler_from_name(ls);
      nf.has_local_scaler_ = true;
    }
    for (const json& m : cfg.at("models")) {
      auto model = models::make_model(m.at("class").get<std::string>(), m.at("config"));
      const std::string wpath = (root / m.at("weights").get<std::string>()).string();
      const io::StFile w = io::read_safetensors(wpath);
      nn::ParameterStore& s = model->params();
      ND_CHECK(w.tensors.size() == s.params().size(), "'", wpath, "' holds ", w.tensors.size(), " tensors, the ",
               model->name(), " config needs ", s.params().size());
      for (const nn::ParamInfo& p : s.params()) {
        const io::StTensor& t = w.at(p.name);
        ND_CHECK(t.dtype == "F32" && t.shape == p.shape.vec(), "'", wpath, "': tensor '", p.name, "' has shape ",
                 json(t.shape).dump(), ", expected ", p.shape.str());
        std::memcpy(s.data() + p.offset, t.bytes.data(), t.bytes.size());
      }
      nf.models_.push_back(std::move(model));
    }
    const std::string dpath = (root / cfg.at("dataset").get<std::string>()).string();
    const io::StFile ds = io::read_safetensors(dpath);
    nf.train_ = frame_of(ds, dpath);
    if (ds.metadata.count("static_ids")) {
      nf.static_.ids = json::parse(ds.metadata.at("static_ids")).get<std::vector<std::string>>();
      nf.static_.columns = json::parse(ds.metadata.at("static_columns")).get<std::vector<std::string>>();
      for (const std::string& c : nf.static_.columns) nf.static_.values.push_back(ds.f32("static:" + c));
    }
    if (cfg.contains("prediction_intervals")) {
      const json& p = cfg.at("prediction_intervals");
      nf.pi_.n_windows = p.at("n_windows").get<int64_t>();
      nf.pi_.method = p.at("method").get<std::string>();
      nf.pi_.step_size = p.at("step_size").get<int64_t>();
      nf.pi_.check();
      nf.has_pi_ = true;
    }
    const std::string kScores = "conformity_scores:";
    for (const auto& [name, t] : ds.tensors) {
      if (name.rfind(kScores, 0) != 0) continue;
      const std::string alias = name.substr(kScores.size());
      bool known = false;
      for (const auto& m : nf.models_) known = known || (m->alias() == alias && m->h() == (t.shape.size() == 3 ? t.shape[2] : -1));
      ND_CHECK(nf.has_pi_ && known && t.shape[0] == nf.train_.n_series() && t.shape[1] == nf.pi_.n_windows, "'", dpath,
               "': tensor '", name, "' does not fit the saved models, dataset and prediction_intervals");
      nf.scores_[alias] = ds.f32(name);
    }
    const std::string kStats = "local_stats:";
    for (const auto& [name, t] : ds.tensors) {
      if (name.rfind(kStats, 0) != 0) continue;
      const std::vector<float> flat = ds.f32(name);
      ND_CHECK(nf.has_local_scaler_ && t.shape.size() == 2 && t.shape[0] == nf.train_.n_series() && t.shape[1] == 3,
               "'", dpath, "': tensor '", name, "' does not fit the saved local scaler and dataset");
      std::vector<data::LocalStats>& st = nf.local_stats_[name.substr(kStats.size())];
      for (size_t k = 0; k + 2 < flat.size(); k += 3) st.push_back({flat[k], flat[k + 1], flat[k + 2]});
    }
  } catch (const json::exception& e) {
    ND_THROW("'", cfg_path.string(), "' is malformed: ", e.what());
  }
  ND_CHECK(!nf.models_.empty(), "'", cfg_path.string(), "' lists no models");
  nf.fitted_ = true;
  return nf;
}

}  // namespace nd::forecast
