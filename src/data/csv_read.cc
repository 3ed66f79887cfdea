// CSV readers: long format (unique_id, ds, values...), static features and wide tables. Rows are
// parsed into column arrays in file order, then put in (id, ds) order with one index permutation
// (a counting sort by id rank, then a stable sort by ds only where a series is out of order).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include "data/csv_tokenizer.h"
#include "nd/core/error.h"
#include "nd/data/csv.h"

namespace nd::data {

using namespace csv_detail;

namespace {

// The ds field of a row, checked to be of the same kind as the first row's.
struct TimeParser {
  std::string_view file, col;
  bool have_kind = false;
  TimeKind kind = TimeKind::integer;
  int64_t kind_line = 0;

  int64_t operator()(std::string_view text, int64_t line) {
    int64_t ts;
    TimeKind k;
    std::string why;
    if (!try_parse_time(text, &ts, &k, &why)) field_error(file, line, col, why, text);
    if (!have_kind) {
      have_kind = true, kind = k, kind_line = line;
    } else if (k != kind) {
      const std::string problem = k == TimeKind::integer
                                      ? "integer timestamp, but line " + std::to_string(kind_line) + " holds a date"
                                      : "date, but line " + std::to_string(kind_line) + " holds an integer timestamp";
      field_error(file, line, col, problem, text);
    }
    return ts;
  }
};

float value_or_throw(std::string_view text, std::string_view file, int64_t line, std::string_view col) {
  float v;
  bool out_of_range;
  if (!parse_value(text, &v, &out_of_range))
    field_error(file, line, col, out_of_range ? "number out of float range" : "not a number", text);
  return v;
}

// Rough row count for reserve(): newlines in the buffer.
size_t count_lines(const std::string& buf) { return static_cast<size_t>(std::count(buf.begin(), buf.end(), '\n')) + 1; }

template <typename T>
std::vector<T> gather(const std::vector<T>& v, const std::vector<int64_t>& perm) {
  std::vector<T> out(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) out[i] = v[perm[i]];
  return out;
}

// Orders perm[b, e) by ds (stable, so equal timestamps keep file order) and rejects duplicates.
// `who` prefixes the message: "<file>: series 'x'" or "<file>".
template <typename Who>
void sort_by_time(std::vector<int64_t>& perm, int64_t b, int64_t e, const std::vector<int64_t>& ds,
                  const std::vector<int64_t>& lines, TimeKind kind, Who who) {
  auto by_ds = [&](int64_t x, int64_t y) { return ds[x] < ds[y]; };
  if (!std::is_sorted(perm.begin() + b, perm.begin() + e, by_ds))
    std::stable_sort(perm.begin() + b, perm.begin() + e, by_ds);
  for (int64_t r = b + 1; r < e; ++r) {
    const int64_t x = perm[r - 1], y = perm[r];
    if (ds[x] == ds[y])
      ND_THROW(who(), ": duplicate timestamp ", format_time(ds[x], kind), " at lines ", std::min(lines[x], lines[y]),
               " and ", std::max(lines[x], lines[y]));
  }
}

bool is_identity(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i)) return false;
  return true;
}

