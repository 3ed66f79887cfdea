// Scalar reference: fused token attention (nd/kernels/token_attention.h), one (batch row, head)
// at a time in double straight from the definitions, the dropout mask drawn element by element
// with the hash of kernels::dropout. The oracle for the tests and the ND_ISA=scalar path.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/dropout_hash.h"
#include "kernels/ref/ref.h"

namespace nd::kernels::ref {

namespace {

// Factor of kernels::dropout(seed, p) for flat element e: 1 / (1 - p) if kept, else 0.
double dropout_factor(const TokenAttentionConfig& c, uint64_t e) {
  if (c.dropout_p <= 0.0f) return 1.0;
  const uint32_t key = dropout_hash::chunk_key(c.seed, e >> 32);
  return dropout_hash::bits24(key, static_cast<uint32_t>(e)) >= dropout_hash::keep_threshold(c.dropout_p)
             ? 1.0 / (1.0 - static_cast<double>(c.dropout_p))
             : 0.0;
}

// Element offsets of (b, h): rows of q / dq, k / dk, v / dv, out, and the [Lq, Lk] matrices.
struct Head {
  const TokenAttentionDims& d;
  int64_t b, h;
  int64_t q(int64_t i, int64_t e) const { return (b * d.Lq + i) * d.H * d.D + h * d.D + e; }
  int64_t k(int64_t j, int64_t e) const { return (b * d.Lk + j) * d.H * d.D + h * d.D + e; }
  int64_t v(int64_t j, int64_t e) const { return (b * d.Lk + j) * d.H * d.Dv + h * d.Dv + e; }
  int64_t o(int64_t i, int64_t e) const { return (b * d.Lq + i) * d.H * d.Dv + h * d.Dv + e; }
  int64_t s(int64_t i, int64_t j) const { return ((b * d.H + h) * d.Lq + i) * d.Lk + j; }
};

}  // namespace

void token_attention_forward(const TokenAttentionDims& d, const TokenAttentionConfig& c, const float* q,
                             const float* k, const float* v, const float* prev, float* scores, float* probs,
                             float* out) {
  std::vector<double> s(static_cast<size_t>(d.Lk));
  for (int64_t b = 0; b < d.B; ++b)
    for (int64_t h = 0; h < d.H; ++h) {
      const Head x{d, b, h};
      for (int64_t i = 0; i < d.Lq; ++i) {
        double m = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < d.Lk; ++j) {
          double dot = 0.0;
          for (int64_t e = 0; e < d.D; ++e) dot += static_cast<double>(q[x.q(i, e)]) * k[x.k(j, e)];
          s[j] = c.scale * dot + (prev ? prev[x.s(i, j)] : 0.0);
          if (scores) scores[x.s(i, j)] = static_cast<float>(s[j]);
          m = std::max(m, s[j]);
        }
        double sum = 0.0;
        for (int64_t j = 0; j < d.Lk; ++j) sum += (s[j] = std::exp(s[j] - m));
        for (int64_t j = 0; j < d.Lk; ++j) {
          s[j] /= sum;
          if (probs) probs[x.s(i, j)] = static_cast<float>(s[j]);
          s[j] *= dropout_factor(c, static_cast<uint64_t>(x.s(i, j)));
        }
        for (int64_t e = 0; e < d.Dv; ++e) {
          double acc = 0.0;
          for (int64_t j = 0; j < d.Lk; ++j) acc += s[j] * v[x.v(j, e)];
          out[x.o(i, e)] = static_cast<float>(acc);
        }
      }
    }
}

void token_attention_backward(const TokenAttentionDims& d, const TokenAttentionConfig& c, const float* q,
                              const float* k, const float* v, const float* probs, const float* d_out,
                              const float* d_scores, float* dq, float* dk, float* dv, float* ds) {
  std::vector<double> g(static_cast<size_t>(d.Lq * d.Lk));  // dS of one head
  for (int64_t b = 0; b < d.B; ++b)
    for (int64_t h = 0; h < d.H; ++h) {
      const Head x{d, b, h};
      auto pd = [&](int64_t i, int64_t j) {  // dropped probability, as the forward's product used it
        return probs[x.s(i, j)] * dropout_factor(c, static_cast<uint64_t>(x.s(i, j)));
      };
      for (int64_t i = 0; i < d.Lq; ++i) {
        // dP_ij = dropout factor * d_out_i . v_j; dS = P (dP - sum_j dP P) + d_scores
        double dot = 0.0;
        for (int64_t j = 0; j < d.Lk; ++j) {
          double dp = 0.0;
          if (d_out)
            for (int64_t e = 0; e < d.Dv; ++e) dp += static_cast<double>(d_out[x.o(i, e)]) * v[x.v(j, e)];
          dp *= dropout_factor(c, static_cast<uint64_t>(x.s(i, j)));
          g[i * d.Lk + j] = dp;
          dot += dp * probs[x.s(i, j)];
        }
        for (int64_t j = 0; j < d.Lk; ++j) {
          double& gij = g[i * d.Lk + j];
          gij = probs[x.s(i, j)] * (gij - dot) + (d_scores ? d_scores[x.s(i, j)] : 0.0);
          if (ds) ds[x.s(i, j)] = static_cast<float>(gij);
        }
      }
      if (dv)
        for (int64_t j = 0; j < d.Lk; ++j)
          for (int64_t e = 0; e < d.Dv; ++e) {
            double acc = 0.0;
            if (d_out)
              for (int64_t i = 0; i < d.Lq; ++i) acc += pd(i, j) * d_out[x.o(i, e)];
            dv[x.v(j, e)] = static_cast<float>(acc);
          }
      if (dq)
        for (int64_t i = 0; i < d.Lq; ++i)
          for (int64_t e = 0; e < d.D; ++e) {
            double acc = 0.0;
            for (int64_t j = 0; j < d.Lk; ++j) acc += g[i * d.Lk + j] * k[x.k(j, e)];
            dq[x.q(i, e)] = static_cast<float>(c.scale * acc);
          }
      if (dk)
        for (int64_t j = 0; j < d.Lk; ++j)
          for (int64_t e = 0; e < d.D; ++e) {
            double acc = 0.0;
            for (int64_t i = 0; i < d.Lq; ++i) acc += g[i * d.Lk + j] * q[x.q(i, e)];
            dk[x.k(j, e)] = static_cast<float>(c.scale * acc);
          }
    }
}

}  // namespace nd::kernels::ref
