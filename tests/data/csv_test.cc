// CSV reading and writing: the real benchmark files in ../shared/data (counts, spot values,
// inferred frequencies, load time), tokenizer corners, sorting, and bit-exact write -> read.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "nd/core/error.h"
#include "nd/data/csv.h"

namespace nd::data {
namespace {

std::string shared(const std::string& rel) { return std::string(ND_SHARED_DATA_DIR) + "/" + rel; }

#define SKIP_IF_MISSING(path) \
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "dataset not found: " << (path)

int64_t T(const char* text) {
  TimeKind k;
  return parse_time(text, &k);
}

template <typename F>
auto timed(const char* what, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  auto out = f();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "[ load     ] " << what << ": " << ms << " ms\n";
  EXPECT_LT(ms, 5000.0) << what;  // generous: the machine is shared; the target is well under 1 s
  return out;
}

Frequency infer_series(const Frame& f, int64_t s) {
  return Frequency::infer(f.ds.data() + f.indptr[s], f.length(s), f.time_kind);
}

TEST(DataCsvReal, AirPassengers) {
  const std::string path = shared("air_passengers.csv");
  SKIP_IF_MISSING(path);
  const Frame f = read_csv(path);
  EXPECT_NO_THROW(f.check());
  ASSERT_EQ(f.n_series(), 1);
  EXPECT_EQ(f.ids[0], "AirPassengers");
  ASSERT_EQ(f.n_rows(), 144);
  EXPECT_EQ(f.time_kind, TimeKind::datetime);
  EXPECT_EQ(f.ds.front(), T("1949-01-01"));
  EXPECT_EQ(f.ds.back(), T("1960-12-01"));
  EXPECT_EQ(f.columns, std::vector<std::string>{"y"});
  EXPECT_EQ(f.values[0][0], 112.0f);
  EXPECT_EQ(f.values[0][1], 118.0f);
  EXPECT_EQ(f.values[0][143], 432.0f);
  const Frequency freq = infer_series(f, 0);
  EXPECT_EQ(freq.str(), "MS");
  EXPECT_EQ(freq.season_length(), 12);
  EXPECT_NO_THROW(check_regular(f, freq));
}

TEST(DataCsvReal, ETTh1Wide) {
  const std::string path = shared("ETTh1.csv");
  SKIP_IF_MISSING(path);
  const Frame f = timed("ETTh1.csv (wide)", [&] { return read_wide_csv(path); });
  EXPECT_NO_THROW(f.check());
  EXPECT_EQ(f.ids, (std::vector<std::string>{"HUFL", "HULL", "LUFL", "LULL", "MUFL", "MULL", "OT"}));
  for (int64_t s = 0; s < f.n_series(); ++s) ASSERT_EQ(f.length(s), 17420);
  const int64_t ot = f.find_series("OT"), hufl = f.find_series("HUFL");
  EXPECT_EQ(f.values[0][f.indptr[ot]], 30.5310001373291f);
  EXPECT_EQ(f.values[0][f.indptr[hufl] + 1], 5.692999839782715f);
  EXPECT_EQ(f.values[0][f.indptr[ot + 1] - 1], 9.56700038909912f);
  EXPECT_EQ(f.ds[f.indptr[ot]], T("2016-07-01 00:00:00"));
  EXPECT_EQ(f.ds[f.indptr[ot + 1] - 1], T("2018-06-26 19:00:00"));
  const Frequency freq = infer_series(f, ot);
  EXPECT_EQ(freq.str(), "h");
  EXPECT_EQ(freq.season_length(), 24);
  EXPECT_NO_THROW(check_regular(f, freq));
}

TEST(DataCsvReal, ExchangeRateWide) {
  const std::string path = shared("exchange_rate.csv");
  SKIP_IF_MISSING(path);
  const Frame f = read_wide_csv(path);
  EXPECT_EQ(f.ids, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "OT"}));
  for (int64_t s = 0; s < f.n_series(); ++s) ASSERT_EQ(f.length(s), 7588);
  EXPECT_EQ(f.values[0][0], 0.7855f);  // series "0", 1990/1/1
  EXPECT_EQ(f.ds[0], T("1990-01-01"));
  EXPECT_EQ(f.ds[7587], T("2010-10-10"));
  EXPECT_EQ(f.values[0][f.n_rows() - 1], 0.692689f);  // OT, last row, no final newline
  const Frequency freq = infer_series(f, 0);
  EXPECT_EQ(freq.str(), "D");
  EXPECT_NO_THROW(check_regular(f, freq));
}

