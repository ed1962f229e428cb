// The SVG writer behind report charts (see svg.h).
#include "reports/svg.h"

#include <fmt/format.h>

#include <cmath>

#include "engine/core/error.h"

namespace gemmeter::reports {

std::string EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string SvgNum(double v) {
  // Values that would print as -0.00 print as 0.00, so equal pictures give equal bytes.
  if (!std::isfinite(v) || std::fabs(v) < 0.005) v = 0;
  return fmt::format("{:.2f}", v);
}

double NiceCeil(double v) {
  if (!(v > 0)) return 0;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    // A little slack, so 0.3 / 0.1 computed as 2.9999999999999996 stays 3 -> 5, not 10.
    if (m * p >= v * (1 - 1e-12)) return m * p;
  }
  return 10 * p;
}

double NiceLimit(double v) {
  if (!(v > 0)) return 0;
  const double step = NiceCeil(v / 4);
  return std::ceil(v / step * (1 - 1e-12)) * step;
}

Scale Scale::Linear(double lo, double hi, double from_px, double to_px) {
  Check(std::isfinite(lo) && std::isfinite(hi) && hi > lo, "chart scale: empty domain [{}, {}]",
        lo, hi);
  return Scale(lo, hi, from_px, to_px, false);
}

Scale Scale::Log(double lo, double hi, double from_px, double to_px) {
  Check(lo > 0 && std::isfinite(hi) && hi > lo, "chart scale: log domain [{}, {}] is not positive",
        lo, hi);
  return Scale(lo, hi, from_px, to_px, true);
}

double Scale::operator()(double v) const {
  const double t = log_ ? (std::log10(v) - std::log10(lo_)) / (std::log10(hi_) - std::log10(lo_))
                        : (v - lo_) / (hi_ - lo_);
  return from_ + t * (to_ - from_);
}

std::vector<double> Scale::Ticks(int approx_count) const {
  std::vector<double> ticks;
  if (log_) {
    const int first = int(std::ceil(std::log10(lo_) - 1e-9));
    const int last = int(std::floor(std::log10(hi_) + 1e-9));
    const bool fine = last - first < 2;  // under three decades: add 2x and 5x ticks
    for (int e = first - 1; e <= last; ++e) {
      for (double m : {1.0, 2.0, 5.0}) {
        if (m != 1.0 && !fine) continue;
        const double v = m * std::pow(10.0, e);
        if (v >= lo_ * (1 - 1e-9) && v <= hi_ * (1 + 1e-9)) ticks.push_back(v);
      }
    }
    return ticks;
  }
  const double step = NiceCeil((hi_ - lo_) / std::max(1, approx_count));
  // Multiples of the step, computed from an integer count so they do not drift.
  const double first = std::ceil(lo_ / step - 1e-9);
  for (int i = 0; (first + i) * step <= hi_ + step * 1e-9; ++i) {
    const double v = (first + i) * step;
    ticks.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  }
  return ticks;
}

std::string TickLabel(double v) {
  const double a = std::fabs(v);
  auto trim = [](std::string s) {
    if (s.find('.') != std::string::npos) {
      while (s.back() == '0') s.pop_back();
      if (s.back() == '.') s.pop_back();
    }
    return s;
  };
  if (a >= 1e9) return trim(fmt::format("{:.2f}", v / 1e9)) + "G";
  if (a >= 1e6) return trim(fmt::format("{:.2f}", v / 1e6)) + "M";
  if (a >= 1e4) return trim(fmt::format("{:.2f}", v / 1e3)) + "k";
  if (a >= 1 || a == 0) return trim(fmt::format("{:.2f}", v));
  return trim(fmt::format("{:.6f}", v));
}

const std::string& PaletteColor(size_t index) {
  // Tableau 10: distinct hues that stay apart for the common colour-vision deficiencies.
  static const std::string kColors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return kColors[index % 10];
}

Svg::Svg(double width, double height, std::string_view title)
    : width_(width), height_(height), title_(title) {}

namespace {

std::string Attr(std::string_view name, std::string_view value) {
  return value.empty() ? "" : fmt::format(" {}=\"{}\"", name, EscapeXml(value));
}

std::string TitleChild(std::string_view tooltip) {
  return tooltip.empty() ? "" : fmt::format("<title>{}</title>", EscapeXml(tooltip));
}

}  // namespace

