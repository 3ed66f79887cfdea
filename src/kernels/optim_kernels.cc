// Optimizer updates (nd/kernels/optim_kernels.h) with Highway: one pass over the whole parameter
// buffer, in the operation order of torch.optim (see ref/optim_ref.cc).
#include "nd/kernels/optim_kernels.h"

#include <cmath>
#include <cstddef>

#include "kernels/dispatch_internal.h"
#include "kernels/ref/ref.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/optim_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

void AdamStepImpl(float* p, const float* g, float* m, float* v, size_t n, const AdamScalars& s, bool decoupled) {
  const DF d;
  const float w1 = s.one_minus_beta1;
  const VF vw1 = hn::Set(d, w1), vb1c = hn::Set(d, 1.0f - w1), vb2 = hn::Set(d, s.beta2);
  const VF vw2 = hn::Set(d, s.one_minus_beta2), vwd = hn::Set(d, s.weight_decay), vdecay = hn::Set(d, s.decay);
  const VF vstep = hn::Set(d, s.step_size), vibc2 = hn::Set(d, s.inv_bc2_sqrt), veps = hn::Set(d, s.eps);
  const bool l2 = s.weight_decay != 0.0f && !decoupled, wdecay = s.weight_decay != 0.0f && decoupled;
  const bool lerp_low = w1 < 0.5f;
  ForEachVector(d, n, [&](size_t i, size_t cnt) HWY_ATTR {
    VF vp = LoadPart(d, p + i, cnt), vg = LoadPart(d, g + i, cnt), vm = LoadPart(d, m + i, cnt), vv = LoadPart(d, v + i, cnt);
    if (wdecay) vp = hn::Mul(vp, vdecay);              // AdamW: p *= 1 - lr * wd
    if (l2) vg = hn::Add(vg, hn::Mul(vwd, vp));        // Adam: g += wd * p
    const VF diff = hn::Sub(vg, vm);                   // m.lerp_(g, 1 - beta1)
    vm = lerp_low ? hn::Add(vm, hn::Mul(vw1, diff)) : hn::Sub(vg, hn::Mul(diff, vb1c));
    vv = hn::Add(hn::Mul(vv, vb2), hn::Mul(hn::Mul(vw2, vg), vg));
    const VF denom = hn::MulAdd(hn::Sqrt(vv), vibc2, veps);
    vp = hn::Sub(vp, hn::Div(hn::Mul(vstep, vm), denom));
    StorePart(vp, d, p + i, cnt);
    StorePart(vm, d, m + i, cnt);
    StorePart(vv, d, v + i, cnt);
  });
}

void SgdStepImpl(float* p, const float* g, float* buf, size_t n, float lr, float momentum, float dampening,
                 float weight_decay, bool nesterov, bool first) {
  const DF d;
  const VF vlr = hn::Set(d, lr), vmom = hn::Set(d, momentum), vdamp = hn::Set(d, 1.0f - dampening);
  const VF vwd = hn::Set(d, weight_decay);
  const bool has_wd = weight_decay != 0.0f, has_mom = momentum != 0.0f;
  ForEachVector(d, n, [&](size_t i, size_t cnt) HWY_ATTR {
    VF vp = LoadPart(d, p + i, cnt), dp = LoadPart(d, g + i, cnt);
    if (has_wd) dp = hn::Add(dp, hn::Mul(vwd, vp));
    if (has_mom) {
      const VF b = first ? dp : hn::Add(hn::Mul(LoadPart(d, buf + i, cnt), vmom), hn::Mul(vdamp, dp));
      StorePart(b, d, buf + i, cnt);
      dp = nesterov ? hn::Add(dp, hn::Mul(vmom, b)) : b;
    }
    StorePart(hn::Sub(vp, hn::Mul(vlr, dp)), d, p + i, cnt);
  });
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(AdamStepImpl);
HWY_EXPORT(SgdStepImpl);

AdamScalars adam_scalars(double lr, double beta1, double beta2, double eps, double weight_decay, int64_t t) {
  const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(t));
  const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(t));
  AdamScalars s;
  s.beta1 = static_cast<float>(beta1);
  s.one_minus_beta1 = static_cast<float>(1.0 - beta1);
  s.beta2 = static_cast<float>(beta2);
  s.one_minus_beta2 = static_cast<float>(1.0 - beta2);
  s.eps = static_cast<float>(eps);
  s.weight_decay = static_cast<float>(weight_decay);
  s.decay = static_cast<float>(1.0 - lr * weight_decay);
  s.step_size = static_cast<float>(lr / bc1);
  s.inv_bc2_sqrt = static_cast<float>(1.0 / std::sqrt(bc2));
  return s;
}

void adam_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamScalars& s, bool decoupled) {
  if (use_ref()) return ref::adam_step(p, g, m, v, n, s, decoupled);
  HWY_DYNAMIC_DISPATCH(AdamStepImpl)(p, g, m, v, to_size(n), s, decoupled);
}

void sgd_step(float* p, const float* g, float* buf, int64_t n, float lr, float momentum, float dampening,
              float weight_decay, bool nesterov, bool first) {
  if (use_ref()) return ref::sgd_step(p, g, buf, n, lr, momentum, dampening, weight_decay, nesterov, first);
  HWY_DYNAMIC_DISPATCH(SgdStepImpl)(p, g, buf, to_size(n), lr, momentum, dampening, weight_decay, nesterov, first);
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
