// Window sampling and scaling (see nd/forecast/windows.h).
#include "nd/forecast/windows.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "nd/core/error.h"

namespace nd::forecast {

int64_t count_windows(const WindowSpec& spec, int64_t n, int64_t* first_start) {
  const int64_t L = spec.input_size, h = spec.h;
  const int64_t left = spec.start_padding ? L - 1 : 0;
  const int64_t total = left + n + h;  // padded length
  // Window at p covers [p, p + L + h). Real values sit at [left, left + n).
  // Needs an available input: p + L - 1 >= left; and an available output: p + L < left + n.
  const int64_t lo = std::max<int64_t>(0, left - L + 1), hi = std::min(left + n - L - 1, total - L - h);
  if (hi < lo) return 0;
  const int64_t first = (lo + spec.step_size - 1) / spec.step_size * spec.step_size;  // on the step grid
  if (first > hi) return 0;
  if (first_start) *first_start = first;
  return (hi - first) / spec.step_size + 1;
}

void WindowBatchData::resize(int64_t w, int64_t l, int64_t hh, const SeriesView& s) {
  W = w, L = l, h = hh;
  X = static_cast<int64_t>(s.hist.size()), F = static_cast<int64_t>(s.futr.size());
  S = static_cast<int64_t>(s.stat.size());
  y.resize(static_cast<size_t>(W * (L + h)));
  mask.resize(static_cast<size_t>(W * (L + h)));
  hist.resize(static_cast<size_t>(W * L * X));
  futr.resize(static_cast<size_t>(W * (L + h) * F));
  stat.resize(static_cast<size_t>(W * S));
  series.resize(static_cast<size_t>(W));
}

void fill_window(const WindowSpec& spec, const SeriesView& s, int64_t start, int64_t row, WindowBatchData* out) {
  const int64_t L = spec.input_size, len = L + spec.h;
  const int64_t left = spec.start_padding ? L - 1 : 0;
  float* y = out->y.data() + row * len;
  float* m = out->mask.data() + row * len;
  const int64_t X = out->X, F = out->F;
  for (int64_t k = 0; k < len; ++k) {
    const int64_t i = start + k - left;  // index into the series
    const bool ok = i >= 0 && i < s.n;
    y[k] = ok ? s.y[i] : 0.0f;
    m[k] = ok ? 1.0f : 0.0f;
    if (k < L)
      for (int64_t c = 0; c < X; ++c) out->hist[(row * L + k) * X + c] = ok ? s.hist[c][i] : 0.0f;
    const bool fok = i >= 0 && i < s.n + s.n_future;  // future values may extend past the target
    for (int64_t c = 0; c < F; ++c) out->futr[(row * len + k) * F + c] = fok ? s.futr[c][i] : 0.0f;
  }
  for (int64_t c = 0; c < out->S; ++c) out->stat[row * out->S + c] = s.stat[c];
}

WindowSampler::WindowSampler(const WindowSpec& spec, int64_t batch_size, int64_t windows_batch_size, bool drop_last,
                             uint64_t seed)
    : spec_(spec), batch_size_(batch_size), windows_batch_size_(windows_batch_size), drop_last_(drop_last),
      rng_(seed) {}

void WindowSampler::next(const std::vector<SeriesView>& series, WindowBatchData* out) {
  const int64_t S = static_cast<int64_t>(series.size());
  ND_CHECK(S > 0, "no series to train on");
  // Next batch of series from a shuffled epoch.
  auto new_epoch = [&] {
    perm_.resize(S);
    std::iota(perm_.begin(), perm_.end(), 0);
    for (int64_t k = S - 1; k > 0; --k) std::swap(perm_[k], perm_[rng_.randint(static_cast<uint64_t>(k + 1))]);
    pos_ = 0;
  };
  if (perm_.empty() || pos_ >= perm_.size() ||
      (drop_last_ && S >= batch_size_ && pos_ + batch_size_ > perm_.size()))
    new_epoch();
  const size_t end = std::min(perm_.size(), pos_ + static_cast<size_t>(batch_size_));
  std::vector<int64_t> chosen(perm_.begin() + static_cast<int64_t>(pos_), perm_.begin() + static_cast<int64_t>(end));
  pos_ = end;
  // Candidate windows of the chosen series, counted per series.
  first_.assign(chosen.size(), 0);
  count_.assign(chosen.size(), 0);
  int64_t total = 0;
  for (size_t k = 0; k < chosen.size(); ++k) {
    count_[k] = count_windows(spec_, series[chosen[k]].n, &first_[k]);
    total += count_[k];
  }
  ND_CHECK(total > 0, "no training windows: every series in the batch is shorter than 1 + h = ", spec_.h + 1,
           " values (enable start_padding_enabled or lower input_size / h)");
  const int64_t W = windows_batch_size_;
  const std::vector<int64_t> idx = sample(total);
  out->resize(W, spec_.input_size, spec_.h, series[chosen[0]]);
  size_t k = 0;
  int64_t base = 0;
  for (int64_t row = 0; row < W; ++row) {
    while (idx[row] >= base + count_[k]) base += count_[k++];
    const int64_t start = first_[k] + (idx[row] - base) * spec_.step_size;
    fill_window(spec_, series[chosen[k]], start, row, out);
    out->series[row] = chosen[k];
  }
}

std::vector<int64_t> WindowSampler::sample(int64_t total) {
  // Window indices: without replacement (partial Fisher-Yates) or with replacement.
  const int64_t W = windows_batch_size_;
  std::vector<int64_t> idx(static_cast<size_t>(W));
  if (total < W) {
    for (int64_t& v : idx) v = static_cast<int64_t>(rng_.randint(static_cast<uint64_t>(total)));
  } else if (total <= 4 * W) {
    std::vector<int64_t> all(static_cast<size_t>(total));
    std::iota(all.begin(), all.end(), 0);
    for (int64_t k = 0; k < W; ++k) std::swap(all[k], all[k + static_cast<int64_t>(rng_.randint(total - k))]);
    std::copy(all.begin(), all.begin() + W, idx.begin());
  } else {
    // Many candidates: rejection sampling of distinct indices avoids an O(total) array.
    std::vector<int64_t> seen;
    seen.reserve(static_cast<size_t>(W));
    for (int64_t k = 0; k < W; ++k) {
      int64_t v;
      do {
        v = static_cast<int64_t>(rng_.randint(static_cast<uint64_t>(total)));
      } while (std::find(seen.begin(), seen.end(), v) != seen.end());
      seen.push_back(v);
      idx[k] = v;
    }
  }
  std::sort(idx.begin(), idx.end());  // series-major order: better locality, same sample
  return idx;
}

void WindowSampler::next_multivariate(const std::vector<SeriesView>& series, WindowBatchData* out) {
  const int64_t N = static_cast<int64_t>(series.size());
  ND_CHECK(N > 0, "no series to train on");
  for (const SeriesView& s : series)
    ND_CHECK(s.n == series[0].n, "multivariate models need series of equal length (all windows cover the same "
             "time steps of every series); got ", series[0].n, " and ", s.n, " values");
  int64_t first = 0;
  const int64_t total = count_windows(spec_, series[0].n, &first);
  ND_CHECK(total > 0, "no training windows: the series are shorter than input_size + 1 = ", spec_.input_size + 1,
           " values (enable start_padding_enabled or lower input_size)");
  const std::vector<int64_t> idx = sample(total);
  const int64_t W = windows_batch_size_;
  out->resize(W * N, spec_.input_size, spec_.h, series[0]);
  for (int64_t k = 0; k < W; ++k)
    for (int64_t s = 0; s < N; ++s) {
      fill_window(spec_, series[s], first + idx[k] * spec_.step_size, k * N + s, out);
      out->series[k * N + s] = s;
    }
}

void last_windows(const WindowSpec& spec, const std::vector<SeriesView>& series, WindowBatchData* out) {
  const int64_t S = static_cast<int64_t>(series.size()), L = spec.input_size;
  out->resize(S, L, spec.h, series[0]);
  WindowSpec nopad = spec;
  nopad.start_padding = false;
  for (int64_t s = 0; s < S; ++s) {
    // The window whose outputs start right after the series: start = n - L (may be negative:
    // the missing inputs are padded and masked). Outputs are unknown: masked; future exogenous
    // values come from the series' future part.
    fill_window(nopad, series[s], series[s].n - L, s, out);
    out->series[s] = s;
  }
}

void scale_windows(data::ScalerType t, WindowBatchData* b) {
  const int64_t L = b->L, len = L + b->h;
  b->shift.resize(static_cast<size_t>(b->W));
  b->scale.resize(static_cast<size_t>(b->W));
  std::vector<float> scratch(static_cast<size_t>(2 * len));
  data::window_statistics(t, b->y.data(), b->mask.data(), b->W, L, len, b->shift.data(), b->scale.data(),
                          scratch.data());
  for (int64_t r = 0; r < b->W; ++r) data::scale_forward(t, b->y.data() + r * len, len, b->shift[r], b->scale[r]);
  if (t == data::ScalerType::identity || (b->X == 0 && b->F == 0)) return;
  // Exogenous channels: gathered per window and channel, scaled with their own statistics.
  std::vector<float> ch(static_cast<size_t>(len));
  auto scale_channel = [&](float* base, int64_t steps, int64_t stride, const float* mask) {
    for (int64_t k = 0; k < steps; ++k) ch[k] = base[k * stride];
    float sh, sc;
    data::window_statistics(t, ch.data(), mask, 1, L, steps, &sh, &sc, scratch.data());
    data::scale_forward(t, ch.data(), steps, sh, sc);
    for (int64_t k = 0; k < steps; ++k) base[k * stride] = ch[k];
  };
  for (int64_t r = 0; r < b->W; ++r) {
    const float* m = b->mask.data() + r * len;
    for (int64_t c = 0; c < b->X; ++c) scale_channel(b->hist.data() + r * L * b->X + c, L, b->X, m);
    for (int64_t c = 0; c < b->F; ++c) scale_channel(b->futr.data() + r * len * b->F + c, len, b->F, m);
  }
}

}  // namespace nd::forecast
