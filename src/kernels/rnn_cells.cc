// Fused recurrent cell steps (nd/kernels/rnn_cells.h) with Highway: gate nonlinearities, state
// update and their backward in one pass over each batch row. Gate order as PyTorch: LSTM (i, f,
// g, o), GRU (r, z, n). A null c_prev / h_prev / dc is a zero state.
#include "nd/kernels/rnn_cells.h"

#include <cstddef>

#include "kernels/dispatch_internal.h"
#include "kernels/ref/ref.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/rnn_cells.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// s * (1 - s): the derivative of the sigmoid from its output.
HWY_INLINE VF SigmoidGrad(DF d, VF s) { return hn::Mul(s, hn::Sub(hn::Set(d, 1.0f), s)); }

HWY_INLINE VF LoadOrZero(DF d, const float* p, size_t cnt) { return p ? LoadPart(d, p, cnt) : hn::Zero(d); }

void LstmForwardImpl(float* gates, const float* c_prev, float* c, float* h, size_t B, size_t H) {
  const DF d;
  for (size_t b = 0; b < B; ++b) {
    float* gi = gates + b * 4 * H;
    float *gf = gi + H, *gg = gi + 2 * H, *go = gi + 3 * H;
    const float* cp = c_prev ? c_prev + b * H : nullptr;
    float *cb = c + b * H, *hb = h + b * H;
    ForEachVector(d, H, [&](size_t j, size_t cnt) HWY_ATTR {
      const VF i = Sigmoid(d, LoadPart(d, gi + j, cnt)), f = Sigmoid(d, LoadPart(d, gf + j, cnt));
      const VF g = hn::Tanh(d, LoadPart(d, gg + j, cnt)), o = Sigmoid(d, LoadPart(d, go + j, cnt));
      StorePart(i, d, gi + j, cnt);
      StorePart(f, d, gf + j, cnt);
      StorePart(g, d, gg + j, cnt);
      StorePart(o, d, go + j, cnt);
      const VF cj = hn::MulAdd(f, LoadOrZero(d, cp ? cp + j : nullptr, cnt), hn::Mul(i, g));
      StorePart(cj, d, cb + j, cnt);
      StorePart(hn::Mul(o, hn::Tanh(d, cj)), d, hb + j, cnt);
    });
  }
}

// tc = tanh(c); do = dh tc; dc_total = dc + dh o (1 - tc^2); di = dc_total g; df = dc_total c_prev;
// dg = dc_total i; dc_prev = dc_total f; then through the gate nonlinearities.
void LstmBackwardImpl(const float* gates, const float* c_prev, const float* c, const float* dh, const float* dc,
                      float* dgates, float* dc_prev, size_t B, size_t H) {
  const DF d;
  for (size_t b = 0; b < B; ++b) {
    const float* gi = gates + b * 4 * H;
    float* di = dgates + b * 4 * H;
    const size_t row = b * H;
    ForEachVector(d, H, [&](size_t j, size_t cnt) HWY_ATTR {
      const VF i = LoadPart(d, gi + j, cnt), f = LoadPart(d, gi + H + j, cnt);
      const VF g = LoadPart(d, gi + 2 * H + j, cnt), o = LoadPart(d, gi + 3 * H + j, cnt);
      const VF tc = hn::Tanh(d, LoadPart(d, c + row + j, cnt));
      const VF vdh = LoadPart(d, dh + row + j, cnt);
      const VF dct = hn::MulAdd(hn::Mul(vdh, o), OneMinusSquare(d, tc), LoadOrZero(d, dc ? dc + row + j : nullptr, cnt));
      const VF cp = LoadOrZero(d, c_prev ? c_prev + row + j : nullptr, cnt);
      StorePart(hn::Mul(hn::Mul(dct, g), SigmoidGrad(d, i)), d, di + j, cnt);
      StorePart(hn::Mul(hn::Mul(dct, cp), SigmoidGrad(d, f)), d, di + H + j, cnt);
      StorePart(hn::Mul(hn::Mul(dct, i), OneMinusSquare(d, g)), d, di + 2 * H + j, cnt);
      StorePart(hn::Mul(hn::Mul(vdh, tc), SigmoidGrad(d, o)), d, di + 3 * H + j, cnt);
      StorePart(hn::Mul(dct, f), d, dc_prev + row + j, cnt);
    });
  }
}

