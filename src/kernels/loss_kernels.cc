// Fused loss kernels (nd/kernels/loss_kernels.h) with Highway: elementwise losses in float, the
// weighted sum in double lanes. Subgradients at kinks follow PyTorch (see ref/loss_ref.cc).
#include "nd/kernels/loss_kernels.h"

#include <cstddef>

#include "kernels/dispatch_internal.h"
#include "kernels/ref/ref.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/loss_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// -1, 0 or +1 per lane (0 for 0 and NaN, as torch.sign gives 0 at 0).
HWY_INLINE VF Sign(DF d, VF v) {
  const VF zero = hn::Zero(d);
  return hn::IfThenElse(hn::Gt(v, zero), hn::Set(d, 1.0f), hn::IfThenElseZero(hn::Lt(v, zero), hn::Set(d, -1.0f)));
}

// Loss and d loss / d yhat of one kind, per lane.
template <PointLoss kKind>
HWY_INLINE VF PointLossV(DF d, VF y, VF yh, VF delta) {
  const VF zero = hn::Zero(d), half = hn::Set(d, 0.5f);
  const VF e = hn::Sub(y, yh), ae = hn::Abs(e);
  switch (kKind) {
    case PointLoss::mae: return ae;
    case PointLoss::mse: return hn::Mul(e, e);
    case PointLoss::mape: return hn::IfThenZeroElse(hn::Eq(y, zero), hn::Div(ae, hn::Abs(y)));
    case PointLoss::smape: {
      const VF s = hn::Add(hn::Abs(y), hn::Abs(yh));
      return hn::IfThenZeroElse(hn::Eq(s, zero), hn::Div(ae, s));
    }
    case PointLoss::huber:
      return hn::IfThenElse(hn::Lt(ae, delta), hn::Mul(hn::Mul(half, e), e),
                            hn::Mul(delta, hn::NegMulAdd(half, delta, ae)));
  }
  return zero;
}

template <PointLoss kKind>
HWY_INLINE VF PointGradV(DF d, VF y, VF yh, VF delta) {
  const VF zero = hn::Zero(d);
  const VF e = hn::Sub(y, yh), ae = hn::Abs(e), se = Sign(d, e);
  switch (kKind) {
    case PointLoss::mae: return hn::Neg(se);
    case PointLoss::mse: return hn::Mul(hn::Set(d, -2.0f), e);
    case PointLoss::mape: return hn::IfThenZeroElse(hn::Eq(y, zero), hn::Div(hn::Neg(se), hn::Abs(y)));
    case PointLoss::smape: {
      const VF s = hn::Add(hn::Abs(y), hn::Abs(yh));
      // d/dyhat |e| / s = (-sign(e) s - |e| sign(yhat)) / s^2
      const VF num = hn::NegMulAdd(se, s, hn::Neg(hn::Mul(ae, Sign(d, yh))));
      return hn::IfThenZeroElse(hn::Eq(s, zero), hn::Div(num, hn::Mul(s, s)));
    }
    case PointLoss::huber: return hn::IfThenElse(hn::Lt(ae, delta), hn::Neg(e), hn::Neg(hn::Mul(delta, se)));
  }
  return zero;
}

template <PointLoss kKind>
HWY_INLINE double PointLossSumT(const float* y, const float* yh, const float* w, size_t n, float delta) {
  const DF d;
  const DoubleTag<DF> dd;
  const size_t N = hn::Lanes(d);
  const VF vdelta = hn::Set(d, delta), one = hn::Set(d, 1.0f);
  auto lo = hn::Zero(dd), hi = hn::Zero(dd);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const VF l = PointLossV<kKind>(d, hn::LoadU(d, y + i), hn::LoadU(d, yh + i), vdelta);
    AccumulateDouble(d, dd, hn::Mul(l, w ? hn::LoadU(d, w + i) : one), lo, hi);
  }
  if (i < n) {
    const size_t r = n - i;
    const VF l = PointLossV<kKind>(d, LoadTail(d, y + i, r), LoadTail(d, yh + i, r), vdelta);
    const VF lw = hn::IfThenElseZero(hn::FirstN(d, r), hn::Mul(l, w ? LoadTail(d, w + i, r) : one));
    AccumulateDouble(d, dd, lw, lo, hi);
  }
  return SumLanes(dd, hn::Add(lo, hi));
}

template <PointLoss kKind>
HWY_INLINE void PointLossGradT(const float* y, const float* yh, const float* w, size_t n, float delta, float scale,
                               float* dyh) {
  const DF d;
  const size_t N = hn::Lanes(d);
  const VF vdelta = hn::Set(d, delta), vs = hn::Set(d, scale);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const VF g = PointGradV<kKind>(d, hn::LoadU(d, y + i), hn::LoadU(d, yh + i), vdelta);
    const VF sw = w ? hn::Mul(vs, hn::LoadU(d, w + i)) : vs;
    hn::StoreU(hn::MulAdd(sw, g, hn::LoadU(d, dyh + i)), d, dyh + i);
  }
  if (i < n) {
    const size_t r = n - i;
    const VF g = PointGradV<kKind>(d, LoadTail(d, y + i, r), LoadTail(d, yh + i, r), vdelta);
    const VF sw = w ? hn::Mul(vs, LoadTail(d, w + i, r)) : vs;
    StoreTail(hn::MulAdd(sw, g, LoadTail(d, dyh + i, r)), d, dyh + i, r);
  }
}

