// CSV tokenizer and field helpers shared by the readers (see csv_tokenizer.h).
#include "data/csv_tokenizer.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "nd/core/error.h"

namespace nd::data::csv_detail {

std::string read_file(const std::string& path) {
  std::FILE* fp = std::fopen(path.c_str(), "rb");
  ND_CHECK(fp != nullptr, "cannot open '", path, "': ", std::strerror(errno));
  std::string buf;
  char chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof(chunk), fp)) > 0) buf.append(chunk, got);
  const bool failed = std::ferror(fp) != 0;
  const int err = errno;
  std::fclose(fp);
  ND_CHECK(!failed, "cannot read '", path, "': ", std::strerror(err));
  return buf;
}

Tokenizer::Tokenizer(std::string* buf, char delimiter, std::string_view name)
    : p_(buf->data()), end_(buf->data() + buf->size()), delim_(delimiter), name_(name) {
  ND_CHECK(delimiter != '"' && delimiter != '\n' && delimiter != '\r', "invalid CSV delimiter");
  if (buf->size() >= 3 && std::memcmp(p_, "\xEF\xBB\xBF", 3) == 0) p_ += 3;
}

void Tokenizer::fail(int64_t line, size_t field, const char* problem) const {
  if (header_ && field < header_->size()) ND_THROW(name_, ":", line, ": column '", (*header_)[field], "': ", problem);
  ND_THROW(name_, ":", line, ": field ", field + 1, ": ", problem);
}

bool Tokenizer::next(std::vector<std::string_view>* fields) {
  fields->clear();
  // Blank lines between records carry nothing (pandas skips them too).
  while (p_ < end_ && (*p_ == '\n' || *p_ == '\r')) {
    if (*p_ == '\r' && p_ + 1 < end_ && p_[1] == '\n') ++p_;
    ++p_;
    ++line_;
  }
  if (p_ >= end_) return false;
  record_line_ = line_;
  for (;;) {
    if (p_ < end_ && *p_ == '"') {
      const int64_t start_line = line_;
      char* out = p_;  // unescaped text overwrites the raw text from the opening quote on
      char* begin = out;
      ++p_;
      for (;;) {
        if (p_ >= end_) fail(start_line, fields->size(), "unterminated quoted field (no closing '\"')");
        const char c = *p_;
        if (c == '"') {
          if (p_ + 1 < end_ && p_[1] == '"') {
            *out++ = '"';
            p_ += 2;
            continue;
          }
          ++p_;
          break;
        }
        if (c == '\n') ++line_;
        *out++ = c;
        ++p_;
      }
      fields->emplace_back(begin, static_cast<size_t>(out - begin));
      if (p_ < end_ && *p_ != delim_ && *p_ != '\n' && *p_ != '\r')
        fail(line_, fields->size() - 1, "unexpected text after a closing quote");
    } else {
      char* begin = p_;
      while (p_ < end_ && *p_ != delim_ && *p_ != '\n' && *p_ != '\r') ++p_;
      fields->emplace_back(begin, static_cast<size_t>(p_ - begin));
    }
    if (p_ >= end_) break;
    if (*p_ == delim_) {
      ++p_;
      continue;
    }
    if (*p_ == '\r' && p_ + 1 < end_ && p_[1] == '\n') ++p_;
    ++p_;
    ++line_;
    break;
  }
  return true;
}

std::vector<std::string> header_names(const std::vector<std::string_view>& fields, std::string_view file,
                                      int64_t line) {
  std::vector<std::string> names;
  names.reserve(fields.size());
  std::unordered_map<std::string_view, size_t> seen;
  for (size_t i = 0; i < fields.size(); ++i) {
    // An empty name is usually a pandas index written without index=False.
    ND_CHECK(!fields[i].empty(), file, ":", line, ": column ", i + 1,
             ": empty header name (a pandas index? write the CSV with index=False)");
    auto [it, fresh] = seen.emplace(fields[i], i);
    ND_CHECK(fresh, file, ":", line, ": column '", fields[i], "': duplicate header name (columns ", it->second + 1,
             " and ", i + 1, ")");
    names.emplace_back(fields[i]);
  }
  return names;
}

int find_column(const std::vector<std::string>& names, std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

void missing_column(std::string_view file, int64_t line, std::string_view name, const std::vector<std::string>& names) {
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "'" : ", '") + n + "'";
  ND_THROW(file, ":", line, ": column '", name, "': missing from the header (columns: ", list, ")");
}

void check_field_count(size_t got, const std::vector<std::string>& names, std::string_view file, int64_t line) {
  if (got == names.size()) return;
  if (got < names.size())
    ND_THROW(file, ":", line, ": column '", names[got], "': missing (the row has ", got, " field",
             got == 1 ? "" : "s", ", the header ", names.size(), ")");
  ND_THROW(file, ":", line, ": too many fields (the row has ", got, ", the header ", names.size(), ")");
}

bool is_missing(std::string_view t) {
  return t.empty() || t == "nan" || t == "NaN" || t == "NAN" || t == "NA" || t == "N/A" || t == "null" ||
         t == "NULL" || t == "None";
}

bool parse_value(std::string_view t, float* out, bool* out_of_range) {
  *out_of_range = false;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  if (is_missing(t)) {
    *out = std::numeric_limits<float>::quiet_NaN();
    return true;
  }
  if (t.size() > 1 && t[0] == '+' && t[1] != '-') t.remove_prefix(1);  // from_chars rejects '+'
  const char* end = t.data() + t.size();
  auto [p, ec] = std::from_chars(t.data(), end, *out);
  if (ec == std::errc::result_out_of_range && p == end) {
    // Underflow also reports out of range: such values are just 0 or subnormal as float.
    double d;
    auto [pd, ecd] = std::from_chars(t.data(), end, d);
    if (ecd == std::errc() && pd == end && std::fabs(d) <= std::numeric_limits<float>::max()) {
      *out = static_cast<float>(d);
      return true;
    }
    *out_of_range = true;
    return false;
  }
  if (ec != std::errc() || p != end) return false;
  if (std::isnan(*out)) *out = std::numeric_limits<float>::quiet_NaN();  // "-nan", "nan(0x1)": missing too
  return true;
}

void field_error(std::string_view file, int64_t line, std::string_view col, std::string_view problem,
                 std::string_view text) {
  constexpr size_t kMax = 60;
  const std::string shown = text.size() <= kMax ? std::string(text) : std::string(text.substr(0, kMax)) + "...";
  ND_THROW(file, ":", line, ": column '", col, "': ", problem, " (got '", shown, "')");
}

}  // namespace nd::data::csv_detail
