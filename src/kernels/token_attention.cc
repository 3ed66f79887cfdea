// Fused tiny-matrix attention (nd/kernels/token_attention.h) with Highway. Per (batch row, head):
// k^T (forward) or v^T (backward) is transposed into an L1 tile (8 x 8 blocks in registers) and
// the row operands copied into padded tiles; every product accumulates rows x whole vectors in
// registers (one operand broadcast, the other's rows loaded), and its epilogue writes straight to
// the token-major arrays.
// Softmax, dropout and the softmax backward work on the score tile in place, several rows at once.
#include "nd/kernels/token_attention.h"

#include <algorithm>
#include <cstddef>
#include <limits>

#include "kernels/dispatch_internal.h"
#include "kernels/dropout_hash.h"
#include "kernels/ref/ref.h"
#include "nd/core/error.h"
#include "nd/core/parallel.h"

// Everything one call hands to the per-target workers (this file is compiled once per target).
#ifndef ND_KERNELS_TOKEN_ATTENTION_ARGS_
#define ND_KERNELS_TOKEN_ATTENTION_ARGS_
namespace nd::kernels {
struct TokenAttentionArgs {
  TokenAttentionDims d;
  TokenAttentionConfig c;
  const float *q, *k, *v, *prev, *probs, *d_out, *d_scores;
  float *scores, *probs_out, *out, *dq, *dk, *dv, *ds;
};
}  // namespace nd::kernels
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/token_attention.cc"
#include "hwy/aligned_allocator.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"
#include "kernels/token_attention-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

using tok::DF;
using tok::kLd;
using tok::VF;

// ---- softmax and its backward on whole rows of a tile --------------------------------------------

// exp(x) for x <= 0 (scores minus their row maximum), about half the work of hn::Exp: x = q ln2 + r
// with q = round(x / ln2) (ln2 in two parts, Cody and Waite 1980), e^r by its degree-7 Taylor
// polynomial (truncation error < 1e-8 relative for |r| <= ln2 / 2), then 2^q through the exponent
// bits. Below -87.3 (2^q subnormal) the result is 0; NaN stays NaN (it passes every step).
template <class D, class V>
HWY_INLINE V ExpNonPositive(D d, V x) {
  const hn::RebindToSigned<D> di;
  const auto q = hn::NearestInt(hn::Mul(x, hn::Set(d, 1.44269504088896341f)));
  const V qf = hn::ConvertTo(d, q);
  V r = hn::MulAdd(qf, hn::Set(d, -0.693145751953125f), x);
  r = hn::MulAdd(qf, hn::Set(d, -1.42860682030941723212e-6f), r);
  V p = hn::Set(d, 1.0f / 5040.0f);
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 720.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 120.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 24.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 6.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 0.5f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  const V scale = hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(q, hn::Set(di, 127))));
  return hn::IfThenZeroElse(hn::Lt(x, hn::Set(d, -87.3f)), hn::Mul(p, scale));
}

