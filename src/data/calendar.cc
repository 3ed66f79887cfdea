// Frequencies over naive (zone-less) timestamps in seconds since 1970-01-01. Tick units (s .. W)
// are fixed numbers of seconds; month / quarter / year anchors are counted as an anchor index
// (the n-th month start, quarter end, ...) so that ends stay on ends across month lengths.
#include "nd/data/calendar.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "nd/core/error.h"

namespace nd::data {

namespace {

constexpr int64_t kSecPerDay = 86400;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }

bool is_leap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Overflow-checked arithmetic: timestamps come from user files, so a huge k or ds must become an
// error, never undefined behaviour.
int64_t mul(int64_t a, int64_t b) {
  int64_t r;
  ND_CHECK(!__builtin_mul_overflow(a, b, &r), "timestamp arithmetic overflows (", a, " * ", b, ")");
  return r;
}
int64_t add(int64_t a, int64_t b) {
  int64_t r;
  ND_CHECK(!__builtin_add_overflow(a, b, &r), "timestamp arithmetic overflows (", a, " + ", b, ")");
  return r;
}

using Unit = Frequency::Unit;

// Seconds per period of a tick unit; 0 for step and calendar anchors.
int64_t tick_seconds(Unit u) {
  switch (u) {
    case Unit::second: return 1;
    case Unit::minute: return 60;
    case Unit::hour: return 3600;
    case Unit::day: return kSecPerDay;
    case Unit::week: return 7 * kSecPerDay;
    default: return 0;
  }
}

// Calendar anchors: every `months`-th month (aligned on the year), first or last day.
struct Anchor {
  int64_t months = 0;  // 0 = not an anchor unit
  bool end = false;
};

Anchor anchor_of(Unit u) {
  switch (u) {
    case Unit::month_start: return {1, false};
    case Unit::month_end: return {1, true};
    case Unit::quarter_start: return {3, false};
    case Unit::quarter_end: return {3, true};
    case Unit::year_start: return {12, false};
    case Unit::year_end: return {12, true};
    default: return {};
  }
}

// Index of the latest anchor whose date is <= the date `days`; *on tells whether the date is one.
// Anchor i lies in month i*months (start) or i*months + months-1 (end), months counted from 0000-01.
int64_t floor_anchor(int64_t days, Anchor a, bool* on) {
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  const int64_t mm = y * 12 + (m - 1);
  if (!a.end) {
    *on = floor_mod(mm, a.months) == 0 && d == 1;
    return floor_div(mm, a.months);
  }
  const int64_t i = floor_div(mm - (a.months - 1), a.months);
  *on = false;
  if (i * a.months + a.months - 1 != mm) return i;  // the anchor month is earlier: its end is past
  if (d == days_in_month(y, m)) {
    *on = true;
    return i;
  }
  return i - 1;  // in the anchor month but before its last day
}

int64_t anchor_days(int64_t i, Anchor a) {
  const int64_t mm = add(mul(i, a.months), a.end ? a.months - 1 : 0);
  // Beyond ~3e11 years the seconds no longer fit int64 (and the civil algorithm would overflow).
  constexpr int64_t kMaxMonths = int64_t{12} * 250'000'000'000;
  ND_CHECK(mm >= -kMaxMonths && mm <= kMaxMonths, "timestamp arithmetic overflows (month ", mm, ")");
  const int64_t y = floor_div(mm, 12);
  const auto m = static_cast<unsigned>(floor_mod(mm, 12) + 1);
  return days_from_civil(y, m, a.end ? days_in_month(y, m) : 1);
}

struct Alias {
  const char* name;
  Unit unit;
};
// The first name of each unit is the canonical one that str() prints.
constexpr Alias kAliases[] = {
    {"s", Unit::second},       {"min", Unit::minute},       {"T", Unit::minute},
    {"h", Unit::hour},         {"H", Unit::hour},           {"D", Unit::day},
    {"W", Unit::week},         {"MS", Unit::month_start},   {"ME", Unit::month_end},
    {"M", Unit::month_end},    {"QS", Unit::quarter_start}, {"QE", Unit::quarter_end},
    {"Q", Unit::quarter_end},  {"YS", Unit::year_start},    {"AS", Unit::year_start},
    {"YE", Unit::year_end},    {"Y", Unit::year_end},       {"A", Unit::year_end},
};
constexpr const char* kAccepted =
    "an integer step (\"1\") or [n]<unit> with unit s, min/T, h/H, D, W, MS, M/ME, QS, Q/QE, YS/AS, "
    "Y/A/YE (e.g. \"15min\", \"2D\", \"MS\")";
constexpr int64_t kMaxMultiplier = 1000000000;

void check_n(const Frequency& f) {
  ND_CHECK(f.n >= 1 && f.n <= kMaxMultiplier, "frequency multiplier must be in [1, ", kMaxMultiplier,
           "] (got ", f.n, ")");
}

// Most common positive gap (the smallest on ties); 0 when some gap is not positive.
int64_t mode_gap(std::vector<int64_t> gaps) {
  std::sort(gaps.begin(), gaps.end());
  if (gaps.empty() || gaps.front() <= 0) return 0;
  int64_t best = gaps[0], best_count = 0;
  for (size_t i = 0; i < gaps.size();) {
    size_t j = i;
    while (j < gaps.size() && gaps[j] == gaps[i]) ++j;
    if (static_cast<int64_t>(j - i) > best_count) best = gaps[i], best_count = static_cast<int64_t>(j - i);
    i = j;
  }
  return best;
}

bool all_multiples(const std::vector<int64_t>& gaps, int64_t g) {
  return std::all_of(gaps.begin(), gaps.end(), [g](int64_t x) { return x % g == 0; });
}

// The coarsest calendar anchor on which every timestamp lies (same time of day), with the common
// anchor gap as multiplier; n = 0 when none fits.
Frequency infer_anchor(const int64_t* ds, int64_t n) {
  static constexpr Unit kOrder[] = {Unit::year_start,    Unit::year_end,    Unit::quarter_start,
                                    Unit::quarter_end,   Unit::month_start, Unit::month_end};
  const int64_t sod = floor_mod(ds[0], kSecPerDay);
  for (int64_t i = 0; i < n; ++i)
    if (floor_mod(ds[i], kSecPerDay) != sod) return {Unit::step, 0};
  std::vector<int64_t> idx(n), gaps(n - 1);
  for (Unit u : kOrder) {
    const Anchor a = anchor_of(u);
    bool ok = true;
    for (int64_t i = 0; i < n && ok; ++i) idx[i] = floor_anchor(floor_div(ds[i], kSecPerDay), a, &ok);
    if (!ok) continue;
    for (int64_t i = 0; i + 1 < n; ++i) gaps[i] = idx[i + 1] - idx[i];
    const int64_t g = mode_gap(gaps);
    if (g > 0 && all_multiples(gaps, g)) return {u, g};
  }
  return {Unit::step, 0};
}

std::string duration_text(int64_t sec) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {{kSecPerDay, "d"}, {3600, "h"}, {60, "min"}};
  for (const auto& [len, name] : kUnits)
    if (sec % len == 0) return std::to_string(sec / len) + name;
  return std::to_string(sec) + "s";
}

}  // namespace

