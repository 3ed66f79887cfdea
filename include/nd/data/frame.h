// Long-format time-series data in CSR layout (coreforecast-style): all series' rows in one set of
// column arrays, series s occupying rows [indptr[s], indptr[s+1]), sorted by (unique_id, ds).
// Timestamps are int64: integer steps, or seconds since 1970-01-01T00:00:00 for calendar data
// (naive, no time zone), so calendar arithmetic lives in Frequency (nd/data/calendar.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nd::data {

enum class TimeKind : uint8_t { integer, datetime };

struct Frame {
  std::vector<std::string> ids;          // one per series, ascending (byte order), unique
  std::vector<int64_t> indptr{0};        // n_series + 1 row offsets
  std::vector<int64_t> ds;               // n_rows timestamps, strictly increasing within a series
  TimeKind time_kind = TimeKind::integer;
  std::vector<std::string> columns;      // value column names (the target first when present)
  std::vector<std::vector<float>> values;  // values[c][row]; NaN = missing

  int64_t n_series() const { return static_cast<int64_t>(ids.size()); }
  int64_t n_rows() const { return indptr.back(); }
  int64_t length(int64_t s) const { return indptr[s + 1] - indptr[s]; }
  // Column index or -1.
  int col(const std::string& name) const;
  // Column by name; throws nd::Error listing the available columns when absent.
  const std::vector<float>& column(const std::string& name) const;
  std::vector<float>& column(const std::string& name);
  // Series index of an id or -1.
  int64_t find_series(const std::string& id) const;
  // Adds a value column (size n_rows) or replaces one with the same name.
  void set_column(const std::string& name, std::vector<float> v);
  // Throws nd::Error when the invariants above do not hold (sizes, order, uniqueness).
  void check() const;
};

// Static (per-series) features: one row per id, as NeuralForecast's static_df.
struct StaticFrame {
  std::vector<std::string> ids;
  std::vector<std::string> columns;
  std::vector<std::vector<float>> values;  // values[c][series]
  int col(const std::string& name) const;
};

}  // namespace nd::data