Frame read_long(std::string buf, const std::string& name, const CsvOptions& opt) {
  Tokenizer tok(&buf, opt.delimiter, name);
  std::vector<std::string_view> fields;
  ND_CHECK(tok.next(&fields), name, ": empty file (expected a header row)");
  const int64_t header_line = tok.line();
  const std::vector<std::string> names = header_names(fields, name, header_line);
  tok.set_header(&names);
  const int id_c = find_column(names, opt.id_col), ds_c = find_column(names, opt.time_col);
  const int y_c = find_column(names, opt.target_col);
  if (id_c < 0) missing_column(name, header_line, opt.id_col, names);
  if (ds_c < 0) missing_column(name, header_line, opt.time_col, names);
  if (y_c < 0 && opt.require_target) missing_column(name, header_line, opt.target_col, names);
  ND_CHECK(id_c != ds_c, name, ": the id and time columns must differ (both '", opt.id_col, "')");

  // Value columns: the target first, then the rest in header order.
  std::vector<int> value_c;
  if (y_c >= 0 && y_c != id_c && y_c != ds_c) value_c.push_back(y_c);
  for (int c = 0; c < static_cast<int>(names.size()); ++c)
    if (c != id_c && c != ds_c && c != y_c) value_c.push_back(c);

  const size_t cap = count_lines(buf);
  std::vector<std::string_view> row_id;
  std::vector<int64_t> ds, lines;
  std::vector<std::vector<float>> values(value_c.size());
  row_id.reserve(cap), ds.reserve(cap), lines.reserve(cap);
  for (auto& v : values) v.reserve(cap);

  TimeParser parse_ds{name, names[ds_c]};
  while (tok.next(&fields)) {
    const int64_t line = tok.line();
    check_field_count(fields.size(), names, name, line);
    if (fields[id_c].empty()) field_error(name, line, names[id_c], "empty series id", fields[id_c]);
    row_id.push_back(fields[id_c]);
    ds.push_back(parse_ds(fields[ds_c], line));
    lines.push_back(line);
    for (size_t k = 0; k < value_c.size(); ++k)
      values[k].push_back(value_or_throw(fields[value_c[k]], name, line, names[value_c[k]]));
  }
  const auto n = static_cast<int64_t>(row_id.size());
  ND_CHECK(n > 0, name, ": no data rows (only a header)");

  // Series codes in order of first appearance; consecutive rows of one id skip the hash lookup.
  std::unordered_map<std::string_view, int64_t> code_of;
  std::vector<std::string_view> uniq;
  std::vector<int64_t> code(n);
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0 && row_id[i] == row_id[i - 1]) {
      code[i] = code[i - 1];
      continue;
    }
    auto [it, fresh] = code_of.emplace(row_id[i], static_cast<int64_t>(uniq.size()));
    if (fresh) uniq.push_back(row_id[i]);
    code[i] = it->second;
  }
  const auto n_series = static_cast<int64_t>(uniq.size());
  std::vector<int64_t> order(n_series), rank(n_series);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return uniq[a] < uniq[b]; });
  for (int64_t r = 0; r < n_series; ++r) rank[order[r]] = r;

  Frame f;
  f.time_kind = parse_ds.kind;
  f.ids.reserve(n_series);
  for (int64_t r = 0; r < n_series; ++r) f.ids.emplace_back(uniq[order[r]]);
  f.indptr.assign(n_series + 1, 0);
  for (int64_t i = 0; i < n; ++i) ++f.indptr[rank[code[i]] + 1];
  for (int64_t s = 0; s < n_series; ++s) f.indptr[s + 1] += f.indptr[s];
  std::vector<int64_t> perm(n), next(f.indptr.begin(), f.indptr.end() - 1);
  for (int64_t i = 0; i < n; ++i) perm[next[rank[code[i]]]++] = i;
  for (int64_t s = 0; s < n_series; ++s)
    sort_by_time(perm, f.indptr[s], f.indptr[s + 1], ds, lines, f.time_kind,
                 [&] { return name + ": series '" + f.ids[s] + "'"; });

  const bool sorted = is_identity(perm);
  f.ds = sorted ? std::move(ds) : gather(ds, perm);
  for (size_t k = 0; k < value_c.size(); ++k) {
    f.columns.push_back(names[value_c[k]]);
    f.values.push_back(sorted ? std::move(values[k]) : gather(values[k], perm));
  }
  return f;
}

}  // namespace

Frame read_csv_string(const std::string& text, const std::string& name, const CsvOptions& opt) {
  return read_long(text, name, opt);
}

Frame read_csv(const std::string& path, const CsvOptions& opt) { return read_long(read_file(path), path, opt); }

