// Every differentiable op and loss: one row each in the gradient-check table.
#include <gtest/gtest.h>

#include <cmath>

#include "gradcheck.h"
#include "nd/nd.h"
#include "nd/ops/batch_norm.h"

namespace nd::testing {
namespace {

using namespace nd::ops;
using V = std::vector<Var>;
using kernels::Act;

#define GRAD_CASE(name, shapes, body, ...) \
  GradCase { name, shapes, [](V& x) -> V body, __VA_ARGS__ }

Tensor make_const(std::vector<float>& store, const Shape& s, uint64_t seed, Init init = Init::uniform) {
  store.resize(s.numel());
  fill_inputs(store, init, seed);
  return Tensor(store.data(), s);
}

// Fixed (non-differentiated) data for loss cases.
struct LossData {
  std::vector<float> y, mask, ins;
  LossData() {
    y.resize(24);
    fill_inputs(y, Init::away_from_zero, 101);
    mask.assign(24, 1.0f);
    mask[3] = 0.0f;
    mask[17] = 0.0f;
    ins.resize(4 * 10);
    fill_inputs(ins, Init::uniform, 103);
  }
};
LossData& loss_data() {
  static LossData d;
  return d;
}

Var run_loss(const losses::Loss& l, Var yhat) {
  auto& d = loss_data();
  return l(yhat, Tensor(d.y.data(), Shape{4, 6}), Tensor(d.mask.data(), Shape{4, 6}),
           Tensor(d.ins.data(), Shape{4, 10}));
}

// Distribution losses: fixed targets in each distribution's support and fixed window scales.
Var run_nll(const losses::Loss& l, Var raw, bool counts = false) {
  static std::vector<float> y_real, y_count, mask, scale = {1.0f, 0.7f, 1.6f, 0.9f};
  static std::vector<float> loc = {0.5f, -0.3f, 1.2f, 2.0f}, loc_pos = {0.5f, 0.3f, 1.2f, 2.0f};
  if (y_real.empty()) {
    auto& d = loss_data();
    y_real = d.y, mask = d.mask;
    for (float v : d.y) y_count.push_back(std::round(std::fabs(v) * 3.0f));
  }
  return l.nll(raw, Tensor((counts ? y_count : y_real).data(), Shape{4, 6}), Tensor(mask.data(), Shape{4, 6}),
               (counts ? loc_pos : loc).data(), scale.data());
}

// A fixed key padding mask [B, Lk] (1 = attend) with a few keys hidden in every batch row.
const uint8_t* attention_mask(int64_t B, int64_t Lk) {
  static std::vector<uint8_t> m;
  m.assign(static_cast<size_t>(B * Lk), 1);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t j = b; j < Lk; j += 3) m[b * Lk + j] = 0;
  return m.data();
}

std::vector<GradCase> cases() {
  std::vector<GradCase> c = {
      // elementwise, with broadcasting
      GRAD_CASE("add_same", (std::vector<Shape>{{3, 4}, {3, 4}}), { return {add(x[0], x[1])}; }),
      GRAD_CASE("add_row_bcast", (std::vector<Shape>{{3, 4}, {4}}), { return {add(x[0], x[1])}; }),
      GRAD_CASE("sub_col_bcast", (std::vector<Shape>{{3, 4}, {3, 1}}), { return {sub(x[0], x[1])}; }),
      GRAD_CASE("mul_mid_bcast", (std::vector<Shape>{{2, 3, 4}, {2, 1, 4}}), { return {mul(x[0], x[1])}; }),
      GRAD_CASE("mul_both_bcast", (std::vector<Shape>{{2, 1, 4}, {3, 1}}), { return {mul(x[0], x[1])}; }),
      GRAD_CASE("div_bcast", (std::vector<Shape>{{2, 3}, {3}}), { return {div(x[0], x[1])}; }, Init::positive),
      GRAD_CASE("div_scalar_tensor", (std::vector<Shape>{{1}, {2, 3}}), { return {div(x[0], x[1])}; },
                Init::positive),
      GRAD_CASE("add_scalar", (std::vector<Shape>{{5}}), { return {add(x[0], 0.5f)}; }),
      GRAD_CASE("mul_scalar", (std::vector<Shape>{{5}}), { return {mul(x[0], -1.5f)}; }),
      GRAD_CASE("neg", (std::vector<Shape>{{5}}), { return {neg(x[0])}; }),
      GRAD_CASE("exp", (std::vector<Shape>{{6}}), { return {exp(x[0])}; }),
      GRAD_CASE("log", (std::vector<Shape>{{6}}), { return {log(x[0])}; }, Init::positive),
      GRAD_CASE("abs", (std::vector<Shape>{{6}}), { return {abs(x[0])}; }, Init::away_from_zero),
      GRAD_CASE("square", (std::vector<Shape>{{6}}), { return {square(x[0])}; }),
      GRAD_CASE("sqrt", (std::vector<Shape>{{6}}), { return {sqrt(x[0])}; }, Init::positive),
      // matrix products
      GRAD_CASE("matmul_2d", (std::vector<Shape>{{3, 5}, {5, 4}}), { return {matmul(x[0], x[1])}; }),
      GRAD_CASE("matmul_3d_shared", (std::vector<Shape>{{2, 3, 5}, {5, 4}}), { return {matmul(x[0], x[1])}; }),
      GRAD_CASE("bmm", (std::vector<Shape>{{2, 3, 5}, {2, 5, 4}}), { return {bmm(x[0], x[1])}; }),
      GRAD_CASE("bmm_ta", (std::vector<Shape>{{2, 5, 3}, {2, 5, 4}}), { return {bmm(x[0], x[1], true, false)}; }),
      GRAD_CASE("bmm_tb", (std::vector<Shape>{{2, 3, 5}, {2, 4, 5}}), { return {bmm(x[0], x[1], false, true)}; }),
      GRAD_CASE("bmm_ta_tb", (std::vector<Shape>{{2, 5, 3}, {2, 4, 5}}), { return {bmm(x[0], x[1], true, true)}; }),
      GRAD_CASE("linear_bias", (std::vector<Shape>{{2, 3, 5}, {4, 5}, {4}}), { return {linear(x[0], x[1], x[2])}; }),
      GRAD_CASE("linear_nobias", (std::vector<Shape>{{3, 5}, {4, 5}}), { return {linear(x[0], x[1])}; }),
      // a + b / a - b hand their output gradient buffer to a (no copy): residual chains where a is
      // reused later, outputs read twice, and a value added to itself
      GRAD_CASE("residual_add_chain", (std::vector<Shape>{{3, 5}}), {
        Var z = add(x[0], tanh(x[0]));
        Var w = sub(z, mul(z, z));
        return {add(w, x[0])};
      }),
      GRAD_CASE("add_output_reused", (std::vector<Shape>{{2, 4}, {2, 4}}), {
        Var y = add(x[0], x[1]);
        return {y, mul(y, x[0]), sub(x[1], y)};
      }),
      GRAD_CASE("add_self", (std::vector<Shape>{{4}}), { return {mul(add(x[0], x[0]), x[0])}; }),
      // reductions
      GRAD_CASE("sum_axis1", (std::vector<Shape>{{2, 3, 4}}), { return {sum(x[0], {1})}; }),
      GRAD_CASE("sum_axes_keepdim", (std::vector<Shape>{{2, 3, 4}}), { return {sum(x[0], {0, 2}, true)}; }),
      GRAD_CASE("mean_last", (std::vector<Shape>{{2, 3, 4}}), { return {mean(x[0], {-1})}; }),
      GRAD_CASE("max_axis", (std::vector<Shape>{{3, 4, 2}}), { return {max(x[0], 1)}; }, Init::distinct),
      GRAD_CASE("min_axis_keepdim", (std::vector<Shape>{{3, 4}}), { return {min(x[0], 0, true)}; }, Init::distinct),
      GRAD_CASE("sum_all", (std::vector<Shape>{{3, 4}}), { return {sum_all(x[0])}; }),
      GRAD_CASE("mean_all", (std::vector<Shape>{{3, 4}}), { return {mean_all(x[0])}; }),
      GRAD_CASE("cumsum_middle", (std::vector<Shape>{{2, 5, 3}}), { return {cumsum(x[0], 1)}; }),
      GRAD_CASE("cumsum_last", (std::vector<Shape>{{3, 7}}), { return {mul(cumsum(x[0], -1), x[0])}; }),
      // shape ops
      GRAD_CASE("reshape", (std::vector<Shape>{{2, 6}}), { return {mul(reshape(x[0], {3, 4}), 2.0f)}; }),
      GRAD_CASE("permute", (std::vector<Shape>{{2, 3, 4}}), { return {permute(x[0], {2, 0, 1})}; }),
      GRAD_CASE("transpose", (std::vector<Shape>{{2, 3, 4}}), { return {transpose(x[0], 0, 2)}; }),
      GRAD_CASE("slice", (std::vector<Shape>{{3, 7}}), { return {slice(x[0], 1, 2, 6)}; }),
      GRAD_CASE("select", (std::vector<Shape>{{3, 4, 2}}), { return {select(x[0], 1, 2)}; }),
      GRAD_CASE("concat", (std::vector<Shape>{{2, 3}, {2, 2}}), { return {concat({x[0], x[1]}, 1)}; }),
      GRAD_CASE("stack", (std::vector<Shape>{{2, 3}, {2, 3}}), { return {stack({x[0], x[1]}, 1)}; }),
      GRAD_CASE("pad", (std::vector<Shape>{{2, 3, 4}}), { return {pad(x[0], 1, 2, 1, 0.5f)}; }),
      GRAD_CASE("gather", (std::vector<Shape>{{3, 5}}), { return {gather(x[0], 1, {4, 0, 4, 2})}; }),
      GRAD_CASE("repeat_interleave", (std::vector<Shape>{{2, 3}}), { return {repeat_interleave(x[0], 1, 2)}; }),
      GRAD_CASE("unsqueeze_squeeze", (std::vector<Shape>{{2, 3}}),
                { return {squeeze(mul(unsqueeze(x[0], 1), 3.0f), 1)}; }),
      // activations
      GRAD_CASE("relu", (std::vector<Shape>{{4, 5}}), { return {relu(x[0])}; }, Init::away_from_zero),
      GRAD_CASE("leaky_relu", (std::vector<Shape>{{4, 5}}), { return {leaky_relu(x[0], 0.1f)}; },
                Init::away_from_zero),
      GRAD_CASE("elu", (std::vector<Shape>{{4, 5}}), { return {elu(x[0], 1.0f)}; }, Init::away_from_zero),
      GRAD_CASE("selu", (std::vector<Shape>{{4, 5}}), { return {activation(x[0], Act::selu)}; },
                Init::away_from_zero),
      GRAD_CASE("gelu", (std::vector<Shape>{{4, 5}}), { return {gelu(x[0])}; }),
      GRAD_CASE("silu", (std::vector<Shape>{{4, 5}}), { return {silu(x[0])}; }),
      GRAD_CASE("tanh", (std::vector<Shape>{{4, 5}}), { return {tanh(x[0])}; }),
      GRAD_CASE("sigmoid", (std::vector<Shape>{{4, 5}}), { return {sigmoid(x[0])}; }),
      GRAD_CASE("softplus", (std::vector<Shape>{{4, 5}}), { return {activation(x[0], Act::softplus)}; }),
      GRAD_CASE("softsign", (std::vector<Shape>{{4, 5}}), { return {activation(x[0], Act::softsign)}; }),
      GRAD_CASE("identity", (std::vector<Shape>{{4, 5}}), { return {activation(x[0], Act::identity)}; }),
      GRAD_CASE("prelu", (std::vector<Shape>{{4, 5}, {1}}), { return {prelu(x[0], x[1])}; }, Init::away_from_zero),
      GRAD_CASE("softmax_last", (std::vector<Shape>{{3, 7}}), { return {softmax(x[0])}; }),
      GRAD_CASE("softmax_mid", (std::vector<Shape>{{2, 5, 3}}), { return {softmax(x[0], 1)}; }),
      GRAD_CASE("log_softmax", (std::vector<Shape>{{3, 7}}), { return {log_softmax(x[0])}; }),
      GRAD_CASE("layer_norm_affine", (std::vector<Shape>{{3, 8}, {8}, {8}}),
                { return {layer_norm(x[0], x[1], x[2], 1e-5f)}; }),
      GRAD_CASE("layer_norm_plain", (std::vector<Shape>{{2, 3, 6}}), { return {layer_norm(x[0], Var(), Var())}; }),
      GRAD_CASE("batch_norm_train", (std::vector<Shape>{{3, 4, 5}, {5}, {5}}), {
        static float rm[5] = {}, rv[5] = {1, 1, 1, 1, 1};
        return {batch_norm(x[0], x[1], x[2], {rm, rv, 0.1f, 1e-5f, true})};
      }),
      GRAD_CASE("batch_norm_train_plain", (std::vector<Shape>{{6, 3}}),
                { return {batch_norm(x[0], Var(), Var(), {nullptr, nullptr, 0.1f, 1e-5f, true})}; }),
      GRAD_CASE("batch_norm_eval", (std::vector<Shape>{{4, 3}, {3}, {3}}), {
        static float rm[3] = {0.2f, -0.1f, 0.5f}, rv[3] = {0.7f, 1.3f, 2.0f};
        return {batch_norm(x[0], x[1], x[2], {rm, rv, 0.1f, 1e-5f, false})};
      }),
      // Channel counts that are no multiple of a vector (5, 37), rows past one 64-row block.
      GRAD_CASE("batch_norm_eval_c5", (std::vector<Shape>{{2, 3, 5}, {5}, {5}}), {
        static float rm[5] = {0.2f, -0.1f, 0.5f, 0.0f, -0.3f}, rv[5] = {0.7f, 1.3f, 2.0f, 0.5f, 1.0f};
        return {batch_norm(x[0], x[1], x[2], {rm, rv, 0.1f, 1e-5f, false})};
      }),
      GRAD_CASE("batch_norm_train_c37", (std::vector<Shape>{{2, 35, 37}, {37}, {37}}), {
        static float rm[37] = {}, rv[37] = {};
        return {batch_norm(x[0], x[1], x[2], {rm, rv, 0.1f, 1e-5f, true})};
      }),
      GRAD_CASE("batch_norm_eval_c37", (std::vector<Shape>{{6, 37}, {37}, {37}}), {
        static float rm[37], rv[37];
        for (int c = 0; c < 37; ++c) rm[c] = 0.05f * static_cast<float>(c % 7) - 0.1f, rv[c] = 0.5f + 0.1f * (c % 5);
        return {batch_norm(x[0], x[1], x[2], {rm, rv, 0.1f, 1e-5f, false})};
      }),
      // x also feeds the sum, so batch_norm's dx adds to a gradient that already exists.
      GRAD_CASE("batch_norm_train_reused_input", (std::vector<Shape>{{9, 37}, {37}}), {
        return {add(batch_norm(x[0], x[1], Var(), {nullptr, nullptr, 0.1f, 1e-5f, true}), mul(x[0], 0.5f))};
      }),
      GRAD_CASE("dropout", (std::vector<Shape>{{4, 6}}), {
        Rng r(3);  // same mask for every evaluation
        return {dropout(x[0], 0.3f, r)};
      }),
      GRAD_CASE("dropout_add", (std::vector<Shape>{{4, 6}, {4, 6}}), {
        Rng r(3);
        return {dropout_add(x[0], x[1], 0.3f, r)};
      }),
      GRAD_CASE("dropout_add_residual_chain", (std::vector<Shape>{{3, 5}}), {
        Rng r(4);  // the residual is reused after the op and is also the dropped input
        Var z = dropout_add(x[0], tanh(x[0]), 0.4f, r);
        Var w = dropout_add(z, x[0], 0.2f, r);
        return {mul(w, z), dropout_add(x[0], x[0], 0.5f, r)};
      }),
      // activation + dropout fused; tanh's derivative reads the recomputed activation; the
      // input is reused, so the second op accumulates into an existing gradient.
      GRAD_CASE("activation_dropout", (std::vector<Shape>{{4, 7}}), {
        Rng r(5);
        Var a = activation_dropout(x[0], kernels::Act::gelu, 0.3f, r);
        return {a, mul(activation_dropout(x[0], kernels::Act::tanh, 0.25f, r), a)};
      }),
      // gated linear unit over the last axis; the input reused so the second use accumulates
      GRAD_CASE("glu", (std::vector<Shape>{{3, 2, 10}}), {
        Var y = glu(x[0]);
        return {y, mul(glu(x[0]), y)};
      }),
      // convolution, pooling, interpolation, embedding
      GRAD_CASE("conv1d", (std::vector<Shape>{{2, 3, 9}, {4, 3, 3}, {4}}),
                { return {conv1d(x[0], x[1], x[2], {})}; }),
      GRAD_CASE("conv1d_stride_pad", (std::vector<Shape>{{2, 3, 9}, {4, 3, 3}, {4}}),
                { return {conv1d(x[0], x[1], x[2], {2, 1, 1, 1})}; }),
      GRAD_CASE("conv1d_causal_dilated", (std::vector<Shape>{{2, 2, 10}, {3, 2, 2}}),
                { return {conv1d(x[0], x[1], Var(), {1, 4, 4, 0})}; }),
      GRAD_CASE("max_pool1d", (std::vector<Shape>{{2, 3, 9}}), { return {max_pool1d(x[0], 2, 2)}; },
                Init::distinct),
      GRAD_CASE("max_pool1d_ceil_pad", (std::vector<Shape>{{2, 2, 7}}), { return {max_pool1d(x[0], 3, 2, 1, true)}; },
                Init::distinct),
      GRAD_CASE("avg_pool1d", (std::vector<Shape>{{2, 3, 9}}), { return {avg_pool1d(x[0], 3, 2, 1, true, true)}; }),
      GRAD_CASE("avg_pool1d_exclude_pad", (std::vector<Shape>{{2, 3, 8}}),
                { return {avg_pool1d(x[0], 4, 3, 2, false, false)}; }),
      GRAD_CASE("interp_up", (std::vector<Shape>{{2, 3, 4}}), { return {interpolate_linear(x[0], 11)}; }),
      GRAD_CASE("interp_down_align", (std::vector<Shape>{{2, 9}}), { return {interpolate_linear(x[0], 4, true)}; }),
      GRAD_CASE("embedding", (std::vector<Shape>{{5, 3}}), {
        const int64_t ids[4] = {4, 1, 1, 0};
        return {embedding(x[0], ids, 4)};
      }),
      // recurrent layers (fused cells): all outputs, initial states included
      GRAD_CASE("rnn_tanh", (std::vector<Shape>{{2, 4, 3}, {2, 5}, {5, 3}, {5, 5}, {5}, {5}}), {
        auto o = rnn_layer(x[0], x[1], x[2], x[3], x[4], x[5]);
        return {o.y, o.h_n};
      }),
      GRAD_CASE("rnn_relu", (std::vector<Shape>{{2, 4, 3}, {2, 5}, {5, 3}, {5, 5}, {5}, {5}}), {
        auto o = rnn_layer(x[0], x[1], x[2], x[3], x[4], x[5], true);
        return {o.y};
      }, Init::away_from_zero),
      GRAD_CASE("lstm", (std::vector<Shape>{{2, 4, 3}, {2, 5}, {2, 5}, {20, 3}, {20, 5}, {20}, {20}}), {
        auto o = lstm_layer(x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
        return {o.y, o.h_n, o.c_n};
      }),
      GRAD_CASE("lstm_single_series", (std::vector<Shape>{{1, 6, 2}, {16, 2}, {16, 4}, {16}}), {
        auto o = lstm_layer(x[0], Var(), Var(), x[1], x[2], x[3], Var());
        return {o.h_n};
      }),
      GRAD_CASE("gru", (std::vector<Shape>{{2, 4, 3}, {2, 5}, {15, 3}, {15, 5}, {15}, {15}}), {
        auto o = gru_layer(x[0], x[1], x[2], x[3], x[4], x[5]);
        return {o.y, o.h_n};
      }),
      GRAD_CASE("gru_nobias", (std::vector<Shape>{{3, 3, 2}, {12, 2}, {12, 4}}), {
        auto o = gru_layer(x[0], Var(), x[1], x[2], Var(), Var());
        return {o.y};
      }),
      // attention (flash kernel, tiles of 64 queries x 128 keys): lengths straddle the tiles
      GRAD_CASE("attention_cross", (std::vector<Shape>{{1, 2, 37, 8}, {1, 2, 133, 8}, {1, 2, 133, 6}}),
                { return {scaled_dot_product_attention(x[0], x[1], x[2])}; }),
      GRAD_CASE("attention_causal", (std::vector<Shape>{{1, 2, 70, 8}, {1, 2, 70, 8}, {1, 2, 70, 8}}),
                { return {scaled_dot_product_attention(x[0], x[1], x[2], {.causal = true})}; }),
      GRAD_CASE("attention_causal_cross", (std::vector<Shape>{{2, 1, 67, 4}, {2, 1, 133, 4}, {2, 1, 133, 5}}),
                { return {scaled_dot_product_attention(x[0], x[1], x[2], {.causal = true, .scale = 0.7f})}; }),
      GRAD_CASE("attention_padding", (std::vector<Shape>{{2, 2, 13, 8}, {2, 2, 150, 8}, {2, 2, 150, 8}}), {
        return {scaled_dot_product_attention(x[0], x[1], x[2], {.key_padding_mask = attention_mask(2, 150)})};
      }),
      GRAD_CASE("attention_dropout", (std::vector<Shape>{{1, 2, 70, 8}, {1, 2, 133, 8}, {1, 2, 133, 8}}), {
        return {scaled_dot_product_attention(x[0], x[1], x[2],
                                             {.causal = true, .dropout_p = 0.2f, .seed = 5, .training = true})};
      }),
      // token_attention (heads of token-major projections, materialized probabilities): cross
      // lengths and Dv != D; residual scores in and out; dropout; the fused kernel (every length and
      // width <= 64) at odd sizes, cross attention both ways, gradient through the scores only; the
      // general path past the fused kernel, with its small-GEMM and BLAS products
      GRAD_CASE("token_attention_cross", (std::vector<Shape>{{2, 5, 12}, {2, 7, 12}, {2, 7, 6}}),
                { return {token_attention(x[0], x[1], x[2], 3).out}; }),
      GRAD_CASE("token_attention_residual", (std::vector<Shape>{{2, 6, 8}, {2, 6, 8}, {2, 6, 8}, {4, 6, 6}}), {
        auto r = token_attention(x[0], x[1], x[2], 2, {.scale = 0.6f, .prev = x[3], .return_scores = true});
        return {r.out, r.scores};
      }),
      GRAD_CASE("token_attention_dropout", (std::vector<Shape>{{2, 6, 8}, {2, 9, 8}, {2, 9, 8}}), {
        return {token_attention(x[0], x[1], x[2], 2, {.dropout_p = 0.3f, .seed = 5, .training = true}).out};
      }),
      GRAD_CASE("token_attention_fused_odd",
                (std::vector<Shape>{{2, 5, 21}, {2, 13, 21}, {2, 13, 15}, {6, 5, 13}}), {
                  auto r = token_attention(x[0], x[1], x[2], 3,
                                           {.prev = x[3], .return_scores = true, .dropout_p = 0.25f, .seed = 8,
                                            .training = true});
                  return {r.out, r.scores};
                }),
      GRAD_CASE("token_attention_fused_12", (std::vector<Shape>{{2, 12, 16}, {2, 12, 16}, {2, 12, 16}, {4, 12, 12}}), {
        auto r = token_attention(x[0], x[1], x[2], 2, {.scale = 0.4f, .prev = x[3], .return_scores = true});
        return {r.out, r.scores};
      }),
      GRAD_CASE("token_attention_fused_cross", (std::vector<Shape>{{1, 13, 14}, {1, 7, 14}, {1, 7, 26}}), {
        return {token_attention(x[0], x[1], x[2], 2, {.dropout_p = 0.2f, .seed = 3, .training = true}).out};
      }),
      GRAD_CASE("token_attention_fused_scores_only", (std::vector<Shape>{{2, 7, 10}, {2, 5, 10}, {2, 5, 6}}),
                { return {token_attention(x[0], x[1], x[2], 2, {.return_scores = true}).scores}; }),
      GRAD_CASE("token_attention_general_small", (std::vector<Shape>{{1, 5, 8}, {1, 70, 8}, {1, 70, 6}, {2, 5, 70}}), {
        auto r = token_attention(x[0], x[1], x[2], 2, {.prev = x[3], .return_scores = true, .dropout_p = 0.2f,
                                                       .seed = 4, .training = true});
        return {r.out, r.scores};
      }),
      GRAD_CASE("token_attention_blas", (std::vector<Shape>{{2, 40, 24}, {2, 70, 24}, {2, 70, 8}}),
                { return {token_attention(x[0], x[1], x[2], 1).out}; }),
      // losses (mask with zeros; MASE uses y_insample)
      GRAD_CASE("loss_mae", (std::vector<Shape>{{4, 6}}), { return {run_loss(losses::Loss::MAE(), x[0])}; }),
      GRAD_CASE("loss_mse", (std::vector<Shape>{{4, 6}}), { return {run_loss(losses::Loss::MSE(), x[0])}; }),
      GRAD_CASE("loss_rmse", (std::vector<Shape>{{4, 6}}), { return {run_loss(losses::Loss::RMSE(), x[0])}; }),
      GRAD_CASE("loss_mape", (std::vector<Shape>{{4, 6}}), { return {run_loss(losses::Loss::MAPE(), x[0])}; }),
      GRAD_CASE("loss_smape", (std::vector<Shape>{{4, 6}}), { return {run_loss(losses::Loss::SMAPE(), x[0])}; }),
      GRAD_CASE("loss_mase", (std::vector<Shape>{{4, 6}}), { return {run_loss(losses::Loss::MASE(2), x[0])}; }),
      GRAD_CASE("loss_huber", (std::vector<Shape>{{4, 6}}), { return {run_loss(losses::Loss::Huber(0.3f), x[0])}; }),
      GRAD_CASE("loss_quantile", (std::vector<Shape>{{4, 6}}),
                { return {run_loss(losses::Loss::Quantile(0.3f), x[0])}; }),
      GRAD_CASE("loss_mq", (std::vector<Shape>{{4, 6, 5}}), { return {run_loss(losses::Loss::MQ(), x[0])}; }),
      GRAD_CASE("loss_mae_horizon_weight", (std::vector<Shape>{{4, 6}}),
                { return {run_loss(losses::Loss::MAE({1, 2, 3, 1, 0.5f, 0}), x[0])}; }),
      GRAD_CASE("loss_mq_horizon_weight", (std::vector<Shape>{{4, 6, 3}}), {
        return {run_loss(losses::Loss::MQ({}, {0.1f, 0.5f, 0.9f}, {1, 1, 2, 2, 3, 3}), x[0])};
      }),
      GRAD_CASE("loss_huberq", (std::vector<Shape>{{4, 6}}),
                { return {run_loss(losses::Loss::HuberQ(0.3f, 0.4f, {1, 2, 1, 1, 0.5f, 1}), x[0])}; }),
      GRAD_CASE("loss_hubermq", (std::vector<Shape>{{4, 6, 5}}),
                { return {run_loss(losses::Loss::HuberMQ({80, 90}, {}, 0.4f), x[0])}; }),
      GRAD_CASE("loss_tukey", (std::vector<Shape>{{4, 6}}), {
        return {run_loss(losses::Loss::Tukey(3.0f, false), x[0])};
      }),
      // distribution losses: negative log-likelihood through the domain map and scale decoupling
      GRAD_CASE("nll_normal", (std::vector<Shape>{{4, 6, 2}}),
                { return {run_nll(losses::Loss::Distribution("Normal", {80}, {}, 1000, false, {1, 2, 1, 1, 0.5f, 1}), x[0])}; }),
      GRAD_CASE("nll_studentt", (std::vector<Shape>{{4, 6, 3}}),
                { return {run_nll(losses::Loss::Distribution("StudentT"), x[0])}; }),
      GRAD_CASE("nll_poisson", (std::vector<Shape>{{4, 6, 1}}),
                { return {run_nll(losses::Loss::Distribution("Poisson"), x[0], true)}; }),
      GRAD_CASE("nll_negative_binomial", (std::vector<Shape>{{4, 6, 2}}),
                { return {run_nll(losses::Loss::Distribution("NegativeBinomial"), x[0], true)}; }),
      GRAD_CASE("nll_tweedie", (std::vector<Shape>{{4, 6, 1}}),
                { return {run_nll(losses::Loss::Distribution("Tweedie", {80}, {}, 10, false, {}, 1.4f), x[0], true)}; }),
      GRAD_CASE("nll_gmm_weighted", (std::vector<Shape>{{4, 6, 9}}),
                { return {run_nll(losses::Loss::Mixture(losses::Distr::GMM, 3, {80}, {}, 10, false, true), x[0])}; }),
      GRAD_CASE("nll_gmm_horizon_correlation", (std::vector<Shape>{{4, 6, 4}}), {
        return {run_nll(losses::Loss::Mixture(losses::Distr::GMM, 2, {80}, {}, 10, false, false, false, true), x[0])};
      }),
      GRAD_CASE("nll_pmm_batch_correlation", (std::vector<Shape>{{4, 6, 4}}), {
        return {run_nll(losses::Loss::Mixture(losses::Distr::PMM, 2, {80}, {}, 10, false, true, true), x[0], true)};
      }),
      GRAD_CASE("nll_nbmm_weighted", (std::vector<Shape>{{4, 6, 6}}),
                { return {run_nll(losses::Loss::Mixture(losses::Distr::NBMM, 2, {80}, {}, 10, false, true), x[0], true)}; }),
  };
  return c;
}

class GradCheck : public ::testing::TestWithParam<GradCase> {};

TEST_P(GradCheck, MatchesFiniteDifferences) {
  const GradCase& c = GetParam();
  GradReport r = gradcheck(c);
  EXPECT_GT(r.checked, 0);
  EXPECT_LE(r.worst_ratio, 1.0) << c.name << ": " << r.where << " (abs err " << r.max_abs_err << ")";
}

INSTANTIATE_TEST_SUITE_P(Ops, GradCheck, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<GradCase>& i) { return i.param.name; });

}  // namespace
}  // namespace nd::testing
