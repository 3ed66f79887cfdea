// Training progress on stderr: an in-place single-line bar (carriage return, redrawn at most
// every min_interval seconds) when the stream is a terminal, plain periodic lines otherwise (logs,
// CI), nothing when training is silent (verbose = false / --quiet).
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace nd::forecast {

class ProgressBar {
 public:
  // label: the model alias; total: max_steps. tty: draw the in-place bar (else plain lines, about
  // ten per run plus the last step).
  ProgressBar(std::string label, int64_t total, std::FILE* out, bool tty, double min_interval_s = 0.1);
  ~ProgressBar();  // ends a bar left open (training threw) with a newline
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  // After each step; valid_loss < 0 means no validation yet. Draws when due.
  void update(int64_t step, float train_loss, float valid_loss);
  // Last draw (always) and the newline that ends the bar; note is appended ("early stop").
  void finish(int64_t step, float train_loss, float valid_loss, const char* note = "");

  static bool is_tty(std::FILE* f);  // isatty on the stream's descriptor

 private:
  std::string line(int64_t step, float train_loss, float valid_loss) const;
  void draw(int64_t step, float train_loss, float valid_loss, const char* note);
  std::string label_;
  int64_t total_;
  std::FILE* out_;
  bool tty_;
  double min_interval_;
  std::chrono::steady_clock::time_point t0_, last_draw_;
  bool drawn_ = false;
  size_t last_len_ = 0;
  bool finished_ = false;
};

}  // namespace nd::forecast
