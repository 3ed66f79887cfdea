// Elementwise arithmetic (nd/kernels/elementwise.h): Highway kernels, one pass each, plus the
// public entry points that pick the scalar reference or the best Highway target.
#include "nd/kernels/elementwise.h"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "nd/kernels/activation.h"

#include "kernels/dispatch_internal.h"
#include "kernels/ref/ref.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/elementwise.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

template <class D>
HWY_INLINE hn::Vec<D> Apply(BinOp op, hn::Vec<D> a, hn::Vec<D> b) {
  switch (op) {
    case BinOp::add: return hn::Add(a, b);
    case BinOp::sub: return hn::Sub(a, b);
    case BinOp::mul: return hn::Mul(a, b);
    case BinOp::div: return hn::Div(a, b);
  }
  return a;
}

// The switch sits outside the loops so each loop body is a single vector instruction.
template <BinOp kOp>
HWY_INLINE void BinaryT(const float* a, const float* b, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  Map2(d, a, b, y, n, [](V va, V vb) HWY_ATTR { return Apply<decltype(d)>(kOp, va, vb); });
}

void BinaryImpl(BinOp op, const float* a, const float* b, float* y, size_t n) {
  switch (op) {
    case BinOp::add: return BinaryT<BinOp::add>(a, b, y, n);
    case BinOp::sub: return BinaryT<BinOp::sub>(a, b, y, n);
    case BinOp::mul: return BinaryT<BinOp::mul>(a, b, y, n);
    case BinOp::div: return BinaryT<BinOp::div>(a, b, y, n);
  }
}

template <BinOp kOp, bool kScalarRight>
HWY_INLINE void BinaryScalarT(const float* x, float s, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const V vs = hn::Set(d, s);
  Map1(d, x, y, n, [vs](V v) HWY_ATTR {
    return kScalarRight ? Apply<decltype(d)>(kOp, v, vs) : Apply<decltype(d)>(kOp, vs, v);
  });
}

template <bool kScalarRight>
HWY_INLINE void BinaryScalarDispatch(BinOp op, const float* x, float s, float* y, size_t n) {
  switch (op) {
    case BinOp::add: return BinaryScalarT<BinOp::add, kScalarRight>(x, s, y, n);
    case BinOp::sub: return BinaryScalarT<BinOp::sub, kScalarRight>(x, s, y, n);
    case BinOp::mul: return BinaryScalarT<BinOp::mul, kScalarRight>(x, s, y, n);
    case BinOp::div: return BinaryScalarT<BinOp::div, kScalarRight>(x, s, y, n);
  }
}

void BinaryRsImpl(BinOp op, const float* a, float b, float* y, size_t n) { BinaryScalarDispatch<true>(op, a, b, y, n); }
void BinaryLsImpl(BinOp op, float a, const float* b, float* y, size_t n) { BinaryScalarDispatch<false>(op, b, a, y, n); }

void AxpyImpl(float alpha, const float* x, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const V va = hn::Set(d, alpha);
  Map2(d, x, y, y, n, [va](V vx, V vy) HWY_ATTR { return hn::MulAdd(va, vx, vy); });
}

void ScaleImpl(float alpha, const float* x, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const V va = hn::Set(d, alpha);
  Map1(d, x, y, n, [va](V v) HWY_ATTR { return hn::Mul(va, v); });
}

void MulAddImpl(const float* a, const float* b, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  Map3(d, a, b, y, y, n, [](V va, V vb, V vy) HWY_ATTR { return hn::MulAdd(va, vb, vy); });
}

void AddScalarImpl(float alpha, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const V va = hn::Set(d, alpha);
  Map1(d, y, y, n, [va](V v) HWY_ATTR { return hn::Add(v, va); });
}

void FillImpl(float v, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  const auto vv = hn::Set(d, v);
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(vv, d, y + i);
  if (i < n) StoreTail(vv, d, y + i, n - i);
}

void DivRhsGradImpl(const float* g, const float* q, const float* b, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const size_t N = hn::Lanes(d);
  // y -= g * q / b, in the reference's order ((g * q) / b) so both paths round alike.
  const auto f = [](V vg, V vq, V vb, V vy) HWY_ATTR { return hn::Sub(vy, hn::Div(hn::Mul(vg, vq), vb)); };
  size_t i = 0;
  for (; i + N <= n; i += N)
    hn::StoreU(f(hn::LoadU(d, g + i), hn::LoadU(d, q + i), hn::LoadU(d, b + i), hn::LoadU(d, y + i)), d, y + i);
  if (i < n) {
    const size_t r = n - i;
    StoreTail(f(LoadTail(d, g + i, r), LoadTail(d, q + i, r), LoadTail(d, b + i, r), LoadTail(d, y + i, r)), d,
              y + i, r);
  }
}

void DivLhsGradImpl(const float* g, const float* b, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  Map3(d, g, b, y, y, n, [](V vg, V vb, V vy) HWY_ATTR { return hn::Add(vy, hn::Div(vg, vb)); });
}

