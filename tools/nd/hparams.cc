// Schema-typed parsing of hyperparameter flags (see hparams.h).
#include "hparams.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "nd/core/error.h"

namespace nd::cli {

using models::json;

namespace {

json scalar_like(const json& def, const std::string& key, const std::string& text) {
  if (def.is_boolean()) {
    if (text == "true" || text == "True" || text == "1") return true;
    if (text == "false" || text == "False" || text == "0") return false;
    ND_THROW("--", key, " expects true or false, got '", text, "'");
  }
  if (def.is_number_integer()) {
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    ND_CHECK(!text.empty() && end && *end == '\0' && errno == 0, "--", key, " expects an integer, got '", text, "'");
    return v;
  }
  if (def.is_number()) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    ND_CHECK(!text.empty() && end && *end == '\0', "--", key, " expects a number, got '", text, "'");
    return v;
  }
  return text;
}

json parse_value(const json& def, const std::string& key, const std::string& text) {
  // JSON first (lists, objects, null, numbers where no default types them).
  json j = json::parse(text, nullptr, false);
  if (!j.is_discarded() && (j.is_array() || j.is_object() || j.is_null())) return j;
  if (def.is_array()) {  // "1,2,3"
    json out = json::array();
    size_t p = 0;
    while (p <= text.size()) {
      const size_t q = std::min(text.find(',', p), text.size());
      const std::string item = text.substr(p, q - p);
      if (!item.empty()) out.push_back(def.empty() ? json(item) : scalar_like(def[0], key, item));
      p = q + 1;
    }
    return out;
  }
  if (key == "h" || key == "input_size") return scalar_like(json(0), key, text);  // required integers
  if (def.is_null()) return j.is_discarded() ? json(text) : j;  // free-form (loss, optional numbers)
  return scalar_like(def, key, text);
}

}  // namespace

json parse_hyperparameters(const models::ModelInfo& info, const std::vector<std::string>& args) {
  json out = json::object();
  for (size_t k = 0; k < args.size(); ++k) {
    std::string a = args[k];
    ND_CHECK(a.rfind("--", 0) == 0 && a.size() > 2, "unexpected argument '", a, "'");
    a = a.substr(2);
    std::string value;
    const size_t eq = a.find('=');
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else {
      ND_CHECK(k + 1 < args.size(), "--", a, " needs a value");
      value = args[++k];
    }
    std::replace(a.begin(), a.end(), '-', '_');
    auto it = std::find_if(info.params.begin(), info.params.end(), [&](const models::HParam& p) { return p.name == a; });
    ND_CHECK(it != info.params.end(), info.name, ": unknown hyperparameter '", a, "' (see `nd models ", info.name, "`)");
    out[a] = parse_value(it->default_value, a, value);
  }
  return out;
}

}  // namespace nd::cli
