// The roofline chart (see render_charts.h): each benchmark is a point at its arithmetic
// intensity and achieved GFLOP/s; the machine's ceilings are min(peak, bandwidth x
// intensity), so a point's distance below its roof is the headroom left.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>

#include "engine/core/error.h"
#include "reports/render_charts.h"

namespace gemmeter::reports {
namespace {

// Whole decades around [lo, hi], at least one.
std::pair<double, double> Decades(double lo, double hi) {
  double a = std::pow(10.0, std::floor(std::log10(lo) + 1e-9));
  double b = std::pow(10.0, std::ceil(std::log10(hi) - 1e-9));
  if (b <= a) b = a * 10;
  return {a, b};
}

}  // namespace

std::string RooflineChart(const RooflineSpec& spec) {
  Check(!spec.points.empty(), "chart '{}': no points", spec.title);
  const double bw = spec.bandwidth_gbs;
  const bool has_bw = std::isfinite(bw) && bw > 0;
  double ai_lo = INFINITY, ai_hi = 0, gf_lo = INFINITY, gf_hi = 0;
  for (const RooflinePoint& p : spec.points) {
    Check(p.intensity > 0 && p.gflops > 0, "chart '{}': point '{}' is not positive", spec.title,
          p.label);
    ai_lo = std::min(ai_lo, p.intensity), ai_hi = std::max(ai_hi, p.intensity);
    gf_lo = std::min(gf_lo, p.gflops), gf_hi = std::max(gf_hi, p.gflops);
  }
  for (const auto& [name, peak] : spec.ceilings) {
    gf_hi = std::max(gf_hi, peak);
    // The ridge (where bandwidth stops limiting) belongs in view, with a decade of the
    // flat roof after it for the ceiling's label: it separates the memory-bound ops from
    // the compute-bound ones.
    if (has_bw) ai_hi = std::max(ai_hi, 10 * peak / bw);
  }
  const auto [x_lo, x_hi] = Decades(ai_lo, ai_hi);
  const auto [y_lo, y_hi] = Decades(gf_lo, gf_hi);

  const double x0 = kRoofLeft, x1 = kChartWidth - kRoofRight;
  const double y0 = kRoofHeight - kRoofBottom, y1 = kRoofTop;
  const Scale x = Scale::Log(x_lo, x_hi, x0, x1);
  const Scale y = Scale::Log(y_lo, y_hi, y0, y1);
  Svg svg(kChartWidth, kRoofHeight, spec.title);
  svg.Text(12, 18, spec.title, Anchor::kStart, 14);
  svg.XAxis(x, y0, y1, "arithmetic intensity (FLOP per byte)");
  svg.YAxis(y, x0, x1, "achieved GFLOP/s");

  // Roofs: min(peak, bw * ai) from where the slope enters the plot to its right edge.
  const double ai_start = has_bw ? std::max(x_lo, y_lo / bw) : x_lo;
  for (size_t i = 0; i < spec.ceilings.size(); ++i) {
    const auto& [name, peak] = spec.ceilings[i];
    auto roof = [&](double ai) { return has_bw ? std::min(peak, bw * ai) : peak; };
    std::vector<std::pair<double, double>> line;
    for (double ai : {ai_start, has_bw ? std::clamp(peak / bw, ai_start, x_hi) : ai_start, x_hi}) {
      line.emplace_back(x(ai), y(std::clamp(roof(ai), y_lo, y_hi)));
    }
    const std::string color = i == 0 ? "#333" : "#777";
    svg.Polyline(line, color, 1.8, i > 0);
    svg.Text(x1 - 4, y(peak) - 6, fmt::format("{} {:.1f} GFLOP/s", name, peak), Anchor::kEnd, 11,
             color);
  }
  if (has_bw) {
    // The bandwidth label follows the slope, a little way up from where it enters.
    const double a = ai_start, b = std::min(x_hi, y_hi / bw);
    const double px_a = x(a), py_a = y(bw * a), px_b = x(b), py_b = y(bw * b);
    const double angle = std::atan2(py_b - py_a, px_b - px_a) * 180 / std::numbers::pi;
    const double t = 0.12;
    svg.Text(px_a + t * (px_b - px_a) + 4, py_a + t * (py_b - py_a) - 6,
             fmt::format("read bandwidth {:.1f} GB/s", bw), Anchor::kStart, 11, "#333", angle);
  }

  // Points coloured by family, in first-seen order; the legend counts them.
  std::vector<std::string> families;
  std::map<std::string, size_t> family_index, family_count;
  for (const RooflinePoint& p : spec.points) {
    if (family_index.try_emplace(p.family, families.size()).second) families.push_back(p.family);
    ++family_count[p.family];
  }
  for (const RooflinePoint& p : spec.points) {
    svg.Circle(x(p.intensity), y(p.gflops), 4.5, PaletteColor(family_index[p.family]),
               fmt::format("{}: {:.3g} FLOP/byte, {:.3g} GFLOP/s", p.label, p.intensity, p.gflops),
               "point");
  }
  double ly = y1 + 8;
  svg.Text(x1 + 24, ly, "op (benchmarks)", Anchor::kStart, 12);
  for (const std::string& f : families) {
    ly += 18;
    svg.Circle(x1 + 30, ly - 4, 5, PaletteColor(family_index[f]));
    svg.Text(x1 + 42, ly, fmt::format("{} ({})", f, family_count[f]), Anchor::kStart, 12);
  }
  return svg.Finish();
}

}  // namespace gemmeter::reports
