// The tape: value/gradient bookkeeping and the backward sweep.
#include "nd/autograd/graph.h"

#include <algorithm>
#include <cstring>

#include "nd/kernels/elementwise.h"

namespace nd {

const Tensor& Var::value() const { return g_->value(id_); }
bool Var::requires_grad() const { return g_->requires_grad(id_); }
Tensor Var::grad() const {
  float* p = g_->grad_for_read(id_);
  return p ? Tensor(p, shape()) : Tensor();
}
float Var::item() const {
  ND_CHECK(numel() == 1, "item() of a tensor with ", numel(), " elements (shape ", shape().str(), ")");
  return data()[0];
}

Graph::Graph(size_t arena_bytes) : arena_(arena_bytes) {
  vars_.reserve(1024);
  nodes_.reserve(512);
}

Var Graph::add_var(const Tensor& t, bool requires_grad, float* grad, bool external, uint8_t* pending_zero) {
  vars_.push_back({t, grad, requires_grad, external, pending_zero});
  return Var(this, static_cast<int32_t>(vars_.size() - 1));
}

Var Graph::input(const Tensor& t, bool requires_grad) {
  Tensor v = t;
  if (!t.is_contiguous()) {
    float* p = arena_.alloc(t.numel());
    copy_to_contiguous(t, p);
    v = Tensor(p, t.shape);
  }
  return add_var(v, requires_grad && grad_enabled_, nullptr, false);
}

Var Graph::param(const Tensor& value, const Tensor& grad, uint8_t* pending_zero) {
  ND_CHECK(value.is_contiguous(), "parameter views must be contiguous, got ", value.shape.str());
  ND_CHECK(!grad.defined() || grad.shape == value.shape, "parameter gradient shape ", grad.shape.str(),
           " differs from value shape ", value.shape.str());
  const bool rg = grad_enabled_ && grad.defined();
  return add_var(value, rg, rg ? grad.data : nullptr, rg, rg ? pending_zero : nullptr);
}

Var Graph::full(const Shape& s, float v) {
  Var x = empty(s, false);
  kernels::fill(v, x.data(), s.numel());
  return x;
}

Var Graph::empty(const Shape& s, bool needs_grad) {
  float* p = arena_.alloc(s.numel());
  Var v = add_var(Tensor(p, s), needs_grad && grad_enabled_, nullptr, false);
  VarRec& r = vars_.back();
  r.owned = true;
  r.created_at = static_cast<int32_t>(nodes_.size());
  return v;
}

Var Graph::alias(const Tensor& t, bool needs_grad) {
  ND_DCHECK(t.is_contiguous());
  return add_var(t, needs_grad && grad_enabled_, nullptr, false);
}

Var Graph::param_view(Var x, const Shape& s) {
  const VarRec r = vars_[x.id()];
  if (!r.external_grad || !r.requires_grad) return Var();
  return add_var(Tensor(r.value.data, s), true, r.grad, true, r.pending_zero);
}

bool Graph::should_record(std::initializer_list<Var> ins) const {
  if (!grad_enabled_) return false;
  for (const Var& v : ins)
    if (v.defined() && vars_[v.id()].requires_grad) return true;
  return false;
}

bool Graph::should_record(const Var* ins, int n) const {
  if (!grad_enabled_) return false;
  for (int k = 0; k < n; ++k)
    if (ins[k].defined() && vars_[ins[k].id()].requires_grad) return true;
  return false;
}

Node& Graph::record(Node::Backward bw, std::initializer_list<Var> outs, std::initializer_list<Var> ins) {
  return record(bw, outs.begin(), static_cast<int>(outs.size()), ins.begin(), static_cast<int>(ins.size()));
}

Node& Graph::record(Node::Backward bw, const Var* outs, int n_out, const Var* ins, int n_in) {
  ND_DCHECK(n_out <= 3 && n_in <= 8);
  nodes_.emplace_back();
  Node& n = nodes_.back();
  n.backward = bw;
  n.n_out = static_cast<int8_t>(n_out);
  n.n_in = static_cast<int8_t>(n_in);
  for (int k = 0; k < n_out; ++k) {
    n.out[k] = outs[k].id();
    vars_[outs[k].id()].requires_grad = true;
  }
  for (int k = 0; k < n_in; ++k) n.in[k] = ins[k].defined() ? ins[k].id() : -1;
  return n;
}

namespace {
// The floats an arena allocation of n floats spans.
int64_t extent(int64_t n) {
  return static_cast<int64_t>(Arena::span(sizeof(float) * static_cast<size_t>(n)) / sizeof(float));
}
}  // namespace

void Graph::release_buffer(float* p, int64_t n) {
  n = extent(n);
  auto next = std::lower_bound(free_.begin(), free_.end(), p, [](const Piece& a, float* q) { return a.p < q; });
  const bool join_prev = next != free_.begin() && std::prev(next)->p + std::prev(next)->n == p;
  const bool join_next = next != free_.end() && p + n == next->p;
  if (join_prev && join_next) {
    std::prev(next)->n += n + next->n;
    free_.erase(next);
  } else if (join_prev) {
    std::prev(next)->n += n;
  } else if (join_next) {
    next->p = p;
    next->n += n;
  } else {
    free_.insert(next, Piece{p, n});
  }
}

float* Graph::new_grad(int64_t n, bool zeroed) {
  if (!retain_grads_ && !free_.empty()) {
    const int64_t need = extent(n);
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it)
      if (it->n >= need && (best == free_.end() || it->n < best->n)) best = it;
    if (best != free_.end()) {
      float* p = best->p;
      best->p += need;
      best->n -= need;
      if (best->n == 0) free_.erase(best);
      if (zeroed) std::memset(p, 0, sizeof(float) * static_cast<size_t>(n));
      return p;
    }
  }
  return zeroed ? arena_.alloc_zeroed(n) : arena_.alloc(n);
}

