// Reverse-mode autograd over coarse ops. A Graph owns the values and gradients of one step
// (in an Arena) and a tape of Nodes; each op records one Node holding a plain function pointer to
// its backward and a few saved tensors / scalars, so recording allocates nothing once warm.
// Under NoGradGuard (inference) nothing is recorded and no gradient buffer is ever allocated.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "nd/core/arena.h"
#include "nd/core/tensor.h"

namespace nd {

class Graph;

// Handle to a value in a Graph. Cheap to copy; valid until the Graph is reset.
class Var {
 public:
  Var() = default;
  Var(Graph* g, int32_t id) : g_(g), id_(id) {}
  bool defined() const { return g_ != nullptr; }
  Graph& graph() const { return *g_; }
  int32_t id() const { return id_; }
  const Tensor& value() const;
  const Shape& shape() const { return value().shape; }
  int64_t numel() const { return value().numel(); }
  int64_t size(int axis) const { return value().size(axis); }
  int rank() const { return value().rank(); }
  float* data() const { return value().data; }
  bool requires_grad() const;
  // Gradient after backward(); an undefined Tensor when none flowed here. Only leaves (inputs,
  // parameters) keep theirs unless the graph retains gradients (Graph::set_retain_grads).
  Tensor grad() const;
  float item() const;  // value of a one-element tensor

 private:
  Graph* g_ = nullptr;
  int32_t id_ = -1;
};

struct Node {
  using Backward = void (*)(Graph& g, const Node& n);
  Backward backward = nullptr;
  int32_t out[3] = {-1, -1, -1};
  int32_t in[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
  int8_t n_out = 0;
  int8_t n_in = 0;
  Tensor saved[4];    // tensors kept for backward (arena memory)
  float f[4] = {};    // op scalars
  int64_t i[8] = {};  // op integers (axes, sizes, flags)
  const void* ctx = nullptr;  // op-specific immutable data in the arena
};

class Graph {
 public:
  explicit Graph(size_t arena_bytes = size_t{1} << 20);
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  Arena& arena() { return arena_; }
  bool grad_enabled() const { return grad_enabled_; }
  void set_grad_enabled(bool on) { grad_enabled_ = on; }

  // Leaves. input() wraps caller memory (copied into the arena if not contiguous);
  // param() wraps a parameter and its gradient buffer (gradients accumulate there).
  Var input(const Tensor& t, bool requires_grad = false);
  // `pending_zero` (optional, owned by the caller): when set, the gradient buffer is logically
  // zero; the first write overwrites it (and clears the flag) instead of accumulating.
  Var param(const Tensor& value, const Tensor& grad, uint8_t* pending_zero = nullptr);
  Var full(const Shape& s, float v);
  // An arena-backed uninitialized value; requires_grad when grad is enabled and `needs_grad`.
  Var empty(const Shape& s, bool needs_grad);
  // A value aliasing memory owned elsewhere in this graph (reshape views); its gradient is separate.
  Var alias(const Tensor& t, bool needs_grad);

  // A reshaped view of a parameter leaf (one whose gradient lives in a parameter store) that
  // shares the parameter's gradient buffer: backward writes the view's gradient straight into the
  // store, no node and no copy. Undefined when `x` is not such a leaf.
  Var param_view(Var x, const Shape& s);

  // True when an op with these inputs must record a node.
  bool should_record(std::initializer_list<Var> ins) const;
  bool should_record(const Var* ins, int n) const;
  Node& record(Node::Backward bw, std::initializer_list<Var> outs, std::initializer_list<Var> ins);
  Node& record(Node::Backward bw, const Var* outs, int n_out, const Var* ins, int n_in);

  // Value / gradient storage by id (used by ops).
  const Tensor& value(int32_t id) const { return vars_[id].value; }
  bool requires_grad(int32_t id) const { return vars_[id].requires_grad; }
  // Gradient buffer or null when no gradient reached this value. (A parameter's buffer may be
  // pending zero: ops only call this on their outputs, or to test for null.)
  float* grad_or_null(int32_t id) const { return vars_[id].grad; }
  // The same, a pending-zero parameter gradient zeroed first (for reading after backward).
  float* grad_for_read(int32_t id);
  // Gradient buffer to accumulate into: allocated zeroed on first use.
  float* grad_accum(int32_t id);
  // Gradient buffer to write into. When `*overwrite` comes back true the buffer is fresh and the
  // caller may write (not add) its contribution; otherwise it must add.
  float* grad_write(int32_t id, bool* overwrite);
  // Zero-copy gradient hand-over for view ops (reshape): when `id` has no gradient yet and is not
  // a parameter, its gradient buffer becomes `buf` (the dead gradient of the view, same size) and
  // true is returned; otherwise the caller must accumulate. `buf` must be the gradient of an output
  // of the node whose backward is running and `id` one of that node's inputs (backward recognises
  // a handed-over buffer by that pair and does not recycle it). With retained gradients the view's
  // own grad() then shows the adopting value's full gradient.
  bool grad_adopt(int32_t id, float* buf);