TEST(DataCsvReal, NationalIllnessWide) {
  const std::string path = shared("national_illness.csv");
  SKIP_IF_MISSING(path);
  const Frame f = read_wide_csv(path);
  ASSERT_EQ(f.n_series(), 7);
  EXPECT_EQ(f.ids[0], "% WEIGHTED ILI");  // '%' sorts before letters
  EXPECT_GE(f.find_series("NUM. OF PROVIDERS"), 0);
  for (int64_t s = 0; s < f.n_series(); ++s) ASSERT_EQ(f.length(s), 966);
  const int64_t ot = f.find_series("OT");
  EXPECT_EQ(f.values[0][f.indptr[ot]], 176569.0f);
  EXPECT_EQ(f.ds[f.indptr[ot + 1] - 1], T("2020-06-30"));
  const Frequency freq = infer_series(f, ot);
  EXPECT_EQ(freq.str(), "W");
  EXPECT_EQ(freq.season_length(), 52);
  EXPECT_NO_THROW(check_regular(f, freq));
}

struct M3Case {
  const char* file;
  int64_t series, rows;
  const char* freq;
};

TEST(DataCsvReal, M3AllFiles) {
  const M3Case cases[] = {
      {"m3/m3_yearly_train.csv", 645, 14449, "YS"},       {"m3/m3_yearly_test.csv", 645, 3870, "YS"},
      {"m3/m3_quarterly_train.csv", 756, 30956, "QS"},    {"m3/m3_quarterly_test.csv", 756, 6048, "QS"},
      {"m3/m3_monthly_train.csv", 1428, 141858, "MS"},    {"m3/m3_monthly_test.csv", 1428, 25704, "MS"},
      {"m3/m3_other_train.csv", 174, 11933, "1"},         {"m3/m3_other_test.csv", 174, 1392, "1"},
  };
  for (const M3Case& c : cases) {
    const std::string path = shared(c.file);
    SKIP_IF_MISSING(path);
    const Frame f = timed(c.file, [&] { return read_csv(path); });
    EXPECT_NO_THROW(f.check());
    EXPECT_EQ(f.n_series(), c.series) << c.file;
    EXPECT_EQ(f.n_rows(), c.rows) << c.file;
    // Every series, short-year ones ("5-04-01") included, sits on the file's calendar grid.
    for (int64_t s = 0; s < f.n_series(); ++s) ASSERT_EQ(infer_series(f, s).str(), c.freq) << c.file << " " << f.ids[s];
    EXPECT_NO_THROW(check_regular(f, Frequency::parse(c.freq))) << c.file;
  }
  const Frame m = read_csv(shared("m3/m3_monthly_train.csv"));
  const int64_t s = m.find_series("N1402");
  ASSERT_GE(s, 0);
  EXPECT_EQ(m.ds[m.indptr[s]], T("1990-01-01"));
  EXPECT_EQ(m.values[0][m.indptr[s]], 2640.0f);
  const int64_t odd = m.find_series("N2829");
  EXPECT_EQ(m.ds[m.indptr[odd]], T("0001-01-01"));
  EXPECT_EQ(m.values[0][m.indptr[odd]], 2622.4f);
  const Frame o = read_csv(shared("m3/m3_other_train.csv"));
  EXPECT_EQ(o.time_kind, TimeKind::integer);
  EXPECT_EQ(o.ds[0], 1);
  EXPECT_EQ(o.values[0][0], 3060.42f);
}

TEST(DataCsv, SortsByIdThenTimeInByteOrder) {
  const Frame f = read_csv_string(
      "unique_id,ds,y\nb,2020-01-03,3\nB,2020-01-02,20\nb,2020-01-01,1\nA,2020-01-01,10\nb,2020-01-02,2\n", "mem");
  EXPECT_EQ(f.ids, (std::vector<std::string>{"A", "B", "b"}));
  EXPECT_EQ(f.indptr, (std::vector<int64_t>{0, 1, 2, 5}));
  EXPECT_EQ(f.values[0], (std::vector<float>{10, 20, 1, 2, 3}));
  EXPECT_EQ(f.ds[2], T("2020-01-01"));
  EXPECT_EQ(f.ds[4], T("2020-01-03"));
  EXPECT_NO_THROW(f.check());
}

