// A small SVG writer for report charts: escaped text, linear and log scales with ticks,
// axes with grid lines, and the shapes the charts need (rectangles, circles, lines,
// polylines, text).
//
// Output is deterministic: coordinates are printed with two decimals and nothing depends
// on the time, the locale or the order of hash maps, so a report renders to the same
// bytes every time (tests and diffs of rendered reports rely on this).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemmeter::reports {

// Escapes the five XML/HTML special characters: & < > " '.
std::string EscapeXml(std::string_view text);

// A coordinate with two decimals; "-0.00" is printed as "0.00".
std::string SvgNum(double v);

// The smallest 1, 2 or 5 times a power of ten that is >= v (v > 0); 0 for v <= 0.
double NiceCeil(double v);
// An axis end for data up to v: the smallest multiple of NiceCeil(v / 4) that is >= v,
// so the axis has four to eight ticks and little empty space (22 -> 30, 0.7 -> 0.8).
double NiceLimit(double v);

// Maps a data domain onto a pixel range (from_px is where `lo` lands; it may be larger
// than to_px, as for a y axis growing upwards).
class Scale {
 public:
  static Scale Linear(double lo, double hi, double from_px, double to_px);
  // Base-10 logarithmic; throws Error unless 0 < lo < hi.
  static Scale Log(double lo, double hi, double from_px, double to_px);

  double operator()(double v) const;
  // Linear: multiples of a 1/2/5 step, about `approx_count` of them; log: the powers of
  // ten inside the domain (and 2x, 5x when there are fewer than three decades).
  std::vector<double> Ticks(int approx_count = 5) const;

  double lo() const { return lo_; }
  double hi() const { return hi_; }
  double from_px() const { return from_; }
  double to_px() const { return to_; }
  bool log() const { return log_; }

 private:
  Scale(double lo, double hi, double from, double to, bool log)
      : lo_(lo), hi_(hi), from_(from), to_(to), log_(log) {}
  double lo_, hi_, from_, to_;
  bool log_;
};

// A compact tick label: 0.001, 0.5, 25, 1k, 20k, 1M (no exponent notation).
std::string TickLabel(double v);

// A categorical palette for series and op families (Tableau 10; cycles past ten).
const std::string& PaletteColor(size_t index);

enum class Anchor { kStart, kMiddle, kEnd };

class Svg {
 public:
  // `title` becomes the chart's <title> (what screen readers and tooltips show).
  Svg(double width, double height, std::string_view title);

  // `cls` is an optional class attribute ("bar" for data bars: tests find them by it);
  // `tooltip` becomes a <title> child.
  void Rect(double x, double y, double w, double h, std::string_view fill,
            std::string_view tooltip = "", std::string_view cls = "");
  void Circle(double cx, double cy, double r, std::string_view fill, std::string_view tooltip = "",
              std::string_view cls = "");
  void Line(double x1, double y1, double x2, double y2, std::string_view stroke,
            double width = 1, bool dashed = false);
  void Polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke,
                double width = 1, bool dashed = false);
  // `rotate` turns the text about (x, y), in degrees (-90: reading upwards); `halo` draws
  // a white outline first, so a label stays readable across grid and reference lines.
  void Text(double x, double y, std::string_view text, Anchor anchor = Anchor::kStart,
            double size = 12, std::string_view fill = "#222", double rotate = 0, bool halo = false);

  // A horizontal axis at pixel row `y`: tick marks, labels and vertical grid lines up to
  // `grid_top`, and `label` centred below.
  void XAxis(const Scale& x, double y, double grid_top, std::string_view label,
             const std::function<std::string(double)>& format = TickLabel, int ticks = 6);
  // A vertical axis at pixel column `x`: ticks, labels, horizontal grid lines to
  // `grid_right`, and `label` written upwards to the left.
  void YAxis(const Scale& y, double x, double grid_right, std::string_view label,
             const std::function<std::string(double)>& format = TickLabel, int ticks = 6);

  // The complete <svg class="chart" ...> element.
  std::string Finish() const;

  double width() const { return width_; }
  double height() const { return height_; }

 private:
  double width_, height_;
  std::string title_;
  std::string body_;
};

}  // namespace gemmeter::reports
