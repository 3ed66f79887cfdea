// Series-decomposition ops of Autoformer / FEDformer (Wu et al. 2021, §3.1-3.2): the
// replicate-padded moving average of NF's MovingAvg and the time-delay aggregation of
// Auto-Correlation.
#pragma once
#include <cstdint>
#include <vector>

#include "nd/autograd/graph.h"

namespace nd::ops {

// x [B, T, C] -> [B, T, C]: the mean of `kernel` (odd) consecutive steps centred on each step,
// the series padded by repeating its first / last value (kernel - 1) / 2 times: NF's
// MovingAvg(kernel, stride=1), i.e. AvgPool1d over the replicate-padded series. O(T * C) with
// running sums (in double).
Var moving_average(Var x, int64_t kernel);

// values [B, L, C], weights [B, K], delays: B * K integers in [0, L) (not differentiated) ->
//   out[b, t, c] = sum_k weights[b, k] * values[b, (t + delays[b, k]) mod L, c]
// (torch.roll(values, -delay) along time, as NF's time_delay_agg_training / _inference).
Var time_delay_aggregate(Var values, Var weights, const std::vector<int64_t>& delays);

}  // namespace nd::ops