// Rows [i0, i0 + kRows) of the score tile s, n valid columns in kVecs vectors (zero past n), become
// softmax(s) (also written to probs [., n] when not null), then are multiplied by the dropout
// factors of the head's elements e0 + i n + j: what the product with v uses.
template <size_t kVecs, size_t kRows>
HWY_INLINE void SoftmaxTile(DF d, float* s, int64_t i0, size_t n, float* probs, const tok::Dropout& dr, uint64_t e0) {
  const size_t N = hn::Lanes(d);
  const auto last = hn::FirstN(d, n - (kVecs - 1) * N);
  const VF ninf = hn::Set(d, -std::numeric_limits<float>::infinity());
  VF x[kRows][kVecs], m[kRows], sum[kRows];
  for (size_t r = 0; r < kRows; ++r)
    for (size_t v = 0; v < kVecs; ++v) x[r][v] = hn::Load(d, s + (i0 + static_cast<int64_t>(r)) * kLd + v * N);
  for (size_t r = 0; r < kRows; ++r) {
    m[r] = ninf;
    for (size_t v = 0; v < kVecs; ++v) m[r] = hn::Max(m[r], v + 1 < kVecs ? x[r][v] : hn::IfThenElse(last, x[r][v], ninf));
    m[r] = hn::MaxOfLanes(d, m[r]);
  }
  for (size_t r = 0; r < kRows; ++r) {
    sum[r] = hn::Zero(d);
    for (size_t v = 0; v < kVecs; ++v) {
      VF e = ExpNonPositive(d, hn::Sub(x[r][v], m[r]));
      if (v + 1 == kVecs) e = hn::IfThenElseZero(last, e);
      x[r][v] = e;
      sum[r] = hn::Add(sum[r], e);
    }
  }
  for (size_t r = 0; r < kRows; ++r) sum[r] = hn::Set(d, 1.0f / hn::GetLane(hn::SumOfLanes(d, sum[r])));
  for (size_t r = 0; r < kRows; ++r) {
    const int64_t i = i0 + static_cast<int64_t>(r);
    for (size_t v = 0; v < kVecs; ++v) {
      VF p = hn::Mul(x[r][v], sum[r]);
      if (probs) StorePart(p, d, probs + i * n + v * N, std::min(N, n - v * N));
      if (dr.on) p = hn::Mul(p, tok::DropoutVec(d, dr, e0 + i * n + v * N));
      hn::Store(p, d, s + i * kLd + v * N);
    }
  }
}

// The same for one row of any length (targets whose vectors are too narrow for the tiles).
HWY_INLINE void SoftmaxRowAny(DF d, float* s, int64_t i, size_t n, float* probs, const tok::Dropout& dr, uint64_t e0) {
  const size_t N = hn::Lanes(d);
  float* row = s + i * kLd;
  const VF ninf = hn::Set(d, -std::numeric_limits<float>::infinity());
  VF m = ninf;
  for (size_t j = 0; j < n; j += N)
    m = hn::Max(m, hn::IfThenElse(hn::FirstN(d, std::min(N, n - j)), hn::Load(d, row + j), ninf));
  m = hn::MaxOfLanes(d, m);
  VF sum = hn::Zero(d);
  for (size_t j = 0; j < n; j += N) {
    const VF e = hn::IfThenElseZero(hn::FirstN(d, std::min(N, n - j)), ExpNonPositive(d, hn::Sub(hn::Load(d, row + j), m)));
    hn::Store(e, d, row + j);
    sum = hn::Add(sum, e);
  }
  const VF inv = hn::Set(d, 1.0f / hn::GetLane(hn::SumOfLanes(d, sum)));
  for (size_t j = 0; j < n; j += N) {
    VF p = hn::Mul(hn::Load(d, row + j), inv);
    if (probs) StorePart(p, d, probs + i * n + j, std::min(N, n - j));
    if (dr.on) p = hn::Mul(p, tok::DropoutVec(d, dr, e0 + i * n + j));
    hn::Store(p, d, row + j);
  }
}

// Rows [i0, i0 + kRows) of dP in the tile x become dS = P (dP - rowsum(dP P)) + d_scores (P: the
// tile p; gs, ds [., n] may be null), also written to ds.
template <size_t kVecs, size_t kRows>
HWY_INLINE void SoftmaxGradTile(DF d, float* x, const float* p, int64_t i0, size_t n, const float* gs, float* ds) {
  const size_t N = hn::Lanes(d);
  VF g[kRows][kVecs], pv[kRows][kVecs], dot[kRows];
  for (size_t r = 0; r < kRows; ++r) {
    dot[r] = hn::Zero(d);
    for (size_t v = 0; v < kVecs; ++v) {
      const int64_t at = (i0 + static_cast<int64_t>(r)) * kLd + static_cast<int64_t>(v * N);
      g[r][v] = hn::Load(d, x + at);
      pv[r][v] = hn::Load(d, p + at);
      dot[r] = hn::MulAdd(g[r][v], pv[r][v], dot[r]);
    }
  }
  for (size_t r = 0; r < kRows; ++r) dot[r] = hn::SumOfLanes(d, dot[r]);
  for (size_t r = 0; r < kRows; ++r) {
    const int64_t i = i0 + static_cast<int64_t>(r);
    for (size_t v = 0; v < kVecs; ++v) {
      const size_t cnt = std::min(N, n - v * N);
      VF o = hn::Mul(pv[r][v], hn::Sub(g[r][v], dot[r]));
      if (gs) o = hn::Add(o, LoadPart(d, gs + i * n + v * N, cnt));
      hn::Store(o, d, x + i * kLd + v * N);
      if (ds) StorePart(o, d, ds + i * n + v * N, cnt);
    }
  }
}

