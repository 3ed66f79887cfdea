// Frequencies and timestamps: parsing and formatting ISO dates / datetimes, pandas-style frequency
// aliases, calendar arithmetic (month and quarter ends, leap years) for future timestamps.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "nd/data/frame.h"

namespace nd::data {

class Frequency {
 public:
  enum class Unit : uint8_t {
    step,           // integer ds: ds + n
    second, minute, hour, day, week,
    month_start, month_end, quarter_start, quarter_end, year_start, year_end
  };
  Frequency() = default;
  Frequency(Unit u, int64_t n) : unit(u), n(n) {}

  // pandas aliases with an optional multiplier: "1", "2" (integer steps), "s", "min"/"T", "h"/"H",
  // "D", "W" (weeks, any weekday), "MS", "M"/"ME", "QS", "Q"/"QE", "YS"/"AS", "Y"/"A"/"YE",
  // e.g. "15min", "2D", "3MS". Throws nd::Error naming the alias and the accepted ones.
  static Frequency parse(const std::string& alias);
  // The frequency of a regular series (the most common gap, checked against calendar units):
  // used when the user gives none. Throws when fewer than 2 timestamps or no unit fits.
  static Frequency infer(const int64_t* ds, int64_t n, TimeKind kind);

  // ts advanced by k periods (k may be negative). Month/quarter/year ends stay on ends.
  int64_t advance(int64_t ts, int64_t k) const;
  // Number of periods from `from` to `to` when `to` lies on the grid started at `from`;
  // -1 otherwise (also when to < from).
  int64_t steps_between(int64_t from, int64_t to) const;
  // True when ts itself is a valid anchor for this frequency (e.g. 1st of month for MS).
  bool is_anchor(int64_t ts) const;
  // pandas alias ("MS", "15min", "1" for integer steps).
  std::string str() const;
  // Seasonal period used by seasonal naive / MASE (pandas / statsforecast convention):
  // H 24, D 7, W 52, M/MS 12, Q/QS 4, Y 1, min 60, step 1.
  int season_length() const;

  Unit unit = Unit::step;
  int64_t n = 1;
};

// ISO-8601 date "YYYY-MM-DD" or datetime "YYYY-MM-DD HH:MM[:SS]" / "YYYY-MM-DDTHH:MM[:SS]", also
// "YYYY/MM/DD[ H:MM]" as in some public datasets, -> seconds since epoch; or an integer ->
// itself with kind integer. Throws nd::Error quoting the text.
int64_t parse_time(std::string_view text, TimeKind* kind);
// parse_time without the throw, for hot loops that add their own context (file, line, column):
// false on bad text, with the reason in *why when given.
bool try_parse_time(std::string_view text, int64_t* ts, TimeKind* kind, std::string* why = nullptr);
// "1949-01-01" for midnight timestamps, "2016-07-01 01:00:00" otherwise; integers in decimal.
std::string format_time(int64_t ts, TimeKind kind);
// format_time into buf (at least kTimeTextMax chars, not NUL-terminated); returns the length.
// Lets writers format millions of timestamps without a string each.
inline constexpr int kTimeTextMax = 48;
int format_time_to(int64_t ts, TimeKind kind, char* buf);

// Civil date helpers (proleptic Gregorian).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t days, int64_t* y, unsigned* m, unsigned* d);

}  // namespace nd::data
