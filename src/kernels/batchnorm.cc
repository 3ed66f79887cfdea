// Batch normalization over the channel-last axis (nd/kernels/batchnorm.h) with Highway. Vectors run
// along the channels and sums run down the rows, in blocks of kBlockRows rows: inside a block a
// register tile of up to kTileVecs channel vectors accumulates in float, and each block's result
// folds into a double per channel, so a column of any length keeps nearly double accuracy.
// Statistics take one sweep over x: the mean and centered sum of squares of each block (two passes
// over a block that is still in L1) are merged across blocks in double with the pairwise update of
// Chan, Golub & LeVeque (1979). Normalization and dx are row-major streams with the per-channel
// coefficients precomputed on the stack.
#include "nd/kernels/batchnorm.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "kernels/dispatch_internal.h"
#include "kernels/ref/ref.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/batchnorm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace nd::kernels::HWY_NAMESPACE {

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

constexpr size_t kBlockRows = 64;   // rows summed in float before folding into double
constexpr size_t kTileVecs = 4;     // channel vectors accumulated in registers at once
constexpr size_t kChunk = 512;      // channels per sweep over the rows (per-channel state on the stack)
constexpr size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);
constexpr size_t kTileMax = kTileVecs * kMaxLanes;

// Vector v of a tile row at p: full, or the last one with `last` lanes (the rest read as zero).
template <size_t kVecs>
HWY_INLINE VF TileLoad(DF d, const float* p, size_t v, size_t last) {
  const size_t N = hn::Lanes(d);
  return v + 1 == kVecs ? LoadPart(d, p + v * N, last) : hn::LoadU(d, p + v * N);
}

// One block of nb rows of a tile: the float block mean mu (first pass), then the sums of the
// centered values (cs) and of their squares (ss) in a second pass, while the block is in L1.
template <size_t kVecs>
HWY_INLINE void BlockMoments(DF d, const float* x, size_t ld, size_t nb, size_t last, float* mu, float* cs,
                             float* ss) {
  const size_t N = hn::Lanes(d);
  VF s[kVecs], c[kVecs], q[kVecs];
  for (size_t v = 0; v < kVecs; ++v) s[v] = c[v] = q[v] = hn::Zero(d);
  for (size_t r = 0; r < nb; ++r)
    for (size_t v = 0; v < kVecs; ++v) s[v] = hn::Add(s[v], TileLoad<kVecs>(d, x + r * ld, v, last));
  const VF inv = hn::Set(d, 1.0f / static_cast<float>(nb));
  for (size_t v = 0; v < kVecs; ++v) s[v] = hn::Mul(s[v], inv);
  for (size_t r = 0; r < nb; ++r)
    for (size_t v = 0; v < kVecs; ++v) {
      const VF a = hn::Sub(TileLoad<kVecs>(d, x + r * ld, v, last), s[v]);
      c[v] = hn::Add(c[v], a);
      q[v] = hn::MulAdd(a, a, q[v]);
    }
  for (size_t v = 0; v < kVecs; ++v) {
    hn::StoreU(s[v], d, mu + v * N);
    hn::StoreU(c[v], d, cs + v * N);
    hn::StoreU(q[v], d, ss + v * N);
  }
}

// One block of nb rows of a tile: sa = sum dy, sb = sum dy * (x - mean).
template <size_t kVecs>
HWY_INLINE void BlockGradSums(DF d, const float* x, const float* dy, size_t ld, size_t nb, size_t last,
                              const float* mean, float* sa, float* sb) {
  const size_t N = hn::Lanes(d);
  VF m[kVecs], a[kVecs], b[kVecs];
  for (size_t v = 0; v < kVecs; ++v) {
    m[v] = TileLoad<kVecs>(d, mean, v, last);
    a[v] = b[v] = hn::Zero(d);
  }
  for (size_t r = 0; r < nb; ++r)
    for (size_t v = 0; v < kVecs; ++v) {
      const VF g = TileLoad<kVecs>(d, dy + r * ld, v, last);
      const VF xc = hn::Sub(TileLoad<kVecs>(d, x + r * ld, v, last), m[v]);
      a[v] = hn::Add(a[v], g);
      b[v] = hn::MulAdd(g, xc, b[v]);
    }
  for (size_t v = 0; v < kVecs; ++v) {
    hn::StoreU(a[v], d, sa + v * N);
    hn::StoreU(b[v], d, sb + v * N);
  }
}