HWY_INLINE void SoftmaxGradRowAny(DF d, float* x, const float* p, int64_t i, size_t n, const float* gs, float* ds) {
  const size_t N = hn::Lanes(d);
  float* row = x + i * kLd;
  const float* prow = p + i * kLd;
  VF dot = hn::Zero(d);
  for (size_t j = 0; j < n; j += N) dot = hn::MulAdd(hn::Load(d, row + j), hn::Load(d, prow + j), dot);
  dot = hn::SumOfLanes(d, dot);
  for (size_t j = 0; j < n; j += N) {
    const size_t cnt = std::min(N, n - j);
    VF o = hn::Mul(hn::Load(d, prow + j), hn::Sub(hn::Load(d, row + j), dot));
    if (gs) o = hn::Add(o, LoadPart(d, gs + i * n + j, cnt));
    hn::Store(o, d, row + j);
    if (ds) StorePart(o, d, ds + i * n + j, cnt);
  }
}

// ---- heads in lanes (see tok::ToLanes) -----------------------------------------------------------

// Narrow heads (D, Dv <= 16) in groups of 16 or 8 lanes that divide H: f(tag) and true, else false
// (the per-head tiles below).
template <class F>
HWY_INLINE bool WithHeadGroups(const TokenAttentionDims& d, const F& f) {
  if (d.D > 16 || d.Dv > 16) return false;
  const hn::CappedTag<float, 16> d16;
  if (hn::Lanes(d16) >= 8 && d.H % static_cast<int64_t>(hn::Lanes(d16)) == 0) {
    f(d16);
    return true;
  }
  const hn::CappedTag<float, 8> d8;
  if (hn::Lanes(d8) == 8 && d.H % 8 == 0) {
    f(d8);
    return true;
  }
  return false;
}

