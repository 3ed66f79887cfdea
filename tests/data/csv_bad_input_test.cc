// The bad-input corpus in tests/data/bad/: one problem per file, each expected to fail with a
// message naming the file, line and column. The table is the specification of those messages.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "nd/core/error.h"
#include "nd/data/csv.h"

namespace nd::data {
namespace {

enum class Reader { long_csv, static_csv, wide_csv, regular, infer };

struct BadCase {
  const char* file;
  Reader reader;
  const char* fragment;     // must appear in the message (file names appear as path suffixes)
  const char* freq = "";    // for Reader::regular
};

const BadCase kCases[] = {
    {"missing_id.csv", Reader::long_csv, "missing_id.csv:1: column 'unique_id': missing from the header (columns: 'ds', 'y')"},
    {"missing_ds.csv", Reader::long_csv, "missing_ds.csv:1: column 'ds': missing from the header"},
    {"missing_y.csv", Reader::long_csv, "missing_y.csv:1: column 'y': missing from the header (columns: 'unique_id', 'ds', 'x')"},
    {"duplicate_header.csv", Reader::long_csv, "duplicate_header.csv:1: column 'y': duplicate header name (columns 3 and 4)"},
    {"empty_header_name.csv", Reader::long_csv, "empty_header_name.csv:1: column 1: empty header name"},
    {"ragged_row.csv", Reader::long_csv, "ragged_row.csv:3: column 'y': missing (the row has 2 fields, the header 3)"},
    {"too_many_fields.csv", Reader::long_csv, "too_many_fields.csv:3: too many fields (the row has 4, the header 3)"},
    {"bad_float.csv", Reader::long_csv, "bad_float.csv:4: column 'y': not a number (got 'abc')"},
    {"float_out_of_range.csv", Reader::long_csv, "float_out_of_range.csv:2: column 'y': number out of float range (got '1e60')"},
    {"bad_month.csv", Reader::long_csv, "bad_month.csv:3: column 'ds': month out of range 1-12 (got '2020-13-01')"},
    {"bad_date_text.csv", Reader::long_csv, "bad_date_text.csv:2: column 'ds': not a date, datetime or integer"},
    {"bad_day.csv", Reader::long_csv, "bad_day.csv:3: column 'ds': day out of range for the month (got '2021-02-29')"},
    {"bad_time_of_day.csv", Reader::long_csv, "bad_time_of_day.csv:2: column 'ds': time of day out of range (got '2020-01-01 25:00')"},
    {"mixed_date_then_int.csv", Reader::long_csv, "mixed_date_then_int.csv:3: column 'ds': integer timestamp, but line 2 holds a date (got '5')"},
    {"mixed_int_then_date.csv", Reader::long_csv, "mixed_int_then_date.csv:3: column 'ds': date, but line 2 holds an integer timestamp (got '2020-01-01')"},
    {"duplicate_ds.csv", Reader::long_csv, "duplicate_ds.csv: series 'A': duplicate timestamp 2020-01-02 at lines 3 and 5"},
    {"empty.csv", Reader::long_csv, "empty.csv: empty file"},
    {"header_only.csv", Reader::long_csv, "header_only.csv: no data rows"},
    {"unterminated_quote.csv", Reader::long_csv, "unterminated_quote.csv:2: column 'y': unterminated quoted field"},
    {"text_after_quote.csv", Reader::long_csv, "text_after_quote.csv:2: column 'unique_id': unexpected text after a closing quote"},
    {"empty_id.csv", Reader::long_csv, "empty_id.csv:3: column 'unique_id': empty series id"},
    {"crlf_ragged.csv", Reader::long_csv, "crlf_ragged.csv:4: column 'y': missing (the row has 2 fields"},
    {"multiline_quote_bad_value.csv", Reader::long_csv, "multiline_quote_bad_value.csv:4: column 'y': not a number (got 'x')"},
    {"bom_missing_y.csv", Reader::long_csv, "bom_missing_y.csv:1: column 'y': missing from the header (columns: 'unique_id', 'ds')"},
    {"blank_lines_bad_value.csv", Reader::long_csv, "blank_lines_bad_value.csv:6: column 'y': not a number (got '--1')"},
    {"regular_gap.csv", Reader::regular,
     "series 'A': 2020-02-01 is followed by 2020-04-01, expected 2020-03-01 (freq 'MS': missing timestamps)", "MS"},
    {"regular_off_grid.csv", Reader::regular,
     "series 'B': 2020-01-02 is followed by 2020-01-02 12:00:00, expected 2020-01-03 (freq 'D': off-grid timestamp)", "D"},
    {"regular_not_anchor.csv", Reader::regular, "series 'A': first timestamp 2020-01-15 is not on the 'MS' grid", "MS"},
    {"infer_irregular.csv", Reader::infer,
     "cannot infer a frequency: the most common gap is 2d but the timestamps fit neither"},
    {"static_non_numeric.csv", Reader::static_csv, "static_non_numeric.csv:3: column 'x': not a number (got 'big')"},
    {"static_duplicate_id.csv", Reader::static_csv, "static_duplicate_id.csv: series 'A': duplicate id at lines 2 and 4"},
    {"static_missing_value.csv", Reader::static_csv, "static_missing_value.csv:2: column 'z': missing static feature (got '')"},
    {"static_missing_id.csv", Reader::static_csv, "static_missing_id.csv:1: column 'unique_id': missing from the header"},
    {"wide_no_date.csv", Reader::wide_csv, "wide_no_date.csv:1: column 'date': missing from the header (columns: 'time', 'a', 'b')"},
    {"wide_only_date.csv", Reader::wide_csv, "wide_only_date.csv:1: no series columns besides 'date'"},
    {"wide_duplicate_date.csv", Reader::wide_csv, "wide_duplicate_date.csv: duplicate timestamp 2020-01-02 at lines 3 and 4"},
    {"wide_bad_value.csv", Reader::wide_csv, "wide_bad_value.csv:3: column 'OT': not a number (got '?')"},
    {"wide_ragged.csv", Reader::wide_csv, "wide_ragged.csv:3: column 'b': missing (the row has 2 fields, the header 3)"},
};

std::string bad_dir() { return ND_TEST_DATA_DIR "/bad"; }

void load(const BadCase& c, const std::string& path) {
  switch (c.reader) {
    case Reader::long_csv: read_csv(path); break;
    case Reader::static_csv: read_static_csv(path); break;
    case Reader::wide_csv: read_wide_csv(path); break;
    case Reader::regular: check_regular(read_csv(path), Frequency::parse(c.freq)); break;
    case Reader::infer: {
      const Frame f = read_csv(path);
      Frequency::infer(f.ds.data(), f.length(0), f.time_kind);
      break;
    }
  }
}

TEST(DataCsvBadInput, EveryFileFailsWithItsMessage) {
  ASSERT_TRUE(std::filesystem::is_directory(bad_dir())) << bad_dir();
  for (const BadCase& c : kCases) {
    const std::string path = bad_dir() + "/" + c.file;
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    try {
      load(c, path);
      ADD_FAILURE() << c.file << ": no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.fragment), std::string::npos)
          << c.file << "\n  expected: " << c.fragment << "\n  got:      " << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << c.file << ": not an nd::Error: " << e.what();
    }
  }
}

TEST(DataCsvBadInput, CorpusAndTableAgree) {
  std::set<std::string> listed, on_disk;
  for (const BadCase& c : kCases) EXPECT_TRUE(listed.insert(c.file).second) << "listed twice: " << c.file;
  for (const auto& entry : std::filesystem::directory_iterator(bad_dir())) on_disk.insert(entry.path().filename().string());
  EXPECT_EQ(listed, on_disk);
  EXPECT_GE(on_disk.size(), 20u);
}

TEST(DataCsvBadInput, StringsAndMissingFiles) {
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(message([] { read_csv(bad_dir() + "/no_such_file.csv"); }).find("cannot open '"), std::string::npos);
  EXPECT_NE(message([] { read_csv(bad_dir()); }).find("cannot read '"), std::string::npos);  // a directory
  // read_csv_string names the text by the given name.
  EXPECT_NE(message([] { read_csv_string("unique_id,ds,y\nA,1,x\n", "futr_df"); })
                .find("futr_df:2: column 'y': not a number (got 'x')"),
            std::string::npos);
  const std::string long_text(500, 'z');
  const std::string msg = message([&] { read_csv_string("unique_id,ds,y\nA,1," + long_text + "\n", "mem"); });
  EXPECT_LT(msg.size(), 200u);  // long fields are shortened in messages
  EXPECT_NE(msg.find("zzz...'"), std::string::npos);
  // Binary junk fails cleanly.
  std::string junk = "unique_id,ds,y\n";
  for (int i = 0; i < 256; ++i) junk += static_cast<char>(i);
  EXPECT_THROW(read_csv_string(junk, "junk"), Error);
}

}  // namespace
}  // namespace nd::data
