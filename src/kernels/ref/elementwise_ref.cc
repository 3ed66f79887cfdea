// Scalar reference: elementwise arithmetic (nd/kernels/elementwise.h).
#include "kernels/dropout_hash.h"
#include "kernels/ref/ref.h"

namespace nd::kernels::ref {

namespace {
inline float apply(BinOp op, float a, float b) {
  switch (op) {
    case BinOp::add: return a + b;
    case BinOp::sub: return a - b;
    case BinOp::mul: return a * b;
    case BinOp::div: return a / b;
  }
  return 0.0f;
}
}  // namespace

void binary(BinOp op, const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = apply(op, a[i], b[i]);
}

void binary_rs(BinOp op, const float* a, float b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = apply(op, a[i], b);
}

void binary_ls(BinOp op, float a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = apply(op, a, b[i]);
}

void axpy(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void scale(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = alpha * x[i];
}

void mul_add(const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a[i] * b[i];
}

void add_scalar(float alpha, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha;
}

void fill(float v, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = v;
}

void div_rhs_grad(const float* g, const float* q, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] -= g[i] * q[i] / b[i];
}

void div_lhs_grad(const float* g, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += g[i] / b[i];
}

void masked_scale(const float* x, const float* mask, float s, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * mask[i] * s;
}

void dropout(const float* x, uint64_t seed, float p, float* y, float* factor, int64_t n) {
  const uint32_t thresh = dropout_hash::keep_threshold(p);
  const float keep = 1.0f / (1.0f - p);
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t u = static_cast<uint64_t>(i);
    const uint32_t key = dropout_hash::chunk_key(seed, u >> 32);
    const float f = dropout_hash::bits24(key, static_cast<uint32_t>(u)) >= thresh ? keep : 0.0f;
    if (factor) factor[i] = f;
    y[i] = x[i] * f;
  }
}

void dropout_add(const float* x, uint64_t seed, float p, const float* r, float* y, int64_t n) {
  const uint32_t thresh = dropout_hash::keep_threshold(p);
  const float keep = 1.0f / (1.0f - p);
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t u = static_cast<uint64_t>(i);
    const uint32_t key = dropout_hash::chunk_key(seed, u >> 32);
    const float f = dropout_hash::bits24(key, static_cast<uint32_t>(u)) >= thresh ? keep : 0.0f;
    const float t = x[i] * f;
    y[i] = r[i] + t;
  }
}

}  // namespace nd::kernels::ref