// --- civil dates (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms") -------------------

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);                    // [0, 399]
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;      // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                // [0, 146096]
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);                  // [0, 146096]
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);              // [0, 365]
  const unsigned mp = (5 * doy + 2) / 153;                                   // [0, 11], March = 0
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

// --- Frequency ----------------------------------------------------------------------------------

Frequency Frequency::parse(const std::string& alias) {
  size_t digits = 0;
  while (digits < alias.size() && alias[digits] >= '0' && alias[digits] <= '9') ++digits;
  int64_t n = 1;
  if (digits > 0) {
    ND_CHECK(digits <= 10, "frequency '", alias, "': multiplier too large");
    n = std::stoll(alias.substr(0, digits));
    ND_CHECK(n >= 1 && n <= kMaxMultiplier, "frequency '", alias, "': multiplier must be in [1, ",
             kMaxMultiplier, "]");
  }
  const std::string unit = alias.substr(digits);
  if (unit.empty()) {
    ND_CHECK(digits > 0, "empty frequency: expected ", kAccepted);
    return {Unit::step, n};
  }
  for (const Alias& a : kAliases)
    if (unit == a.name) return {a.unit, n};
  ND_THROW("unknown frequency '", alias, "': expected ", kAccepted);
}

Frequency Frequency::infer(const int64_t* ds, int64_t n, TimeKind kind) {
  ND_CHECK(n >= 2, "cannot infer a frequency from ", n, " timestamp", n == 1 ? "" : "s",
           " (need at least 2); give the frequency explicitly");
  std::vector<int64_t> gaps(n - 1);
  for (int64_t i = 0; i + 1 < n; ++i) {
    ND_CHECK(ds[i + 1] > ds[i], "cannot infer a frequency: timestamps not strictly increasing (",
             format_time(ds[i], kind), " then ", format_time(ds[i + 1], kind), ")");
    int64_t g;
    ND_CHECK(!__builtin_sub_overflow(ds[i + 1], ds[i], &g), "cannot infer a frequency: gap overflows");
    gaps[i] = g;
  }
  const int64_t g = mode_gap(gaps);
  auto no_fit = [&]() -> std::string {
    for (int64_t i = 0; i + 1 < n; ++i)
      if (gaps[i] % g != 0)
        return " (" + format_time(ds[i], kind) + " -> " + format_time(ds[i + 1], kind) + ")";
    return "";
  };
  if (kind == TimeKind::integer) {
    ND_CHECK(all_multiples(gaps, g), "cannot infer a frequency: the most common step is ", g,
             " but some gaps are not multiples of it", no_fit());
    return {Unit::step, g};
  }
  // Calendar anchors first: monthly data has unequal gaps in seconds, and two month starts 28
  // days apart would otherwise read as "4W".
  if (*std::min_element(gaps.begin(), gaps.end()) >= 28 * kSecPerDay) {
    const Frequency f = infer_anchor(ds, n);
    if (f.n > 0) return f;
  }
  if (all_multiples(gaps, g)) {
    static constexpr Unit kTicks[] = {Unit::week, Unit::day, Unit::hour, Unit::minute, Unit::second};
    for (Unit u : kTicks)
      if (g % tick_seconds(u) == 0) return {u, g / tick_seconds(u)};
  }
  ND_THROW("cannot infer a frequency: the most common gap is ", duration_text(g),
           " but the timestamps fit neither a multiple of it nor a month / quarter / year grid", no_fit(),
           "; give the frequency explicitly");
}