template <class DG>
HWY_NOINLINE void HeadGroupsForward(DG dg, const TokenAttentionArgs& a, int64_t b0, int64_t b1) {
  using V = hn::Vec<DG>;
  const size_t G = hn::Lanes(dg);
  const int64_t g = static_cast<int64_t>(G);
  const int64_t H = a.d.H, Lq = a.d.Lq, Lk = a.d.Lk, D = a.d.D, Dv = a.d.Dv;
  const int64_t HD = H * D, HDv = H * Dv, LL = Lq * Lk;
  auto buf = hwy::AllocateAligned<float>(G * static_cast<size_t>(Lq * D + Lk * D + Lk * Dv + 2 * LL + Lq * Dv));
  float* qt = buf.get();     // q [Lq, D] per lane
  float* kt = qt + Lq * D * g;  // k [Lk, D]
  float* vt = kt + Lk * D * g;  // v [Lk, Dv]
  float* p = vt + Lk * Dv * g;  // scores, probabilities, dropped probabilities [Lq, Lk]
  float* sc = p + LL * g;       // prev, then the returned scores [Lq, Lk]
  float* ot = sc + LL * g;      // out [Lq, Dv]
  tok::Dropout dr(a.c.seed, a.c.dropout_p);
  const tok::LaneDropout<DG> ld(dg, dr, LL);
  const V vscale = hn::Set(dg, a.c.scale), one = hn::Set(dg, 1.0f);
  for (int64_t b = b0; b < b1; ++b) {
    for (int64_t h0 = 0; h0 < H; h0 += g) {
      const int64_t bh0 = b * H + h0;
      const uint64_t e0 = static_cast<uint64_t>(bh0 * LL);
      dr.start_head(e0, static_cast<uint64_t>(g * LL));
      tok::ToLanes(a.q + b * Lq * HD + h0 * D, HD, Lq, D, G, qt);
      tok::ToLanes(a.k + b * Lk * HD + h0 * D, HD, Lk, D, G, kt);
      tok::ToLanes(a.v + b * Lk * HDv + h0 * Dv, HDv, Lk, Dv, G, vt);
      if (a.prev) tok::ToLanes(a.prev + bh0 * LL, 0, 1, LL, G, sc);
      for (int64_t i = 0; i < Lq; ++i) {
        float* pi = p + i * Lk * g;
        float* si = sc + i * Lk * g;
        // s = scale q k^T + prev
        tok::LaneDots(dg, qt + i * D * g, kt, Lk, D, [&](int64_t j, V acc) HWY_ATTR {
          V x = hn::Mul(acc, vscale);
          if (a.prev) x = hn::Add(x, hn::Load(dg, si + j * g));
          if (a.scores) hn::Store(x, dg, si + j * g);
          hn::Store(x, dg, pi + j * g);
        });
        // softmax over j, lane by lane
        V m = hn::Load(dg, pi);
        for (int64_t j = 1; j < Lk; ++j) m = hn::Max(m, hn::Load(dg, pi + j * g));
        V sum = hn::Zero(dg);
        for (int64_t j = 0; j < Lk; ++j) {
          const V e = ExpNonPositive(dg, hn::Sub(hn::Load(dg, pi + j * g), m));
          hn::Store(e, dg, pi + j * g);
          sum = hn::Add(sum, e);
        }
        const V inv = hn::Div(one, sum);
        for (int64_t j = 0; j < Lk; ++j) hn::Store(hn::Mul(hn::Load(dg, pi + j * g), inv), dg, pi + j * g);
      }
      if (a.scores) tok::FromLanes(sc, 1, LL, G, a.scores + bh0 * LL, 0);
      if (a.probs_out) tok::FromLanes(p, 1, LL, G, a.probs_out + bh0 * LL, 0);
      if (dr.on)
        for (int64_t e = 0; e < LL; ++e)
          hn::Store(hn::Mul(hn::Load(dg, p + e * g), ld.factors(dg, e0, static_cast<uint64_t>(e))), dg, p + e * g);
      // out = dropout(p) v
      for (int64_t i = 0; i < Lq; ++i)
        tok::LaneCombine(dg, p + i * Lk * g, g, vt, Lk, Dv,
                         [&](int64_t c, V acc) HWY_ATTR { hn::Store(acc, dg, ot + (i * Dv + c) * g); });
      tok::FromLanes(ot, Lq, Dv, G, a.out + b * Lq * HDv + h0 * Dv, HDv);
    }
  }
}

