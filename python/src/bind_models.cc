// Models as Python sees them: the registry's schemas (which drive neurodivergent.models' classes),
// and a standalone Model for weight import and parity checks: load a PyTorch state_dict, run the
// forward pass on a window batch, or take one loss + backward and read the gradients.
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <map>
#include <memory>

#include "convert.h"
#include "nd/autograd/graph.h"
#include "nd/core/error.h"
#include "nd/models/model.h"
#include "nd/ops/shape.h"

namespace nd::py {

using models::json;

namespace {

std::string schema_json() {
  json out = json::array();
  for (const models::ModelInfo& m : models::all_models()) {
    json params = json::array();
    for (const models::HParam& p : m.params)
      params.push_back({{"name", p.name}, {"default", p.default_value}, {"help", p.help}});
    out.push_back({{"name", m.name},
                   {"description", m.description},
                   {"params", params},
                   {"futr_exog", m.futr_exog},
                   {"hist_exog", m.hist_exog},
                   {"stat_exog", m.stat_exog}});
  }
  return out.dump();
}

// A [shape] float tensor from an optional array, checked against the expected leading dims.
Tensor tensor_of(const InAny* a, std::initializer_list<int64_t> lead, int rank, const char* what) {
  if (!a) return Tensor();
  ND_CHECK(static_cast<int>(a->ndim()) == rank, what, " must have ", rank, " dimensions, got ", a->ndim());
  std::vector<int64_t> dims;
  for (size_t i = 0; i < a->ndim(); ++i) dims.push_back(static_cast<int64_t>(a->shape(i)));
  size_t i = 0;
  for (int64_t want : lead) {
    ND_CHECK(dims[i] == want, what, ": dimension ", i, " is ", dims[i], ", expected ", want);
    ++i;
  }
  return Tensor(const_cast<float*>(a->data()), Shape(dims));
}

}  // namespace

std::vector<std::string> load_weights(nn::ParameterStore& s, const std::map<std::string, InAny>& weights,
                                      const std::string& who) {
  for (const nn::ParamInfo& p : s.params()) {
    auto it = weights.find(p.name);
    ND_CHECK(it != weights.end(), who, ": the state_dict lacks '", p.name, "' (shape ", p.shape.str(), ")");
    std::vector<int64_t> got;
    for (size_t i = 0; i < it->second.ndim(); ++i) got.push_back(static_cast<int64_t>(it->second.shape(i)));
    ND_CHECK(got == p.shape.vec(), who, ": '", p.name, "' has shape ", json(got).dump(), ", expected ",
             p.shape.str());
    std::copy(it->second.data(), it->second.data() + it->second.size(), s.data() + p.offset);
  }
  std::vector<std::string> unused;
  for (const auto& [name, arr] : weights)
    if (!s.find(name).defined()) unused.push_back(name);
  return unused;
}

nb::dict interpretability_dict(const models::Model& m) {
  nb::dict d;
  for (models::NamedArray& a : m.interpretability())
    d[a.name.c_str()] = nb::make_tuple(to_numpy(std::move(a.values), a.shape), a.labels);
  return d;
}

namespace {

class PyModel {
 public:
  PyModel(const std::string& name, const std::string& kwargs) : m_(models::make_model(name, json::parse(kwargs))) {}

  std::string name() const { return m_->name(); }
  std::string config() const { return m_->config().dump(); }

  nb::dict state_dict() {
    nb::dict d;
    nn::ParameterStore& s = m_->params();
    for (const nn::ParamInfo& p : s.params()) {
      const float* src = s.data() + p.offset;
      d[p.name.c_str()] = to_numpy(std::vector<float>(src, src + p.shape.numel()), p.shape.vec());
    }
    return d;
  }

  // Copies the tensors of `weights` (PyTorch state_dict names) into the model. Every parameter of
  // the model must be there (shapes checked); entries the model does not have are returned, for
  // the caller to judge (NeuralForecast's state_dicts carry buffers and aliases of shared modules).
  std::vector<std::string> load_state_dict(const std::map<std::string, InAny>& weights) {
    return load_weights(m_->params(), weights, m_->name());
  }

  Array<float> forward(const InAny& insample_y, const InAny& insample_mask, const std::optional<InAny>& futr_exog,
                       const std::optional<InAny>& hist_exog, const std::optional<InAny>& stat_exog, bool training) {
    Graph g(size_t{64} << 20);
    NoGradGuard ng(g);
    m_->set_training(training);
    Var out = run(g, insample_y, insample_mask, futr_exog, hist_exog, stat_exog);
    m_->set_training(false);
    const Tensor& t = out.value();
    return to_numpy(std::vector<float>(t.data, t.data + t.numel()), t.shape.vec());
  }

