// CSV in and out for long-format frames (unique_id, ds, y, exogenous...), static frames and wide
// tables (a date column + one column per series, as ETTh1). Every error names the file, the line
// and the column (and the series id where one is involved); writes are atomic (temp + rename).
#pragma once
#include <string>
#include <vector>

#include "nd/data/calendar.h"
#include "nd/data/frame.h"

namespace nd::data {

struct CsvOptions {
  std::string id_col = "unique_id";
  std::string time_col = "ds";
  std::string target_col = "y";
  bool require_target = true;  // false for futr_df (future exogenous) frames
  char delimiter = ',';
};

// Reads a long-format CSV. Rules (each violation throws nd::Error with file:line:column context):
// - header row required; id, time and (if required) target columns must exist; duplicate
//   header names rejected; every row has as many fields as the header (quoted fields allowed);
// - ds: ISO date/datetime or integer, one kind for the whole file;
// - values: decimal floats; empty, "nan", "NaN", "NA", "null" are missing (NaN); anything else
//   that does not parse is an error quoting the text;
// - duplicate (unique_id, ds) pairs rejected (naming both lines);
// - rows may come in any order: the frame is sorted by (unique_id, ds).
// `name` is used in messages instead of the path for read_csv_string.
Frame read_csv(const std::string& path, const CsvOptions& opt = {});
Frame read_csv_string(const std::string& text, const std::string& name, const CsvOptions& opt = {});

// Static features: unique_id + numeric columns, one row per id (duplicates rejected).
StaticFrame read_static_csv(const std::string& path, const std::string& id_col = "unique_id");

// Wide table -> long frame: each column other than `time_col` becomes a series named after it
// (values in column "y"). Used for the ETT / exchange / ILI benchmark files.
Frame read_wide_csv(const std::string& path, const std::string& time_col = "date");

// Writes unique_id, ds, then the value columns (shortest round-trip float text, NaN as empty).
// Extra time columns (e.g. cross-validation's "cutoff") can be given as name + values per row.
struct TimeColumn {
  std::string name;
  std::vector<int64_t> values;
};
void write_csv(const Frame& f, const std::string& path, const std::vector<TimeColumn>& extra_time = {},
               const CsvOptions& opt = {});
std::string to_csv_string(const Frame& f, const std::vector<TimeColumn>& extra_time = {},
                          const CsvOptions& opt = {});

// Checks that every series is regular under `freq`: consecutive timestamps exactly one period
// apart. Throws nd::Error naming the series id, the two timestamps and the expected next one.
void check_regular(const Frame& f, const Frequency& freq);

}  // namespace nd::data
