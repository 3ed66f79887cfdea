// Flash-style attention (nd/kernels/attention.h). Forward: per (batch*head, query tile), a loop over
// key tiles with S = scale Q K^T (BLAS), the online-softmax row update (Highway), O += P V (BLAS).
// Backward: per batch*head, key tiles outer and query tiles inner (FlashAttention-2 order), so that
// dK, dV of a tile and dQ of the head are owned by one worker: no atomics, deterministic for any
// thread count. Masked scores are -inf; a row that sees no key keeps lse = -inf and a zero output.
#include "nd/kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/attention_internal.h"
#include "kernels/dispatch_internal.h"
#include "kernels/ref/ref.h"
#include "nd/core/parallel.h"
#include "nd/kernels/gemm.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/attention.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

using attn::Job;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

HWY_INLINE float RowMax(DF d, const float* x, size_t n) {
  const VF ninf = hn::Set(d, kNegInf);
  VF m = ninf;
  ForEachVector(d, n, [&](size_t i, size_t cnt) HWY_ATTR {
    m = hn::Max(m, cnt == hn::Lanes(d) ? hn::LoadU(d, x + i) : hn::IfThenElse(hn::FirstN(d, cnt), LoadTail(d, x + i, cnt), ninf));
  });
  return hn::GetLane(hn::MaxOfLanes(d, m));
}

// x[j] = exp(x[j] - m) over [0, n); returns the sum (two float accumulators: a tile row is short).
HWY_INLINE float ExpRow(DF d, float* x, size_t n, float m) {
  const VF vm = hn::Set(d, m);
  VF s0 = hn::Zero(d), s1 = hn::Zero(d);
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const VF e0 = ExpSafe(d, hn::Sub(hn::LoadU(d, x + i), vm));
    const VF e1 = ExpSafe(d, hn::Sub(hn::LoadU(d, x + i + N), vm));
    hn::StoreU(e0, d, x + i);
    hn::StoreU(e1, d, x + i + N);
    s0 = hn::Add(s0, e0);
    s1 = hn::Add(s1, e1);
  }
  for (; i < n; i += N) {
    const size_t cnt = std::min(N, n - i);
    const VF e = hn::IfThenElseZero(hn::FirstN(d, cnt), ExpSafe(d, hn::Sub(LoadPart(d, x + i, cnt), vm)));
    StorePart(e, d, x + i, cnt);
    s0 = hn::Add(s0, e);
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
}

HWY_INLINE void ScaleRow(DF d, float* x, size_t n, float a) {
  const VF va = hn::Set(d, a);
  Map1(d, x, x, n, [va](VF v) HWY_ATTR { return hn::Mul(v, va); });
}

// x[j] += bias[j]: the key padding mask as 0 / -inf.
HWY_INLINE void AddRow(DF d, float* x, const float* bias, size_t n) {
  Map2(d, x, bias, x, n, [](VF a, VF b) HWY_ATTR { return hn::Add(a, b); });
}

// Dropout factors z[j] (0 or keep_scale) for columns j0 + [0, n) of a row (DropoutFactors:
// attn::column_bits in u32 lanes).
HWY_INLINE void DropoutRow(DF d, float* z, size_t n, uint32_t key, uint32_t j0, float thresh, float keep_scale) {
  const VF vs = hn::Set(d, keep_scale), vt = hn::Set(d, thresh);
  const auto lanes = DropoutLaneSteps(hn::Iota(hn::RebindToUnsigned<DF>(), 0));
  ForEachVector(d, n, [&](size_t i, size_t cnt) HWY_ATTR {
    StorePart(DropoutFactors(d, lanes, key, j0 + static_cast<uint32_t>(i), vt, vs), d, z + i, cnt);
  });
}

// Visible columns of row i (absolute) in the key tile starting at j0 with nk columns.
HWY_INLINE size_t Visible(const Job& j, int64_t i, int64_t j0, int64_t nk) {
  if (!j.c.causal) return static_cast<size_t>(nk);
  return static_cast<size_t>(std::clamp<int64_t>(i - j0 + 1, 0, nk));
}

HWY_INLINE void FillBias(const Job& j, int64_t b, float* bias) {
  const uint8_t* m = j.c.key_padding_mask + b * j.d.Lk;
  for (int64_t x = 0; x < j.d.Lk; ++x) bias[x] = m[x] ? 0.0f : kNegInf;
}