  // One training step's loss and gradients (no optimizer update): the model's training loss on
  // the outputs y / mask, gradients by parameter name.
  nb::tuple loss_and_grads(const InAny& insample_y, const InAny& insample_mask, const InAny& outsample_y,
                           const InAny& outsample_mask, const std::optional<InAny>& futr_exog,
                           const std::optional<InAny>& hist_exog, const std::optional<InAny>& stat_exog) {
    Graph g(size_t{64} << 20);
    m_->params().zero_grad();
    m_->set_training(false);  // dropout off so that the gradients are comparable
    Var yhat = run(g, insample_y, insample_mask, futr_exog, hist_exog, stat_exog);
    const int64_t B = yhat.size(0), h = yhat.size(1);
    Var loss;
    if (m_->multivariate()) {
      // As the trainer: outputs and targets regrouped into one row per (window, series).
      const int64_t N = m_->n_series(), L = m_->input_size();
      auto to_rows = [&](const InAny& a, int64_t T, const char* what) {  // [B, T, N] -> [B * N, T]
        return ops::reshape(ops::permute(g.input(tensor_of(&a, {B, T, N}, 3, what)), {0, 2, 1}), Shape{B * N, T})
            .value();
      };
      loss = m_->loss()(m_->multivariate_rows(yhat), to_rows(outsample_y, h, "outsample_y"),
                        to_rows(outsample_mask, h, "outsample_mask"), to_rows(insample_y, L, "insample_y"));
    } else {
      Tensor y = tensor_of(&outsample_y, {B, h}, 2, "outsample_y");
      Tensor mk = tensor_of(&outsample_mask, {B, h}, 2, "outsample_mask");
      Tensor iy = tensor_of(&insample_y, {B}, 2, "insample_y");
      loss = m_->loss()(yhat, y, mk, iy);
    }
    g.backward(loss);
    nb::dict grads;
    nn::ParameterStore& s = m_->params();
    for (const nn::ParamInfo& p : s.params()) {
      const float* src = s.grad_data() + p.offset;
      grads[p.name.c_str()] = to_numpy(std::vector<float>(src, src + p.shape.numel()), p.shape.vec());
    }
    return nb::make_tuple(loss.item(), grads);
  }

  nb::dict interpretability() const { return interpretability_dict(*m_); }

  models::Model& model() { return *m_; }

 private:
  Var run(Graph& g, const InAny& insample_y, const InAny& insample_mask, const std::optional<InAny>& futr_exog,
          const std::optional<InAny>& hist_exog, const std::optional<InAny>& stat_exog) {
    const int64_t L = m_->input_size(), h = m_->h();
    models::WindowBatch b;
    if (m_->multivariate()) {  // NF's layouts: insample [B, L, N], futr_exog [B, F, L + h, N]
      const int64_t N = m_->n_series();
      ND_CHECK(insample_y.ndim() == 3, "insample_y must be [batch, input_size, n_series] for a multivariate model");
      const int64_t B = static_cast<int64_t>(insample_y.shape(0));
      b.B = B, b.L = L, b.h = h;
      b.insample_y = g.input(tensor_of(&insample_y, {B, L, N}, 3, "insample_y"));
      b.insample_mask = g.input(tensor_of(&insample_mask, {B, L, N}, 3, "insample_mask"));
      if (futr_exog) {
        Tensor f = tensor_of(&*futr_exog, {B}, 4, "futr_exog");
        ND_CHECK(f.shape[2] == L + h && f.shape[3] == N, "futr_exog must be [batch, F, input_size + h, n_series], got ",
                 f.shape.str());
        b.futr_exog = g.input(f);
      }
      ND_CHECK(!hist_exog && !stat_exog, m_->name(), ": multivariate models take no hist_exog / stat_exog");
      return m_->forward(b);
    }
    ND_CHECK(insample_y.ndim() == 2, "insample_y must be [batch, input_size]");
    const int64_t B = static_cast<int64_t>(insample_y.shape(0));
    b.B = B, b.L = L, b.h = h;
    b.insample_y = g.input(tensor_of(&insample_y, {B, L}, 2, "insample_y"));
    b.insample_mask = g.input(tensor_of(&insample_mask, {B, L}, 2, "insample_mask"));
    if (futr_exog) b.futr_exog = g.input(tensor_of(&*futr_exog, {B, L + h}, 3, "futr_exog"));
    if (hist_exog) b.hist_exog = g.input(tensor_of(&*hist_exog, {B, L}, 3, "hist_exog"));
    if (stat_exog) b.stat_exog = g.input(tensor_of(&*stat_exog, {B}, 2, "stat_exog"));
    return m_->forward(b);
  }
  std::unique_ptr<models::Model> m_;
};

}  // namespace

void bind_models(nb::module_& m) {
  m.def("models_schema", &schema_json, "Every registered model with its hyperparameters (JSON).");
  m.def(
      "resolve_config",
      [](const std::string& name, const std::string& kwargs) {
        return models::resolve_config(models::find_model(name), json::parse(kwargs)).dump();
      },
      nb::arg("name"), nb::arg("kwargs_json"), "Validated full config (defaults filled in), as JSON.");
  nb::class_<PyModel>(m, "Model", "One engine model outside a NeuralForecast (weight import, parity checks).")
      .def(nb::init<const std::string&, const std::string&>(), nb::arg("name"), nb::arg("kwargs_json"))
      .def_prop_ro("name", &PyModel::name)
      .def_prop_ro("config", &PyModel::config)
      .def("state_dict", &PyModel::state_dict)
      .def("load_state_dict", &PyModel::load_state_dict, nb::arg("weights"))
      .def("interpretability", &PyModel::interpretability,
           "What the last eval-mode forward exposed (TFT: attention and variable selection weights, averaged over "
           "the batch), as {name: (array, labels)}.")
      .def("forward", &PyModel::forward, nb::arg("insample_y"), nb::arg("insample_mask"),
           nb::arg("futr_exog") = nb::none(), nb::arg("hist_exog") = nb::none(), nb::arg("stat_exog") = nb::none(),
           nb::arg("training") = false)
      .def("loss_and_grads", &PyModel::loss_and_grads, nb::arg("insample_y"), nb::arg("insample_mask"),
           nb::arg("outsample_y"), nb::arg("outsample_mask"), nb::arg("futr_exog") = nb::none(),
           nb::arg("hist_exog") = nb::none(), nb::arg("stat_exog") = nb::none());
}

}  // namespace nd::py
