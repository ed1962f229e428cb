// The charts of rendered reports, as SVG strings: horizontal bars (accuracy per subject,
// tokens per second, diverging change per benchmark), grouped vertical bars (accuracy of
// two reports side by side) and the roofline (achieved GFLOP/s against arithmetic
// intensity, under the machine's compute and bandwidth ceilings).
//
// The layout constants are public so tests can compute where a value must land.
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "reports/svg.h"

namespace gemmeter::reports {

inline constexpr double kChartWidth = 900;

// ---------------------------------------------------------------- horizontal bars
// Rows of bars drawn from the value 0 to their value (so negative values extend left),
// each with an optional whisker [lo, hi] (a standard error, a spread).
inline constexpr double kHBarLeftPad = 12;     // left of the label column
inline constexpr double kHBarCharWidth = 6.5;  // assumed width of a 12px label character
inline constexpr double kHBarMaxLabelChars = 44;
inline constexpr double kHBarRight = 70;       // right margin (value labels)
inline constexpr double kHBarTop = 40;         // title line and reference line labels
inline constexpr double kHBarLegend = 20;      // added to the top when there is a legend
inline constexpr double kHBarRow = 20;         // pixels per bar
inline constexpr double kHBarThickness = 13;
inline constexpr double kHBarBottom = 50;      // axis and its label

struct Bar {
  std::string label;
  double value = 0;
  double lo = NAN, hi = NAN;  // whisker ends; NaN: none
  std::string color = "#4e79a7";
  std::string value_label;    // printed past the bar's end ("25.9%")
  std::string tooltip;
};

struct ReferenceLine {
  double value = 0;
  std::string label;
  std::string color = "#555";
  // Where the label sits: centred over the line, or ending (starting) just left (right)
  // of it, so the labels of two close lines do not overlap.
  Anchor anchor = Anchor::kMiddle;
};

struct HBarChartSpec {
  std::string title;
  std::string axis_label;
  double lo = 0, hi = 1;  // the axis domain; must contain 0 and every bar
  std::vector<Bar> bars;
  std::vector<ReferenceLine> lines;  // dashed vertical lines (chance level, thresholds)
  std::vector<std::pair<std::string, std::string>> legend;  // (colour, text)
  std::function<std::string(double)> tick_format = TickLabel;
};

// The label column's width: the longest label (truncated past kHBarMaxLabelChars) times
// kHBarCharWidth. The plot spans [kHBarLeftPad + this + 8, kChartWidth - kHBarRight];
// its first row starts kHBarTop (+ kHBarLegend with a legend) from the top.
double HBarLabelWidth(const std::vector<Bar>& bars);
std::string HBarChart(const HBarChartSpec& spec);

// ---------------------------------------------------------------- grouped vertical bars
inline constexpr double kGroupedHeight = 320;
inline constexpr double kGroupedLeft = 70, kGroupedTop = 48, kGroupedBottom = 46;
inline constexpr double kGroupedBarWidth = 44, kGroupedGap = 48;

struct GroupedBarSpec {
  std::string title;
  std::string axis_label;
  double hi = 100;                       // y axis from 0 to hi
  std::vector<std::string> groups;       // x categories (metrics)
  std::vector<std::string> series;       // bars within a group (report A, report B)
  std::vector<std::vector<double>> values;  // [group][series]
  std::function<std::string(double)> value_format;
};

std::string GroupedBarChart(const GroupedBarSpec& spec);

// ---------------------------------------------------------------- roofline
inline constexpr double kRoofHeight = 520;
inline constexpr double kRoofLeft = 80, kRoofRight = 220, kRoofTop = 30, kRoofBottom = 56;

struct RooflinePoint {
  std::string label;
  std::string family;  // colour key (the op: matmul, rms_norm, ...)
  double intensity = 0;  // FLOP per byte
  double gflops = 0;
};

struct RooflineSpec {
  std::string title;
  std::vector<RooflinePoint> points;
  std::vector<std::pair<std::string, double>> ceilings;  // (name, GFLOP/s)
  double bandwidth_gbs = NAN;                            // NaN: no bandwidth roof
};

// Both axes are log10, each spanning whole decades around the points and the roofs (x up
// to ten times the highest ridge, so every flat roof shows for a decade).
std::string RooflineChart(const RooflineSpec& spec);

}  // namespace gemmeter::reports
