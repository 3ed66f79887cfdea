// Training progress bar (see nd/forecast/progress.h). Steps/s and ETA come from the wall time
// since construction; the bar is 24 cells of '#' / '-' so it renders in any terminal.
#include "nd/forecast/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace nd::forecast {

namespace {

std::string format_seconds(double s) {
  char buf[32];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else {
    const long long t = static_cast<long long>(s + 0.5);
    if (t < 3600)
      std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
    else
      std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, (t / 60) % 60);
  }
  return buf;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t total, std::FILE* out, bool tty, double min_interval_s)
    : label_(std::move(label)), total_(std::max<int64_t>(total, 1)), out_(out), tty_(tty), min_interval_(min_interval_s) {
  t0_ = last_draw_ = std::chrono::steady_clock::now();
}

ProgressBar::~ProgressBar() {
  if (tty_ && drawn_ && !finished_) std::fprintf(out_, "\n");
}

bool ProgressBar::is_tty(std::FILE* f) { return f && ::isatty(::fileno(f)) == 1; }

std::string ProgressBar::line(int64_t step, float train_loss, float valid_loss) const {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  const double rate = step / std::max(secs, 1e-9);
  char buf[256];
  std::string s = "[" + label_ + "] ";
  if (tty_) {
    constexpr int kCells = 24;
    const int filled = static_cast<int>(kCells * std::min<int64_t>(step, total_) / total_);
    s += "[" + std::string(filled, '#') + std::string(kCells - filled, '-') + "] ";
  }
  std::snprintf(buf, sizeof buf, "step %lld/%lld  loss %.5f", static_cast<long long>(step),
                static_cast<long long>(total_), train_loss);
  s += buf;
  if (valid_loss >= 0) {
    std::snprintf(buf, sizeof buf, "  valid %.5f", valid_loss);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "  %.1f steps/s  ETA %s", rate, format_seconds((total_ - step) / rate).c_str());
  s += buf;
  return s;
}

void ProgressBar::draw(int64_t step, float train_loss, float valid_loss, const char* note) {
  std::string s = line(step, train_loss, valid_loss) + note;
  if (tty_) {
    // Redraw over the previous line; pad with spaces when the new text is shorter.
    const size_t len = s.size();
    if (len < last_len_) s += std::string(last_len_ - len, ' ');
    last_len_ = len;
    std::fprintf(out_, "\r%s", s.c_str());
  } else {
    std::fprintf(out_, "%s\n", s.c_str());
  }
  std::fflush(out_);
  drawn_ = true;
  last_draw_ = std::chrono::steady_clock::now();
}

void ProgressBar::update(int64_t step, float train_loss, float valid_loss) {
  if (tty_) {
    const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_draw_).count();
    if (!drawn_ || since >= min_interval_) draw(step, train_loss, valid_loss, "");
  } else if (step % std::max<int64_t>(1, total_ / 10) == 0 && step != total_) {
    draw(step, train_loss, valid_loss, "");  // the last step is drawn by finish()
  }
}

void ProgressBar::finish(int64_t step, float train_loss, float valid_loss, const char* note) {
  if (finished_) return;
  finished_ = true;
  draw(step, train_loss, valid_loss, note);
  if (tty_) std::fprintf(out_, "\n");
  std::fflush(out_);
}

}  // namespace nd::forecast