// Calls block.template operator()<kVecs>(j, tw, last) for each tile of channels [0, cc): kVecs
// vectors, tw channels, `last` lanes in the final vector.
template <class F>
HWY_INLINE void ForEachTile(DF d, size_t cc, const F& tile) {
  const size_t N = hn::Lanes(d);
  for (size_t j = 0; j < cc; j += kTileVecs * N) {
    const size_t tw = std::min(kTileVecs * N, cc - j);
    const size_t nv = (tw + N - 1) / N, last = tw - (nv - 1) * N;
    switch (nv) {
      case 1: tile.template operator()<1>(j, tw, last); break;
      case 2: tile.template operator()<2>(j, tw, last); break;
      case 3: tile.template operator()<3>(j, tw, last); break;
      default: tile.template operator()<kTileVecs>(j, tw, last); break;
    }
  }
}

struct MomentsTile {
  DF d;
  const float* x;
  size_t ld, nb, seen;
  double *mean, *m2;
  template <size_t kVecs>
  HWY_INLINE void operator()(size_t j, size_t tw, size_t last) const {
    HWY_ALIGN float mu[kTileMax], cs[kTileMax], ss[kTileMax];
    BlockMoments<kVecs>(d, x + j, ld, nb, last, mu, cs, ss);
    // Block mean mu + cs / nb and sum of squares about it ss - cs^2 / nb (the centered values'
    // sum is the rounding error of mu), then the pairwise merge with the rows before the block.
    // Multiplications only: this loop vectorizes, and vector double division is slow.
    const double n_b = static_cast<double>(nb), inv_b = 1.0 / n_b, w = n_b / static_cast<double>(seen + nb);
    for (size_t i = 0; i < tw; ++i) {
      const double c = cs[i], mb = static_cast<double>(mu[i]) + c * inv_b;
      const double m2b = std::max(0.0, static_cast<double>(ss[i]) - c * c * inv_b);
      if (seen == 0) {
        mean[j + i] = mb;
        m2[j + i] = m2b;
      } else {
        const double delta = mb - mean[j + i];
        mean[j + i] += delta * w;
        m2[j + i] += m2b + delta * delta * static_cast<double>(seen) * w;
      }
    }
  }
};

void BatchNormStatsImpl(const float* x, size_t rows, size_t c, size_t ld, float* mean, float* var) {
  const DF d;
  double mu[kChunk], m2[kChunk];
  for (size_t c0 = 0; c0 < c; c0 += kChunk) {
    const size_t cc = std::min(kChunk, c - c0);
    std::fill(mu, mu + cc, 0.0);
    std::fill(m2, m2 + cc, 0.0);
    for (size_t r0 = 0; r0 < rows; r0 += kBlockRows) {
      const MomentsTile t{d, x + r0 * ld + c0, ld, std::min(kBlockRows, rows - r0), r0, mu, m2};
      ForEachTile(d, cc, t);
    }
    for (size_t i = 0; i < cc; ++i) {
      mean[c0 + i] = static_cast<float>(mu[i]);
      var[c0 + i] = rows > 0 ? static_cast<float>(m2[i] / static_cast<double>(rows)) : 0.0f;
    }
  }
}

