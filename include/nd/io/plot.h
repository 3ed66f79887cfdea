// A dependency-free SVG line chart: history, forecast, optional interval band and held-out
// actuals, written atomically.
#pragma once
#include <string>
#include <vector>

namespace nd::io {

struct PlotSeries {
  std::string label;
  std::vector<double> x, y;
  std::string color;
  bool dashed = false;
};

struct PlotBand {
  std::string label;
  std::vector<double> x, lo, hi;
  std::string color;
};

struct Plot {
  std::string title, x_label, y_label;
  std::vector<PlotSeries> lines;
  std::vector<PlotBand> bands;
  std::vector<std::string> x_ticks;  // optional labels at evenly spaced x positions
  std::vector<double> x_tick_pos;
};

std::string render_svg(const Plot& p, int width = 960, int height = 480);
void write_svg(const Plot& p, const std::string& path, int width = 960, int height = 480);

}  // namespace nd::io
