// Timestamp text <-> int64: a hand-written parser (no locale, no allocation on success) because
// it runs once per CSV row, and every failure says what was wrong with the text.
#include <algorithm>
#include <charconv>
#include <cstdio>

#include "nd/core/error.h"
#include "nd/data/calendar.h"

namespace nd::data {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads between min_len and max_len digits at s[*pos]; false when there are fewer or more.
bool read_number(std::string_view s, size_t* pos, size_t min_len, size_t max_len, int* out) {
  size_t i = *pos;
  int v = 0;
  while (i < s.size() && is_digit(s[i]) && i - *pos < max_len) v = v * 10 + (s[i++] - '0');
  const size_t len = i - *pos;
  if (len < min_len || (i < s.size() && is_digit(s[i]))) return false;
  *pos = i;
  *out = v;
  return true;
}

bool fail(std::string* why, const char* reason) {
  if (why) *why = reason;
  return false;
}

constexpr const char* kExpected =
    "not a date, datetime or integer (expected YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] or YYYY/MM/DD H:MM)";

bool is_leap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

}  // namespace

bool try_parse_time(std::string_view s, int64_t* ts, TimeKind* kind, std::string* why) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty()) return fail(why, "empty timestamp");

  // Integer steps: optional sign, digits only.
  size_t first = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  size_t i = first;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == s.size() && i > first) {
    const char* b = s.data() + (s[0] == '+' ? 1 : 0);  // from_chars takes '-' but not '+'
    int64_t v;
    auto [p, ec] = std::from_chars(b, s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return fail(why, "integer timestamp out of range");
    *ts = v;
    *kind = TimeKind::integer;
    return true;
  }

  // Dates: 1-4 digit year (M3 has years like "5-04-01"), '-' or '/' used twice, 1-2 digit fields.
  size_t pos = 0;
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!read_number(s, &pos, 1, 4, &y) || pos >= s.size() || (s[pos] != '-' && s[pos] != '/'))
    return fail(why, kExpected);
  const char sep = s[pos++];
  if (!read_number(s, &pos, 1, 2, &mo) || pos >= s.size() || s[pos++] != sep ||
      !read_number(s, &pos, 1, 2, &d))
    return fail(why, kExpected);
  if (pos < s.size()) {
    if (s[pos] != ' ' && s[pos] != 'T') return fail(why, kExpected);
    ++pos;
    if (!read_number(s, &pos, 1, 2, &h) || pos >= s.size() || s[pos++] != ':' ||
        !read_number(s, &pos, 2, 2, &mi))
      return fail(why, kExpected);
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!read_number(s, &pos, 2, 2, &sec)) return fail(why, kExpected);
      if (pos < s.size() && s[pos] == '.') {  // "00:00:00.000" from some exporters: zeros only
        ++pos;
        const size_t frac = pos;
        while (pos < s.size() && s[pos] == '0') ++pos;
        if (pos == frac || (pos < s.size() && is_digit(s[pos])))
          return fail(why, "sub-second timestamps are not supported");
      }
    }
    if (pos != s.size()) return fail(why, kExpected);
  }
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12) return fail(why, "month out of range 1-12");
  if (d < 1 || d > (mo == 2 && is_leap(y) ? 29 : kDays[mo - 1])) return fail(why, "day out of range for the month");
  if (h > 23 || mi > 59 || sec > 59) return fail(why, "time of day out of range");
  *ts = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + sec;
  *kind = TimeKind::datetime;
  return true;
}

int64_t parse_time(std::string_view text, TimeKind* kind) {
  int64_t ts;
  TimeKind k;
  std::string why;
  ND_CHECK(try_parse_time(text, &ts, &k, &why), "invalid timestamp '", text, "': ", why);
  if (kind) *kind = k;
  return ts;
}

int format_time_to(int64_t ts, TimeKind kind, char* buf) {
  if (kind == TimeKind::integer) {
    auto [p, ec] = std::to_chars(buf, buf + kTimeTextMax, ts);
    (void)ec;  // 20 chars always fit
    return static_cast<int>(p - buf);
  }
  int64_t days = ts / 86400, sod = ts % 86400;
  if (sod < 0) sod += 86400, --days;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  const auto h = static_cast<unsigned>(sod / 3600), mi = static_cast<unsigned>(sod / 60 % 60),
             s = static_cast<unsigned>(sod % 60);
  if (y < 0 || y > 9999) {  // outside ISO's four digits: rare enough for snprintf
    const int len = sod == 0 ? std::snprintf(buf, kTimeTextMax, "%lld-%02u-%02u", static_cast<long long>(y), m, d)
                             : std::snprintf(buf, kTimeTextMax, "%lld-%02u-%02u %02u:%02u:%02u",
                                             static_cast<long long>(y), m, d, h, mi, s);
    return std::clamp(len, 0, kTimeTextMax - 1);
  }
  auto put2 = [](char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  const auto yy = static_cast<unsigned>(y);
  put2(buf, yy / 100);
  put2(buf + 2, yy % 100);
  buf[4] = '-';
  put2(buf + 5, m);
  buf[7] = '-';
  put2(buf + 8, d);
  if (sod == 0) return 10;
  buf[10] = ' ';
  put2(buf + 11, h);
  buf[13] = ':';
  put2(buf + 14, mi);
  buf[16] = ':';
  put2(buf + 17, s);
  return 19;
}

std::string format_time(int64_t ts, TimeKind kind) {
  char buf[kTimeTextMax];
  return std::string(buf, static_cast<size_t>(format_time_to(ts, kind, buf)));
}

}  // namespace nd::data