StaticFrame read_static_csv(const std::string& path, const std::string& id_col) {
  std::string buf = read_file(path);
  Tokenizer tok(&buf, ',', path);
  std::vector<std::string_view> fields;
  ND_CHECK(tok.next(&fields), path, ": empty file (expected a header row)");
  const int64_t header_line = tok.line();
  const std::vector<std::string> names = header_names(fields, path, header_line);
  tok.set_header(&names);
  const int id_c = find_column(names, id_col);
  if (id_c < 0) missing_column(path, header_line, id_col, names);

  std::vector<std::string> ids;
  std::vector<std::vector<float>> values(names.size() - 1);
  std::unordered_map<std::string, int64_t> line_of;
  while (tok.next(&fields)) {
    const int64_t line = tok.line();
    check_field_count(fields.size(), names, path, line);
    if (fields[id_c].empty()) field_error(path, line, names[id_c], "empty series id", fields[id_c]);
    auto [it, fresh] = line_of.emplace(std::string(fields[id_c]), line);
    ND_CHECK(fresh, path, ": series '", fields[id_c], "': duplicate id at lines ", it->second, " and ", line);
    ids.emplace_back(fields[id_c]);
    for (size_t c = 0, k = 0; c < names.size(); ++c) {
      if (static_cast<int>(c) == id_c) continue;
      const float v = value_or_throw(fields[c], path, line, names[c]);
      // Static features feed every window of the series: a missing one would poison them all.
      if (std::isnan(v)) field_error(path, line, names[c], "missing static feature", fields[c]);
      values[k++].push_back(v);
    }
  }
  ND_CHECK(!ids.empty(), path, ": no data rows (only a header)");

  // Same id order as Frame, so series s of a frame and of its static features line up.
  std::vector<int64_t> perm(ids.size());
  std::iota(perm.begin(), perm.end(), 0);
  std::sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) { return ids[a] < ids[b]; });
  StaticFrame sf;
  for (int64_t i : perm) sf.ids.push_back(ids[i]);
  for (size_t c = 0, k = 0; c < names.size(); ++c) {
    if (static_cast<int>(c) == id_c) continue;
    sf.columns.push_back(names[c]);
    sf.values.push_back(gather(values[k++], perm));
  }
  return sf;
}

Frame read_wide_csv(const std::string& path, const std::string& time_col) {
  std::string buf = read_file(path);
  Tokenizer tok(&buf, ',', path);
  std::vector<std::string_view> fields;
  ND_CHECK(tok.next(&fields), path, ": empty file (expected a header row)");
  const int64_t header_line = tok.line();
  const std::vector<std::string> names = header_names(fields, path, header_line);
  tok.set_header(&names);
  const int t_c = find_column(names, time_col);
  if (t_c < 0) missing_column(path, header_line, time_col, names);
  ND_CHECK(names.size() >= 2, path, ":", header_line, ": no series columns besides '", time_col, "'");

  const size_t n_cols = names.size();
  const size_t cap = count_lines(buf);
  std::vector<int64_t> ds, lines;
  std::vector<std::vector<float>> cols(n_cols);  // cols[t_c] stays empty
  ds.reserve(cap), lines.reserve(cap);
  for (size_t c = 0; c < n_cols; ++c)
    if (static_cast<int>(c) != t_c) cols[c].reserve(cap);
  TimeParser parse_ds{path, names[t_c]};
  while (tok.next(&fields)) {
    const int64_t line = tok.line();
    check_field_count(fields.size(), names, path, line);
    ds.push_back(parse_ds(fields[t_c], line));
    lines.push_back(line);
    for (size_t c = 0; c < n_cols; ++c)
      if (static_cast<int>(c) != t_c) cols[c].push_back(value_or_throw(fields[c], path, line, names[c]));
  }
  const auto n = static_cast<int64_t>(ds.size());
  ND_CHECK(n > 0, path, ": no data rows (only a header)");
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  sort_by_time(perm, 0, n, ds, lines, parse_ds.kind, [&] { return path; });
  const bool sorted = is_identity(perm);
  if (!sorted) ds = gather(ds, perm);

  std::vector<int> series_c;
  for (int c = 0; c < static_cast<int>(n_cols); ++c)
    if (c != t_c) series_c.push_back(c);
  std::sort(series_c.begin(), series_c.end(), [&](int a, int b) { return names[a] < names[b]; });
  Frame f;
  f.time_kind = parse_ds.kind;
  f.columns = {"y"};
  f.values.assign(1, {});
  f.values[0].reserve(n * series_c.size());
  f.ds.reserve(n * series_c.size());
  for (int c : series_c) {
    f.ids.push_back(names[c]);
    f.ds.insert(f.ds.end(), ds.begin(), ds.end());
    const std::vector<float> col = sorted ? std::move(cols[c]) : gather(cols[c], perm);
    f.values[0].insert(f.values[0].end(), col.begin(), col.end());
    f.indptr.push_back(f.indptr.back() + n);
  }
  return f;
}

}  // namespace nd::data
