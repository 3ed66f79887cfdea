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

// q, k [B, L, C] -> [B, L]: the circular cross-correlation of queries and keys over time,
// averaged over the C channels:
//   out[b, tau] = (1 / C) sum_t sum_c q[b, (t + tau) mod L, c] * k[b, t, c],
// i.e. NF's mean over heads and channels of irfft(rfft(q) * conj(rfft(k))) for an even L (for an
// odd L NF's irfft returns L - 1 lags, which this op does not reproduce). Computed as one
// [L, L] product per b (K_b Q_b^T) summed along its wrapped diagonals: O(L^2 C) without the
// [B, C, L] spectra and correlations of the FFT route (Autoformer's 1024 windows x 128 channels);
// backward is two products with the circulant matrix of the output gradient.
Var mean_autocorrelation(Var q, Var k);

}  // namespace nd::ops