// Items w, w + stride, ... of the (batch*head, query tile) grid.
void ForwardItems(const Job& j, float* scratch, int64_t first, int64_t stride) {
  const DF d;
  const AttentionDims& a = j.d;
  const int64_t bq = j.bq, bk = j.bk, nqt = (a.Lq + bq - 1) / bq, items = a.B * a.H * nqt;
  float* S = scratch;
  float* m = S + bq * bk;
  float* l = m + bq;
  float* bias = l + bq;
  const bool pad = j.c.key_padding_mask != nullptr, drop = j.c.dropout_p > 0.0f;
  const float thresh = static_cast<float>(attn::keep_threshold(j.c.dropout_p));
  const float keep_scale = drop ? 1.0f / (1.0f - j.c.dropout_p) : 1.0f;
  int64_t bias_b = -1;
  for (int64_t it = first; it < items; it += stride) {
    const int64_t bh = it / nqt, i0 = (it % nqt) * bq, nq = std::min(bq, a.Lq - i0);
    const int64_t b = bh / a.H, h = bh % a.H;
    if (pad && b != bias_b) FillBias(j, bias_b = b, bias);
    const float* qi = j.q + (bh * a.Lq + i0) * a.D;
    float* acc = j.out + (bh * a.Lq + i0) * a.Dv;
    std::memset(acc, 0, sizeof(float) * nq * a.Dv);
    std::fill(m, m + nq, kNegInf);
    std::fill(l, l + nq, 0.0f);
    const int64_t kend = j.c.causal ? std::min(a.Lk, i0 + nq) : a.Lk;
    for (int64_t j0 = 0; j0 < kend; j0 += bk) {
      const int64_t nk = std::min(bk, kend - j0);
      gemm(false, true, nq, nk, a.D, j.c.scale, qi, a.D, j.k + (bh * a.Lk + j0) * a.D, a.D, 0.0f, S, bk);
      for (int64_t r = 0; r < nq; ++r) {
        float* s = S + r * bk;
        const size_t nv = Visible(j, i0 + r, j0, nk);
        if (pad) AddRow(d, s, bias + j0, nv);
        const float mnew = std::max(m[r], nv ? RowMax(d, s, nv) : kNegInf);
        if (mnew == kNegInf) {  // nothing visible yet: P = 0, the accumulator stays zero
          std::memset(s, 0, sizeof(float) * nk);
          continue;
        }
        const float alpha = std::exp(m[r] - mnew);
        const float rs = ExpRow(d, s, nv, mnew);
        std::memset(s + nv, 0, sizeof(float) * (nk - nv));
        l[r] = l[r] * alpha + rs;
        m[r] = mnew;
        if (drop) {
          float* z = S + r * bk;  // in place: p *= z, z drawn per lane
          HWY_ALIGN float zb[256];
          for (size_t c0 = 0; c0 < nv; c0 += 256) {
            const size_t cn = std::min<size_t>(256, nv - c0);
            DropoutRow(d, zb, cn, attn::row_key(j.c.seed, b, h, i0 + r), static_cast<uint32_t>(j0 + c0), thresh,
                       keep_scale);
            Map2(d, z + c0, zb, z + c0, cn, [](VF x, VF y) HWY_ATTR { return hn::Mul(x, y); });
          }
        }
        if (alpha != 1.0f) ScaleRow(d, acc + r * a.Dv, a.Dv, alpha);
      }
      gemm(false, false, nq, a.Dv, nk, 1.0f, S, bk, j.v + (bh * a.Lk + j0) * a.Dv, a.Dv, 1.0f, acc, a.Dv);
    }
    float* lse = j.out_lse + bh * a.Lq + i0;
    for (int64_t r = 0; r < nq; ++r) {
      if (l[r] > 0.0f) {
        ScaleRow(d, acc + r * a.Dv, a.Dv, 1.0f / l[r]);
        lse[r] = m[r] + std::log(l[r]);
      } else {
        lse[r] = kNegInf;
      }
    }
  }
}

HWY_INLINE float Dot(DF d, const float* x, const float* y, size_t n) {
  VF s = hn::Zero(d);
  ForEachVector(d, n, [&](size_t i, size_t cnt) HWY_ATTR {
    s = hn::MulAdd(LoadPart(d, x + i, cnt), LoadPart(d, y + i, cnt), s);
  });
  return hn::GetLane(hn::SumOfLanes(d, s));
}

