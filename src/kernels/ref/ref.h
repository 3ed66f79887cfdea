// Scalar reference kernels: the oracle for the tests and the path ND_ISA=scalar selects. Written
// for clarity and exactness (sums and statistics in double, transcendental functions from <cmath>
// in double), not speed. Signatures mirror the public kernels in include/nd/kernels/ one to one.
#pragma once
#include <cstdint>

#include "nd/kernels/optim_kernels.h"

#include "nd/kernels/activation.h"
#include "nd/kernels/attention.h"
#include "nd/kernels/elementwise.h"
#include "nd/kernels/loss_kernels.h"
#include "nd/kernels/token_attention.h"

namespace nd::kernels::ref {

// elementwise.h
void binary(BinOp op, const float* a, const float* b, float* y, int64_t n);
void binary_rs(BinOp op, const float* a, float b, float* y, int64_t n);
void binary_ls(BinOp op, float a, const float* b, float* y, int64_t n);
void axpy(float alpha, const float* x, float* y, int64_t n);
void scale(float alpha, const float* x, float* y, int64_t n);
void mul_add(const float* a, const float* b, float* y, int64_t n);
void add_scalar(float alpha, float* y, int64_t n);
void fill(float v, float* y, int64_t n);
void div_rhs_grad(const float* g, const float* q, const float* b, float* y, int64_t n);
void div_lhs_grad(const float* g, const float* b, float* y, int64_t n);
void masked_scale(const float* x, const float* mask, float s, float* y, int64_t n);
void dropout(const float* x, uint64_t seed, float p, float* y, float* factor, int64_t n);
void dropout_add(const float* x, uint64_t seed, float p, const float* r, float* y, int64_t n);

// activation.h
void act_forward(Act a, const float* x, float* y, int64_t n, float alpha);
void act_backward(Act a, const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha);
void glu_forward(const float* x, float* y, int64_t rows, int64_t n);
void glu_backward(const float* x, const float* dy, float* dx, int64_t rows, int64_t n);

// reduce.h
float sum(const float* x, int64_t n);
float max(const float* x, int64_t n);
float min(const float* x, int64_t n);
float dot(const float* a, const float* b, int64_t n);
float sumsq(const float* x, int64_t n);
void reduce_sum(const float* x, float* y, int64_t outer, int64_t r, int64_t inner);
void reduce_max(const float* x, float* y, int64_t outer, int64_t r, int64_t inner);
void reduce_min(const float* x, float* y, int64_t outer, int64_t r, int64_t inner);

// softmax.h
void softmax_forward(const float* x, float* y, int64_t rows, int64_t d);
void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t d);
void log_softmax_forward(const float* x, float* y, int64_t rows, int64_t d);
void log_softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t d);

// layernorm.h
void layer_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                        int64_t rows, int64_t d, float eps);
void layer_norm_backward(const float* x, const float* dy, const float* gamma, const float* mean, const float* rstd,
                         float* dx, float* dgamma, float* dbeta, int64_t rows, int64_t d);

// batchnorm.h
void batch_norm_stats(const float* x, int64_t rows, int64_t c, int64_t ld, float* mean, float* var);
void batch_norm_apply(const float* x, const float* mean, const float* rstd, const float* gamma, const float* beta,
                      float* y, int64_t rows, int64_t c, int64_t ld);
void batch_norm_backward_sums(const float* x, const float* dy, const float* mean, const float* rstd, float* sum_dy,
                              float* sum_dy_xhat, int64_t rows, int64_t c, int64_t ld);
void batch_norm_backward_dx(const float* x, const float* dy, const float* mean, const float* rstd,
                            const float* gamma, const float* sum_dy, const float* sum_dy_xhat, float* dx,
                            int64_t rows, int64_t c, int64_t ld, bool training);

// stats.h
float masked_mean(const float* x, const float* mask, int64_t n);
float masked_std(const float* x, const float* mask, int64_t n, int ddof);
float masked_min(const float* x, const float* mask, int64_t n);
float masked_max(const float* x, const float* mask, int64_t n);
float masked_quantile(const float* x, const float* mask, int64_t n, float q, float* scratch);
float masked_median(const float* x, const float* mask, int64_t n, float* scratch);
float masked_mad(const float* x, const float* mask, int64_t n, float* scratch);

// loss_kernels.h
double point_loss_sum(PointLoss k, const float* y, const float* yhat, const float* w, int64_t n, float delta);
void point_loss_grad(PointLoss k, const float* y, const float* yhat, const float* w, int64_t n, float delta,
                     float scale, float* dyhat);
double quantile_loss_sum(const float* y, const float* yhat, const float* w, const float* q, int64_t n, int64_t nq);
void quantile_loss_grad(const float* y, const float* yhat, const float* w, const float* q, int64_t n, int64_t nq,
                        float scale, float* dyhat);

// optim_kernels.h
void adam_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamScalars& s, bool decoupled);
void sgd_step(float* p, const float* g, float* buf, int64_t n, float lr, float momentum, float dampening,
              float weight_decay, bool nesterov, bool first);

// convert.h
void f32_to_bf16(const float* x, uint16_t* y, int64_t n);
void bf16_to_f32(const uint16_t* x, float* y, int64_t n);
void f32_to_f16(const float* x, uint16_t* y, int64_t n);
void f16_to_f32(const uint16_t* x, float* y, int64_t n);

// rnn_cells.h
void lstm_cell_forward(float* gates, const float* c_prev, float* c, float* h, int64_t B, int64_t H);
void lstm_cell_backward(const float* gates, const float* c_prev, const float* c, const float* dh, const float* dc,
                        float* dgates, float* dc_prev, int64_t B, int64_t H);
void gru_cell_forward(const float* xg, const float* hg, const float* h_prev, float* h, float* saved, int64_t B,
                      int64_t H);
void gru_cell_backward(const float* saved, const float* h_prev, const float* dh, float* dxg, float* dhg,
                       float* dh_prev, int64_t B, int64_t H);
void rnn_cell_forward(float* a, int64_t n, bool relu);
void rnn_cell_backward(const float* h, const float* dh, float* da, int64_t n, bool relu);

// attention.h (scratch: attn::ref_forward_scratch / ref_backward_scratch floats)
void attention_forward(const AttentionDims& d, const AttentionConfig& c, const float* q, const float* k,
                       const float* v, float* o, float* lse, float* scratch);
void attention_backward(const AttentionDims& d, const AttentionConfig& c, const float* q, const float* k,
                        const float* v, const float* o, const float* lse, const float* d_o, float* dq, float* dk,
                        float* dv, float* scratch);

// token_attention.h
void token_attention_forward(const TokenAttentionDims& d, const TokenAttentionConfig& c, const float* q,
                             const float* k, const float* v, const float* prev, float* scores, float* probs,
                             float* out);
void token_attention_backward(const TokenAttentionDims& d, const TokenAttentionConfig& c, const float* q,
                              const float* k, const float* v, const float* probs, const float* d_out,
                              const float* d_scores, float* dq, float* dk, float* dv, float* ds);

// transpose.h
void transpose(const float* src, int64_t ld_src, float* dst, int64_t ld_dst, int64_t rows, int64_t cols, bool add);

}  // namespace nd::kernels::ref
