// Frame / StaticFrame accessors and the invariant check that readers and builders rely on.
#include "nd/data/frame.h"

#include <algorithm>
#include <string_view>
#include <unordered_set>

#include "nd/core/error.h"
#include "nd/data/calendar.h"

namespace nd::data {

namespace {

int find_name(const std::vector<std::string>& names, const std::string& name) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

std::string name_list(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
  return out;
}

}  // namespace

int Frame::col(const std::string& name) const { return find_name(columns, name); }

const std::vector<float>& Frame::column(const std::string& name) const {
  const int c = col(name);
  ND_CHECK(c >= 0 && c < static_cast<int>(values.size()), "no column '", name,
           "' in the frame (columns: ", name_list(columns), ")");
  return values[c];
}

std::vector<float>& Frame::column(const std::string& name) {
  return const_cast<std::vector<float>&>(static_cast<const Frame*>(this)->column(name));
}

int64_t Frame::find_series(const std::string& id) const {
  // ids are sorted (check()), so a binary search; std::string's < is byte order.
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  return it != ids.end() && *it == id ? static_cast<int64_t>(it - ids.begin()) : -1;
}

void Frame::set_column(const std::string& name, std::vector<float> v) {
  ND_CHECK(!name.empty(), "set_column: empty column name");
  ND_CHECK(static_cast<int64_t>(v.size()) == n_rows(), "set_column '", name, "': ", v.size(),
           " values for a frame of ", n_rows(), " rows");
  const int c = col(name);
  if (c >= 0) {
    values[c] = std::move(v);
  } else {
    columns.push_back(name);
    values.push_back(std::move(v));
  }
}

void Frame::check() const {
  ND_CHECK(!indptr.empty() && indptr[0] == 0, "frame: indptr must start with 0");
  ND_CHECK(indptr.size() == ids.size() + 1, "frame: ", ids.size(), " ids but ", indptr.size(),
           " indptr entries (expected ", ids.size() + 1, ")");
  for (size_t s = 0; s < ids.size(); ++s) {
    ND_CHECK(indptr[s + 1] >= indptr[s], "frame: series '", ids[s], "': indptr decreases (", indptr[s], " -> ",
             indptr[s + 1], ")");
    ND_CHECK(!ids[s].empty(), "frame: series ", s, " has an empty id");
    if (s > 0)
      ND_CHECK(ids[s - 1] < ids[s], "frame: ids must be unique and ascending, got '", ids[s - 1], "' before '",
               ids[s], "'");
  }
  const int64_t rows = n_rows();
  ND_CHECK(static_cast<int64_t>(ds.size()) == rows, "frame: ", ds.size(), " timestamps for ", rows, " rows");
  for (size_t s = 0; s < ids.size(); ++s)
    for (int64_t r = indptr[s] + 1; r < indptr[s + 1]; ++r)
      ND_CHECK(ds[r] > ds[r - 1], "frame: series '", ids[s], "': timestamps not strictly increasing (",
               format_time(ds[r - 1], time_kind), " then ", format_time(ds[r], time_kind), ")");
  ND_CHECK(columns.size() == values.size(), "frame: ", columns.size(), " column names but ", values.size(),
           " value columns");
  std::unordered_set<std::string_view> seen;
  for (size_t c = 0; c < columns.size(); ++c) {
    ND_CHECK(!columns[c].empty(), "frame: value column ", c, " has an empty name");
    ND_CHECK(seen.insert(columns[c]).second, "frame: duplicate column '", columns[c], "'");
    ND_CHECK(static_cast<int64_t>(values[c].size()) == rows, "frame: column '", columns[c], "' has ",
             values[c].size(), " values for ", rows, " rows");
  }
}

int StaticFrame::col(const std::string& name) const { return find_name(columns, name); }

}  // namespace nd::data
