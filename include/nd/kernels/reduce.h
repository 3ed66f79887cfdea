// Reductions (Highway; scalar reference in src/kernels/ref). The op layer views a tensor as
// [outer, r, inner] and reduces over r.
#pragma once
#include <cstdint>

namespace nd::kernels {

float sum(const float* x, int64_t n);
float max(const float* x, int64_t n);
float min(const float* x, int64_t n);
float dot(const float* a, const float* b, int64_t n);
float sumsq(const float* x, int64_t n);

// x: [outer, r, inner] -> y: [outer, inner]
void reduce_sum(const float* x, float* y, int64_t outer, int64_t r, int64_t inner);
void reduce_max(const float* x, float* y, int64_t outer, int64_t r, int64_t inner);
void reduce_min(const float* x, float* y, int64_t outer, int64_t r, int64_t inner);

}  // namespace nd::kernels