double PointLossSumImpl(PointLoss k, const float* y, const float* yh, const float* w, size_t n, float delta) {
  switch (k) {
    case PointLoss::mae: return PointLossSumT<PointLoss::mae>(y, yh, w, n, delta);
    case PointLoss::mse: return PointLossSumT<PointLoss::mse>(y, yh, w, n, delta);
    case PointLoss::mape: return PointLossSumT<PointLoss::mape>(y, yh, w, n, delta);
    case PointLoss::smape: return PointLossSumT<PointLoss::smape>(y, yh, w, n, delta);
    case PointLoss::huber: return PointLossSumT<PointLoss::huber>(y, yh, w, n, delta);
  }
  return 0.0;
}

void PointLossGradImpl(PointLoss k, const float* y, const float* yh, const float* w, size_t n, float delta,
                       float scale, float* dyh) {
  switch (k) {
    case PointLoss::mae: return PointLossGradT<PointLoss::mae>(y, yh, w, n, delta, scale, dyh);
    case PointLoss::mse: return PointLossGradT<PointLoss::mse>(y, yh, w, n, delta, scale, dyh);
    case PointLoss::mape: return PointLossGradT<PointLoss::mape>(y, yh, w, n, delta, scale, dyh);
    case PointLoss::smape: return PointLossGradT<PointLoss::smape>(y, yh, w, n, delta, scale, dyh);
    case PointLoss::huber: return PointLossGradT<PointLoss::huber>(y, yh, w, n, delta, scale, dyh);
  }
}

// Pinball loss: rows of nq quantiles, the row's target broadcast. A row is covered by full vectors
// plus one partial one; the partial lanes are masked out of the sum.
double QuantileLossSumImpl(const float* y, const float* yh, const float* w, const float* q, size_t n, size_t nq) {
  const DF d;
  const DoubleTag<DF> dd;
  const size_t N = hn::Lanes(d);
  const VF zero = hn::Zero(d), one = hn::Set(d, 1.0f);
  auto lo = hn::Zero(dd), hi = hn::Zero(dd);
  for (size_t i = 0; i < n; ++i) {
    const VF vy = hn::Set(d, y[i]);
    const float* row = yh + i * nq;
    VF acc = zero;
    ForEachVector(d, nq, [&](size_t j, size_t cnt) HWY_ATTR {
      const VF vq = LoadPart(d, q + j, cnt);
      const VF e = hn::Sub(vy, LoadPart(d, row + j, cnt));
      const VF l = hn::IfThenElse(hn::Ge(e, zero), hn::Mul(vq, e), hn::Mul(hn::Sub(vq, one), e));
      acc = hn::Add(acc, cnt == N ? l : hn::IfThenElseZero(hn::FirstN(d, cnt), l));  // padding: e = y != 0
    });
    AccumulateDouble(d, dd, hn::Mul(acc, hn::Set(d, w ? w[i] : 1.0f)), lo, hi);
  }
  return SumLanes(dd, hn::Add(lo, hi));
}

void QuantileLossGradImpl(const float* y, const float* yh, const float* w, const float* q, size_t n, size_t nq,
                          float scale, float* dyh) {
  const DF d;
  const VF zero = hn::Zero(d), one = hn::Set(d, 1.0f), half = hn::Set(d, 0.5f);
  for (size_t i = 0; i < n; ++i) {
    const VF vy = hn::Set(d, y[i]), sw = hn::Set(d, scale * (w ? w[i] : 1.0f));
    const float* row = yh + i * nq;
    float* out = dyh + i * nq;
    ForEachVector(d, nq, [&](size_t j, size_t cnt) HWY_ATTR {
      const VF vq = LoadPart(d, q + j, cnt);
      const VF e = hn::Sub(vy, LoadPart(d, row + j, cnt));
      // e > 0: -q;  e < 0: 1 - q;  e == 0: 0.5 - q (torch.maximum splits ties evenly)
      const VF g = hn::IfThenElse(hn::Gt(e, zero), hn::Neg(vq),
                                  hn::IfThenElse(hn::Lt(e, zero), hn::Sub(one, vq), hn::Sub(half, vq)));
      StorePart(hn::MulAdd(sw, g, LoadPart(d, out + j, cnt)), d, out + j, cnt);
    });
  }
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(PointLossSumImpl);
HWY_EXPORT(PointLossGradImpl);
HWY_EXPORT(QuantileLossSumImpl);
HWY_EXPORT(QuantileLossGradImpl);

double point_loss_sum(PointLoss k, const float* y, const float* yhat, const float* w, int64_t n, float delta) {
  if (use_ref()) return ref::point_loss_sum(k, y, yhat, w, n, delta);
  return HWY_DYNAMIC_DISPATCH(PointLossSumImpl)(k, y, yhat, w, to_size(n), delta);
}

void point_loss_grad(PointLoss k, const float* y, const float* yhat, const float* w, int64_t n, float delta,
                     float scale, float* dyhat) {
  if (use_ref()) return ref::point_loss_grad(k, y, yhat, w, n, delta, scale, dyhat);
  HWY_DYNAMIC_DISPATCH(PointLossGradImpl)(k, y, yhat, w, to_size(n), delta, scale, dyhat);
}

double quantile_loss_sum(const float* y, const float* yhat, const float* w, const float* q, int64_t n, int64_t nq) {
  if (use_ref()) return ref::quantile_loss_sum(y, yhat, w, q, n, nq);
  return HWY_DYNAMIC_DISPATCH(QuantileLossSumImpl)(y, yhat, w, q, to_size(n), to_size(nq));
}

void quantile_loss_grad(const float* y, const float* yhat, const float* w, const float* q, int64_t n, int64_t nq,
                        float scale, float* dyhat) {
  if (use_ref()) return ref::quantile_loss_grad(y, yhat, w, q, n, nq, scale, dyhat);
  HWY_DYNAMIC_DISPATCH(QuantileLossGradImpl)(y, yhat, w, q, to_size(n), to_size(nq), scale, dyhat);
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
