// Scalar reference: attention (nd/kernels/attention.h), one query row at a time in double, the
// probabilities recomputed from scratch in backward (the saved o and lse are not used, so the
// reference checks them independently). The oracle for the tests and the ND_ISA=scalar path.
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/attention_internal.h"
#include "kernels/ref/ref.h"

namespace nd::kernels::ref {

namespace {

struct Row {
  const AttentionDims& d;
  const AttentionConfig& c;
  int64_t b, h, i;
  uint32_t key;  // dropout row key
};

// Normalized probabilities p[Lk] of row (b, h, i) (0 where masked); returns log of the softmax
// denominator, -inf when the row sees no key (then p is all zero).
double row_probs(const Row& r, const float* qi, const float* kb, double* p) {
  const AttentionDims& d = r.d;
  const double ninf = -std::numeric_limits<double>::infinity();
  double m = ninf;
  for (int64_t j = 0; j < d.Lk; ++j) {
    const bool seen = (!r.c.causal || j <= r.i) && (!r.c.key_padding_mask || r.c.key_padding_mask[r.b * d.Lk + j]);
    if (!seen) {
      p[j] = ninf;
      continue;
    }
    double s = 0.0;
    for (int64_t e = 0; e < d.D; ++e) s += static_cast<double>(qi[e]) * kb[j * d.D + e];
    p[j] = s * r.c.scale;
    m = std::max(m, p[j]);
  }
  if (m == ninf) {
    for (int64_t j = 0; j < d.Lk; ++j) p[j] = 0.0;
    return ninf;
  }
  double l = 0.0;
  for (int64_t j = 0; j < d.Lk; ++j) {
    p[j] = std::exp(p[j] - m);
    l += p[j];
  }
  for (int64_t j = 0; j < d.Lk; ++j) p[j] /= l;
  return m + std::log(l);
}

// Dropout factor z_j: 0 or 1 / (1 - p).
double drop(const Row& r, int64_t j) {
  if (r.c.dropout_p <= 0.0f) return 1.0;
  return attn::column_bits(r.key, static_cast<uint32_t>(j)) >= attn::keep_threshold(r.c.dropout_p)
             ? 1.0 / (1.0 - static_cast<double>(r.c.dropout_p))
             : 0.0;
}

}  // namespace

void attention_forward(const AttentionDims& d, const AttentionConfig& c, const float* q, const float* k,
                       const float* v, float* o, float* lse, float* scratch) {
  double* p = reinterpret_cast<double*>(scratch);
  for (int64_t b = 0; b < d.B; ++b) {
    for (int64_t h = 0; h < d.H; ++h) {
      const int64_t bh = b * d.H + h;
      const float* kb = k + bh * d.Lk * d.D;
      const float* vb = v + bh * d.Lk * d.Dv;
      for (int64_t i = 0; i < d.Lq; ++i) {
        const Row r{d, c, b, h, i, attn::row_key(c.seed, b, h, i)};
        const double l = row_probs(r, q + (bh * d.Lq + i) * d.D, kb, p);
        lse[bh * d.Lq + i] = static_cast<float>(l);
        if (c.dropout_p > 0.0f)
          for (int64_t j = 0; j < d.Lk; ++j) p[j] *= drop(r, j);
        float* oi = o + (bh * d.Lq + i) * d.Dv;
        for (int64_t e = 0; e < d.Dv; ++e) {
          double acc = 0.0;
          for (int64_t j = 0; j < d.Lk; ++j) acc += p[j] * vb[j * d.Dv + e];
          oi[e] = static_cast<float>(acc);
        }
      }
    }
  }
}

void attention_backward(const AttentionDims& d, const AttentionConfig& c, const float* q, const float* k,
                        const float* v, const float* /*o*/, const float* /*lse*/, const float* d_o, float* dq,
                        float* dk, float* dv, float* scratch) {
  double* p = reinterpret_cast<double*>(scratch);
  double* dp = p + d.Lk;
  double* gk = reinterpret_cast<double*>(scratch + attn::round16(4 * d.Lk));  // [Lk, D]
  double* gv = gk + d.Lk * d.D;                                                // [Lk, Dv]
  double* gq = reinterpret_cast<double*>(scratch + attn::round16(4 * d.Lk) + attn::round16(2 * d.Lk * (d.D + d.Dv)));
  const double scale = c.scale;
  for (int64_t b = 0; b < d.B; ++b) {
    for (int64_t h = 0; h < d.H; ++h) {
      const int64_t bh = b * d.H + h;
      const float* kb = k + bh * d.Lk * d.D;
      const float* vb = v + bh * d.Lk * d.Dv;
      std::memset(gk, 0, sizeof(double) * d.Lk * (d.D + d.Dv));
      for (int64_t i = 0; i < d.Lq; ++i) {
        const Row r{d, c, b, h, i, attn::row_key(c.seed, b, h, i)};
        const float* qi = q + (bh * d.Lq + i) * d.D;
        const float* gi = d_o + (bh * d.Lq + i) * d.Dv;
        row_probs(r, qi, kb, p);
        // dp_j = z_j (do_i . v_j);  D_i = sum_j p_j dp_j;  ds_j = p_j (dp_j - D_i)
        double di = 0.0;
        for (int64_t j = 0; j < d.Lk; ++j) {
          if (p[j] == 0.0) {
            dp[j] = 0.0;
            continue;
          }
          const double z = drop(r, j);
          double s = 0.0;
          for (int64_t e = 0; e < d.Dv; ++e) s += static_cast<double>(gi[e]) * vb[j * d.Dv + e];
          for (int64_t e = 0; e < d.Dv; ++e) gv[j * d.Dv + e] += p[j] * z * gi[e];
          dp[j] = z * s;
          di += p[j] * dp[j];
        }
        for (int64_t e = 0; e < d.D; ++e) gq[e] = 0.0;
        for (int64_t j = 0; j < d.Lk; ++j) {
          if (p[j] == 0.0) continue;
          const double ds = p[j] * (dp[j] - di) * scale;
          for (int64_t e = 0; e < d.D; ++e) {
            gq[e] += ds * kb[j * d.D + e];
            gk[j * d.D + e] += ds * qi[e];
          }
        }
        if (dq)
          for (int64_t e = 0; e < d.D; ++e) dq[(bh * d.Lq + i) * d.D + e] = static_cast<float>(gq[e]);
      }
      if (dk)
        for (int64_t x = 0; x < d.Lk * d.D; ++x) dk[bh * d.Lk * d.D + x] = static_cast<float>(gk[x]);
      if (dv)
        for (int64_t x = 0; x < d.Lk * d.Dv; ++x) dv[bh * d.Lk * d.Dv + x] = static_cast<float>(gv[x]);
    }
  }
}

}  // namespace nd::kernels::ref
