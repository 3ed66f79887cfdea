// Frequencies and timestamps: aliases, calendar arithmetic (month ends, leap years), grids,
// inference and the text forms of timestamps.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "nd/core/error.h"
#include "nd/data/calendar.h"

namespace nd::data {
namespace {

using Unit = Frequency::Unit;

int64_t T(const char* text) {
  TimeKind k;
  const int64_t ts = parse_time(text, &k);
  EXPECT_EQ(k, TimeKind::datetime) << text;
  return ts;
}
std::string S(int64_t ts) { return format_time(ts, TimeKind::datetime); }
std::string adv(const char* alias, const char* from, int64_t k) { return S(Frequency::parse(alias).advance(T(from), k)); }

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(DataCalendar, EveryAliasParsesAndRoundTrips) {
  struct Case {
    const char* alias;
    Unit unit;
    int64_t n;
    const char* str;
  };
  const Case cases[] = {
      {"1", Unit::step, 1, "1"},          {"7", Unit::step, 7, "7"},
      {"s", Unit::second, 1, "s"},        {"10s", Unit::second, 10, "10s"},
      {"min", Unit::minute, 1, "min"},    {"T", Unit::minute, 1, "min"},
      {"15min", Unit::minute, 15, "15min"}, {"15T", Unit::minute, 15, "15min"},
      {"h", Unit::hour, 1, "h"},          {"H", Unit::hour, 1, "h"},
      {"2h", Unit::hour, 2, "2h"},        {"D", Unit::day, 1, "D"},
      {"2D", Unit::day, 2, "2D"},         {"W", Unit::week, 1, "W"},
      {"MS", Unit::month_start, 1, "MS"}, {"3MS", Unit::month_start, 3, "3MS"},
      {"M", Unit::month_end, 1, "ME"},    {"ME", Unit::month_end, 1, "ME"},
      {"QS", Unit::quarter_start, 1, "QS"}, {"Q", Unit::quarter_end, 1, "QE"},
      {"QE", Unit::quarter_end, 1, "QE"}, {"YS", Unit::year_start, 1, "YS"},
      {"AS", Unit::year_start, 1, "YS"},  {"Y", Unit::year_end, 1, "YE"},
      {"A", Unit::year_end, 1, "YE"},     {"YE", Unit::year_end, 1, "YE"},
      {"2YE", Unit::year_end, 2, "2YE"},
  };
  for (const Case& c : cases) {
    const Frequency f = Frequency::parse(c.alias);
    EXPECT_EQ(f.unit, c.unit) << c.alias;
    EXPECT_EQ(f.n, c.n) << c.alias;
    EXPECT_EQ(f.str(), c.str) << c.alias;
    const Frequency back = Frequency::parse(f.str());
    EXPECT_TRUE(back.unit == f.unit && back.n == f.n) << c.alias;
  }
}

TEST(DataCalendar, BadAliasesNameTheAlias) {
  for (const char* bad : {"", "0", "0MS", "x", "MS2", "-1", "1.5D", "99999999999D", "m", "ms", "W-SUN"}) {
    const std::string msg = error_of([&] { Frequency::parse(bad); });
    EXPECT_NE(msg, "(no error)") << bad;
    if (*bad) {
      EXPECT_NE(msg.find(std::string("'") + bad + "'"), std::string::npos) << msg;
    }
  }
  EXPECT_NE(error_of([] { Frequency::parse("fortnight"); }).find("MS"), std::string::npos);  // lists accepted
}

TEST(DataCalendar, MonthEndArithmetic) {
  EXPECT_EQ(adv("M", "2023-01-31", 1), "2023-02-28");
  EXPECT_EQ(adv("M", "2024-01-31", 1), "2024-02-29");  // leap year
  EXPECT_EQ(adv("ME", "2024-02-29", 1), "2024-03-31");
  EXPECT_EQ(adv("ME", "2024-01-31", 2), "2024-03-31");
  EXPECT_EQ(adv("ME", "2024-03-31", -1), "2024-02-29");
  EXPECT_EQ(adv("ME", "2023-03-31", -1), "2023-02-28");
  EXPECT_EQ(adv("ME", "2023-03-31", -12), "2022-03-31");
  EXPECT_EQ(adv("ME", "2023-03-31", -15), "2021-12-31");
  EXPECT_EQ(adv("ME", "2000-01-31", 1), "2000-02-29");  // divisible by 400: leap
  EXPECT_EQ(adv("ME", "1900-01-31", 1), "1900-02-28");  // divisible by 100: not leap
  EXPECT_EQ(adv("ME", "2100-03-31", -1), "2100-02-28");
  EXPECT_EQ(adv("2ME", "2023-12-31", 1), "2024-02-29");
  EXPECT_EQ(adv("ME", "1969-12-31", 2), "1970-02-28");  // across the epoch
  EXPECT_EQ(adv("ME", "1970-02-28", -2), "1969-12-31");
}

TEST(DataCalendar, StartAndEndAnchors) {
  EXPECT_EQ(adv("MS", "2020-01-01", 1), "2020-02-01");
  EXPECT_EQ(adv("MS", "2020-01-01", -1), "2019-12-01");
  EXPECT_EQ(adv("3MS", "2020-01-01", 2), "2020-07-01");
  EXPECT_EQ(adv("QS", "2020-01-01", 1), "2020-04-01");
  EXPECT_EQ(adv("QS", "2020-10-01", 1), "2021-01-01");
  EXPECT_EQ(adv("QS", "2020-01-01", -1), "2019-10-01");
  EXPECT_EQ(adv("Q", "2020-03-31", 1), "2020-06-30");
  EXPECT_EQ(adv("QE", "2020-03-31", 3), "2020-12-31");
  EXPECT_EQ(adv("QE", "2020-03-31", -1), "2019-12-31");
  EXPECT_EQ(adv("QE", "2019-12-31", 1), "2020-03-31");
  EXPECT_EQ(adv("YS", "2020-01-01", 1), "2021-01-01");
  EXPECT_EQ(adv("AS", "2020-01-01", -3), "2017-01-01");
  EXPECT_EQ(adv("Y", "2020-12-31", 1), "2021-12-31");
  EXPECT_EQ(adv("YE", "2020-12-31", -2), "2018-12-31");
  // Off an anchor the first move only rolls to the neighbouring anchor (pandas offsets).
  EXPECT_EQ(adv("ME", "2020-01-15", 1), "2020-01-31");
  EXPECT_EQ(adv("ME", "2020-01-15", -1), "2019-12-31");
  EXPECT_EQ(adv("MS", "2020-01-15", 1), "2020-02-01");
  EXPECT_EQ(adv("MS", "2020-01-15", -1), "2020-01-01");
  EXPECT_EQ(adv("QS", "2020-11-05", 1), "2021-01-01");
  EXPECT_EQ(adv("QE", "2020-11-05", -1), "2020-09-30");
  EXPECT_EQ(adv("YE", "2020-06-01", 1), "2020-12-31");
  EXPECT_EQ(adv("ME", "2020-01-15", 0), "2020-01-15");
  EXPECT_EQ(adv("MS", "2020-01-01 06:30:00", 1), "2020-02-01 06:30:00");  // time of day kept
}

TEST(DataCalendar, TickUnitsAndSteps) {
  EXPECT_EQ(adv("h", "2016-07-01 23:00:00", 1), "2016-07-02");
  EXPECT_EQ(adv("h", "2016-07-01 00:00:00", -1), "2016-06-30 23:00:00");
  EXPECT_EQ(adv("15min", "2016-07-01 10:50:00", 2), "2016-07-01 11:20:00");
  EXPECT_EQ(adv("30s", "2016-07-01 10:50:00", 3), "2016-07-01 10:51:30");
  EXPECT_EQ(adv("D", "2024-02-28 08:00:00", 2), "2024-03-01 08:00:00");
  EXPECT_EQ(adv("W", "2024-01-03", 1), "2024-01-10");  // a Wednesday stays a Wednesday
  EXPECT_EQ(adv("2W", "2024-01-03", -1), "2023-12-20");
  EXPECT_EQ(Frequency(Unit::step, 1).advance(5, 3), 8);
  EXPECT_EQ(Frequency(Unit::step, 2).advance(5, -3), -1);
  EXPECT_NE(error_of([] { Frequency(Unit::step, 1).advance(INT64_MAX - 1, 5); }).find("overflow"), std::string::npos);
  EXPECT_NE(error_of([] { Frequency(Unit::month_end, 0).advance(0, 1); }).find("multiplier"), std::string::npos);
  EXPECT_NE(error_of([] { Frequency(Unit::month_end, 1).advance(0, INT64_MAX / 2); }).find("overflow"), std::string::npos);
  EXPECT_NE(error_of([] { Frequency(Unit::year_start, 1000).advance(0, -INT64_MAX / 2000); }).find("overflow"),
            std::string::npos);
}

TEST(DataCalendar, StepsBetweenOnAndOffGrid) {
  const Frequency ms = Frequency::parse("MS"), me = Frequency::parse("ME"), h = Frequency::parse("h");
  EXPECT_EQ(ms.steps_between(T("2020-01-01"), T("2021-03-01")), 14);
  EXPECT_EQ(ms.steps_between(T("2020-01-01"), T("2020-01-01")), 0);
  EXPECT_EQ(ms.steps_between(T("2020-01-01"), T("2020-03-02")), -1);
  EXPECT_EQ(ms.steps_between(T("2020-03-01"), T("2020-01-01")), -1);
  EXPECT_EQ(ms.steps_between(T("2020-01-01"), T("2020-03-01 01:00")), -1);  // other time of day
  EXPECT_EQ(me.steps_between(T("2020-01-31"), T("2020-04-30")), 3);
  EXPECT_EQ(me.steps_between(T("2020-01-31"), T("2020-04-29")), -1);
  EXPECT_EQ(me.steps_between(T("2020-01-15"), T("2020-01-31")), 1);  // off-anchor start
  EXPECT_EQ(me.steps_between(T("2020-01-15"), T("2020-02-29")), 2);
  EXPECT_EQ(Frequency::parse("2MS").steps_between(T("2020-01-01"), T("2020-04-01")), -1);
  EXPECT_EQ(Frequency::parse("2MS").steps_between(T("2020-01-01"), T("2020-05-01")), 2);
  EXPECT_EQ(h.steps_between(T("2016-07-01 00:00"), T("2016-07-02 01:00")), 25);
  EXPECT_EQ(h.steps_between(T("2016-07-01 00:00"), T("2016-07-01 01:30")), -1);
  EXPECT_EQ(Frequency(Unit::step, 3).steps_between(2, 11), 3);
  EXPECT_EQ(Frequency(Unit::step, 3).steps_between(2, 10), -1);
  EXPECT_EQ(Frequency(Unit::step, 1).steps_between(INT64_MIN, INT64_MAX), -1);  // overflow: not on grid
  // steps_between inverts advance for every unit, from anchors and from arbitrary starts.
  for (const char* alias : {"s", "15min", "h", "D", "W", "MS", "2ME", "QS", "QE", "YS", "YE", "3"}) {
    const Frequency f = Frequency::parse(alias);
    for (int64_t from : {T("2019-12-31"), T("2020-02-29"), T("2020-05-17 13:00")}) {
      for (int64_t k = 0; k < 40; ++k)
        ASSERT_EQ(f.steps_between(from, f.advance(from, k)), k) << alias << " " << S(from) << " k=" << k;
    }
  }
}

TEST(DataCalendar, IsAnchor) {
  EXPECT_TRUE(Frequency::parse("MS").is_anchor(T("2020-02-01")));
  EXPECT_FALSE(Frequency::parse("MS").is_anchor(T("2020-02-02")));
  EXPECT_TRUE(Frequency::parse("ME").is_anchor(T("2024-02-29")));
  EXPECT_FALSE(Frequency::parse("ME").is_anchor(T("2024-02-28")));
  EXPECT_TRUE(Frequency::parse("ME").is_anchor(T("2023-02-28")));
  EXPECT_TRUE(Frequency::parse("QS").is_anchor(T("2020-07-01")));
  EXPECT_FALSE(Frequency::parse("QS").is_anchor(T("2020-08-01")));
  EXPECT_TRUE(Frequency::parse("QE").is_anchor(T("2020-09-30")));
  EXPECT_FALSE(Frequency::parse("QE").is_anchor(T("2020-10-31")));
  EXPECT_TRUE(Frequency::parse("YS").is_anchor(T("1949-01-01")));
  EXPECT_FALSE(Frequency::parse("YS").is_anchor(T("1949-02-01")));
  EXPECT_TRUE(Frequency::parse("YE").is_anchor(T("1949-12-31")));
  EXPECT_TRUE(Frequency::parse("h").is_anchor(T("2020-01-01 05:00")));
  EXPECT_FALSE(Frequency::parse("h").is_anchor(T("2020-01-01 05:30")));
  EXPECT_TRUE(Frequency::parse("D").is_anchor(T("1960-01-01")));
  EXPECT_FALSE(Frequency::parse("W").is_anchor(T("1960-01-01 01:00")));
  EXPECT_TRUE(Frequency(Unit::step, 5).is_anchor(3));
}

Frequency infer_dates(std::initializer_list<const char*> texts) {
  std::vector<int64_t> ds;
  for (const char* t : texts) ds.push_back(T(t));
  return Frequency::infer(ds.data(), static_cast<int64_t>(ds.size()), TimeKind::datetime);
}

TEST(DataCalendar, InferFrequency) {
  EXPECT_EQ(infer_dates({"2016-07-01 00:00", "2016-07-01 01:00", "2016-07-01 02:00"}).str(), "h");
  EXPECT_EQ(infer_dates({"2016-07-01 00:00", "2016-07-01 00:15", "2016-07-01 00:30"}).str(), "15min");
  EXPECT_EQ(infer_dates({"2016-07-01 00:00:00", "2016-07-01 00:00:10"}).str(), "10s");
  EXPECT_EQ(infer_dates({"2016-07-01 00:00", "2016-07-01 06:00", "2016-07-01 12:00"}).str(), "6h");
  EXPECT_EQ(infer_dates({"1990/1/1 0:00", "1990/1/2 0:00", "1990/1/3 0:00"}).str(), "D");
  EXPECT_EQ(infer_dates({"2002-01-01", "2002-01-08", "2002-01-15"}).str(), "W");
  EXPECT_EQ(infer_dates({"2002-01-01", "2002-01-29", "2002-02-26"}).str(), "4W");  // not month starts
  EXPECT_EQ(infer_dates({"1949-01-01", "1949-02-01", "1949-03-01"}).str(), "MS");
  EXPECT_EQ(infer_dates({"2024-02-01", "2024-03-01"}).str(), "MS");  // 28 days apart, still monthly
  EXPECT_EQ(infer_dates({"2024-01-31", "2024-02-29", "2024-03-31"}).str(), "ME");
  EXPECT_EQ(infer_dates({"2024-02-01", "2024-04-01", "2024-06-01"}).str(), "2MS");
  EXPECT_EQ(infer_dates({"2024-01-01", "2024-04-01", "2024-07-01"}).str(), "QS");
  EXPECT_EQ(infer_dates({"2024-02-01", "2024-05-01", "2024-08-01"}).str(), "3MS");  // off quarter phase
  EXPECT_EQ(infer_dates({"2023-12-31", "2024-03-31", "2024-06-30"}).str(), "QE");
  EXPECT_EQ(infer_dates({"1975-01-01", "1976-01-01", "1977-01-01"}).str(), "YS");
  EXPECT_EQ(infer_dates({"1975-12-31", "1976-12-31"}).str(), "YE");
  EXPECT_EQ(infer_dates({"1970-01-01", "1972-01-01", "1974-01-01"}).str(), "2YS");
  // The most common gap wins when a few points are missing.
  EXPECT_EQ(infer_dates({"2020-01-01", "2020-02-01", "2020-03-01", "2020-05-01"}).str(), "MS");
  EXPECT_EQ(infer_dates({"2020-01-01", "2020-01-02", "2020-01-03", "2020-01-06"}).str(), "D");
  const int64_t steps[] = {1, 2, 3, 4}, by3[] = {-3, 0, 3, 9};
  EXPECT_EQ(Frequency::infer(steps, 4, TimeKind::integer).str(), "1");
  EXPECT_EQ(Frequency::infer(by3, 4, TimeKind::integer).str(), "3");
}

TEST(DataCalendar, InferErrors) {
  const int64_t one[] = {5}, unsorted[] = {1, 3, 2}, uneven[] = {0, 2, 5, 7};
  EXPECT_NE(error_of([&] { Frequency::infer(one, 0, TimeKind::integer); }).find("0 timestamps"), std::string::npos);
  EXPECT_NE(error_of([&] { Frequency::infer(one, 1, TimeKind::integer); }).find("1 timestamp (need at least 2)"), std::string::npos);
  EXPECT_NE(error_of([&] { Frequency::infer(unsorted, 3, TimeKind::integer); }).find("3 then 2"), std::string::npos);
  EXPECT_NE(error_of([&] { Frequency::infer(uneven, 4, TimeKind::integer); }).find("2 -> 5"), std::string::npos);
  const std::string msg = error_of([] { infer_dates({"2020-01-01", "2020-01-03", "2020-01-06", "2020-01-08"}); });
  EXPECT_NE(msg.find("most common gap is 2d"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2020-01-03 -> 2020-01-06"), std::string::npos) << msg;
}

TEST(DataCalendar, SeasonLength) {
  const std::pair<const char*, int> cases[] = {{"1", 1}, {"h", 24}, {"2h", 12}, {"D", 7}, {"W", 52},
                                               {"MS", 12}, {"M", 12}, {"3MS", 4}, {"QS", 4}, {"Q", 4},
                                               {"YS", 1}, {"Y", 1}, {"min", 60}, {"15min", 4}, {"5h", 1}};
  for (const auto& [alias, m] : cases) EXPECT_EQ(Frequency::parse(alias).season_length(), m) << alias;
}

TEST(DataCalendar, ParseAndFormatTimes) {
  EXPECT_EQ(T("1970-01-01"), 0);
  EXPECT_EQ(T("1970-01-02 00:00:01"), 86401);
  EXPECT_EQ(T("1969-12-31 23:59:59"), -1);
  EXPECT_EQ(S(T("2016-07-01 00:00:00")), "2016-07-01");
  EXPECT_EQ(S(T("2016-07-01T01:00")), "2016-07-01 01:00:00");
  EXPECT_EQ(S(T("1990/1/1 0:00")), "1990-01-01");
  EXPECT_EQ(S(T("2010/10/10 9:05")), "2010-10-10 09:05:00");
  EXPECT_EQ(S(T("5-04-01")), "0005-04-01");  // M3's short years
  EXPECT_EQ(S(T(" 2020-02-29 ")), "2020-02-29");
  EXPECT_EQ(S(T("2020-02-29 12:00:00.000")), "2020-02-29 12:00:00");
  TimeKind k;
  EXPECT_EQ(parse_time("42", &k), 42);
  EXPECT_EQ(k, TimeKind::integer);
  EXPECT_EQ(parse_time("-5", &k), -5);
  EXPECT_EQ(parse_time("+7", &k), 7);
  EXPECT_EQ(format_time(-5, TimeKind::integer), "-5");
  for (const char* bad : {"", "abc", "2021-02-29", "2021-13-01", "2021-00-10", "2016-07-01 24:00", "2016-07-01 1:2",
                          "1.5", "2016-07-01Z", "2016-07-01 00:00:00.5", "2016-07/01", "20160-01-01", "2016-7-1-",
                          "99999999999999999999", "2016-07-01 10:00:60"}) {
    const std::string msg = error_of([&] { parse_time(bad, &k); });
    EXPECT_NE(msg.find(std::string("'") + bad + "'"), std::string::npos) << bad << ": " << msg;
  }
}

TEST(DataCalendar, TimeTextRoundTrips) {
  std::mt19937_64 rng(7);
  const int64_t lo = T("0001-01-01"), hi = T("9999-12-31 23:59:59");
  std::uniform_int_distribution<int64_t> any(lo, hi);
  for (int i = 0; i < 20000; ++i) {
    int64_t ts = any(rng);
    if (i % 2) ts -= ts % 86400 + (ts % 86400 < 0 ? 86400 : 0);  // midnights print as dates
    TimeKind k;
    ASSERT_EQ(parse_time(S(ts), &k), ts) << S(ts);
  }
}

TEST(DataCalendar, CivilDays) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  int64_t prev_y = 0;
  unsigned prev_m = 0, prev_d = 0;
  for (int64_t z = -1000000; z <= 1000000; ++z) {
    int64_t y;
    unsigned m, d;
    civil_from_days(z, &y, &m, &d);
    ASSERT_EQ(days_from_civil(y, m, d), z);
    if (z > -1000000) {
      ASSERT_TRUE(d == prev_d + 1 || (d == 1 && (m == prev_m + 1 || (m == 1 && y == prev_y + 1))));
    }
    prev_y = y, prev_m = m, prev_d = d;
  }
}

}  // namespace
}  // namespace nd::data