void BatchNormApplyImpl(const float* x, const float* mean, const float* rstd, const float* gamma, const float* beta,
                        float* y, size_t rows, size_t c, size_t ld) {
  const DF d;
  const size_t N = hn::Lanes(d);
  // Coefficients padded to whole vectors, so only x and y need partial loads and stores.
  HWY_ALIGN float m[kChunk + kMaxLanes], k[kChunk + kMaxLanes], b[kChunk + kMaxLanes];
  for (size_t c0 = 0; c0 < c; c0 += kChunk) {
    const size_t cc = std::min(kChunk, c - c0), full = cc / N * N;
    for (size_t i = 0; i < cc + N; ++i) {
      const bool in = i < cc;
      m[i] = in ? mean[c0 + i] : 0.0f;
      k[i] = in ? rstd[c0 + i] * (gamma ? gamma[c0 + i] : 1.0f) : 0.0f;
      b[i] = in && beta ? beta[c0 + i] : 0.0f;
    }
    const auto f = [&](VF v, size_t i) HWY_ATTR {
      return hn::MulAdd(hn::Sub(v, hn::Load(d, m + i)), hn::Load(d, k + i), hn::Load(d, b + i));
    };
    for (size_t r = 0; r < rows; ++r) {
      const float* xr = x + r * ld + c0;
      float* yr = y + r * ld + c0;
      size_t i = 0;
      for (; i < full; i += N) hn::StoreU(f(hn::LoadU(d, xr + i), i), d, yr + i);
      if (i < cc) StoreTail(f(LoadTail(d, xr + i, cc - i), i), d, yr + i, cc - i);
    }
  }
}

struct GradSumsTile {
  DF d;
  const float *x, *dy, *mean;
  size_t ld, nb;
  double *sa, *sb;
  template <size_t kVecs>
  HWY_INLINE void operator()(size_t j, size_t tw, size_t last) const {
    HWY_ALIGN float a[kTileMax], b[kTileMax];
    BlockGradSums<kVecs>(d, x + j, dy + j, ld, nb, last, mean + j, a, b);
    for (size_t i = 0; i < tw; ++i) {
      sa[j + i] += a[i];
      sb[j + i] += b[i];
    }
  }
};

void BatchNormBackwardSumsImpl(const float* x, const float* dy, const float* mean, const float* rstd, float* sum_dy,
                               float* sum_dy_xhat, size_t rows, size_t c, size_t ld) {
  const DF d;
  double sa[kChunk], sb[kChunk];
  for (size_t c0 = 0; c0 < c; c0 += kChunk) {
    const size_t cc = std::min(kChunk, c - c0);
    std::fill(sa, sa + cc, 0.0);
    std::fill(sb, sb + cc, 0.0);
    for (size_t r0 = 0; r0 < rows; r0 += kBlockRows) {
      const size_t off = r0 * ld + c0;
      const GradSumsTile t{d, x + off, dy + off, mean + c0, ld, std::min(kBlockRows, rows - r0), sa, sb};
      ForEachTile(d, cc, t);
    }
    for (size_t i = 0; i < cc; ++i) {
      sum_dy[c0 + i] = static_cast<float>(sa[i]);
      sum_dy_xhat[c0 + i] = static_cast<float>(sb[i] * rstd[c0 + i]);
    }
  }
}

