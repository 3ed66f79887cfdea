// Activations and their derivatives (nd/kernels/activation.h) with Highway. Each activation is a
// separate loop (the switch is outside the loop); transcendental parts use Highway's contrib math
// and the NaN-safe helpers of simd-inl.h, GELU the erf/erfc fit there.
#include "nd/kernels/activation.h"

#include <algorithm>
#include <cstddef>

#include "kernels/dispatch_internal.h"
#include "kernels/ref/ref.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/activation.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

constexpr float kSeluScale = 1.0507009873554804934193349852946f;
constexpr float kSeluAlpha = 1.6732632423543772848170429916717f;
constexpr float kInvSqrt2Pi = 0.39894228040143267793994605993438f;
constexpr float kSoftplusThreshold = 20.0f;

void ActForwardImpl(Act act, const float* x, float* y, size_t n, float alpha) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const V zero = hn::Zero(d), one = hn::Set(d, 1.0f), va = hn::Set(d, alpha);
  switch (act) {
    case Act::identity:
      return Map1(d, x, y, n, [](V v) HWY_ATTR { return v; });
    case Act::relu:  // x <= 0 -> 0, NaN passes through
      return Map1(d, x, y, n, [zero](V v) HWY_ATTR { return hn::IfThenZeroElse(hn::Le(v, zero), v); });
    case Act::leaky_relu:
    case Act::prelu:
      return Map1(d, x, y, n,
                  [zero, va](V v) HWY_ATTR { return hn::IfThenElse(hn::Gt(v, zero), v, hn::Mul(va, v)); });
    case Act::elu:
      return Map1(d, x, y, n, [d, zero, va](V v) HWY_ATTR {
        return hn::IfThenElse(hn::Gt(v, zero), v, hn::Mul(va, hn::Expm1(d, v)));
      });
    case Act::selu: {
      const V scale = hn::Set(d, kSeluScale), sa = hn::Set(d, kSeluAlpha);
      return Map1(d, x, y, n, [d, zero, scale, sa](V v) HWY_ATTR {
        return hn::Mul(scale, hn::IfThenElse(hn::Gt(v, zero), v, hn::Mul(sa, hn::Expm1(d, v))));
      });
    }
    case Act::gelu:
      return Map1(d, x, y, n, [d](V v) HWY_ATTR {
        V e;
        return hn::Mul(v, NormalCdf(d, v, e));
      });
    case Act::silu:
      return Map1(d, x, y, n, [d](V v) HWY_ATTR { return hn::Mul(v, Sigmoid(d, v)); });
    case Act::tanh:
      return Map1(d, x, y, n, [d](V v) HWY_ATTR { return hn::Tanh(d, v); });
    case Act::sigmoid:
      return Map1(d, x, y, n, [d](V v) HWY_ATTR { return Sigmoid(d, v); });
    case Act::softplus: {
      const V thr = hn::Set(d, kSoftplusThreshold);
      return Map1(d, x, y, n, [d, thr](V v) HWY_ATTR {
        return hn::IfThenElse(hn::Gt(v, thr), v, hn::Log1p(d, ExpSafe(d, v)));
      });
    }
    case Act::softsign:
      return Map1(d, x, y, n, [one](V v) HWY_ATTR { return hn::Div(v, hn::Add(one, hn::Abs(v))); });
  }
}

void ActBackwardImpl(Act act, const float* x, const float* y, const float* dy, float* dx, size_t n, float alpha) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const V zero = hn::Zero(d), one = hn::Set(d, 1.0f), va = hn::Set(d, alpha);
  switch (act) {
    case Act::identity:
      return Map1(d, dy, dx, n, [](V g) HWY_ATTR { return g; });
    case Act::relu:
      return Map2(d, x, dy, dx, n, [zero](V v, V g) HWY_ATTR { return hn::IfThenElseZero(hn::Gt(v, zero), g); });
    case Act::leaky_relu:
    case Act::prelu:
      return Map2(d, x, dy, dx, n,
                  [zero, va](V v, V g) HWY_ATTR { return hn::IfThenElse(hn::Gt(v, zero), g, hn::Mul(g, va)); });
    case Act::elu:
      return Map2(d, x, dy, dx, n, [d, zero, va](V v, V g) HWY_ATTR {
        return hn::IfThenElse(hn::Gt(v, zero), g, hn::Mul(hn::Mul(g, va), ExpSafe(d, v)));
      });
    case Act::selu: {
      const V scale = hn::Set(d, kSeluScale), sa = hn::Set(d, kSeluScale * kSeluAlpha);
      return Map2(d, x, dy, dx, n, [d, zero, scale, sa](V v, V g) HWY_ATTR {
        return hn::IfThenElse(hn::Gt(v, zero), hn::Mul(g, scale), hn::Mul(hn::Mul(g, sa), ExpSafe(d, v)));
      });
    }
    case Act::gelu: {
      const V k = hn::Set(d, kInvSqrt2Pi);
      // GELU'(x) = Phi(x) + x * phi(x), phi(x) = exp(-x^2/2) / sqrt(2 pi).
      return Map2(d, x, dy, dx, n, [d, k](V v, V g) HWY_ATTR {
        V e;
        const V cdf = NormalCdf(d, v, e);
        return hn::Mul(g, hn::MulAdd(hn::Mul(v, k), e, cdf));
      });
    }
    case Act::silu:
      // SiLU'(x) = s (1 + x (1 - s)), s = sigmoid(x).
      return Map2(d, x, dy, dx, n, [d, one](V v, V g) HWY_ATTR {
        V c;
        const V s = SigmoidAndComplement(d, v, c);
        return hn::Mul(hn::Mul(g, s), hn::MulAdd(v, c, one));
      });
    case Act::tanh:
      return Map2(d, y, dy, dx, n, [d](V t, V g) HWY_ATTR { return hn::Mul(g, OneMinusSquare(d, t)); });
    case Act::sigmoid:
      return Map2(d, y, dy, dx, n, [one](V s, V g) HWY_ATTR { return hn::Mul(hn::Mul(g, s), hn::Sub(one, s)); });
    case Act::softplus: {
      const V thr = hn::Set(d, kSoftplusThreshold);
      return Map2(d, x, dy, dx, n, [d, thr, one](V v, V g) HWY_ATTR {
        const V z = ExpSafe(d, v);
        return hn::IfThenElse(hn::Gt(v, thr), g, hn::Div(hn::Mul(g, z), hn::Add(z, one)));
      });
    }
    case Act::softsign:
      return Map2(d, x, dy, dx, n, [one](V v, V g) HWY_ATTR {
        const V t = hn::Add(one, hn::Abs(v));
        return hn::Div(g, hn::Mul(t, t));
      });
  }
}

