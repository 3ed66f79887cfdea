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

void fill_window(const WindowSpec& spec, const SeriesView& s, int64_t start, int64_t row, WindowBatchData* out) {
  const int64_t len = spec.input_size + spec.h;
  const int64_t left = spec.start_padding ? spec.input_size - 1 : 0;
  float* y = out->y.data() + row * len;
  float* m = out->mask.data() + row * len;
  for (int64_t k = 0; k < len; ++k) {
    const int64_t i = start + k - left;  // index into the series
    const bool ok = i >= 0 && i < s.n;
    y[k] = ok ? s.y[i] : 0.0f;
    m[k] = ok ? 1.0f : 0.0f;
  }
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
  // Sample window indices: without replacement (partial Fisher-Yates) or with replacement.
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
  const int64_t len = spec_.input_size + spec_.h;
  out->W = W;
  out->L = spec_.input_size;
  out->h = spec_.h;
  out->y.resize(static_cast<size_t>(W * len));
  out->mask.resize(static_cast<size_t>(W * len));
  out->series.resize(static_cast<size_t>(W));
  size_t k = 0;
  int64_t base = 0;
  for (int64_t row = 0; row < W; ++row) {
    while (idx[row] >= base + count_[k]) base += count_[k++];
    const int64_t start = first_[k] + (idx[row] - base) * spec_.step_size;
    fill_window(spec_, series[chosen[k]], start, row, out);
    out->series[row] = chosen[k];
  }
}

void last_windows(const WindowSpec& spec, const std::vector<SeriesView>& series, WindowBatchData* out) {
  const int64_t S = static_cast<int64_t>(series.size()), L = spec.input_size, len = L + spec.h;
  out->W = S;
  out->L = L;
  out->h = spec.h;
  out->y.assign(static_cast<size_t>(S * len), 0.0f);
  out->mask.assign(static_cast<size_t>(S * len), 0.0f);
  out->series.resize(static_cast<size_t>(S));
  for (int64_t s = 0; s < S; ++s) {
    const SeriesView& v = series[s];
    const int64_t take = std::min(L, v.n);
    for (int64_t k = 0; k < take; ++k) {
      out->y[s * len + L - take + k] = v.y[v.n - take + k];
      out->mask[s * len + L - take + k] = 1.0f;
    }
    out->series[s] = s;
  }
}

void scale_windows(data::ScalerType t, WindowBatchData* b) {
  const int64_t len = b->L + b->h;
  b->shift.resize(static_cast<size_t>(b->W));
  b->scale.resize(static_cast<size_t>(b->W));
  std::vector<float> scratch(static_cast<size_t>(2 * b->L));
  data::window_statistics(t, b->y.data(), b->mask.data(), b->W, b->L, len, b->shift.data(), b->scale.data(),
                          scratch.data());
  for (int64_t r = 0; r < b->W; ++r) data::scale_forward(t, b->y.data() + r * len, len, b->shift[r], b->scale[r]);
}

}  // namespace nd::forecast
