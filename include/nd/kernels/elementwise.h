// Elementwise arithmetic on contiguous arrays (Highway, runtime dispatch; scalar reference in
// src/kernels/ref). Broadcasting is done by the op layer, which calls these on contiguous runs.
#pragma once
#include <cstdint>

namespace nd::kernels {

enum class Act : uint8_t;
enum class BinOp : uint8_t { add, sub, mul, div };

void binary(BinOp op, const float* a, const float* b, float* y, int64_t n);      // y = a op b
void binary_rs(BinOp op, const float* a, float b, float* y, int64_t n);          // y = a op b (scalar b)
void binary_ls(BinOp op, float a, const float* b, float* y, int64_t n);          // y = a op b (scalar a)
void axpy(float alpha, const float* x, float* y, int64_t n);                     // y += alpha * x
void scale(float alpha, const float* x, float* y, int64_t n);                    // y = alpha * x
void mul_add(const float* a, const float* b, float* y, int64_t n);               // y += a * b
void add_scalar(float alpha, float* y, int64_t n);                               // y += alpha
void fill(float v, float* y, int64_t n);
// y += -g * q / b  (gradient of a/b w.r.t. b, with q = a/b): used by div backward.
void div_rhs_grad(const float* g, const float* q, const float* b, float* y, int64_t n);
// y += g / b  (gradient of a/b w.r.t. a).
void div_lhs_grad(const float* g, const float* b, float* y, int64_t n);

// Dropout: y = x * m * scale where m[i] = keep (1) or drop (0) as given.
void masked_scale(const float* x, const float* mask, float s, float* y, int64_t n);

// Inverted dropout with a counter-based mask: factor[i] = 1 / (1 - p) if element i is kept, else
// 0, where "kept" is a pure function of (seed, i) (kernels/dropout_hash.h), identical on every ISA
// and in the scalar reference; y = x * factor. factor may be null (not kept). p in [0, 1).
void dropout(const float* x, uint64_t seed, float p, float* y, float* factor, int64_t n);
// y = r + dropout(x) with the same mask as dropout(x, seed, p, ...); a fused multiply-add where
// the ISA has one (so within an ulp of the two steps apart). r may alias y (accumulation).
void dropout_add(const float* x, uint64_t seed, float p, const float* r, float* y, int64_t n);
// y = dropout(f(x)) for an activation f (nd/kernels/activation.h), with the mask of
// dropout(f(x), seed, p, ...): one pass over memory instead of two (activation and mask per L1
// block); the result equals the two kernels apart exactly.
void act_dropout_forward(Act a, const float* x, float alpha, uint64_t seed, float p, float* y, int64_t n);
// Its backward: dx = f'(x) * mask * dy, overwriting dx, or added to it when accumulate. f(x) is
// recomputed per block for the activations whose derivative reads it (tanh, sigmoid).
void act_dropout_backward(Act a, const float* x, float alpha, uint64_t seed, float p, const float* dy, float* dx,
                          bool accumulate, int64_t n);

}  // namespace nd::kernels