void GluForwardImpl(const float* x, float* y, size_t rows, size_t n) {
  const hn::ScalableTag<float> d;
  for (size_t r = 0; r < rows; ++r) {
    const float *a = x + r * 2 * n, *b = a + n;
    float* out = y + r * n;
    ForEachVector(d, n, [&](size_t i, size_t cnt) HWY_ATTR {
      StorePart(hn::Mul(LoadPart(d, a + i, cnt), Sigmoid(d, LoadPart(d, b + i, cnt))), d, out + i, cnt);
    });
  }
}

void GluBackwardImpl(const float* x, const float* dy, float* dx, size_t rows, size_t n) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  for (size_t r = 0; r < rows; ++r) {
    const float *a = x + r * 2 * n, *b = a + n, *g = dy + r * n;
    float *da = dx + r * 2 * n, *db = da + n;
    ForEachVector(d, n, [&](size_t i, size_t cnt) HWY_ATTR {
      V c;
      const V s = SigmoidAndComplement(d, LoadPart(d, b + i, cnt), c);
      const V gs = hn::Mul(LoadPart(d, g + i, cnt), s);
      StorePart(gs, d, da + i, cnt);
      StorePart(hn::Mul(hn::Mul(gs, LoadPart(d, a + i, cnt)), c), d, db + i, cnt);
    });
  }
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(ActForwardImpl);
HWY_EXPORT(ActBackwardImpl);
HWY_EXPORT(GluForwardImpl);
HWY_EXPORT(GluBackwardImpl);

void act_forward(Act a, const float* x, float* y, int64_t n, float alpha) {
  if (use_ref()) return ref::act_forward(a, x, y, n, alpha);
  split_elementwise(n, [&](int64_t b, int64_t e) {
    HWY_DYNAMIC_DISPATCH(ActForwardImpl)(a, x + b, y + b, to_size(e - b), alpha);
  });
}

void act_backward(Act a, const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha) {
  if (use_ref()) return ref::act_backward(a, x, y, dy, dx, n, alpha);
  split_elementwise(n, [&](int64_t b, int64_t e) {
    HWY_DYNAMIC_DISPATCH(ActBackwardImpl)(a, x ? x + b : nullptr, y ? y + b : nullptr, dy + b, dx + b, to_size(e - b),
                                          alpha);
  });
}

// Rows split over the threads in tasks of >= 64K output elements.
void glu_forward(const float* x, float* y, int64_t rows, int64_t n) {
  if (rows <= 0 || n <= 0) return;
  if (use_ref()) return ref::glu_forward(x, y, rows, n);
  parallel_for(rows, std::max<int64_t>(1, 65536 / n), [&](int64_t r0, int64_t r1) {
    HWY_DYNAMIC_DISPATCH(GluForwardImpl)(x + r0 * 2 * n, y + r0 * n, to_size(r1 - r0), to_size(n));
  });
}

void glu_backward(const float* x, const float* dy, float* dx, int64_t rows, int64_t n) {
  if (rows <= 0 || n <= 0) return;
  if (use_ref()) return ref::glu_backward(x, dy, dx, rows, n);
  parallel_for(rows, std::max<int64_t>(1, 65536 / n), [&](int64_t r0, int64_t r1) {
    HWY_DYNAMIC_DISPATCH(GluBackwardImpl)(x + r0 * 2 * n, dy + r0 * n, dx + r0 * 2 * n, to_size(r1 - r0), to_size(n));
  });
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