int64_t Frequency::advance(int64_t ts, int64_t k) const {
  check_n(*this);
  if (unit == Unit::step) return add(ts, mul(k, n));
  if (const int64_t sec = tick_seconds(unit)) return add(ts, mul(mul(k, n), sec));
  if (k == 0) return ts;
  const Anchor a = anchor_of(unit);
  const int64_t days = floor_div(ts, kSecPerDay);
  bool on;
  int64_t i = add(floor_anchor(days, a, &on), mul(k, n));
  // Off an anchor, the first move (either way) only rolls to the neighbouring anchor, as pandas'
  // offsets do: Jan 15 + 1 ME = Jan 31, Jan 15 - 1 ME = Dec 31. The floor anchor is already the
  // backward roll, so going back needs one move less.
  if (!on && k < 0) i = add(i, 1);
  return add(mul(anchor_days(i, a), kSecPerDay), ts - days * kSecPerDay);
}

int64_t Frequency::steps_between(int64_t from, int64_t to) const {
  check_n(*this);
  if (to < from) return -1;
  if (to == from) return 0;
  int64_t diff;
  if (__builtin_sub_overflow(to, from, &diff)) return -1;
  if (unit == Unit::step) return diff % n == 0 ? diff / n : -1;
  if (const int64_t sec = tick_seconds(unit)) {
    const int64_t period = n * sec;  // n <= 1e9 and sec <= 604800: no overflow
    return diff % period == 0 ? diff / period : -1;
  }
  const Anchor a = anchor_of(unit);
  const int64_t from_days = floor_div(from, kSecPerDay), to_days = floor_div(to, kSecPerDay);
  if (from - from_days * kSecPerDay != to - to_days * kSecPerDay) return -1;  // other time of day
  bool from_on, to_on;
  const int64_t i_from = floor_anchor(from_days, a, &from_on);
  const int64_t i_to = floor_anchor(to_days, a, &to_on);
  // The grid from an off-anchor start is from, then anchors i_from + n, i_from + 2n, ... (advance).
  if (!to_on || i_to <= i_from || (i_to - i_from) % n != 0) return -1;
  return (i_to - i_from) / n;
}

bool Frequency::is_anchor(int64_t ts) const {
  if (unit == Unit::step) return true;
  if (const int64_t sec = tick_seconds(unit)) return floor_mod(ts, std::min<int64_t>(sec, kSecPerDay)) == 0;
  bool on;
  floor_anchor(floor_div(ts, kSecPerDay), anchor_of(unit), &on);
  return on;
}

std::string Frequency::str() const {
  if (unit == Unit::step) return std::to_string(n);
  const std::string prefix = n == 1 ? "" : std::to_string(n);
  for (const Alias& a : kAliases)
    if (a.unit == unit) return prefix + a.name;
  return prefix + "?";  // unreachable for valid units
}

int Frequency::season_length() const {
  int base = 1;
  switch (unit) {
    case Unit::step: return 1;
    case Unit::second: base = 60; break;
    case Unit::minute: base = 60; break;
    case Unit::hour: base = 24; break;
    case Unit::day: base = 7; break;
    case Unit::week: base = 52; break;
    case Unit::month_start: case Unit::month_end: base = 12; break;
    case Unit::quarter_start: case Unit::quarter_end: base = 4; break;
    case Unit::year_start: case Unit::year_end: return 1;
  }
  // A multiple keeps the same cycle when it divides it ("2h" -> 12 per day, "3MS" -> 4 per year);
  // otherwise no whole number of periods makes a season.
  return n >= 1 && base % n == 0 ? static_cast<int>(base / n) : 1;
}

}  // namespace nd::data
