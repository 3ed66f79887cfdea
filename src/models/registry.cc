// Model registry, hyperparameter schemas and config validation.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "models/models_internal.h"
#include "nd/core/error.h"
#include "nd/ops/shape.h"

namespace nd::models {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const char* type_name(const json& v) {
  if (v.is_null()) return "None";
  if (v.is_boolean()) return "bool";
  if (v.is_number_integer()) return "int";
  if (v.is_number()) return "float";
  if (v.is_string()) return "str";
  if (v.is_array()) return "list";
  return "dict";
}

// Is `v` acceptable where the default is `def`? Ints are accepted for floats; lists must hold
// the element type of a non-empty default list.
bool type_ok(const json& def, const json& v) {
  if (v.is_null()) return true;
  if (def.is_null()) return true;  // required / free-form (e.g. loss)
  if (def.is_boolean()) return v.is_boolean();
  if (def.is_number_integer()) return v.is_number_integer();
  if (def.is_number()) return v.is_number();
  if (def.is_string()) return v.is_string() || v.is_object();
  if (def.is_array()) {
    if (!v.is_array()) return false;
    if (def.empty()) return true;
    for (const json& e : v)
      if (!type_ok(def[0], e)) return false;
    return true;
  }
  return true;
}

}  // namespace

std::vector<HParam> common_params(const json& overrides) {
  std::vector<HParam> p = {
      {"h", nullptr, "forecast horizon (required)"},
      {"input_size", nullptr, "autoregressive input length (required; -1 = 3 * h where the default is -1)"},
      {"futr_exog_list", json::array(), "future exogenous columns"},
      {"hist_exog_list", json::array(), "historic exogenous columns"},
      {"stat_exog_list", json::array(), "static exogenous columns"},
      {"exclude_insample_y", false, "do not feed the target's past to the model"},
      {"loss", "MAE", "training loss: MAE, MSE, RMSE, MAPE, SMAPE, MASE, HuberLoss, QuantileLoss, MQLoss, HuberQLoss, "
                      "HuberMQLoss, TukeyLoss, DistributionLoss, GMM, PMM, NBMM"},
      {"valid_loss", nullptr, "validation loss (default: the training loss)"},
      {"max_steps", 1000, "number of training steps"},
      {"learning_rate", 1e-3, "Adam learning rate"},
      {"num_lr_decays", -1, "number of learning-rate halvings over max_steps (-1: none)"},
      {"early_stop_patience_steps", -1, "validation checks without improvement before stopping (-1: off)"},
      {"val_check_steps", 100, "training steps between validation checks"},
      {"batch_size", 32, "series per training batch"},
      {"valid_batch_size", nullptr, "series per validation batch (default batch_size)"},
      {"windows_batch_size", 1024, "windows sampled per training step"},
      {"inference_windows_batch_size", -1, "windows per inference batch (-1: all)"},
      {"start_padding_enabled", false, "pad the start of series with zeros (masked) to fit input_size"},
      {"step_size", 1, "step between consecutive training windows"},
      {"scaler_type", "identity", "per-window scaler: identity, standard, robust, minmax, minmax1, invariant, revin"},
      {"random_seed", 1, "seed for initialization and window sampling"},
      {"drop_last_loader", false, "drop the last incomplete series batch of an epoch"},
      {"alias", nullptr, "output column name (default: the model name)"},
      {"gradient_clip_val", nullptr, "clip the global gradient norm to this value"},
  };
  for (auto& [k, v] : overrides.items()) {
    auto it = std::find_if(p.begin(), p.end(), [&](const HParam& h) { return h.name == k; });
    ND_DCHECK(it != p.end());
    if (it != p.end()) it->default_value = v;
  }
  return p;
}

const std::vector<ModelInfo>& all_models() {
  static const std::vector<ModelInfo> models = [] {
    return std::vector<ModelInfo>{mlp_info(),   nlinear_info(), dlinear_info(), nhits_info(), nbeats_info(),
                                  rnn_info(),   lstm_info(),    gru_info(),     tcn_info(),
                                  patchtst_info(), itransformer_info(), vanillatransformer_info(), informer_info(),
                                  autoformer_info(), fedformer_info(),
                                  tft_info(),       deepnpts_info()};
  }();
  return models;
}

