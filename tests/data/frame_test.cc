// Frame accessors and the invariant check every reader's output must pass.
#include <gtest/gtest.h>

#include <functional>

#include "nd/core/error.h"
#include "nd/data/frame.h"

namespace nd::data {
namespace {

Frame two_series() {
  Frame f;
  f.ids = {"A", "B"};
  f.indptr = {0, 2, 5};
  f.ds = {1, 2, 10, 11, 12};
  f.columns = {"y", "x"};
  f.values = {{1, 2, 3, 4, 5}, {0, 0, 1, 1, 1}};
  return f;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(DataFrame, Accessors) {
  Frame f = two_series();
  EXPECT_EQ(f.n_series(), 2);
  EXPECT_EQ(f.n_rows(), 5);
  EXPECT_EQ(f.length(0), 2);
  EXPECT_EQ(f.length(1), 3);
  EXPECT_EQ(f.col("x"), 1);
  EXPECT_EQ(f.col("z"), -1);
  EXPECT_EQ(f.column("x")[2], 1.0f);
  f.column("x")[2] = 7.0f;
  EXPECT_EQ(f.values[1][2], 7.0f);
  EXPECT_EQ(f.find_series("A"), 0);
  EXPECT_EQ(f.find_series("B"), 1);
  EXPECT_EQ(f.find_series("C"), -1);
  EXPECT_EQ(f.find_series(""), -1);
  const std::string msg = error_of([&] { f.column("price"); });
  EXPECT_NE(msg.find("'price'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'y', 'x'"), std::string::npos) << msg;
  EXPECT_NO_THROW(f.check());
  EXPECT_NO_THROW(Frame().check());  // no series, no rows
}

TEST(DataFrame, SetColumn) {
  Frame f = two_series();
  f.set_column("z", {9, 9, 9, 9, 9});
  EXPECT_EQ(f.columns.back(), "z");
  EXPECT_EQ(f.values.size(), 3u);
  f.set_column("y", {5, 4, 3, 2, 1});  // replaces in place
  EXPECT_EQ(f.col("y"), 0);
  EXPECT_EQ(f.values[0][0], 5.0f);
  EXPECT_NE(error_of([&] { f.set_column("w", {1, 2}); }).find("2 values for a frame of 5 rows"), std::string::npos);
  EXPECT_NE(error_of([&] { f.set_column("", {1, 2, 3, 4, 5}); }).find("empty column name"), std::string::npos);
  EXPECT_NO_THROW(f.check());
}

TEST(DataFrame, CheckNamesEachBrokenInvariant) {
  struct Case {
    const char* what;
    std::function<void(Frame&)> mutate;
    const char* fragment;
  };
  const Case cases[] = {
      {"indptr start", [](Frame& f) { f.indptr[0] = 1; }, "indptr must start with 0"},
      {"indptr size", [](Frame& f) { f.indptr.push_back(5); }, "2 ids but 4 indptr entries"},
      {"indptr order", [](Frame& f) { f.indptr = {0, 3, 2}; }, "series 'B': indptr decreases"},
      {"empty id", [](Frame& f) { f.ids[0] = ""; }, "series 0 has an empty id"},
      {"id order", [](Frame& f) { f.ids = {"B", "A"}; }, "got 'B' before 'A'"},
      {"id unique", [](Frame& f) { f.ids = {"A", "A"}; }, "got 'A' before 'A'"},
      {"ds size", [](Frame& f) { f.ds.pop_back(); }, "4 timestamps for 5 rows"},
      {"ds order", [](Frame& f) { f.ds[3] = 10; }, "series 'B': timestamps not strictly increasing (10 then 10)"},
      {"column count", [](Frame& f) { f.columns.pop_back(); }, "1 column names but 2 value columns"},
      {"column size", [](Frame& f) { f.values[1].pop_back(); }, "column 'x' has 4 values for 5 rows"},
      {"column dup", [](Frame& f) { f.columns[1] = "y"; }, "duplicate column 'y'"},
      {"column empty", [](Frame& f) { f.columns[1] = ""; }, "value column 1 has an empty name"},
  };
  for (const Case& c : cases) {
    Frame f = two_series();
    c.mutate(f);
    const std::string msg = error_of([&] { f.check(); });
    EXPECT_NE(msg.find(c.fragment), std::string::npos) << c.what << ": " << msg;
  }
  // Byte order, not locale order: uppercase sorts before lowercase.
  Frame f = two_series();
  f.ids = {"Z", "a"};
  EXPECT_NO_THROW(f.check());
  f.ids = {"a", "Z"};
  EXPECT_THROW(f.check(), Error);
}

TEST(DataFrame, StaticFrameColumns) {
  StaticFrame s;
  s.ids = {"A", "B"};
  s.columns = {"market", "size"};
  s.values = {{1, 2}, {3, 4}};
  EXPECT_EQ(s.col("size"), 1);
  EXPECT_EQ(s.col("unique_id"), -1);
}

}  // namespace
}  // namespace nd::data
