// Autoformer's time-delay aggregation (Wu et al. 2021, §3.2): a weighted sum of the values rolled
// by a few per-row delays.
#pragma once
#include <cstdint>
#include <vector>

#include "nd/autograd/graph.h"

namespace nd::ops {

// values [B, L, C], weights [B, K], delays: B * K integers in [0, L) (not differentiated) ->
//   out[b, t, c] = sum_k weights[b, k] * values[b, (t + delays[b, k]) mod L, c]
// (torch.roll(values, -delay) along time, as NF's time_delay_agg_training / _inference).
Var time_delay_aggregate(Var values, Var weights, const std::vector<int64_t>& delays);

}  // namespace nd::ops