template <class DG>
HWY_NOINLINE void HeadGroupsBackward(DG dg, const TokenAttentionArgs& a, int64_t b0, int64_t b1) {
  using V = hn::Vec<DG>;
  const size_t G = hn::Lanes(dg);
  const int64_t g = static_cast<int64_t>(G);
  const int64_t H = a.d.H, Lq = a.d.Lq, Lk = a.d.Lk, D = a.d.D, Dv = a.d.Dv;
  const int64_t HD = H * D, HDv = H * Dv, LL = Lq * Lk;
  const int64_t tmp_size = std::max(Lq, Lk) * std::max(D, Dv);
  auto buf = hwy::AllocateAligned<float>(G * static_cast<size_t>(4 * LL + Lq * Dv + Lk * Dv + Lq * D + Lk * D + tmp_size));
  float* p = buf.get();        // probabilities [Lq, Lk] per lane
  float* pd = p + LL * g;      // dropped probabilities
  float* x = pd + LL * g;      // dP, then dS
  float* gs = x + LL * g;      // d_scores
  float* go = gs + LL * g;     // d_out [Lq, Dv]
  float* vt = go + Lq * Dv * g;  // v [Lk, Dv]
  float* qt = vt + Lk * Dv * g;  // q [Lq, D]
  float* kt = qt + Lq * D * g;   // k [Lk, D]
  float* tmp = kt + Lk * D * g;  // a gradient [rows, width] before it leaves the lanes
  tok::Dropout dr(a.c.seed, a.c.dropout_p);
  const tok::LaneDropout<DG> ld(dg, dr, LL);
  const V vscale = hn::Set(dg, a.c.scale);
  for (int64_t b = b0; b < b1; ++b) {
    for (int64_t h0 = 0; h0 < H; h0 += g) {
      const int64_t bh0 = b * H + h0;
      const uint64_t e0 = static_cast<uint64_t>(bh0 * LL);
      dr.start_head(e0, static_cast<uint64_t>(g * LL));
      if (a.d_scores) tok::ToLanes(a.d_scores + bh0 * LL, 0, 1, LL, G, gs);
      if (a.d_out) {
        tok::ToLanes(a.probs + bh0 * LL, 0, 1, LL, G, p);
        const float* pdrop = p;  // the probabilities as the forward's product used them
        if (dr.on) {
          for (int64_t e = 0; e < LL; ++e)
            hn::Store(hn::Mul(hn::Load(dg, p + e * g), ld.factors(dg, e0, static_cast<uint64_t>(e))), dg, pd + e * g);
          pdrop = pd;
        }
        tok::ToLanes(a.d_out + b * Lq * HDv + h0 * Dv, HDv, Lq, Dv, G, go);
        tok::ToLanes(a.v + b * Lk * HDv + h0 * Dv, HDv, Lk, Dv, G, vt);
        if (a.dv) {  // dv = dropout(p)^T d_out
          for (int64_t j = 0; j < Lk; ++j)
            tok::LaneCombine(dg, pdrop + j * g, Lk * g, go, Lq, Dv,
                             [&](int64_t c, V acc) HWY_ATTR { hn::Store(acc, dg, tmp + (j * Dv + c) * g); });
          tok::FromLanes(tmp, Lk, Dv, G, a.dv + b * Lk * HDv + h0 * Dv, HDv);
        }
        // dP = (d_out v^T) through the dropout mask, then dS = P (dP - rowsum(dP P)) + d_scores
        for (int64_t i = 0; i < Lq; ++i) {
          float* xi = x + i * Lk * g;
          const float* pi = p + i * Lk * g;
          tok::LaneDots(dg, go + i * Dv * g, vt, Lk, Dv, [&](int64_t j, V acc) HWY_ATTR {
            if (dr.on) acc = hn::Mul(acc, ld.factors(dg, e0, static_cast<uint64_t>(i * Lk + j)));
            hn::Store(acc, dg, xi + j * g);
          });
          V dot = hn::Zero(dg);
          for (int64_t j = 0; j < Lk; ++j) dot = hn::MulAdd(hn::Load(dg, xi + j * g), hn::Load(dg, pi + j * g), dot);
          for (int64_t j = 0; j < Lk; ++j) {
            V o = hn::Mul(hn::Load(dg, pi + j * g), hn::Sub(hn::Load(dg, xi + j * g), dot));
            if (a.d_scores) o = hn::Add(o, hn::Load(dg, gs + (i * Lk + j) * g));
            hn::Store(o, dg, xi + j * g);
          }
        }
      } else {  // no output gradient: dS = d_scores
        if (a.d_scores)
          std::copy(gs, gs + LL * g, x);
        else
          std::fill(x, x + LL * g, 0.0f);
        if (a.dv)
          for (int64_t j = 0; j < Lk; ++j) std::fill_n(a.dv + (b * Lk + j) * HDv + h0 * Dv, g * Dv, 0.0f);
      }
      if (a.ds) tok::FromLanes(x, 1, LL, G, a.ds + bh0 * LL, 0);
      if (a.dq) {  // dq = scale dS k
        tok::ToLanes(a.k + b * Lk * HD + h0 * D, HD, Lk, D, G, kt);
        for (int64_t i = 0; i < Lq; ++i)
          tok::LaneCombine(dg, x + i * Lk * g, g, kt, Lk, D, [&](int64_t c, V acc) HWY_ATTR {
            hn::Store(hn::Mul(acc, vscale), dg, tmp + (i * D + c) * g);
          });
        tok::FromLanes(tmp, Lq, D, G, a.dq + b * Lq * HD + h0 * D, HD);
      }
      if (a.dk) {  // dk = scale dS^T q
        tok::ToLanes(a.q + b * Lq * HD + h0 * D, HD, Lq, D, G, qt);
        for (int64_t j = 0; j < Lk; ++j)
          tok::LaneCombine(dg, x + j * g, Lk * g, qt, Lq, D, [&](int64_t c, V acc) HWY_ATTR {
            hn::Store(hn::Mul(acc, vscale), dg, tmp + (j * D + c) * g);
          });
        tok::FromLanes(tmp, Lk, D, G, a.dk + b * Lk * HD + h0 * D, HD);
      }
    }
  }
}

