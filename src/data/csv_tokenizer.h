// Internal to the CSV readers: an RFC 4180 tokenizer over a whole file held in memory, plus the
// field parsers and error builders shared by read_csv / read_static_csv / read_wide_csv.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nd::data::csv_detail {

// Reads the whole file; throws nd::Error naming the path when it cannot.
std::string read_file(const std::string& path);

// Splits records in place: fields are views into `buf`, and quoted fields are unescaped by
// writing over their own text (the unescaped form is never longer), so no field allocates.
// Accepts LF, CRLF or CR line ends, an optional final line end, a UTF-8 BOM, and skips blank lines.
class Tokenizer {
 public:
  Tokenizer(std::string* buf, char delimiter, std::string_view name);
  // The next record's fields; false at the end of the input. Throws on a malformed quoted field.
  bool next(std::vector<std::string_view>* fields);
  // 1-based line on which the last record started.
  int64_t line() const { return record_line_; }
  // Header names, used to name the column in tokenizer errors once known.
  void set_header(const std::vector<std::string>* names) { header_ = names; }

 private:
  [[noreturn]] void fail(int64_t line, size_t field, const char* problem) const;

  char* p_;
  char* end_;
  char delim_;
  std::string_view name_;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  const std::vector<std::string>* header_ = nullptr;
};

// Header checks shared by all readers: names non-empty and unique. Returns the names.
std::vector<std::string> header_names(const std::vector<std::string_view>& fields, std::string_view file,
                                      int64_t line);
// Index of `name` in the header or -1.
int find_column(const std::vector<std::string>& names, std::string_view name);
// Throws "<file>:<line>: column '<name>': missing from the header (columns: ...)".
[[noreturn]] void missing_column(std::string_view file, int64_t line, std::string_view name,
                                 const std::vector<std::string>& names);
// Throws when a data record's field count differs from the header's.
void check_field_count(size_t got, const std::vector<std::string>& names, std::string_view file, int64_t line);

// A value field: true with *out set (NaN for the missing tokens "", nan, NaN, NA, null, ...);
// false when the text is not a number. *out_of_range tells a too-large number from garbage.
bool parse_value(std::string_view text, float* out, bool* out_of_range);
bool is_missing(std::string_view text);

// "<file>:<line>: column '<col>': <problem> (got '<text>')", with long text shortened.
[[noreturn]] void field_error(std::string_view file, int64_t line, std::string_view col, std::string_view problem,
                              std::string_view text);

}  // namespace nd::data::csv_detail
