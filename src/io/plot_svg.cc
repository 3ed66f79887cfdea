// SVG rendering of a Plot: axes with "nice" ticks, polylines, translucent bands, legend.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <unistd.h>

#include "nd/core/error.h"
#include "nd/io/plot.h"

namespace nd::io {

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else o += c;
  }
  return o;
}

// Tick step of 1, 2 or 5 times a power of ten giving about `n` ticks over `range`.
double nice_step(double range, int n) {
  const double raw = range / std::max(n, 1);
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

}  // namespace

std::string render_svg(const Plot& p, int W, int H) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  auto extend = [&](const std::vector<double>& xs, const std::vector<double>& ys) {
    for (size_t k = 0; k < xs.size() && k < ys.size(); ++k) {
      if (!std::isfinite(ys[k])) continue;
      x0 = std::min(x0, xs[k]), x1 = std::max(x1, xs[k]);
      y0 = std::min(y0, ys[k]), y1 = std::max(y1, ys[k]);
    }
  };
  for (const auto& l : p.lines) extend(l.x, l.y);
  for (const auto& b : p.bands) extend(b.x, b.lo), extend(b.x, b.hi);
  ND_CHECK(std::isfinite(x0) && std::isfinite(y0), "plot '", p.title, "' has no finite points");
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  const double pad = (y1 - y0) * 0.05;
  y0 -= pad, y1 += pad;
  const double ml = 70, mr = 20, mt = 40, mb = 55;
  auto X = [&](double v) { return ml + (v - x0) / (x1 - x0) * (W - ml - mr); };
  auto Y = [&](double v) { return mt + (y1 - v) / (y1 - y0) * (H - mt - mb); };
  std::ostringstream o;
  o.precision(6);
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" viewBox=\"0 0 " << W
    << ' ' << H << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o << "<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << esc(p.title) << "</text>\n";
  // Grid and y ticks.
  const double ys = nice_step(y1 - y0, 6);
  for (double v = std::ceil(y0 / ys) * ys; v <= y1; v += ys) {
    o << "<line x1=\"" << ml << "\" x2=\"" << W - mr << "\" y1=\"" << Y(v) << "\" y2=\"" << Y(v)
      << "\" stroke=\"#e5e5e5\"/>\n";
    o << "<text x=\"" << ml - 6 << "\" y=\"" << Y(v) + 4 << "\" text-anchor=\"end\">" << v << "</text>\n";
  }
  for (size_t k = 0; k < p.x_ticks.size() && k < p.x_tick_pos.size(); ++k)
    o << "<text x=\"" << X(p.x_tick_pos[k]) << "\" y=\"" << H - mb + 18 << "\" text-anchor=\"middle\">"
      << esc(p.x_ticks[k]) << "</text>\n";
  o << "<line x1=\"" << ml << "\" x2=\"" << W - mr << "\" y1=\"" << H - mb << "\" y2=\"" << H - mb
    << "\" stroke=\"#333\"/>\n<line x1=\"" << ml << "\" x2=\"" << ml << "\" y1=\"" << mt << "\" y2=\"" << H - mb
    << "\" stroke=\"#333\"/>\n";
  o << "<text x=\"" << W / 2 << "\" y=\"" << H - 12 << "\" text-anchor=\"middle\">" << esc(p.x_label) << "</text>\n";
  o << "<text transform=\"translate(16," << H / 2 << ") rotate(-90)\" text-anchor=\"middle\">" << esc(p.y_label)
    << "</text>\n";
  for (const auto& b : p.bands) {
    o << "<polygon fill=\"" << b.color << "\" fill-opacity=\"0.25\" stroke=\"none\" points=\"";
    for (size_t k = 0; k < b.x.size(); ++k) o << X(b.x[k]) << ',' << Y(b.hi[k]) << ' ';
    for (size_t k = b.x.size(); k-- > 0;) o << X(b.x[k]) << ',' << Y(b.lo[k]) << ' ';
    o << "\"/>\n";
  }
  for (const auto& l : p.lines) {
    o << "<polyline fill=\"none\" stroke=\"" << l.color << "\" stroke-width=\"2\""
      << (l.dashed ? " stroke-dasharray=\"6 4\"" : "") << " points=\"";
    for (size_t k = 0; k < l.x.size(); ++k)
      if (std::isfinite(l.y[k])) o << X(l.x[k]) << ',' << Y(l.y[k]) << ' ';
    o << "\"/>\n";
  }
  // Legend.
  double ly = mt + 8;
  auto legend = [&](const std::string& label, const std::string& color, bool band) {
    if (band)
      o << "<rect x=\"" << ml + 12 << "\" y=\"" << ly - 8 << "\" width=\"18\" height=\"10\" fill=\"" << color
        << "\" fill-opacity=\"0.25\"/>\n";
    else
      o << "<line x1=\"" << ml + 12 << "\" x2=\"" << ml + 30 << "\" y1=\"" << ly - 3 << "\" y2=\"" << ly - 3
        << "\" stroke=\"" << color << "\" stroke-width=\"2\"/>\n";
    o << "<text x=\"" << ml + 36 << "\" y=\"" << ly + 1 << "\">" << esc(label) << "</text>\n";
    ly += 16;
  };
  for (const auto& l : p.lines) legend(l.label, l.color, false);
  for (const auto& b : p.bands) legend(b.label, b.color, true);
  o << "</svg>\n";
  return o.str();
}

void write_svg(const Plot& p, const std::string& path, int W, int H) {
  const std::string svg = render_svg(p, W, H);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    ND_CHECK(f.good(), "cannot write plot to '", path, "'");
    f << svg;
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      ND_THROW("cannot write plot to '", path, "'");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    ND_THROW("cannot write plot to '", path, "'");
  }
}

}  // namespace nd::io