// ---- forward -----------------------------------------------------------------------------------

void TokenAttentionForwardImpl(const TokenAttentionArgs& a, int64_t b0, int64_t b1) {
  if (WithHeadGroups(a.d, [&](auto dg) HWY_ATTR { HeadGroupsForward(dg, a, b0, b1); })) return;
  const DF d;
  const size_t N = hn::Lanes(d);
  const int64_t H = a.d.H, Lq = a.d.Lq, Lk = a.d.Lk, D = a.d.D, Dv = a.d.Dv;
  const int64_t HD = H * D, HDv = H * Dv, LL = Lq * Lk;
  const size_t n = static_cast<size_t>(Lk), vecs = tok::RoundUp(Lk, N) / N;
  HWY_ALIGN float qs[tok::kTile];  // q [Lq, D]
  HWY_ALIGN float kt[tok::kTile];  // k^T [D, Lk]
  HWY_ALIGN float vs[tok::kTile];  // v [Lk, Dv]
  HWY_ALIGN float s[tok::kTile];   // scores, then probabilities (after dropout) [Lq, Lk]
  tok::Dropout dr(a.c.seed, a.c.dropout_p);
  const VF vscale = hn::Set(d, a.c.scale);
  for (int64_t b = b0; b < b1; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      const int64_t bh = b * H + h;
      const uint64_t e0 = static_cast<uint64_t>(bh * LL);
      dr.start_head(e0, static_cast<uint64_t>(LL));
      const float* ph = a.prev ? a.prev + bh * LL : nullptr;
      float* sh = a.scores ? a.scores + bh * LL : nullptr;
      float* prh = a.probs_out ? a.probs_out + bh * LL : nullptr;
      float* oh = a.out + b * Lq * HDv + h * Dv;
      tok::CopyRows(d, a.q + b * Lq * HD + h * D, HD, Lq, D, qs);
      tok::Transpose(d, a.k + b * Lk * HD + h * D, HD, Lk, D, kt);
      tok::CopyRows(d, a.v + b * Lk * HDv + h * Dv, HDv, Lk, Dv, vs);
      // s = scale q k^T + prev
      tok::Product<false>(d, Lq, Lk, D, qs, kt, [&](int64_t i, size_t j, size_t cnt, VF acc) HWY_ATTR {
        VF x = hn::Mul(acc, vscale);
        if (ph) x = hn::Add(x, LoadPart(d, ph + i * Lk + j, cnt));
        if (sh) StorePart(x, d, sh + i * Lk + j, cnt);
        hn::Store(x, d, s + i * kLd + j);
      });
      if (vecs <= 4) {
        tok::ForRowTiles(vecs, Lq, [&](auto kv, auto kr, int64_t i0) HWY_ATTR {
          SoftmaxTile<decltype(kv)::value, decltype(kr)::value>(d, s, i0, n, prh, dr, e0);
        });
      } else {
        for (int64_t i = 0; i < Lq; ++i) SoftmaxRowAny(d, s, i, n, prh, dr, e0);
      }
      // out = dropout(p) v
      tok::Product<false>(d, Lq, Dv, Lk, s, vs, [&](int64_t i, size_t j, size_t cnt, VF acc) HWY_ATTR {
        StorePart(acc, d, oh + i * HDv + j, cnt);
      });
    }
  }
}

