// Broadcast planning shared by the elementwise ops (see op_util.h).
#include <algorithm>

#include "ops/op_util.h"
#include "nd/kernels/reduce.h"

namespace nd::ops::detail {

Shape broadcast_shape(const Shape& a, const Shape& b) {
  const int r = std::max(a.rank(), b.rank());
  Shape out;
  for (int i = 0; i < r; ++i) {
    const int ia = i - (r - a.rank()), ib = i - (r - b.rank());
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    ND_CHECK(da == db || da == 1 || db == 1, "cannot broadcast shapes ", a.str(), " and ", b.str(), " (axis ", i,
             ": ", da, " vs ", db, ")");
    out.push_back(da == 1 ? db : da);
  }
  return out;
}

BcastPlan make_plan(const Shape& a, const Shape& b, const Shape& out) {
  const int r = out.rank();
  // Strides of a and b in output coordinates (0 along broadcast axes).
  int64_t sa[kMaxDims], sb[kMaxDims], so[kMaxDims];
  int64_t st_a = 1, st_b = 1, st_o = 1;
  for (int i = r - 1; i >= 0; --i) {
    const int ia = i - (r - a.rank()), ib = i - (r - b.rank());
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    sa[i] = (da == 1 && out[i] != 1) ? 0 : st_a;
    sb[i] = (db == 1 && out[i] != 1) ? 0 : st_b;
    so[i] = st_o;
    st_a *= da;
    st_b *= db;
    st_o *= out[i];
  }
  // Merge adjacent axes whose strides line up for all three operands; drop size-1 axes.
  BcastPlan p;
  for (int i = 0; i < r; ++i) {
    if (out[i] == 1) continue;
    if (p.rank > 0) {
      const int j = p.rank - 1;
      if (p.sa[j] == sa[i] * out[i] && p.sb[j] == sb[i] * out[i] && p.so[j] == so[i] * out[i]) {
        p.shape[j] *= out[i];
        p.sa[j] = sa[i];
        p.sb[j] = sb[i];
        p.so[j] = so[i];
        continue;
      }
    }
    p.shape[p.rank] = out[i];
    p.sa[p.rank] = sa[i];
    p.sb[p.rank] = sb[i];
    p.so[p.rank] = so[i];
    ++p.rank;
  }
  if (p.rank == 0 && out.numel() == 1) {
    p.rank = 1;
    p.shape[0] = 1;
    p.sa[0] = p.sb[0] = p.so[0] = 1;
  }
  return p;
}

void sum_to(const float* src, const Shape& from, float* dst, const Shape& to) {
  if (from == to) {
    kernels::axpy(1.0f, src, dst, from.numel());
    return;
  }
  const BcastPlan p = make_plan(to, from, from);
  for_each_run(p, [&](int64_t od, int64_t os, int64_t, int64_t len, int64_t sd, int64_t) {
    if (sd == 1)
      kernels::axpy(1.0f, src + os, dst + od, len);
    else
      dst[od] += kernels::sum(src + os, len);
  });
}

}  // namespace nd::ops::detail
