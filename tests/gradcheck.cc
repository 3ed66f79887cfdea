// Finite-difference gradient checker (see gradcheck.h).
#include "gradcheck.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "nd/core/rng.h"
#include "nd/ops/elementwise.h"
#include "nd/ops/reduce.h"

namespace nd::testing {

void fill_inputs(std::vector<float>& v, Init init, uint64_t seed) {
  Rng rng(seed);
  switch (init) {
    case Init::uniform:
      for (float& x : v) x = rng.uniform(-1.0f, 1.0f);
      break;
    case Init::away_from_zero:
      for (float& x : v) x = (rng.uniform() < 0.5f ? -1.0f : 1.0f) * rng.uniform(0.1f, 1.0f);
      break;
    case Init::positive:
      for (float& x : v) x = rng.uniform(0.5f, 2.0f);
      break;
    case Init::distinct: {
      // A shuffled grid: all values differ by >= 0.02, so max / min never tie within eps.
      const int64_t n = static_cast<int64_t>(v.size());
      for (int64_t k = 0; k < n; ++k) v[k] = -1.0f + 2.0f * static_cast<float>(k) / static_cast<float>(std::max<int64_t>(n, 2)) ;
      for (int64_t k = n - 1; k > 0; --k) std::swap(v[k], v[rng.randint(static_cast<uint64_t>(k + 1))]);
      break;
    }
  }
}

namespace {

// Evaluates sum_k <out_k, R_k> in double for the current input values.
double objective(const GradCase& c, std::vector<std::vector<float>>& xs, const std::vector<std::vector<float>>& rs) {
  Graph g;
  NoGradGuard ng(g);
  std::vector<Var> in;
  for (size_t k = 0; k < xs.size(); ++k) in.push_back(g.input(Tensor(xs[k].data(), c.inputs[k])));
  std::vector<Var> outs = c.fn(in);
  double f = 0.0;
  for (size_t o = 0; o < outs.size(); ++o) {
    const float* p = outs[o].data();
    for (int64_t j = 0; j < outs[o].numel(); ++j) f += static_cast<double>(p[j]) * rs[o][j];
  }
  return f;
}

}  // namespace

GradReport gradcheck(const GradCase& c, uint64_t seed) {
  std::vector<std::vector<float>> xs(c.inputs.size());
  for (size_t k = 0; k < xs.size(); ++k) {
    xs[k].resize(c.inputs[k].numel());
    fill_inputs(xs[k], c.init, seed + 31 * k);
  }
  // Analytic gradients.
  Graph g;
  std::vector<Var> in;
  for (size_t k = 0; k < xs.size(); ++k) in.push_back(g.input(Tensor(xs[k].data(), c.inputs[k]), true));
  std::vector<Var> outs = c.fn(in);
  std::vector<std::vector<float>> rs(outs.size());
  Rng rng(seed ^ 0x5eed);
  for (size_t o = 0; o < outs.size(); ++o) {
    rs[o].resize(outs[o].numel());
    for (float& r : rs[o]) r = rng.uniform(-1.0f, 1.0f);
  }
  // One scalar objective so that ops with several outputs run their backward once.
  Var total;
  for (size_t o = 0; o < outs.size(); ++o) {
    Var r = g.input(Tensor(rs[o].data(), outs[o].shape()));
    Var term = ops::sum_all(ops::mul(outs[o], r));
    total = total.defined() ? ops::add(total, term) : term;
  }
  if (total.requires_grad()) g.backward(total);
  GradReport rep;
  for (size_t k = 0; k < xs.size(); ++k) {
    Tensor ga = in[k].grad();
    for (int64_t j = 0; j < static_cast<int64_t>(xs[k].size()); ++j) {
      const float keep = xs[k][j];
      xs[k][j] = keep + c.eps;
      const double fp = objective(c, xs, rs);
      xs[k][j] = keep - c.eps;
      const double fm = objective(c, xs, rs);
      xs[k][j] = keep;
      const double num = (fp - fm) / (2.0 * c.eps);
      const double ana = ga.defined() ? ga.data[j] : 0.0;
      const double err = std::fabs(ana - num);
      // A non-finite gradient or objective fails the check (NaN compares false with everything).
      const double ratio = std::isfinite(err) ? err / (c.atol + c.rtol * std::fabs(num))
                                              : std::numeric_limits<double>::infinity();
      ++rep.checked;
      if (ratio > rep.worst_ratio) {
        rep.worst_ratio = ratio;
        rep.max_abs_err = err;
        std::ostringstream os;
        os << "input " << k << " " << c.inputs[k].str() << " element " << j << ": analytic " << ana << " numeric "
           << num;
        rep.where = os.str();
      }
    }
  }
  return rep;
}

}  // namespace nd::testing