const ModelInfo& find_model(const std::string& name) {
  const std::string want = lower(name);
  for (const ModelInfo& m : all_models())
    if (lower(m.name) == want) return m;
  std::string names;
  for (const ModelInfo& m : all_models()) names += (names.empty() ? "" : ", ") + m.name;
  ND_THROW("unknown model '", name, "'; available models: ", names);
}

json resolve_config(const ModelInfo& info, const json& kwargs) {
  ND_CHECK(kwargs.is_object(), info.name, ": hyperparameters must be given as a JSON object");
  json cfg = json::object();
  for (const HParam& p : info.params) cfg[p.name] = p.default_value;
  for (auto& [k, v] : kwargs.items()) {
    auto it = std::find_if(info.params.begin(), info.params.end(), [&](const HParam& p) { return p.name == k; });
    if (it == info.params.end()) {
      std::string names;
      for (const HParam& p : info.params) names += (names.empty() ? "" : ", ") + p.name;
      ND_THROW(info.name, ": unknown hyperparameter '", k, "'; ", info.name, " accepts: ", names);
    }
    ND_CHECK(type_ok(it->default_value, v), info.name, ": hyperparameter '", k, "' expects ",
             type_name(it->default_value), " (like ", it->default_value.dump(), "), got ", type_name(v), " ", v.dump());
    cfg[k] = it->default_value.is_number_float() && v.is_number_integer() ? json(v.get<double>()) : v;
  }
  // NeuralForecast's recurrent models default input_size to -1, meaning 3 * h.
  auto def = std::find_if(info.params.begin(), info.params.end(), [](const HParam& p) { return p.name == "input_size"; });
  if (def != info.params.end() && def->default_value == -1 && cfg["input_size"] == -1 && cfg["h"].is_number_integer())
    cfg["input_size"] = 3 * cfg["h"].get<int64_t>();
  for (const char* req : {"h", "input_size"}) {
    ND_CHECK(cfg.contains(req) && !cfg[req].is_null(), info.name, ": hyperparameter '", req,
             "' is required (an integer)");
    ND_CHECK(cfg[req].is_number_integer(), info.name, ": hyperparameter '", req, "' expects int, got ",
             type_name(cfg[req]), " ", cfg[req].dump());
  }
  ND_CHECK(cfg["h"].get<int64_t>() >= 1, info.name, ": h must be >= 1, got ", cfg["h"].dump());
  ND_CHECK(cfg["input_size"].get<int64_t>() >= 1, info.name, ": input_size must be >= 1, got ",
           cfg["input_size"].dump());
  for (const char* pos : {"max_steps", "batch_size", "windows_batch_size", "step_size", "val_check_steps"})
    if (cfg.contains(pos))
      ND_CHECK(cfg[pos].get<int64_t>() >= 1, info.name, ": ", pos, " must be >= 1, got ", cfg[pos].dump());
  if (cfg.contains("learning_rate"))
    ND_CHECK(cfg["learning_rate"].get<double>() > 0.0, info.name, ": learning_rate must be positive, got ",
             cfg["learning_rate"].dump());
  auto check_exog = [&](const char* key, bool allowed) {
    if (!cfg.contains(key)) return;
    ND_CHECK(allowed || cfg[key].empty(), info.name, " does not take ", key, " (got ", cfg[key].dump(), ")");
  };
  check_exog("futr_exog_list", info.futr_exog);
  check_exog("hist_exog_list", info.hist_exog);
  check_exog("stat_exog_list", info.stat_exog);
  loss_from_json(cfg["loss"]);  // validate early
  if (!cfg["valid_loss"].is_null()) loss_from_json(cfg["valid_loss"]);
  return cfg;
}

std::unique_ptr<Model> make_model(const std::string& name, const json& kwargs) {
  const ModelInfo& info = find_model(name);
  std::unique_ptr<Model> m = info.create(resolve_config(info, kwargs));
  m->params().allocate(static_cast<uint64_t>(m->geti("random_seed")));
  return m;
}

