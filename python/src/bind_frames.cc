// The engine's data containers as Python sees them: Frame (long format in CSR layout),
// StaticFrame and CVResult, built from / read back as numpy arrays. pandas and polars glue lives
// in neurodivergent/_frames.py.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "convert.h"
#include "nd/core/error.h"
#include "nd/forecast/neuralforecast.h"

namespace nd::py {

using data::Frame;
using data::StaticFrame;
using data::TimeKind;
using forecast::CVResult;

namespace {

std::vector<std::vector<float>> columns_of(const In2<float>& values, size_t n_cols, size_t n_rows,
                                           const char* what) {
  ND_CHECK(values.shape(0) == n_cols && values.shape(1) == n_rows, what, ": values must be [", n_cols, ", ",
           n_rows, "], got [", values.shape(0), ", ", values.shape(1), "]");
  std::vector<std::vector<float>> out(n_cols);
  for (size_t c = 0; c < n_cols; ++c) out[c].assign(values.data() + c * n_rows, values.data() + (c + 1) * n_rows);
  return out;
}

Array<float> values_of(const std::vector<std::vector<float>>& cols, size_t n) {
  std::vector<float> flat(cols.size() * n);
  for (size_t c = 0; c < cols.size(); ++c) std::copy(cols[c].begin(), cols[c].end(), flat.begin() + c * n);
  return to_numpy(std::move(flat), {cols.size(), n});
}

}  // namespace

void bind_frames(nb::module_& m) {
  nb::class_<Frame>(m, "Frame", "Long-format series in CSR layout (engine side).")
      .def(
          "__init__",
          [](Frame* f, std::vector<std::string> ids, In1<int64_t> indptr, In1<int64_t> ds, bool datetime,
             std::vector<std::string> columns, In2<float> values) {
            new (f) Frame();
            f->ids = std::move(ids);
            f->indptr = to_vector<int64_t>(indptr);
            f->ds = to_vector<int64_t>(ds);
            f->time_kind = datetime ? TimeKind::datetime : TimeKind::integer;
            f->values = columns_of(values, columns.size(), f->ds.size(), "frame");
            f->columns = std::move(columns);
            f->check();
          },
          nb::arg("ids"), nb::arg("indptr"), nb::arg("ds"), nb::arg("datetime"), nb::arg("columns"),
          nb::arg("values"))
      .def_ro("ids", &Frame::ids)
      .def_ro("columns", &Frame::columns)
      .def_prop_ro("datetime", [](const Frame& f) { return f.time_kind == TimeKind::datetime; })
      .def_prop_ro("indptr", [](const Frame& f) { return to_numpy(std::vector<int64_t>(f.indptr)); }, nb::rv_policy::move)
      .def_prop_ro("ds", [](const Frame& f) { return to_numpy(std::vector<int64_t>(f.ds)); }, nb::rv_policy::move)
      .def_prop_ro("values", [](const Frame& f) { return values_of(f.values, f.ds.size()); }, nb::rv_policy::move)
      .def_prop_ro("n_series", &Frame::n_series)
      .def_prop_ro("n_rows", &Frame::n_rows);

  nb::class_<StaticFrame>(m, "StaticFrame", "Static (per-series) features.")
      .def(
          "__init__",
          [](StaticFrame* f, std::vector<std::string> ids, std::vector<std::string> columns, In2<float> values) {
            new (f) StaticFrame();
            f->values = columns_of(values, columns.size(), ids.size(), "static frame");
            f->ids = std::move(ids);
            f->columns = std::move(columns);
          },
          nb::arg("ids"), nb::arg("columns"), nb::arg("values"))
      .def_ro("ids", &StaticFrame::ids)
      .def_ro("columns", &StaticFrame::columns)
      .def_prop_ro("values", [](const StaticFrame& f) { return values_of(f.values, f.ids.size()); }, nb::rv_policy::move);

  nb::class_<CVResult>(m, "CVResult", "Cross-validation / in-sample forecasts (engine side).")
      // Rows come grouped by series: the ids in order and how many rows each has.
      .def_prop_ro("ids",
                   [](const CVResult& r) {
                     std::vector<std::string> ids;
                     for (size_t i = 0; i < r.unique_id.size(); ++i)
                       if (i == 0 || r.unique_id[i] != r.unique_id[i - 1]) ids.push_back(r.unique_id[i]);
                     return ids;
                   })
      .def_prop_ro("counts",
                   [](const CVResult& r) {
                     std::vector<int64_t> counts;
                     for (size_t i = 0; i < r.unique_id.size(); ++i) {
                       if (i == 0 || r.unique_id[i] != r.unique_id[i - 1]) counts.push_back(0);
                       ++counts.back();
                     }
                     return to_numpy(std::move(counts));
                   },
                   nb::rv_policy::move)
      .def_prop_ro("ds", [](const CVResult& r) { return to_numpy(std::vector<int64_t>(r.ds)); }, nb::rv_policy::move)
      .def_prop_ro("cutoff", [](const CVResult& r) { return to_numpy(std::vector<int64_t>(r.cutoff)); }, nb::rv_policy::move)
      .def_prop_ro("datetime", [](const CVResult& r) { return r.time_kind == TimeKind::datetime; })
      .def_ro("columns", &CVResult::columns)
      .def_prop_ro("values", [](const CVResult& r) { return values_of(r.values, r.ds.size()); }, nb::rv_policy::move);

  nb::class_<forecast::Simulation>(m, "Simulation", "Sample paths from NeuralForecast.simulate (engine side).")
      .def_ro("ids", &forecast::Simulation::ids)
      .def_prop_ro("ds", [](const forecast::Simulation& r) { return to_numpy(std::vector<int64_t>(r.ds)); },
                   nb::rv_policy::move)
      .def_ro("n_paths", &forecast::Simulation::n_paths)
      .def_ro("h", &forecast::Simulation::h)
      .def_ro("columns", &forecast::Simulation::columns)
      .def_prop_ro("values",
                   [](const forecast::Simulation& r) {
                     return values_of(r.values, static_cast<size_t>(r.n_paths * r.h) * r.ids.size());
                   },
                   nb::rv_policy::move);
}

}  // namespace nd::py