// Batch*head items first, first + stride, ...; each writes its own slices of dq, dk, dv.
void BackwardItems(const Job& j, float* scratch, int64_t first, int64_t stride) {
  const DF d;
  const AttentionDims& a = j.d;
  const int64_t bq = j.bq, bk = j.bk;
  float* di = scratch;                       // [Lq] rowsum(dO * O)
  float* P = di + attn::round16(a.Lq);       // [bq, bk] probabilities
  float* dP = P + bq * bk;                   // [bq, bk] dO V^T, then dS
  float* Z = dP + bq * bk;                   // [bq, bk] dropout factors
  float* bias = Z + bq * bk;                 // [Lk]
  const bool pad = j.c.key_padding_mask != nullptr, drop = j.c.dropout_p > 0.0f;
  const float thresh = static_cast<float>(attn::keep_threshold(j.c.dropout_p));
  const float keep_scale = drop ? 1.0f / (1.0f - j.c.dropout_p) : 1.0f;
  const float scale = j.c.scale;
  for (int64_t bh = first; bh < a.B * a.H; bh += stride) {
    const int64_t b = bh / a.H, h = bh % a.H;
    if (pad) FillBias(j, b, bias);
    const float* qb = j.q + bh * a.Lq * a.D;
    const float* kb = j.k + bh * a.Lk * a.D;
    const float* vb = j.v + bh * a.Lk * a.Dv;
    const float* gob = j.d_o + bh * a.Lq * a.Dv;
    const float* lse = j.lse + bh * a.Lq;
    float* dqb = j.dq ? j.dq + bh * a.Lq * a.D : nullptr;
    float* dkb = j.dk ? j.dk + bh * a.Lk * a.D : nullptr;
    float* dvb = j.dv ? j.dv + bh * a.Lk * a.Dv : nullptr;
    // D_i = sum_j P_ij dP_ij = dO_i . O_i, dropout included (FlashAttention-2, Alg. 2 line 4).
    for (int64_t i = 0; i < a.Lq; ++i) di[i] = Dot(d, gob + i * a.Dv, j.o + (bh * a.Lq + i) * a.Dv, a.Dv);
    if (dqb) std::memset(dqb, 0, sizeof(float) * a.Lq * a.D);
    if (dkb) std::memset(dkb, 0, sizeof(float) * a.Lk * a.D);
    if (dvb) std::memset(dvb, 0, sizeof(float) * a.Lk * a.Dv);
    for (int64_t j0 = 0; j0 < a.Lk; j0 += bk) {
      const int64_t nk = std::min(bk, a.Lk - j0);
      const float* kj = kb + j0 * a.D;
      const float* vj = vb + j0 * a.Dv;
      // Under the causal mask, queries before j0 see none of this tile.
      for (int64_t i0 = j.c.causal ? j0 / bq * bq : 0; i0 < a.Lq; i0 += bq) {
        const int64_t nq = std::min(bq, a.Lq - i0);
        const float* qi = qb + i0 * a.D;
        const float* goi = gob + i0 * a.Dv;
        gemm(false, true, nq, nk, a.D, scale, qi, a.D, kj, a.D, 0.0f, P, bk);
        for (int64_t r = 0; r < nq; ++r) {
          float* p = P + r * bk;
          const size_t nv = Visible(j, i0 + r, j0, nk);
          const float L = lse[i0 + r];
          if (L == kNegInf || nv == 0) {
            std::memset(p, 0, sizeof(float) * nk);
            continue;
          }
          if (pad) AddRow(d, p, bias + j0, nv);
          ExpRow(d, p, nv, L);  // P = exp(S - lse): the forward's normalized probabilities
          std::memset(p + nv, 0, sizeof(float) * (nk - nv));
          if (drop)
            DropoutRow(d, Z + r * bk, nk, attn::row_key(j.c.seed, b, h, i0 + r), static_cast<uint32_t>(j0), thresh,
                       keep_scale);
        }
        if (dvb) {  // dV_j += (P o Z)^T dO_i
          const float* pd = P;
          if (drop) {
            for (int64_t r = 0; r < nq; ++r)
              Map2(d, P + r * bk, Z + r * bk, dP + r * bk, nk, [](VF x, VF y) HWY_ATTR { return hn::Mul(x, y); });
            pd = dP;
          }
          gemm(true, false, nk, a.Dv, nq, 1.0f, pd, bk, goi, a.Dv, 1.0f, dvb + j0 * a.Dv, a.Dv);
        }
        gemm(false, true, nq, nk, a.Dv, 1.0f, goi, a.Dv, vj, a.Dv, 0.0f, dP, bk);  // dO_i V_j^T
        for (int64_t r = 0; r < nq; ++r) {  // dS = scale * P o (Z o dP - D_i)
          const VF vd = hn::Set(d, di[i0 + r]), vs = hn::Set(d, scale);
          float* g = dP + r * bk;
          if (drop)
            Map3(d, P + r * bk, g, Z + r * bk, g, nk, [vd, vs](VF p, VF x, VF z) HWY_ATTR {
              return hn::Mul(hn::Mul(p, hn::Sub(hn::Mul(x, z), vd)), vs);
            });
          else
            Map2(d, P + r * bk, g, g, nk, [vd, vs](VF p, VF x) HWY_ATTR { return hn::Mul(hn::Mul(p, hn::Sub(x, vd)), vs); });
        }
        if (dqb) gemm(false, false, nq, a.D, nk, 1.0f, dP, bk, kj, a.D, 1.0f, dqb + i0 * a.D, a.D);
        if (dkb) gemm(true, false, nk, a.D, nq, 1.0f, dP, bk, qi, a.D, 1.0f, dkb + j0 * a.D, a.D);
      }
    }
  }
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(ForwardItems);
HWY_EXPORT(BackwardItems);

namespace {

using attn::Job;

int64_t workers(int64_t items) { return std::max<int64_t>(1, std::min<int64_t>(num_threads(), items)); }
int64_t forward_items(const AttentionDims& d, const attn::Tiles& t) { return d.B * d.H * ((d.Lq + t.bq - 1) / t.bq); }
int64_t forward_per_worker(const AttentionDims& d, const AttentionConfig& c, const attn::Tiles& t) {
  return attn::round16(t.bq * t.bk + 2 * t.bq + (c.key_padding_mask ? d.Lk : 0));
}
int64_t backward_per_worker(const AttentionDims& d, const AttentionConfig& c, const attn::Tiles& t) {
  return attn::round16(attn::round16(d.Lq) + 3 * t.bq * t.bk + (c.key_padding_mask ? d.Lk : 0));
}

}  // namespace

int64_t attention_forward_scratch(const AttentionDims& d, const AttentionConfig& c) {
  if (use_ref()) return attn::ref_forward_scratch(d);
  const attn::Tiles t = attn::tiles(c);
  return workers(forward_items(d, t)) * forward_per_worker(d, c, t);
}

int64_t attention_backward_scratch(const AttentionDims& d, const AttentionConfig& c) {
  if (use_ref()) return attn::ref_backward_scratch(d);
  return workers(d.B * d.H) * backward_per_worker(d, c, attn::tiles(c));
}

void attention_forward(const AttentionDims& d, const AttentionConfig& c, const float* q, const float* k,
                       const float* v, float* o, float* lse, float* scratch) {
  if (use_ref()) return ref::attention_forward(d, c, q, k, v, o, lse, scratch);
  const attn::Tiles t = attn::tiles(c);
  const Job job{d, c, t.bq, t.bk, q, k, v, nullptr, nullptr, nullptr, o, lse, nullptr, nullptr, nullptr};
  const int64_t items = forward_items(d, t), w = workers(items), per = forward_per_worker(d, c, t);
  // Worker s takes items s, s + w, ...: interleaving balances the causal triangle.
  parallel_for(w, 1, [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) HWY_DYNAMIC_DISPATCH(ForwardItems)(job, scratch + s * per, s, w);
  });
}

void attention_backward(const AttentionDims& d, const AttentionConfig& c, const float* q, const float* k,
                        const float* v, const float* o, const float* lse, const float* d_o, float* dq, float* dk,
                        float* dv, float* scratch) {
  if (use_ref()) return ref::attention_backward(d, c, q, k, v, o, lse, d_o, dq, dk, dv, scratch);
  const attn::Tiles t = attn::tiles(c);
  const Job job{d, c, t.bq, t.bk, q, k, v, o, lse, d_o, nullptr, nullptr, dq, dk, dv};
  const int64_t w = workers(d.B * d.H), per = backward_per_worker(d, c, t);
  parallel_for(w, 1, [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) HWY_DYNAMIC_DISPATCH(BackwardItems)(job, scratch + s * per, s, w);
  });
}

bool attention_dropout_keep(uint64_t seed, int64_t b, int64_t h, int64_t i, int64_t j, float p) {
  if (p <= 0.0f) return true;
  return attn::column_bits(attn::row_key(seed, b, h, i), static_cast<uint32_t>(j)) >= attn::keep_threshold(p);
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