// ---- backward ----------------------------------------------------------------------------------

void TokenAttentionBackwardImpl(const TokenAttentionArgs& a, int64_t b0, int64_t b1) {
  if (WithHeadGroups(a.d, [&](auto dg) HWY_ATTR { HeadGroupsBackward(dg, a, b0, b1); })) return;
  const DF d;
  const size_t N = hn::Lanes(d);
  const int64_t H = a.d.H, Lq = a.d.Lq, Lk = a.d.Lk, D = a.d.D, Dv = a.d.Dv;
  const int64_t HD = H * D, HDv = H * Dv, LL = Lq * Lk;
  const size_t n = static_cast<size_t>(Lk), vecs = tok::RoundUp(Lk, N) / N;
  HWY_ALIGN float p[tok::kTile];   // probabilities [Lq, Lk]
  HWY_ALIGN float x[tok::kTile];   // dropped probabilities, then dP, then dS [Lq, Lk]
  HWY_ALIGN float go[tok::kTile];  // d_out [Lq, Dv]
  HWY_ALIGN float vt[tok::kTile];  // v^T [Dv, Lk]
  HWY_ALIGN float rs[tok::kTile];  // k [Lk, D] for dq, then q [Lq, D] for dk
  tok::Dropout dr(a.c.seed, a.c.dropout_p);
  const VF vscale = hn::Set(d, a.c.scale);
  for (int64_t b = b0; b < b1; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      const int64_t bh = b * H + h;
      const uint64_t e0 = static_cast<uint64_t>(bh * LL);
      dr.start_head(e0, static_cast<uint64_t>(LL));
      const float* gs = a.d_scores ? a.d_scores + bh * LL : nullptr;
      float* dsh = a.ds ? a.ds + bh * LL : nullptr;
      if (a.d_out) {
        tok::CopyRows(d, a.probs + bh * LL, Lk, Lq, Lk, p);
        const float* pd = p;  // the probabilities as the forward's product used them
        if (dr.on) {
          for (int64_t i = 0; i < Lq; ++i)
            for (size_t j = 0; j < n; j += N)
              hn::Store(hn::Mul(hn::Load(d, p + i * kLd + j), tok::DropoutVec(d, dr, e0 + i * Lk + j)), d,
                        x + i * kLd + j);
          pd = x;
        }
        tok::CopyRows(d, a.d_out + b * Lq * HDv + h * Dv, HDv, Lq, Dv, go);
        if (a.dv) {  // dv = dropout(p)^T d_out
          float* dvh = a.dv + b * Lk * HDv + h * Dv;
          tok::Product<true>(d, Lk, Dv, Lq, pd, go, [&](int64_t j, size_t e, size_t cnt, VF acc) HWY_ATTR {
            StorePart(acc, d, dvh + j * HDv + e, cnt);
          });
        }
        // dP = (d_out v^T) through the dropout mask, then dS
        tok::Transpose(d, a.v + b * Lk * HDv + h * Dv, HDv, Lk, Dv, vt);
        tok::Product<false>(d, Lq, Lk, Dv, go, vt, [&](int64_t i, size_t j, size_t, VF acc) HWY_ATTR {
          if (dr.on) acc = hn::Mul(acc, tok::DropoutVec(d, dr, e0 + i * Lk + j));
          hn::Store(acc, d, x + i * kLd + j);
        });
        if (vecs <= 4) {
          tok::ForRowTiles(vecs, Lq, [&](auto kv, auto kr, int64_t i0) HWY_ATTR {
            SoftmaxGradTile<decltype(kv)::value, decltype(kr)::value>(d, x, p, i0, n, gs, dsh);
          });
        } else {
          for (int64_t i = 0; i < Lq; ++i) SoftmaxGradRowAny(d, x, p, i, n, gs, dsh);
        }
      } else {  // no output gradient: dS = d_scores
        for (int64_t i = 0; i < Lq; ++i)
          for (size_t j = 0; j < n; j += N) {
            const size_t cnt = std::min(N, n - j);
            const VF g = gs ? LoadPart(d, gs + i * Lk + j, cnt) : hn::Zero(d);
            hn::Store(g, d, x + i * kLd + j);
            if (dsh) StorePart(g, d, dsh + i * Lk + j, cnt);
          }
        if (a.dv)
          for (int64_t j = 0; j < Lk; ++j) std::fill_n(a.dv + (b * Lk + j) * HDv + h * Dv, Dv, 0.0f);
      }
      if (a.dq) {  // dq = scale dS k
        float* dqh = a.dq + b * Lq * HD + h * D;
        tok::CopyRows(d, a.k + b * Lk * HD + h * D, HD, Lk, D, rs);
        tok::Product<false>(d, Lq, D, Lk, x, rs, [&](int64_t i, size_t e, size_t cnt, VF acc) HWY_ATTR {
          StorePart(hn::Mul(acc, vscale), d, dqh + i * HD + e, cnt);
        });
      }
      if (a.dk) {  // dk = scale dS^T q
        float* dkh = a.dk + b * Lk * HD + h * D;
        tok::CopyRows(d, a.q + b * Lq * HD + h * D, HD, Lq, D, rs);
        tok::Product<true>(d, Lk, D, Lq, x, rs, [&](int64_t j, size_t e, size_t cnt, VF acc) HWY_ATTR {
          StorePart(hn::Mul(acc, vscale), d, dkh + j * HD + e, cnt);
        });
      }
    }
  }
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(TokenAttentionForwardImpl);
HWY_EXPORT(TokenAttentionBackwardImpl);

