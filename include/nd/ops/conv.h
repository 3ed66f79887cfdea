// 1-d convolution (im2col + BLAS GEMM), pooling and linear interpolation over the last axis.
#pragma once
#include <cstdint>
#include <vector>

#include "nd/autograd/graph.h"

namespace nd::ops {

struct Conv1dArgs {
  int64_t stride = 1;
  int64_t dilation = 1;
  int64_t pad_left = 0;   // causal convolution: pad_left = dilation * (kernel - 1), pad_right = 0
  int64_t pad_right = 0;
};
// x [B, C_in, L], w [C_out, C_in, K], b [C_out] (optional) -> [B, C_out, L_out],
// L_out = (L + pad_left + pad_right - dilation * (K - 1) - 1) / stride + 1.
Var conv1d(Var x, Var w, Var b, const Conv1dArgs& args);

// x [..., L] -> [..., L_out] as torch.nn.MaxPool1d / AvgPool1d (padding on both sides).
Var max_pool1d(Var x, int64_t kernel, int64_t stride, int64_t padding = 0, bool ceil_mode = false);
Var avg_pool1d(Var x, int64_t kernel, int64_t stride, int64_t padding = 0, bool ceil_mode = false,
               bool count_include_pad = true);

// x [..., L_in] -> [..., L_out], torch.nn.functional.interpolate(mode="linear").
Var interpolate_linear(Var x, int64_t out_len, bool align_corners = false);

// weight [V, D] -> [idx.size(), D] rows (torch.nn.functional.embedding); ids checked in [0, V).
Var embedding(Var weight, const int64_t* idx, int64_t n);

}  // namespace nd::ops
