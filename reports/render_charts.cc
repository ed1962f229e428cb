// Horizontal and grouped bar charts of rendered reports (see render_charts.h).
#include "reports/render_charts.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/core/error.h"

namespace gemmeter::reports {
namespace {

std::string Truncated(const std::string& label) {
  const size_t max = size_t(kHBarMaxLabelChars);
  return label.size() <= max ? label : label.substr(0, max - 3) + "...";
}

// Colour swatches with their text, in a row from `x` at the top of the chart.
void Legend(Svg& svg, double x, double y, const std::vector<std::pair<std::string, std::string>>& items) {
  for (const auto& [color, text] : items) {
    svg.Rect(x, y - 10, 12, 12, color);
    svg.Text(x + 16, y, text, Anchor::kStart, 12);
    x += 16 + kHBarCharWidth * double(text.size()) + 18;
  }
}

}  // namespace

double HBarLabelWidth(const std::vector<Bar>& bars) {
  size_t longest = 0;
  for (const Bar& b : bars) longest = std::max(longest, Truncated(b.label).size());
  return kHBarCharWidth * double(longest);
}

std::string HBarChart(const HBarChartSpec& spec) {
  Check(!spec.bars.empty(), "chart '{}': no bars", spec.title);
  Check(spec.lo <= 0 && spec.hi >= 0, "chart '{}': the axis [{}, {}] must contain 0", spec.title,
        spec.lo, spec.hi);
  const double x0 = kHBarLeftPad + HBarLabelWidth(spec.bars) + 8;
  const double x1 = kChartWidth - kHBarRight;
  const double plot_top = kHBarTop + (spec.legend.empty() ? 0 : kHBarLegend);
  const double plot_bottom = plot_top + kHBarRow * double(spec.bars.size());
  Svg svg(kChartWidth, plot_bottom + kHBarBottom, spec.title);
  const Scale x = Scale::Linear(spec.lo, spec.hi, x0, x1);
  svg.Text(kHBarLeftPad, 18, spec.title, Anchor::kStart, 14);
  Legend(svg, x0, 34, spec.legend);
  svg.XAxis(x, plot_bottom, plot_top - 4, spec.axis_label, spec.tick_format);

  // Bars and whiskers, then the zero and reference lines over them, then the value
  // labels (with a white halo) over the lines.
  const double zero = x(0);
  std::vector<std::pair<double, double>> label_at(spec.bars.size());  // (x, row middle)
  for (size_t i = 0; i < spec.bars.size(); ++i) {
    const Bar& b = spec.bars[i];
    const double mid = plot_top + kHBarRow * (double(i) + 0.5);
    const double end = x(std::clamp(b.value, spec.lo, spec.hi));
    svg.Text(x0 - 8, mid + 4, Truncated(b.label), Anchor::kEnd, 12);
    svg.Rect(std::min(zero, end), mid - kHBarThickness / 2, std::fabs(end - zero), kHBarThickness,
             b.color, b.tooltip.empty() ? b.label : b.tooltip, "bar");
    double outer = end;  // where the value label may start without covering the whisker
    if (std::isfinite(b.lo) && std::isfinite(b.hi)) {
      const double wl = x(std::clamp(b.lo, spec.lo, spec.hi));
      const double wh = x(std::clamp(b.hi, spec.lo, spec.hi));
      svg.Line(wl, mid, wh, mid, "#333", 1.2);
      svg.Line(wl, mid - 4, wl, mid + 4, "#333", 1.2);
      svg.Line(wh, mid - 4, wh, mid + 4, "#333", 1.2);
      outer = b.value < 0 ? std::min(end, wl) : std::max(end, wh);
    }
    label_at[i] = {outer, mid};
  }
  svg.Line(zero, plot_top - 4, zero, plot_bottom, "#555");
  for (const ReferenceLine& line : spec.lines) {
    if (line.value < spec.lo || line.value > spec.hi) continue;
    const double px = x(line.value);
    svg.Line(px, plot_top - 4, px, plot_bottom, line.color, 1.5, true);
    const double shift = line.anchor == Anchor::kEnd ? -3 : line.anchor == Anchor::kStart ? 3 : 0;
    svg.Text(px + shift, plot_top - 8, line.label, line.anchor, 11, line.color);
  }
  for (size_t i = 0; i < spec.bars.size(); ++i) {
    const Bar& b = spec.bars[i];
    if (b.value_label.empty()) continue;
    const auto [outer, mid] = label_at[i];
    const bool left = b.value < 0;
    svg.Text(outer + (left ? -4 : 4), mid + 4, b.value_label, left ? Anchor::kEnd : Anchor::kStart,
             11, "#333", 0, true);
  }
  return svg.Finish();
}

std::string GroupedBarChart(const GroupedBarSpec& spec) {
  Check(!spec.groups.empty() && !spec.series.empty() && spec.values.size() == spec.groups.size(),
        "chart '{}': no groups or series, or values of the wrong shape", spec.title);
  const double group_width = kGroupedBarWidth * double(spec.series.size()) + kGroupedGap;
  const double plot_width = std::max(360.0, group_width * double(spec.groups.size()));
  const double width = std::min(kChartWidth, kGroupedLeft + plot_width + 30);
  const double x0 = kGroupedLeft, x1 = width - 30;
  const double y0 = kGroupedHeight - kGroupedBottom;
  Svg svg(width, kGroupedHeight, spec.title);
  svg.Text(12, 18, spec.title, Anchor::kStart, 14);
  std::vector<std::pair<std::string, std::string>> legend;
  for (size_t s = 0; s < spec.series.size(); ++s) legend.emplace_back(PaletteColor(s), spec.series[s]);
  Legend(svg, x0, 38, legend);
  const Scale y = Scale::Linear(0, spec.hi, y0, kGroupedTop);
  svg.YAxis(y, x0, x1, spec.axis_label);
  svg.Line(x0, y0, x1, y0, "#555");

  // Groups share the plot width evenly; bars of a group sit side by side in its middle.
  const double slot = (x1 - x0) / double(spec.groups.size());
  for (size_t g = 0; g < spec.groups.size(); ++g) {
    Check(spec.values[g].size() == spec.series.size(), "chart '{}': group {} has {} values", spec.title,
          spec.groups[g], spec.values[g].size());
    const double centre = x0 + slot * (double(g) + 0.5);
    const double left = centre - kGroupedBarWidth * double(spec.series.size()) / 2;
    for (size_t s = 0; s < spec.series.size(); ++s) {
      const double v = spec.values[g][s];
      if (!std::isfinite(v)) continue;
      const double top = y(std::clamp(v, 0.0, spec.hi));
      const std::string text = spec.value_format ? spec.value_format(v) : TickLabel(v);
      const double bx = left + kGroupedBarWidth * double(s);
      svg.Rect(bx + 2, top, kGroupedBarWidth - 4, y0 - top, PaletteColor(s),
               spec.groups[g] + ", " + spec.series[s] + ": " + text, "bar");
      svg.Text(bx + kGroupedBarWidth / 2, top - 4, text, Anchor::kMiddle, 11, "#333");
    }
    svg.Text(centre, y0 + 18, spec.groups[g], Anchor::kMiddle, 12);
  }
  return svg.Finish();
}

}  // namespace gemmeter::reports