void GruForwardImpl(const float* xg, const float* hg, const float* h_prev, float* h, float* saved, size_t B,
                    size_t H) {
  const DF d;
  for (size_t b = 0; b < B; ++b) {
    const float *x3 = xg + b * 3 * H, *h3 = hg + b * 3 * H;
    float* s4 = saved + b * 4 * H;
    const size_t row = b * H;
    ForEachVector(d, H, [&](size_t j, size_t cnt) HWY_ATTR {
      const VF r = Sigmoid(d, hn::Add(LoadPart(d, x3 + j, cnt), LoadPart(d, h3 + j, cnt)));
      const VF z = Sigmoid(d, hn::Add(LoadPart(d, x3 + H + j, cnt), LoadPart(d, h3 + H + j, cnt)));
      const VF hn_ = LoadPart(d, h3 + 2 * H + j, cnt);
      const VF n = hn::Tanh(d, hn::MulAdd(r, hn_, LoadPart(d, x3 + 2 * H + j, cnt)));
      const VF hp = LoadOrZero(d, h_prev ? h_prev + row + j : nullptr, cnt);
      StorePart(hn::MulAdd(z, hn::Sub(hp, n), n), d, h + row + j, cnt);  // PyTorch's n + z (h_prev - n)
      StorePart(r, d, s4 + j, cnt);
      StorePart(z, d, s4 + H + j, cnt);
      StorePart(n, d, s4 + 2 * H + j, cnt);
      StorePart(hn_, d, s4 + 3 * H + j, cnt);
    });
  }
}

// dn = dh (1 - z); dz = dh (h_prev - n); dh_prev = dh z; dn_pre = dn (1 - n^2) = dxg_n;
// dhg_n = dn_pre r; dr = dn_pre hn; dr_pre = dr r (1 - r) = dxg_r = dhg_r; dz_pre = dz z (1 - z).
void GruBackwardImpl(const float* saved, const float* h_prev, const float* dh, float* dxg, float* dhg, float* dh_prev,
                     size_t B, size_t H) {
  const DF d;
  const VF one = hn::Set(d, 1.0f);
  for (size_t b = 0; b < B; ++b) {
    const float* s4 = saved + b * 4 * H;
    float *dx3 = dxg + b * 3 * H, *dh3 = dhg + b * 3 * H;
    const size_t row = b * H;
    ForEachVector(d, H, [&](size_t j, size_t cnt) HWY_ATTR {
      const VF r = LoadPart(d, s4 + j, cnt), z = LoadPart(d, s4 + H + j, cnt);
      const VF n = LoadPart(d, s4 + 2 * H + j, cnt), hn_ = LoadPart(d, s4 + 3 * H + j, cnt);
      const VF g = LoadPart(d, dh + row + j, cnt);
      const VF hp = LoadOrZero(d, h_prev ? h_prev + row + j : nullptr, cnt);
      const VF dn_pre = hn::Mul(hn::Mul(g, hn::Sub(one, z)), OneMinusSquare(d, n));
      const VF dz_pre = hn::Mul(hn::Mul(g, hn::Sub(hp, n)), SigmoidGrad(d, z));
      const VF dr_pre = hn::Mul(hn::Mul(dn_pre, hn_), SigmoidGrad(d, r));
      StorePart(dr_pre, d, dx3 + j, cnt);
      StorePart(dz_pre, d, dx3 + H + j, cnt);
      StorePart(dn_pre, d, dx3 + 2 * H + j, cnt);
      StorePart(dr_pre, d, dh3 + j, cnt);
      StorePart(dz_pre, d, dh3 + H + j, cnt);
      StorePart(hn::Mul(dn_pre, r), d, dh3 + 2 * H + j, cnt);
      StorePart(hn::Mul(g, z), d, dh_prev + row + j, cnt);
    });
  }
}

