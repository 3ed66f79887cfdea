// CSV writing (shortest round-trip floats, so write -> read gives back the same bits) with atomic
// replacement of the target file, and the regular-grid check used before training / forecasting.
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "nd/core/error.h"
#include "nd/data/csv.h"

namespace nd::data {

namespace {

bool needs_quotes(std::string_view s, char delim) {
  if (s.empty()) return true;  // an empty name would otherwise read back as a missing field
  for (char c : s)
    if (c == delim || c == '"' || c == '\n' || c == '\r') return true;
  return false;
}

void append_field(std::string* out, std::string_view s, char delim) {
  if (!needs_quotes(s, delim)) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void append_time(std::string* out, int64_t ts, TimeKind kind) {
  char buf[kTimeTextMax];
  out->append(buf, static_cast<size_t>(format_time_to(ts, kind, buf)));
}

void append_value(std::string* out, float v) {
  if (std::isnan(v)) return;  // missing: an empty field
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest text that reads back exactly
  (void)ec;
  out->append(buf, static_cast<size_t>(p - buf));
}

}  // namespace

std::string to_csv_string(const Frame& f, const std::vector<TimeColumn>& extra_time, const CsvOptions& opt) {
  f.check();
  const char d = opt.delimiter;
  ND_CHECK(d != '"' && d != '\n' && d != '\r', "invalid CSV delimiter");
  const int64_t rows = f.n_rows();
  std::unordered_set<std::string_view> names{opt.id_col, opt.time_col};
  ND_CHECK(names.size() == 2, "write_csv: the id and time columns must differ (both '", opt.id_col, "')");
  for (const TimeColumn& t : extra_time) {
    ND_CHECK(!t.name.empty(), "write_csv: a time column has an empty name");
    ND_CHECK(static_cast<int64_t>(t.values.size()) == rows, "write_csv: time column '", t.name, "' has ",
             t.values.size(), " values for ", rows, " rows");
    ND_CHECK(names.insert(t.name).second, "write_csv: duplicate column name '", t.name, "'");
  }
  for (const std::string& c : f.columns) ND_CHECK(names.insert(c).second, "write_csv: duplicate column name '", c, "'");

  std::string out;
  // ~12 chars per value and timestamp: one allocation for typical frames.
  out.reserve(static_cast<size_t>(rows) * (16 + 12 * (1 + extra_time.size() + f.columns.size())) + 256);
  append_field(&out, opt.id_col, d);
  out.push_back(d);
  append_field(&out, opt.time_col, d);
  for (const TimeColumn& t : extra_time) out.push_back(d), append_field(&out, t.name, d);
  for (const std::string& c : f.columns) out.push_back(d), append_field(&out, c, d);
  out.push_back('\n');
  for (int64_t s = 0; s < f.n_series(); ++s) {
    std::string id;
    append_field(&id, f.ids[s], d);
    for (int64_t r = f.indptr[s]; r < f.indptr[s + 1]; ++r) {
      out.append(id);
      out.push_back(d);
      append_time(&out, f.ds[r], f.time_kind);
      for (const TimeColumn& t : extra_time) out.push_back(d), append_time(&out, t.values[r], f.time_kind);
      for (const auto& v : f.values) out.push_back(d), append_value(&out, v[r]);
      out.push_back('\n');
    }
  }
  return out;
}

void write_csv(const Frame& f, const std::string& path, const std::vector<TimeColumn>& extra_time,
               const CsvOptions& opt) {
  const std::string text = to_csv_string(f, extra_time, opt);
  // Readers of `path` see the old file or the new one, never half of it: write beside it, then
  // rename (atomic within one file system). No fsync: this guards against partial files seen by
  // concurrent readers or left by a crash of this process, not against power loss.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* fp = std::fopen(tmp.c_str(), "wb");
  ND_CHECK(fp != nullptr, "cannot write '", path, "': cannot create '", tmp, "': ", std::strerror(errno));
  bool ok = std::fwrite(text.data(), 1, text.size(), fp) == text.size();
  ok = std::fflush(fp) == 0 && ok;
  int err = errno;
  if (std::fclose(fp) != 0 && ok) ok = false, err = errno;
  if (!ok) {
    std::remove(tmp.c_str());
    ND_THROW("cannot write '", path, "': ", std::strerror(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    std::remove(tmp.c_str());
    ND_THROW("cannot write '", path, "': rename from '", tmp, "' failed: ", std::strerror(err));
  }
}

void check_regular(const Frame& f, const Frequency& freq) {
  const bool integer_freq = freq.unit == Frequency::Unit::step;
  ND_CHECK(integer_freq == (f.time_kind == TimeKind::integer), "frequency '", freq.str(), "' needs ",
           integer_freq ? "integer" : "date", " timestamps, but the frame's are ",
           f.time_kind == TimeKind::integer ? "integers" : "dates");
  // Month / quarter / year units are declared last in Frequency::Unit.
  const bool calendar_anchor = freq.unit >= Frequency::Unit::month_start;
  for (int64_t s = 0; s < f.n_series(); ++s) {
    const int64_t b = f.indptr[s], e = f.indptr[s + 1];
    if (b == e) continue;
    // Off an anchor, advance() rolls to the next one, so the first gap would be blamed instead.
    if (calendar_anchor)
      ND_CHECK(freq.is_anchor(f.ds[b]), "series '", f.ids[s], "': first timestamp ", format_time(f.ds[b], f.time_kind),
               " is not on the '", freq.str(), "' grid");
    for (int64_t r = b + 1; r < e; ++r) {
      const int64_t expected = freq.advance(f.ds[r - 1], 1);
      if (f.ds[r] != expected)
        ND_THROW("series '", f.ids[s], "': ", format_time(f.ds[r - 1], f.time_kind), " is followed by ",
                 format_time(f.ds[r], f.time_kind), ", expected ", format_time(expected, f.time_kind), " (freq '",
                 freq.str(), "': ", f.ds[r] > expected ? "missing timestamps" : "off-grid timestamp", ")");
    }
  }
}

}  // namespace nd::data