TEST(DataCsv, ColumnsTargetFirstAndMissingValues) {
  const Frame f = read_csv_string(
      "price,ds,unique_id,y,promo\n1.5,1,A,,1\n+2,2,A,NaN,0\n-3e2,3,A,NA,\n4,4,A,null,1\n 5 ,5,A,inf,-inf\n", "mem");
  EXPECT_EQ(f.columns, (std::vector<std::string>{"y", "price", "promo"}));
  EXPECT_EQ(f.time_kind, TimeKind::integer);
  for (int r = 0; r < 4; ++r) EXPECT_TRUE(std::isnan(f.column("y")[r])) << r;
  EXPECT_TRUE(std::isinf(f.column("y")[4]));
  EXPECT_EQ(f.column("price"), (std::vector<float>{1.5f, 2.0f, -300.0f, 4.0f, 5.0f}));
  EXPECT_TRUE(std::isnan(f.column("promo")[2]));
  EXPECT_EQ(f.column("promo")[4], -INFINITY);
  // Futures frames have no target.
  CsvOptions futr;
  futr.require_target = false;
  const Frame g = read_csv_string("unique_id,ds,promo\nA,2020-01-01,1\n", "mem", futr);
  EXPECT_EQ(g.columns, std::vector<std::string>{"promo"});
  // Other names and delimiters.
  CsvOptions semi;
  semi.id_col = "series", semi.time_col = "t", semi.target_col = "sales", semi.delimiter = ';';
  const Frame h = read_csv_string("series;t;sales\nx;2020-01-01;1.5\nx;2020-01-02;2\n", "mem", semi);
  EXPECT_EQ(h.ids, std::vector<std::string>{"x"});
  EXPECT_EQ(h.values[0], (std::vector<float>{1.5f, 2.0f}));
}

TEST(DataCsv, TokenizerCorners) {
  // BOM, CRLF, quoted fields with delimiters / quotes / newlines, blank lines, no final newline.
  const std::string text =
      "\xEF\xBB\xBF\"unique_id\",ds,y\r\n\"a,b\",2020-01-01,1\r\n\r\n\"say \"\"hi\"\"\",2020-01-01,\"2\"\r\n"
      "\"multi\nline\",2020-01-01,3";
  const Frame f = read_csv_string(text, "mem");
  EXPECT_EQ(f.ids, (std::vector<std::string>{"a,b", "multi\nline", "say \"hi\""}));
  EXPECT_EQ(f.values[0], (std::vector<float>{1, 3, 2}));
  const Frame g = read_csv_string("unique_id,ds,y\rA,1,1\rA,2,2", "mem");  // bare CR line ends
  EXPECT_EQ(g.n_rows(), 2);
}

Frame sample_frame() {
  Frame f;
  f.ids = {"A", "b,\"q\"", "z"};
  f.indptr = {0, 3, 4, 6};
  f.ds = {T("2020-01-31"), T("2020-02-29"), T("2020-03-31"), T("1999-12-31 23:59:59"), T("0005-04-01"),
          T("0005-05-01")};
  f.time_kind = TimeKind::datetime;
  f.columns = {"y", "x"};
  f.values = {{0.1f, 1e-38f, 3.4028235e38f, NAN, -0.0f, 1.0f / 3.0f},
              {123456.789f, 1e-45f, -2.5f, 7.0f, INFINITY, 0.3f}};
  return f;
}

void expect_same_bits(const Frame& a, const Frame& b) {
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.indptr, b.indptr);
  EXPECT_EQ(a.ds, b.ds);
  EXPECT_EQ(a.time_kind, b.time_kind);
  EXPECT_EQ(a.columns, b.columns);
  ASSERT_EQ(a.values.size(), b.values.size());
  for (size_t c = 0; c < a.values.size(); ++c) {
    ASSERT_EQ(a.values[c].size(), b.values[c].size());
    for (size_t r = 0; r < a.values[c].size(); ++r) {
      if (std::isnan(a.values[c][r])) {
        EXPECT_TRUE(std::isnan(b.values[c][r]));
      } else {
        EXPECT_EQ(std::memcmp(&a.values[c][r], &b.values[c][r], sizeof(float)), 0) << c << "," << r;
      }
    }
  }
}