namespace {

// Batch rows per parallel chunk: at least ~64K multiply-adds, so that a region is worth its barrier.
int64_t grain(const TokenAttentionDims& d) {
  return std::max<int64_t>(1, 65536 / std::max<int64_t>(1, d.H * d.Lq * d.Lk * (d.D + d.Dv)));
}

}  // namespace

void token_attention_forward(const TokenAttentionDims& d, const TokenAttentionConfig& c, const float* q,
                             const float* k, const float* v, const float* prev, float* scores, float* probs,
                             float* out) {
  ND_CHECK(token_attention_fits(d), "token_attention_forward: shape past the fused kernel's tiles");
  if (use_ref()) return ref::token_attention_forward(d, c, q, k, v, prev, scores, probs, out);
  TokenAttentionArgs a{};
  a.d = d, a.c = c, a.q = q, a.k = k, a.v = v, a.prev = prev, a.scores = scores, a.probs_out = probs, a.out = out;
  // One parallel region over the batch rows; a (batch row, head) is computed by one worker in the
  // same order for any thread count.
  parallel_for(d.B, grain(d),
               [&](int64_t b0, int64_t b1) { HWY_DYNAMIC_DISPATCH(TokenAttentionForwardImpl)(a, b0, b1); });
}

void token_attention_backward(const TokenAttentionDims& d, const TokenAttentionConfig& c, const float* q,
                              const float* k, const float* v, const float* probs, const float* d_out,
                              const float* d_scores, float* dq, float* dk, float* dv, float* ds) {
  ND_CHECK(token_attention_fits(d), "token_attention_backward: shape past the fused kernel's tiles");
  if (use_ref()) return ref::token_attention_backward(d, c, q, k, v, probs, d_out, d_scores, dq, dk, dv, ds);
  TokenAttentionArgs a{};
  a.d = d, a.c = c, a.q = q, a.k = k, a.v = v, a.probs = probs, a.d_out = d_out, a.d_scores = d_scores;
  a.dq = dq, a.dk = dk, a.dv = dv, a.ds = ds;
  parallel_for(d.B, grain(d),
               [&](int64_t b0, int64_t b1) { HWY_DYNAMIC_DISPATCH(TokenAttentionBackwardImpl)(a, b0, b1); });
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