void MaskedScaleImpl(const float* x, const float* mask, float s, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const V vs = hn::Set(d, s);
  Map2(d, x, mask, y, n, [vs](V vx, V vm) HWY_ATTR { return hn::Mul(hn::Mul(vx, vm), vs); });
}

// One 2^32-element chunk of dropout (the hash counter is 32-bit; chunks get their own key).
// y = x * factor, or y = r + x * factor when r is given (r may alias y).
// Elements [0, n) of the call are elements [base, base + n) of the mask's 2^32-element chunk.
void DropoutImpl(const float* x, uint32_t key, uint32_t base, float thresh, float keep, const float* r, float* y,
                 float* factor, size_t n) {
  const hn::ScalableTag<float> d;
  const auto vt = hn::Set(d, thresh), vk = hn::Set(d, keep);
  const auto lanes = DropoutLaneSteps(hn::Iota(hn::RebindToUnsigned<decltype(d)>(), 0));
  if (r) {
    ForEachVector(d, n, [&](size_t i, size_t cnt) HWY_ATTR {
      const auto f = DropoutFactors(d, lanes, key, base + static_cast<uint32_t>(i), vt, vk);
      StorePart(hn::MulAdd(LoadPart(d, x + i, cnt), f, LoadPart(d, r + i, cnt)), d, y + i, cnt);
    });
    return;
  }
  ForEachVector(d, n, [&](size_t i, size_t cnt) HWY_ATTR {
    const auto f = DropoutFactors(d, lanes, key, base + static_cast<uint32_t>(i), vt, vk);
    if (factor) StorePart(f, d, factor + i, cnt);
    StorePart(hn::Mul(LoadPart(d, x + i, cnt), f), d, y + i, cnt);
  });
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(BinaryImpl);
HWY_EXPORT(BinaryRsImpl);
HWY_EXPORT(BinaryLsImpl);
HWY_EXPORT(AxpyImpl);
HWY_EXPORT(ScaleImpl);
HWY_EXPORT(MulAddImpl);
HWY_EXPORT(AddScalarImpl);
HWY_EXPORT(FillImpl);
HWY_EXPORT(DivRhsGradImpl);
HWY_EXPORT(DivLhsGradImpl);
HWY_EXPORT(MaskedScaleImpl);
HWY_EXPORT(DropoutImpl);

void binary(BinOp op, const float* a, const float* b, float* y, int64_t n) {
  if (use_ref()) return ref::binary(op, a, b, y, n);
  split_elementwise(n, [&](int64_t lo, int64_t hi) {
    HWY_DYNAMIC_DISPATCH(BinaryImpl)(op, a + lo, b + lo, y + lo, to_size(hi - lo));
  });
}

void binary_rs(BinOp op, const float* a, float b, float* y, int64_t n) {
  if (use_ref()) return ref::binary_rs(op, a, b, y, n);
  HWY_DYNAMIC_DISPATCH(BinaryRsImpl)(op, a, b, y, to_size(n));
}

void binary_ls(BinOp op, float a, const float* b, float* y, int64_t n) {
  if (use_ref()) return ref::binary_ls(op, a, b, y, n);
  HWY_DYNAMIC_DISPATCH(BinaryLsImpl)(op, a, b, y, to_size(n));
}

void axpy(float alpha, const float* x, float* y, int64_t n) {
  if (use_ref()) return ref::axpy(alpha, x, y, n);
  split_elementwise(n, [&](int64_t b, int64_t e) { HWY_DYNAMIC_DISPATCH(AxpyImpl)(alpha, x + b, y + b, to_size(e - b)); });
}

void scale(float alpha, const float* x, float* y, int64_t n) {
  if (use_ref()) return ref::scale(alpha, x, y, n);
  split_elementwise(n, [&](int64_t b, int64_t e) { HWY_DYNAMIC_DISPATCH(ScaleImpl)(alpha, x + b, y + b, to_size(e - b)); });
}

void mul_add(const float* a, const float* b, float* y, int64_t n) {
  if (use_ref()) return ref::mul_add(a, b, y, n);
  HWY_DYNAMIC_DISPATCH(MulAddImpl)(a, b, y, to_size(n));
}

void add_scalar(float alpha, float* y, int64_t n) {
  if (use_ref()) return ref::add_scalar(alpha, y, n);
  HWY_DYNAMIC_DISPATCH(AddScalarImpl)(alpha, y, to_size(n));
}

void fill(float v, float* y, int64_t n) {
  if (use_ref()) return ref::fill(v, y, n);
  HWY_DYNAMIC_DISPATCH(FillImpl)(v, y, to_size(n));
}

void div_rhs_grad(const float* g, const float* q, const float* b, float* y, int64_t n) {
  if (use_ref()) return ref::div_rhs_grad(g, q, b, y, n);
  HWY_DYNAMIC_DISPATCH(DivRhsGradImpl)(g, q, b, y, to_size(n));
}

void div_lhs_grad(const float* g, const float* b, float* y, int64_t n) {
  if (use_ref()) return ref::div_lhs_grad(g, b, y, n);
  HWY_DYNAMIC_DISPATCH(DivLhsGradImpl)(g, b, y, to_size(n));
}

void masked_scale(const float* x, const float* mask, float s, float* y, int64_t n) {
  if (use_ref()) return ref::masked_scale(x, mask, s, y, n);
  HWY_DYNAMIC_DISPATCH(MaskedScaleImpl)(x, mask, s, y, to_size(n));
}

namespace {
void dropout_chunks(const float* x, uint64_t seed, float p, const float* r, float* y, float* factor, int64_t n) {
  const float thresh = static_cast<float>(dropout_hash::keep_threshold(p)), keep = 1.0f / (1.0f - p);
  constexpr int64_t kChunk = int64_t{1} << 32;
  for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
    const uint32_t key = dropout_hash::chunk_key(seed, static_cast<uint64_t>(c0) >> 32);
    split_elementwise(std::min(kChunk, n - c0), [&](int64_t b, int64_t e) {
      const int64_t o = c0 + b;
      HWY_DYNAMIC_DISPATCH(DropoutImpl)(x + o, key, static_cast<uint32_t>(b), thresh, keep, r ? r + o : nullptr, y + o,
                                        factor ? factor + o : nullptr, to_size(e - b));
    });
  }
}
}  // namespace

