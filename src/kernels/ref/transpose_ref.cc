// Scalar reference of nd/kernels/transpose.h: the definition, element by element.
#include "kernels/ref/ref.h"

namespace nd::kernels::ref {

void transpose(const float* src, int64_t ld_src, float* dst, int64_t ld_dst, int64_t rows, int64_t cols, bool add) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      float& d = dst[c * ld_dst + r];
      d = add ? d + src[r * ld_src + c] : src[r * ld_src + c];
    }
}

}  // namespace nd::kernels::ref