void RnnForwardImpl(float* a, size_t n, bool relu) {
  const DF d;
  const VF zero = hn::Zero(d);
  if (relu) {
    Map1(d, a, a, n, [zero](VF v) HWY_ATTR { return hn::IfThenZeroElse(hn::Le(v, zero), v); });
  } else {
    Map1(d, a, a, n, [d](VF v) HWY_ATTR { return hn::Tanh(d, v); });
  }
}

void RnnBackwardImpl(const float* h, const float* dh, float* da, size_t n, bool relu) {
  const DF d;
  const VF zero = hn::Zero(d);
  if (relu) {
    Map2(d, h, dh, da, n, [zero](VF v, VF g) HWY_ATTR { return hn::IfThenElseZero(hn::Gt(v, zero), g); });
  } else {
    Map2(d, h, dh, da, n, [d](VF v, VF g) HWY_ATTR { return hn::Mul(g, OneMinusSquare(d, v)); });
  }
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(LstmForwardImpl);
HWY_EXPORT(LstmBackwardImpl);
HWY_EXPORT(GruForwardImpl);
HWY_EXPORT(GruBackwardImpl);
HWY_EXPORT(RnnForwardImpl);
HWY_EXPORT(RnnBackwardImpl);

void lstm_cell_forward(float* gates, const float* c_prev, float* c, float* h, int64_t B, int64_t H) {
  if (use_ref()) return ref::lstm_cell_forward(gates, c_prev, c, h, B, H);
  HWY_DYNAMIC_DISPATCH(LstmForwardImpl)(gates, c_prev, c, h, to_size(B), to_size(H));
}

void lstm_cell_backward(const float* gates, const float* c_prev, const float* c, const float* dh, const float* dc,
                        float* dgates, float* dc_prev, int64_t B, int64_t H) {
  if (use_ref()) return ref::lstm_cell_backward(gates, c_prev, c, dh, dc, dgates, dc_prev, B, H);
  HWY_DYNAMIC_DISPATCH(LstmBackwardImpl)(gates, c_prev, c, dh, dc, dgates, dc_prev, to_size(B), to_size(H));
}

void gru_cell_forward(const float* xg, const float* hg, const float* h_prev, float* h, float* saved, int64_t B,
                      int64_t H) {
  if (use_ref()) return ref::gru_cell_forward(xg, hg, h_prev, h, saved, B, H);
  HWY_DYNAMIC_DISPATCH(GruForwardImpl)(xg, hg, h_prev, h, saved, to_size(B), to_size(H));
}

void gru_cell_backward(const float* saved, const float* h_prev, const float* dh, float* dxg, float* dhg,
                       float* dh_prev, int64_t B, int64_t H) {
  if (use_ref()) return ref::gru_cell_backward(saved, h_prev, dh, dxg, dhg, dh_prev, B, H);
  HWY_DYNAMIC_DISPATCH(GruBackwardImpl)(saved, h_prev, dh, dxg, dhg, dh_prev, to_size(B), to_size(H));
}

void rnn_cell_forward(float* a, int64_t n, bool relu) {
  if (use_ref()) return ref::rnn_cell_forward(a, n, relu);
  HWY_DYNAMIC_DISPATCH(RnnForwardImpl)(a, to_size(n), relu);
}

void rnn_cell_backward(const float* h, const float* dh, float* da, int64_t n, bool relu) {
  if (use_ref()) return ref::rnn_cell_backward(h, dh, da, n, relu);
  HWY_DYNAMIC_DISPATCH(RnnBackwardImpl)(h, dh, da, to_size(n), relu);
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