void dropout(const float* x, uint64_t seed, float p, float* y, float* factor, int64_t n) {
  if (use_ref()) return ref::dropout(x, seed, p, y, factor, n);
  dropout_chunks(x, seed, p, nullptr, y, factor, n);
}

void dropout_add(const float* x, uint64_t seed, float p, const float* r, float* y, int64_t n) {
  if (use_ref()) return ref::dropout_add(x, seed, p, r, y, n);
  dropout_chunks(x, seed, p, r, y, nullptr, n);
}

namespace {
// Blocks small enough that an activation pass and the mask pass over them stay in L1.
constexpr int64_t kL1Block = 2048;

// The dropout mask of elements [o, o + len) of an array (the mask of kernels::dropout), applied
// to src and written to dst. The block must not straddle a 2^32-element chunk.
struct DropoutMask {
  uint64_t seed;
  float thresh, keep;
  DropoutMask(uint64_t s, float p)
      : seed(s), thresh(static_cast<float>(dropout_hash::keep_threshold(p))), keep(1.0f / (1.0f - p)) {}
  void apply(int64_t o, const float* src, float* dst, int64_t len) const {
    const uint32_t key = dropout_hash::chunk_key(seed, static_cast<uint64_t>(o) >> 32);
    HWY_DYNAMIC_DISPATCH(DropoutImpl)(src, key, static_cast<uint32_t>(o), thresh, keep, nullptr, dst, nullptr,
                                      to_size(len));
  }
};

// f(o, len) over [0, n) in L1 blocks, the threads' ranges split as every elementwise kernel's.
template <class F>
void for_l1_blocks(int64_t n, F&& f) {
  split_elementwise(n, [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e;) {
      const int64_t chunk_end = ((o >> 32) + 1) << 32;
      const int64_t len = std::min({kL1Block, e - o, chunk_end - o});
      f(o, len);
      o += len;
    }
  });
}

bool act_backward_reads_y(Act a) { return a == Act::tanh || a == Act::sigmoid; }
}  // namespace

void act_dropout_forward(Act a, const float* x, float alpha, uint64_t seed, float p, float* y, int64_t n) {
  if (use_ref()) {
    ref::act_forward(a, x, y, n, alpha);
    return ref::dropout(y, seed, p, y, nullptr, n);
  }
  const DropoutMask mask(seed, p);
  for_l1_blocks(n, [&](int64_t o, int64_t len) {
    act_forward(a, x + o, y + o, len, alpha);
    mask.apply(o, y + o, y + o, len);
  });
}

void act_dropout_backward(Act a, const float* x, float alpha, uint64_t seed, float p, const float* dy, float* dx,
                          bool accumulate, int64_t n) {
  const bool reads_y = act_backward_reads_y(a);
  if (use_ref()) {
    std::vector<float> t(static_cast<size_t>(std::max<int64_t>(n, 0))), y;
    ref::dropout(dy, seed, p, t.data(), nullptr, n);
    if (reads_y) {
      y.resize(t.size());
      ref::act_forward(a, x, y.data(), n, alpha);
    }
    ref::act_backward(a, x, y.data(), t.data(), t.data(), n, alpha);
    for (int64_t i = 0; i < n; ++i) dx[i] = accumulate ? dx[i] + t[i] : t[i];
    return;
  }
  const DropoutMask mask(seed, p);
  for_l1_blocks(n, [&](int64_t o, int64_t len) {
    alignas(64) float t[kL1Block];
    alignas(64) float y[kL1Block];
    mask.apply(o, dy + o, t, len);  // t = mask * dy
    if (reads_y) act_forward(a, x + o, y, len, alpha);
    if (accumulate) {
      act_backward(a, x + o, y, t, t, len, alpha);
      HWY_DYNAMIC_DISPATCH(AxpyImpl)(1.0f, t, dx + o, to_size(len));
    } else {
      act_backward(a, x + o, y, t, dx + o, len, alpha);
    }
  });
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