void Svg::Rect(double x, double y, double w, double h, std::string_view fill,
               std::string_view tooltip, std::string_view cls) {
  body_ += fmt::format("<rect{} x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\">{}</rect>\n",
                       Attr("class", cls), SvgNum(x), SvgNum(y), SvgNum(std::max(0.0, w)),
                       SvgNum(std::max(0.0, h)), EscapeXml(fill), TitleChild(tooltip));
}

void Svg::Circle(double cx, double cy, double r, std::string_view fill, std::string_view tooltip,
                 std::string_view cls) {
  body_ += fmt::format(
      "<circle{} cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" fill-opacity=\"0.85\" stroke=\"#fff\" "
      "stroke-width=\"0.5\">{}</circle>\n",
      Attr("class", cls), SvgNum(cx), SvgNum(cy), SvgNum(r), EscapeXml(fill), TitleChild(tooltip));
}

void Svg::Line(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
               bool dashed) {
  body_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"{}/>\n",
                       SvgNum(x1), SvgNum(y1), SvgNum(x2), SvgNum(y2), EscapeXml(stroke),
                       SvgNum(width), dashed ? " stroke-dasharray=\"5 4\"" : "");
}

void Svg::Polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke,
                   double width, bool dashed) {
  std::string list;
  for (const auto& [x, y] : points) {
    list += fmt::format("{}{},{}", list.empty() ? "" : " ", SvgNum(x), SvgNum(y));
  }
  body_ += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"{}/>\n",
                       list, EscapeXml(stroke), SvgNum(width),
                       dashed ? " stroke-dasharray=\"5 4\"" : "");
}

void Svg::Text(double x, double y, std::string_view text, Anchor anchor, double size,
               std::string_view fill, double rotate, bool halo) {
  const char* a = anchor == Anchor::kStart ? "start" : anchor == Anchor::kMiddle ? "middle" : "end";
  const std::string turn =
      rotate == 0 ? "" : fmt::format(" transform=\"rotate({} {} {})\"", SvgNum(rotate), SvgNum(x), SvgNum(y));
  const char* outline = halo ? " stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\"" : "";
  body_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" font-size=\"{}\" fill=\"{}\"{}{}>{}</text>\n",
                       SvgNum(x), SvgNum(y), a, SvgNum(size), EscapeXml(fill), turn, outline,
                       EscapeXml(text));
}

void Svg::XAxis(const Scale& x, double y, double grid_top, std::string_view label,
                const std::function<std::string(double)>& format, int ticks) {
  for (double v : x.Ticks(ticks)) {
    const double px = x(v);
    Line(px, grid_top, px, y, "#e3e3e3");
    Line(px, y, px, y + 5, "#555");
    Text(px, y + 18, format(v), Anchor::kMiddle, 11, "#444");
  }
  Line(x.from_px(), y, x.to_px(), y, "#555");
  if (!label.empty()) Text((x.from_px() + x.to_px()) / 2, y + 36, label, Anchor::kMiddle, 12);
}

void Svg::YAxis(const Scale& y, double x, double grid_right, std::string_view label,
                const std::function<std::string(double)>& format, int ticks) {
  for (double v : y.Ticks(ticks)) {
    const double py = y(v);
    Line(x, py, grid_right, py, "#e3e3e3");
    Line(x - 5, py, x, py, "#555");
    Text(x - 8, py + 4, format(v), Anchor::kEnd, 11, "#444");
  }
  Line(x, y.from_px(), x, y.to_px(), "#555");
  if (!label.empty()) Text(16, (y.from_px() + y.to_px()) / 2, label, Anchor::kMiddle, 12, "#222", -90);
}

std::string Svg::Finish() const {
  return fmt::format(
      "<svg class=\"chart\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" role=\"img\" font-family=\"sans-serif\">\n<title>{2}</title>\n"
      "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"#fff\"/>\n{3}</svg>\n",
      SvgNum(width_), SvgNum(height_), EscapeXml(title_), body_);
}

}  // namespace gemmeter::reports
