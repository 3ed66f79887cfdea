// Strided transpose: every ISA against the definition, exact (a transpose moves floats, it does
// not round them), at sizes around the 8 x 8 register blocks, with padded row strides, in the add
// mode, and never writing past the elements it owns (padding between rows, canaries around).
#include "nd/kernels/transpose.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "kernel_test_util.h"

namespace nd::kernels {
namespace {

using testing::Buf;
using testing::for_each_isa;
using testing::random_buf;

TEST(KernelsTranspose, MatchesTheDefinitionAtEveryIsa) {
  const int64_t sizes[] = {0, 1, 3, 7, 8, 9, 16, 17, 33};
  for (int64_t rows : sizes)
    for (int64_t cols : sizes)
      for (int64_t pad : {0, 5})
        for (bool add : {false, true}) {
          SCOPED_TRACE(::testing::Message() << "rows=" << rows << " cols=" << cols << " pad=" << pad << " add=" << add);
          const int64_t lds = cols + pad, ldd = rows + pad + 2;
          const Buf src = random_buf(rows * lds, 1, -4, 4, static_cast<uint64_t>(100 + rows * 40 + cols));
          const Buf init = random_buf(cols * ldd, 3, -4, 4, static_cast<uint64_t>(900 + rows + cols * 40));
          for_each_isa([&] {
            Buf dst(cols * ldd, 3);
            for (int64_t i = 0; i < cols * ldd; ++i) dst[i] = init[i];
            transpose(src.data(), lds, dst.data(), ldd, rows, cols, add);
            ASSERT_TRUE(dst.canaries_intact());
            for (int64_t c = 0; c < cols; ++c)
              for (int64_t r = 0; r < ldd; ++r) {
                const float before = init[c * ldd + r];
                // Elements past `rows` in a destination row are padding: untouched.
                const float want = r >= rows ? before : add ? before + src[r * lds + c] : src[r * lds + c];
                ASSERT_EQ(want, dst[c * ldd + r]) << "c=" << c << " r=" << r;
              }
          });
        }
}

// The RNN layouts: a slice of batch-first rows (stride T F) into a feature-major step block.
TEST(KernelsTranspose, LargeStridesOfTheRnnLayouts) {
  const int64_t nb = 37, T = 5, F = 19;
  const Buf src = random_buf(nb * T * F, 0, -1, 1, 7);
  for_each_isa([&] {
    for (int64_t t = 0; t < T; ++t) {
      Buf dst(F * nb, 0, 0.0f);
      transpose(src.data() + t * F, T * F, dst.data(), nb, nb, F);
      for (int64_t f = 0; f < F; ++f)
        for (int64_t b = 0; b < nb; ++b) ASSERT_EQ(src[(b * T + t) * F + f], dst[f * nb + b]);
    }
  });
}

}  // namespace
}  // namespace nd::kernels