losses::Loss loss_from_json(const json& j) {
  using losses::Loss;
  if (j.is_string()) return Loss::by_name(j.get<std::string>());
  ND_CHECK(j.is_object() && j.contains("name") && j["name"].is_string(),
           "loss must be a name like \"MAE\" or an object like {\"name\": \"MQLoss\", \"level\": [80, 90]}, got ",
           j.dump());
  const std::string n = lower(j["name"].get<std::string>());
  auto fl = [&](const char* k) {
    return j.contains(k) && !j[k].is_null() ? j[k].get<std::vector<float>>() : std::vector<float>{};
  };
  // Each loss's NeuralForecast constructor arguments (distribution_kwargs: Tweedie's rho).
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kArgs = {
      {"mase", {"seasonality"}},
      {"huberloss", {"delta"}},
      {"quantileloss", {"q"}},
      {"mqloss", {"level", "quantiles"}},
      {"huberqloss", {"q", "delta"}},
      {"hubermqloss", {"level", "quantiles", "delta"}},
      {"tukeyloss", {"c", "normalize"}},
      {"relmse", {"y_train"}},
      {"scrps", {"level", "quantiles"}},
      {"accuracy", {}},
      {"distributionloss", {"distribution", "level", "quantiles", "num_samples", "return_params", "rho"}},
      {"gmm", {"n_components", "level", "quantiles", "num_samples", "return_params", "batch_correlation",
               "horizon_correlation", "weighted"}},
      {"pmm", {"n_components", "level", "quantiles", "num_samples", "return_params", "batch_correlation",
               "horizon_correlation", "weighted"}},
      {"nbmm", {"n_components", "level", "quantiles", "num_samples", "return_params", "weighted"}},
  };
  const bool mixture = n == "gmm" || n == "pmm" || n == "nbmm";
  const bool no_weights = mixture || n == "tukeyloss" || n == "scrps" || n == "accuracy";
  for (auto& [k, v] : j.items()) {
    if (k == "name" || (k == "horizon_weight" && !no_weights)) continue;
    const auto it = std::find_if(kArgs.begin(), kArgs.end(), [&](const auto& e) { return e.first == n; });
    const bool ok = it != kArgs.end() && std::find(it->second.begin(), it->second.end(), k) != it->second.end();
    ND_CHECK(ok, "loss ", j["name"].dump(), ": unknown argument '", k, "'");
    (void)v;
  }
  const std::vector<float> hw = fl("horizon_weight");
  auto level = [&] { return j.contains("level") ? fl("level") : std::vector<float>{80.0f, 90.0f}; };
  auto get_int = [&](const char* k, int def) {
    if (!j.contains(k) || j[k].is_null()) return def;
    ND_CHECK(j[k].is_number_integer(), "loss ", j["name"].dump(), ": ", k, " must be an integer, got ", j[k].dump());
    return j[k].get<int>();
  };
  auto get_bool = [&](const char* k) {
    if (!j.contains(k) || j[k].is_null()) return false;
    ND_CHECK(j[k].is_boolean(), "loss ", j["name"].dump(), ": ", k, " must be true or false, got ", j[k].dump());
    return j[k].get<bool>();
  };
  if (n == "mae") return Loss::MAE(hw);
  if (n == "mse") return Loss::MSE(hw);
  if (n == "rmse") return Loss::RMSE(hw);
  if (n == "mape") return Loss::MAPE(hw);
  if (n == "smape") return Loss::SMAPE(hw);
  if (n == "mase") return Loss::MASE(j.value("seasonality", 1), hw);
  if (n == "huberloss") return Loss::Huber(j.value("delta", 1.0f), hw);
  if (n == "quantileloss") {
    ND_CHECK(j.contains("q"), "QuantileLoss needs q");
    return Loss::Quantile(j["q"].get<float>(), hw);
  }
  if (n == "mqloss") return Loss::MQ(level(), fl("quantiles"), hw);
  if (n == "huberqloss") {
    ND_CHECK(j.contains("q") && j["q"].is_number(), "HuberQLoss needs q, the quantile in (0, 1)");
    return Loss::HuberQ(j["q"].get<float>(), j.value("delta", 1.0f), hw);
  }
  if (n == "hubermqloss") return Loss::HuberMQ(level(), fl("quantiles"), j.value("delta", 1.0f), hw);
  if (n == "tukeyloss") {
    ND_CHECK(!j.contains("normalize") || j["normalize"].is_boolean(), "TukeyLoss: normalize must be true or false");
    return Loss::Tukey(j.value("c", 4.685f), j.value("normalize", true));
  }
  if (n == "relmse") {
    ND_CHECK(!j.contains("y_train") || j["y_train"].is_null(), "relMSE: y_train is deprecated (NeuralForecast raises too)");
    return Loss::RelMSE(hw);
  }
  if (n == "scrps") return Loss::SCRPS(level(), fl("quantiles"));
  if (n == "accuracy") return Loss::Accuracy();
  if (n == "distributionloss") {
    ND_CHECK(j.contains("distribution") && j["distribution"].is_string(),
             "DistributionLoss needs a distribution name (Normal, StudentT, Poisson, NegativeBinomial, Tweedie, "
             "Bernoulli), got ", j.value("distribution", json()).dump());
    const std::string d = j["distribution"].get<std::string>();
    ND_CHECK(d != "Tweedie" || (j.contains("rho") && j["rho"].is_number()),
             "DistributionLoss(distribution='Tweedie') needs rho, the variance power in (1, 2)");
    return Loss::Distribution(d, level(), fl("quantiles"), get_int("num_samples", 1000), get_bool("return_params"),
                              hw, j.contains("rho") && !j["rho"].is_null() ? j["rho"].get<float>() : 0.0f);
  }
  if (mixture) {
    const losses::Distr d = n == "gmm" ? losses::Distr::GMM : n == "pmm" ? losses::Distr::PMM : losses::Distr::NBMM;
    return Loss::Mixture(d, get_int("n_components", n == "pmm" ? 10 : 1), level(), fl("quantiles"),
                         get_int("num_samples", 1000), get_bool("return_params"), get_bool("weighted"),
                         get_bool("batch_correlation"), get_bool("horizon_correlation"));
  }
  return Loss::by_name(j["name"].get<std::string>());  // throws with the list of names
}

