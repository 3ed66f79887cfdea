// Reading forecast / cross-validation tables for evaluate (see evaluate_internal.h).
#include "data/csv_tokenizer.h"
#include "forecast/evaluate_internal.h"
#include "nd/core/error.h"
#include "nd/data/calendar.h"

namespace nd::forecast::detail {

namespace cd = data::csv_detail;

Table read_table(const std::string& path) {
  std::string buf = cd::read_file(path);
  cd::Tokenizer tok(&buf, ',', path);
  std::vector<std::string_view> f;
  ND_CHECK(tok.next(&f), path, ": empty file");
  const std::vector<std::string> header = cd::header_names(f, path, tok.line());
  tok.set_header(&header);
  const int ic = cd::find_column(header, "unique_id"), tc = cd::find_column(header, "ds");
  const int cc = cd::find_column(header, "cutoff");
  if (ic < 0) cd::missing_column(path, tok.line(), "unique_id", header);
  if (tc < 0) cd::missing_column(path, tok.line(), "ds", header);
  Table t;
  std::vector<int> value_cols;
  for (size_t c = 0; c < header.size(); ++c)
    if (static_cast<int>(c) != ic && static_cast<int>(c) != tc && static_cast<int>(c) != cc) {
      value_cols.push_back(static_cast<int>(c));
      t.names.push_back(header[c]);
    }
  t.values.resize(value_cols.size());
  auto time_of = [&](int c) {
    data::TimeKind kind;
    try {
      return data::parse_time(f[c], &kind);
    } catch (const Error&) {
      cd::field_error(path, tok.line(), header[c], "not a date, datetime or integer", f[c]);
    }
  };
  while (tok.next(&f)) {
    cd::check_field_count(f.size(), header, path, tok.line());
    t.id.emplace_back(f[ic]);
    t.ds.push_back(time_of(tc));
    if (cc >= 0) t.cutoff.push_back(time_of(cc));
    for (size_t k = 0; k < value_cols.size(); ++k) {
      float v;
      bool oor;
      if (!cd::parse_value(f[value_cols[k]], &v, &oor))
        cd::field_error(path, tok.line(), header[value_cols[k]], "not a number", f[value_cols[k]]);
      t.values[k].push_back(v);
    }
  }
  ND_CHECK(!t.id.empty(), path, ": no data rows");
  return t;
}

bool interval_bound(const std::string& name, const char* tag, std::string* model, std::string* level) {
  const size_t p = name.rfind(tag);
  if (p == std::string::npos || p == 0) return false;
  *model = name.substr(0, p);
  *level = name.substr(p + std::string(tag).size());
  return !level->empty();
}

}  // namespace nd::forecast::detail