  // Runs the tape backwards from a one-element loss (seed 1) or any value with a given seed.
  // Unless gradients are retained, the gradient of an intermediate value is released as soon as
  // the last node that writes the value has passed it on to its inputs, and its buffer serves
  // the next gradient of the same size: the step's gradients then take about as much memory as
  // the few that are live at once, not one buffer per value (TFT at NeuralForecast's defaults:
  // peak RSS 12.8 -> 8.6 GB). The forward's values are released as the sweep passes them (see
  // set_release_values), so later gradients reuse their memory too. The results are the same bits
  // either way.
  void backward(Var loss);
  void backward(Var out, const float* seed);
  // Scratch of n floats for a gradient contribution that is then added into an existing gradient
  // (ops' GradSink): a released buffer of that size when there is one. Give it back with
  // release_grad_scratch once added; it then serves later gradients.
  float* grad_scratch(int64_t n) { return new_grad(n, false); }
  void release_grad_scratch(float* p, int64_t n) {
    if (!retain_grads_ && p) release_buffer(p, n);
  }
  // Keep every value's gradient after backward (tests and debugging of intermediate gradients).
  void set_retain_grads(bool on) { retain_grads_ = on; }
  bool retain_grads() const { return retain_grads_; }
  // Let backward release the memory of the values the graph made (empty(), full(), the ops'
  // outputs) as the sweep passes them: a value made when the tape held k nodes can only be read
  // by nodes k and later, so once node k has run its buffer serves the gradients still to come.
  // The step's peak memory is then about its forward's values. After such a backward the step's
  // values are gone (those released read as null; views of them point at reused memory), except
  // the one backward started from (the loss) and the buffer it lies in; the graph cannot run
  // backward again until reset(). Off by default (values stay readable, as in PyTorch); the
  // trainer, which reads only the loss, turns it on. No effect while gradients are retained.
  void set_release_values(bool on) { release_values_ = on; }

  // Forgets all values, nodes and gradients; the arena is rewound. Parameter gradients (which
  // live in the parameter store) are untouched.
  void reset();
  size_t num_nodes() const { return nodes_.size(); }
  size_t num_vars() const { return vars_.size(); }

 private:
  struct VarRec {
    Tensor value;
    float* grad;
    bool requires_grad;
    bool external_grad;      // grad points into a parameter store
    uint8_t* pending_zero;  // external grads: set while the buffer is logically zero
    bool owned = false;      // value in arena memory of its own (empty()): released by backward
    int32_t created_at = 0;  // nodes on the tape when it was made: no earlier node can read it
  };
  // A gradient buffer of n floats: the smallest released piece that holds it, else the arena.
  float* new_grad(int64_t n, bool zeroed);
  // After node k's backward: release the gradients of its outputs that nothing reads any more.
  void release_output_grads(const Node& n, int32_t k);
  Var add_var(const Tensor& t, bool requires_grad, float* grad, bool external, uint8_t* pending_zero = nullptr);

  Arena arena_;
  std::vector<VarRec> vars_;
  std::vector<Node> nodes_;
  bool grad_enabled_ = true;
  bool retain_grads_ = false;
  bool release_values_ = false;
  bool swept_ = false;  // backward ran and released the values
  // Released arena memory (gradients, and values under set_release_values): pieces sorted by
  // address, neighbours merged, so that the buffers of a layer's values released one after
  // another serve gradients of any size. new_grad takes the smallest piece that fits, from its
  // start. A sorted vector: once warm it allocates nothing.
  struct Piece {
    float* p;
    int64_t n;  // floats, whole Arena::kAlign lines
  };
  std::vector<Piece> free_;
  void release_buffer(float* p, int64_t n);
  std::vector<int32_t> first_writer_;  // per value: the first node on the tape that writes it
};

// Disables recording for its lifetime (inference).
class NoGradGuard {
 public:
  explicit NoGradGuard(Graph& g) : g_(g), prev_(g.grad_enabled()) { g.set_grad_enabled(false); }
  ~NoGradGuard() { g_.set_grad_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  Graph& g_;
  bool prev_;
};

}  // namespace nd