json loss_to_json(const losses::Loss& l) {
  json j = {{"name", l.name()}};
  if (!l.horizon_weight().empty()) j["horizon_weight"] = l.horizon_weight();
  auto put_quantiles = [&] {
    if (l.from_quantiles())
      j["quantiles"] = l.quantiles();
    else
      j["level"] = l.level();
  };
  switch (l.kind()) {
    case losses::Kind::MASE: j["seasonality"] = l.seasonality(); break;
    case losses::Kind::Huber: j["delta"] = l.delta(); break;
    case losses::Kind::Quantile: j["q"] = l.q(); break;
    case losses::Kind::MQ: put_quantiles(); break;
    case losses::Kind::HuberQ: j["q"] = l.q(); j["delta"] = l.delta(); break;
    case losses::Kind::HuberMQ: put_quantiles(); j["delta"] = l.delta(); break;
    case losses::Kind::SCRPS: put_quantiles(); break;
    case losses::Kind::Tukey: j["c"] = l.c(); j["normalize"] = l.normalize(); break;
    case losses::Kind::Distribution: {
      put_quantiles();
      j["num_samples"] = l.num_samples();
      j["return_params"] = l.return_params();
      const losses::Distr d = l.distribution();
      if (d == losses::Distr::GMM || d == losses::Distr::PMM || d == losses::Distr::NBMM) {
        j["n_components"] = l.n_components();
        j["weighted"] = l.weighted();
        if (d != losses::Distr::NBMM) {
          j["batch_correlation"] = l.batch_correlation();
          j["horizon_correlation"] = l.horizon_correlation();
        }
      } else {
        static const char* kNames[] = {"Normal", "StudentT", "Poisson", "NegativeBinomial", "Tweedie", "Bernoulli"};
        j["distribution"] = kNames[static_cast<int>(d)];
        if (d == losses::Distr::Tweedie) j["rho"] = l.rho();
      }
      break;
    }
    default: break;
  }
  return j;
}