void Graph::release_output_grads(const Node& n, int32_t k) {
  for (int o = 0; o < n.n_out; ++o) {
    VarRec& r = vars_[n.out[o]];
    // A value several nodes write (the pieces of a concatenation) keeps its gradient until the
    // last of them in the sweep, the first on the tape, has read it.
    if (!r.grad || r.external_grad || first_writer_[static_cast<size_t>(n.out[o])] != k) continue;
    bool adopted = false;  // handed to an input (a view's gradient): the input owns it now
    for (int i = 0; i < n.n_in; ++i) adopted |= n.in[i] >= 0 && vars_[n.in[i]].grad == r.grad;
    if (!adopted) release_buffer(r.grad, r.value.numel());
    r.grad = nullptr;
  }
}

float* Graph::grad_accum(int32_t id) {
  VarRec& r = vars_[id];
  if (!r.grad) r.grad = new_grad(r.value.numel(), true);
  if (r.pending_zero && *r.pending_zero) {
    std::memset(r.grad, 0, sizeof(float) * static_cast<size_t>(r.value.numel()));
    *r.pending_zero = 0;
  }
  return r.grad;
}

float* Graph::grad_for_read(int32_t id) {
  VarRec& r = vars_[id];
  return r.pending_zero && *r.pending_zero ? grad_accum(id) : r.grad;
}

float* Graph::grad_write(int32_t id, bool* overwrite) {
  VarRec& r = vars_[id];
  if (r.pending_zero && *r.pending_zero) {
    *r.pending_zero = 0;
    *overwrite = true;
  } else if (!r.grad) {
    r.grad = new_grad(r.value.numel(), false);
    *overwrite = true;
  } else {
    *overwrite = false;
  }
  return r.grad;
}

bool Graph::grad_adopt(int32_t id, float* buf) {
  VarRec& r = vars_[id];
  if (r.grad || r.external_grad || !buf) return false;
  r.grad = buf;
  return true;
}

void Graph::backward(Var loss) {
  ND_CHECK(loss.numel() == 1, "backward() needs a one-element loss, got shape ", loss.shape().str(),
           "; pass a seed for non-scalar outputs");
  const float one = 1.0f;
  backward(loss, &one);
}

void Graph::backward(Var out, const float* seed) {
  ND_CHECK(grad_enabled_, "backward() inside a no-grad scope");
  ND_CHECK(!swept_, "backward() ran on this graph already and released its values (set_release_values); reset() "
           "and run the forward again");
  ND_CHECK(vars_[out.id()].requires_grad, "backward() from a value that does not require grad");
  float* g = grad_accum(out.id());
  kernels::axpy(1.0f, seed, g, out.numel());
  if (!retain_grads_) {
    first_writer_.assign(vars_.size(), -1);
    for (size_t k = 0; k < nodes_.size(); ++k)
      for (int o = 0; o < nodes_[k].n_out; ++o) {
        int32_t& w = first_writer_[static_cast<size_t>(nodes_[k].out[o])];
        if (w < 0) w = static_cast<int32_t>(k);
      }
  }
  // Values made before the sweep, newest first: created_at never decreases along the ids.
  const bool release = release_values_ && !retain_grads_;
  int64_t next_value = !release ? -1 : static_cast<int64_t>(vars_.size()) - 1;
  const float* out_data = out.data();
  for (size_t k = nodes_.size(); k-- > 0;) {
    const Node& n = nodes_[k];
    bool any = false;
    for (int o = 0; o < n.n_out; ++o) any |= vars_[n.out[o]].grad != nullptr;
    if (any) {
      n.backward(*this, n);
      if (!retain_grads_) release_output_grads(n, static_cast<int32_t>(k));
    }
    // Every node from k on has run; values made after node k - 1 was recorded are dead.
    for (; next_value >= 0 && vars_[static_cast<size_t>(next_value)].created_at >= static_cast<int32_t>(k);
         --next_value) {
      VarRec& r = vars_[static_cast<size_t>(next_value)];
      // The loss stays readable, also where it is a view into a value of the graph.
      if (!r.owned || !r.value.data || (r.value.data <= out_data && out_data < r.value.data + r.value.numel()))
        continue;
      release_buffer(r.value.data, r.value.numel());
      r.value.data = nullptr;
    }
  }
  swept_ = release;
}

void Graph::reset() {
  swept_ = false;
  vars_.clear();
  nodes_.clear();
  free_.clear();
  arena_.reset();
}

}  // namespace nd