void BatchNormBackwardDxImpl(const float* x, const float* dy, const float* mean, const float* rstd, const float* gamma,
                             const float* sum_dy, const float* sum_dy_xhat, float* dx, size_t rows, size_t c,
                             size_t ld, bool training) {
  const DF d;
  const size_t N = hn::Lanes(d);
  // dx = k * (dy - a - (x - mean) * b) with k = gamma * rstd, a = mean(dy), b = rstd * mean(dy * xhat).
  HWY_ALIGN float m[kChunk + kMaxLanes], k[kChunk + kMaxLanes], a[kChunk + kMaxLanes], b[kChunk + kMaxLanes];
  const double inv_rows = rows > 0 ? 1.0 / static_cast<double>(rows) : 0.0;
  for (size_t c0 = 0; c0 < c; c0 += kChunk) {
    const size_t cc = std::min(kChunk, c - c0), full = cc / N * N;
    for (size_t i = 0; i < cc + N; ++i) {
      const bool in = i < cc, tr = in && training;
      k[i] = in ? rstd[c0 + i] * (gamma ? gamma[c0 + i] : 1.0f) : 0.0f;
      m[i] = tr ? mean[c0 + i] : 0.0f;
      a[i] = tr ? static_cast<float>(sum_dy[c0 + i] * inv_rows) : 0.0f;
      b[i] = tr ? static_cast<float>(sum_dy_xhat[c0 + i] * inv_rows * rstd[c0 + i]) : 0.0f;
    }
    for (size_t r = 0; r < rows; ++r) {
      const float *xr = x + r * ld + c0, *gr = dy + r * ld + c0;
      float* out = dx + r * ld + c0;
      if (training) {
        const auto f = [&](VF xv, VF g, size_t i) HWY_ATTR {
          const VF xc = hn::Sub(xv, hn::Load(d, m + i));
          return hn::Mul(hn::Load(d, k + i), hn::NegMulAdd(xc, hn::Load(d, b + i), hn::Sub(g, hn::Load(d, a + i))));
        };
        size_t i = 0;
        for (; i < full; i += N) hn::StoreU(f(hn::LoadU(d, xr + i), hn::LoadU(d, gr + i), i), d, out + i);
        if (i < cc) StoreTail(f(LoadTail(d, xr + i, cc - i), LoadTail(d, gr + i, cc - i), i), d, out + i, cc - i);
      } else {
        size_t i = 0;
        for (; i < full; i += N) hn::StoreU(hn::Mul(hn::Load(d, k + i), hn::LoadU(d, gr + i)), d, out + i);
        if (i < cc) StoreTail(hn::Mul(hn::Load(d, k + i), LoadTail(d, gr + i, cc - i)), d, out + i, cc - i);
      }
    }
  }
}

}  // namespace nd::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace nd::kernels {

HWY_EXPORT(BatchNormStatsImpl);
HWY_EXPORT(BatchNormApplyImpl);
HWY_EXPORT(BatchNormBackwardSumsImpl);
HWY_EXPORT(BatchNormBackwardDxImpl);

void batch_norm_stats(const float* x, int64_t rows, int64_t c, int64_t ld, float* mean, float* var) {
  if (use_ref()) return ref::batch_norm_stats(x, rows, c, ld, mean, var);
  HWY_DYNAMIC_DISPATCH(BatchNormStatsImpl)(x, to_size(rows), to_size(c), to_size(ld), mean, var);
}

void batch_norm_apply(const float* x, const float* mean, const float* rstd, const float* gamma, const float* beta,
                      float* y, int64_t rows, int64_t c, int64_t ld) {
  if (use_ref()) return ref::batch_norm_apply(x, mean, rstd, gamma, beta, y, rows, c, ld);
  HWY_DYNAMIC_DISPATCH(BatchNormApplyImpl)(x, mean, rstd, gamma, beta, y, to_size(rows), to_size(c), to_size(ld));
}

void batch_norm_backward_sums(const float* x, const float* dy, const float* mean, const float* rstd, float* sum_dy,
                              float* sum_dy_xhat, int64_t rows, int64_t c, int64_t ld) {
  if (use_ref()) return ref::batch_norm_backward_sums(x, dy, mean, rstd, sum_dy, sum_dy_xhat, rows, c, ld);
  HWY_DYNAMIC_DISPATCH(BatchNormBackwardSumsImpl)(x, dy, mean, rstd, sum_dy, sum_dy_xhat, to_size(rows), to_size(c),
                                                  to_size(ld));
}

void batch_norm_backward_dx(const float* x, const float* dy, const float* mean, const float* rstd,
                            const float* gamma, const float* sum_dy, const float* sum_dy_xhat, float* dx,
                            int64_t rows, int64_t c, int64_t ld, bool training) {
  if (use_ref())
    return ref::batch_norm_backward_dx(x, dy, mean, rstd, gamma, sum_dy, sum_dy_xhat, dx, rows, c, ld, training);
  HWY_DYNAMIC_DISPATCH(BatchNormBackwardDxImpl)(x, dy, mean, rstd, gamma, sum_dy, sum_dy_xhat, dx, to_size(rows),
                                                to_size(c), to_size(ld), training);
}

}  // namespace nd::kernels
#endif  // HWY_ONCE