TEST(DataCsv, WriteReadRoundTripIsBitIdentical) {
  const Frame f = sample_frame();
  const std::string path = ::testing::TempDir() + "nd_data_roundtrip.csv";
  write_csv(f, path);
  expect_same_bits(f, read_csv(path));
  std::remove(path.c_str());
  expect_same_bits(f, read_csv_string(to_csv_string(f), "mem"));

  Frame g;  // integer time, one series
  g.ids = {"s"};
  g.indptr = {0, 3};
  g.ds = {-2, 0, 7};
  g.columns = {"y"};
  g.values = {{1.0f, 2.5f, 1e10f}};
  expect_same_bits(g, read_csv_string(to_csv_string(g), "mem"));
  EXPECT_EQ(to_csv_string(g), "unique_id,ds,y\ns,-2,1\ns,0,2.5\ns,7,1e+10\n");

  // The real files survive a round trip too.
  const std::string ett = shared("ETTh1.csv");
  if (std::filesystem::exists(ett)) {
    const Frame e = read_wide_csv(ett);
    const std::string out = ::testing::TempDir() + "nd_data_etth1.csv";
    timed("ETTh1 write_csv (122k rows)", [&] { write_csv(e, out); return 0; });
    expect_same_bits(e, timed("ETTh1 read back (long)", [&] { return read_csv(out); }));
    std::remove(out.c_str());
  }
}

TEST(DataCsv, WriteDetails) {
  Frame f = sample_frame();
  const std::string text = to_csv_string(f, {{"cutoff", {T("2020-01-01"), T("2020-01-01"), T("2020-01-01"), 0, 0, 0}}});
  EXPECT_EQ(text.substr(0, text.find('\n')), "unique_id,ds,cutoff,y,x");
  EXPECT_NE(text.find("\n\"b,\"\"q\"\"\",1999-12-31 23:59:59,1970-01-01,,7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nz,0005-04-01,1970-01-01,-0,inf\n"), std::string::npos) << text;
  EXPECT_EQ(to_csv_string(Frame()), "unique_id,ds\n");  // no rows: header only
  Frame empty;
  empty.columns = {"y"};
  empty.values = {{}};
  EXPECT_EQ(to_csv_string(empty), "unique_id,ds,y\n");
  EXPECT_THROW(to_csv_string(f, {{"cutoff", {1, 2}}}), Error);
  EXPECT_THROW(to_csv_string(f, {{"y", {0, 0, 0, 0, 0, 0}}}), Error);
  Frame bad = f;
  bad.ds[1] = bad.ds[0];
  EXPECT_THROW(to_csv_string(bad), Error);  // invalid frames are not written

  // A failed write names the path and leaves no temp file behind.
  const std::string dir = ::testing::TempDir() + "nd_data_no_such_dir";
  try {
    write_csv(f, dir + "/out.csv");
    FAIL() << "expected nd::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/out.csv"), std::string::npos) << e.what();
  }
  // Writing over an existing file replaces it whole.
  const std::string path = ::testing::TempDir() + "nd_data_replace.csv";
  { std::ofstream(path) << "old contents that are longer than the new file will be ............\n"; }
  Frame one;
  one.ids = {"A"};
  one.indptr = {0, 1};
  one.ds = {3};
  one.columns = {"y"};
  one.values = {{1.5f}};
  write_csv(one, path);
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all, "unique_id,ds,y\nA,3,1.5\n");
  for (const auto& entry : std::filesystem::directory_iterator(::testing::TempDir()))
    EXPECT_EQ(entry.path().filename().string().find("nd_data_replace.csv.tmp"), std::string::npos);
  std::remove(path.c_str());
}

TEST(DataCsv, CheckRegular) {
  const Frame f = read_csv_string("unique_id,ds,y\nA,2020-01-31,1\nA,2020-02-29,2\nB,2021-12-31,1\n", "mem");
  EXPECT_NO_THROW(check_regular(f, Frequency::parse("ME")));
  auto msg = [&](const char* alias) {
    try {
      check_regular(f, Frequency::parse(alias));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(msg("MS").find("series 'A': first timestamp 2020-01-31 is not on the 'MS' grid"), std::string::npos);
  EXPECT_NE(msg("D").find("series 'A': 2020-01-31 is followed by 2020-02-29, expected 2020-02-01"), std::string::npos);
  EXPECT_NE(msg("1").find("needs integer timestamps"), std::string::npos);
  const Frame ints = read_csv_string("unique_id,ds,y\nA,1,1\nA,3,2\n", "mem");
  EXPECT_NO_THROW(check_regular(ints, Frequency::parse("2")));
  EXPECT_THROW(check_regular(ints, Frequency::parse("D")), Error);
}

}  // namespace
}  // namespace nd::data