Model::Model(std::string name, json config)
    : name_(std::move(name)),
      cfg_(std::move(config)),
      loss_(loss_from_json(cfg_["loss"])),
      valid_loss_(cfg_["valid_loss"].is_null() ? loss_ : loss_from_json(cfg_["valid_loss"])) {
  // NeuralForecast's BaseModel protections: a point loss cannot be validated with a distribution;
  // a distribution loss is validated with itself when valid_loss is a distribution too; MQLoss
  // needs a multi-quantile valid_loss.
  if (valid_loss_.is_distribution()) {
    ND_CHECK(loss_.is_distribution(), name_, ": validation with distribution loss ", valid_loss_.name(),
             " is not possible when using loss=", loss_.name(), "; use a point valid_loss (MAE, MSE, ...)");
    valid_loss_ = loss_;
  }
  if (loss_.is_multi_quantile())
    ND_CHECK(valid_loss_.is_multi_quantile(), name_, ": Please set valid_loss to MQLoss() or HuberMQLoss() when training with ",
             loss_.name(), " (got ", valid_loss_.name(), ")");
  ND_CHECK(loss_.trainable(), name_, ": ", loss_.name(),
           " cannot be used for training. Please use another loss function (MAE, MSE, ...)");
  ND_CHECK(valid_loss_.kind() != losses::Kind::RelMSE, name_, ": ", valid_loss_.name(),
           " cannot be used for validation. Please use another valid_loss (MAE, MSE, ...)");
  const bool quantile_valid = valid_loss_.is_multi_quantile() || valid_loss_.kind() == losses::Kind::SCRPS;
  if (quantile_valid && (loss_.is_distribution() || loss_.is_multi_quantile()))
    ND_CHECK(valid_loss_.quantiles() == loss_.quantiles(), name_, ": ", loss_.name(), " quantiles do not match valid_loss (",
             valid_loss_.name(), ") quantiles; use the same level or quantiles argument for both");
  ND_CHECK(valid_loss_.kind() != losses::Kind::SCRPS || loss_.is_distribution() || loss_.is_multi_quantile(), name_,
           ": valid_loss sCRPS scores quantiles: train with a distribution or multi-quantile loss (got ", loss_.name(), ")");
}

Var Model::multivariate_rows(Var y) const {
  const int64_t W = y.rank() == 3 ? y.size(0) : 0, N = n_series(), Q = n_outputs();
  ND_CHECK(y.shape() == Shape({W, h(), Q * N}), name_, ": multivariate output ", y.shape().str(), " is not [", W,
           ", ", h(), ", ", Q * N, "]");
  // DistributionLoss splits the last axis into its Q parameters (torch.tensor_split: [W, h, Q, N]);
  // the other losses read it as [W, h, N, Q].
  const bool param_major = loss_.is_distribution() && loss_.distribution() < losses::Distr::GMM &&
                           loss_.distribution() != losses::Distr::Tweedie;
  if (param_major)
    return ops::reshape(ops::permute(ops::reshape(y, Shape{W, h(), Q, N}), {0, 3, 1, 2}), Shape{W * N, h(), Q});
  return ops::reshape(ops::permute(ops::reshape(y, Shape{W, h(), N, Q}), {0, 2, 1, 3}), Shape{W * N, h(), Q});
}

std::string Model::alias() const { return cfg_["alias"].is_string() ? cfg_["alias"].get<std::string>() : name_; }

int64_t Model::geti(const char* k) const { return cfg_.at(k).get<int64_t>(); }
double Model::getf(const char* k) const { return cfg_.at(k).get<double>(); }
bool Model::getb(const char* k) const { return cfg_.at(k).get<bool>(); }
std::string Model::gets(const char* k) const {
  return cfg_.at(k).is_null() ? std::string() : cfg_.at(k).get<std::string>();
}
std::vector<int64_t> Model::getiv(const char* k) const { return cfg_.at(k).get<std::vector<int64_t>>(); }
std::vector<std::string> Model::getsv(const char* k) const {
  return cfg_.at(k).is_null() ? std::vector<std::string>{} : cfg_.at(k).get<std::vector<std::string>>();
}

}  // namespace nd::models
