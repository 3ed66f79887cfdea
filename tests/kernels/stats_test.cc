// Masked statistics: every ISA against the reference, hand-computed numpy values, empty / NaN
// conventions.
#include "nd/kernels/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/ref/ref.h"

namespace nd::kernels {
namespace {

using testing::Buf;
using testing::close;
using testing::for_each_isa;
using testing::kOffsets;
using testing::kSizes;
using testing::random_buf;

enum class MaskKind { none, half, sparse, empty };

Buf make_mask(int64_t n, MaskKind k) {
  Buf m(n);
  for (int64_t i = 0; i < n; ++i) {
    switch (k) {
      case MaskKind::none: m[i] = 1; break;
      case MaskKind::half: m[i] = (i * 7 % 11) < 6 ? 1.0f : 0.0f; break;
      case MaskKind::sparse: m[i] = (i % 9 == 4) ? 2.0f : 0.0f; break;  // any nonzero counts as valid
      case MaskKind::empty: m[i] = 0; break;
    }
  }
  return m;
}

TEST(KernelsStats, MatchesReference) {
  for (MaskKind mk : {MaskKind::none, MaskKind::half, MaskKind::sparse, MaskKind::empty}) {
    for (int64_t n : kSizes) {
      for (int64_t off : kOffsets) {
        SCOPED_TRACE(::testing::Message() << "mask=" << static_cast<int>(mk) << " n=" << n << " off=" << off);
        Buf x = random_buf(n, off, -50, 50, 1000 + n);
        for (int64_t i = 0; i < n; i += 5) x[i] = std::round(x[i]);  // ties for the order statistics
        const Buf mask = make_mask(n, mk);
        if (mk != MaskKind::none && n > 0) {
          for (int64_t i = 0; i < n; ++i)
            if (mask[i] == 0) x[i] = std::numeric_limits<float>::quiet_NaN();  // masked-out NaN is ignored
        }
        const float* m = mk == MaskKind::none ? nullptr : mask.data();
        Buf scratch(n);
        const float mean = ref::masked_mean(x.data(), m, n), sd0 = ref::masked_std(x.data(), m, n, 0);
        const float sd1 = ref::masked_std(x.data(), m, n, 1), mn = ref::masked_min(x.data(), m, n);
        const float mx = ref::masked_max(x.data(), m, n), med = ref::masked_median(x.data(), m, n, scratch.data());
        const float mad = ref::masked_mad(x.data(), m, n, scratch.data());
        std::vector<float> qs;
        for (float q : {0.0f, 0.1f, 0.25f, 0.5f, 0.9f, 1.0f}) qs.push_back(ref::masked_quantile(x.data(), m, n, q, scratch.data()));
        for_each_isa([&] {
          Buf s(n, 2);
          EXPECT_TRUE(close(mean, masked_mean(x.data(), m, n), 1e-6, 2e-7));
          EXPECT_TRUE(close(sd0, masked_std(x.data(), m, n, 0), 1e-6, 2e-7));
          EXPECT_TRUE(close(sd1, masked_std(x.data(), m, n, 1), 1e-6, 2e-7));
          EXPECT_TRUE(close(mn, masked_min(x.data(), m, n), 0, 0));
          EXPECT_TRUE(close(mx, masked_max(x.data(), m, n), 0, 0));
          EXPECT_TRUE(close(med, masked_median(x.data(), m, n, s.data()), 0, 0));
          EXPECT_TRUE(close(mad, masked_mad(x.data(), m, n, s.data()), 0, 0));
          int k = 0;
          for (float q : {0.0f, 0.1f, 0.25f, 0.5f, 0.9f, 1.0f})
            EXPECT_TRUE(close(qs[k++], masked_quantile(x.data(), m, n, q, s.data()), 0, 0)) << "q=" << q;
          EXPECT_TRUE(s.canaries_intact());
        });
      }
    }
  }
}

// Values computed with numpy: np.quantile(x, q) (method='linear'), np.median, np.std(ddof=...).
TEST(KernelsStats, HandExamples) {
  const float x[] = {3, 1, 4, 1, 5, 9, 2, 6};
  const float mask[] = {1, 1, 1, 1, 1, 1, 1, 0};  // drops the 6
  for_each_isa([&] {
    float s[8];
    EXPECT_FLOAT_EQ(masked_quantile(x, nullptr, 8, 0.25f, s), 1.75f);
    EXPECT_FLOAT_EQ(masked_quantile(x, nullptr, 8, 0.9f, s), 6.9f);
    EXPECT_FLOAT_EQ(masked_median(x, nullptr, 8, s), 3.5f);
    EXPECT_FLOAT_EQ(masked_median(x, mask, 8, s), 3.0f);
    EXPECT_FLOAT_EQ(masked_mad(x, nullptr, 8, s), 2.0f);  // |x - 3.5| = .5 2.5 .5 2.5 1.5 5.5 1.5 2.5
    EXPECT_FLOAT_EQ(masked_mean(x, mask, 8), 25.0f / 7.0f);
    EXPECT_NEAR(masked_std(x, nullptr, 8, 0), 2.5708704751503917, 1e-6);
    EXPECT_NEAR(masked_std(x, nullptr, 8, 1), 2.748376143938713, 1e-6);
    EXPECT_EQ(masked_min(x, mask, 8), 1.0f);
    EXPECT_EQ(masked_max(x, mask, 8), 9.0f);
    const float one = 7.0f;
    EXPECT_EQ(masked_quantile(&one, nullptr, 1, 0.3f, s), 7.0f);
    EXPECT_EQ(masked_mad(&one, nullptr, 1, s), 0.0f);
  });
}

TEST(KernelsStats, EmptyAndNaNConventions) {
  const float x[] = {1, std::numeric_limits<float>::quiet_NaN(), 3, 4};
  const float drop_nan[] = {1, 0, 1, 1}, none[] = {0, 0, 0, 0};
  for_each_isa([&] {
    float s[4];
    EXPECT_TRUE(std::isnan(masked_mean(x, none, 4)));
    EXPECT_TRUE(std::isnan(masked_std(x, drop_nan, 1, 1)));  // one value, ddof = 1
    EXPECT_TRUE(std::isnan(masked_min(x, none, 4)));
    EXPECT_TRUE(std::isnan(masked_median(x, none, 4, s)));
    EXPECT_TRUE(std::isnan(masked_median(x, nullptr, 4, s)));  // a valid NaN poisons order statistics
    EXPECT_TRUE(std::isnan(masked_max(x, nullptr, 4)));
    EXPECT_TRUE(std::isnan(masked_quantile(x, nullptr, 4, 0.5f, s)));
    EXPECT_FLOAT_EQ(masked_median(x, drop_nan, 4, s), 3.0f);
    EXPECT_FLOAT_EQ(masked_mean(x, drop_nan, 4), 8.0f / 3.0f);
    EXPECT_EQ(masked_max(x, drop_nan, 4), 4.0f);
  });
}

TEST(KernelsStats, LargeInputUsesSort) {
  const int64_t n = 100003;
  const Buf x = random_buf(n, 0, -1, 1, 77);
  Buf s1(n), s2(n);
  const float want = ref::masked_quantile(x.data(), nullptr, n, 0.37f, s1.data());
  const float want_mad = ref::masked_mad(x.data(), nullptr, n, s1.data());
  for_each_isa([&] {
    EXPECT_EQ(want, masked_quantile(x.data(), nullptr, n, 0.37f, s2.data()));
    EXPECT_EQ(want_mad, masked_mad(x.data(), nullptr, n, s2.data()));
  });
}

}  // namespace
}  // namespace nd::kernels
