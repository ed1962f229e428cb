// The "benchmark" report rendered: the devices' peaks, a roofline of every op benchmark
// that counts FLOPs and bytes, a table of medians, and tokens per second of whole-model
// runs (`gemmeter bench`, model/... benchmarks, llama.cpp side by side).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "engine/core/error.h"
#include "reports/render_charts.h"
#include "reports/render_doc.h"

namespace gemmeter::reports {
namespace {

using nlohmann::json;

// One benchmark over its repetitions: medians of its measures, where the report has them.
struct Summary {
  std::string name;
  int repetitions = 0;
  double time_ns = NAN, flops = NAN, bytes = NAN, peak_frac = NAN;
  double tokens = NAN, tokens_lo = NAN, tokens_hi = NAN;  // tokens/s median, min, max
  std::string error;
};

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double TimeNs(const json& entry, const std::string& where) {
  const double t = Number(entry, "real_time", where);
  const std::string unit = String(entry, "time_unit", where);
  const double scale = unit == "ns" || unit.empty() ? 1 : unit == "us" ? 1e3 : unit == "ms" ? 1e6
                     : unit == "s"                    ? 1e9
                                                      : NAN;
  Check(!std::isnan(scale), "{}: unknown time_unit \"{}\" (ns, us, ms or s)", where, unit);
  return t * scale;
}

// The "median" aggregate's value if the report has one, else the median over the
// repetitions, else the "mean" aggregate's.
double Measure(const std::vector<const json*>& runs, const std::map<std::string, const json*>& aggs,
               const std::function<double(const json&)>& get) {
  if (auto it = aggs.find("median"); it != aggs.end() && std::isfinite(get(*it->second))) {
    return get(*it->second);
  }
  std::vector<double> values;
  for (const json* r : runs) {
    if (const double v = get(*r); std::isfinite(v)) values.push_back(v);
  }
  if (!values.empty()) return Median(values);
  if (auto it = aggs.find("mean"); it != aggs.end()) return get(*it->second);
  return NAN;
}

std::vector<Summary> Summarize(const json& benchmarks) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const json*>> entries;
  for (const json& b : benchmarks) {
    Check(b.is_object(), "benchmarks: an entry is not an object");
    std::string run = String(b, "run_name", "benchmarks");
    if (run.empty()) run = String(b, "name", "benchmarks");
    if (entries.find(run) == entries.end()) order.push_back(run);
    entries[run].push_back(&b);
  }
  std::vector<Summary> out;
  for (const std::string& name : order) {
    const std::string where = "benchmark '" + name + "'";
    Summary s;
    s.name = name;
    std::vector<const json*> runs;
    std::map<std::string, const json*> aggs;
    for (const json* e : entries[name]) {
      if (Field(*e, "error_occurred") && (*e)["error_occurred"] == true) {
        s.error = String(*e, "error_message", where);
        if (s.error.empty()) s.error = "error";
      }
      if (String(*e, "run_type", where) == "aggregate") {
        aggs[String(*e, "aggregate_name", where)] = e;
      } else {
        runs.push_back(e);
      }
      if (const double r = Number(*e, "repetitions", where); r > 0) {
        s.repetitions = std::max(s.repetitions, int(r));
      }
    }
    s.repetitions = std::max(s.repetitions, int(runs.size()));
    auto counter = [&](const char* key) {
      return [&where, key](const json& e) { return Number(e, key, where); };
    };
    s.time_ns = Measure(runs, aggs, [&](const json& e) { return TimeNs(e, where); });
    s.flops = Measure(runs, aggs, counter("flops"));
    s.bytes = Measure(runs, aggs, counter("bytes"));
    s.peak_frac = Measure(runs, aggs, counter("peak_frac"));
    s.tokens = Measure(runs, aggs, counter("tokens_per_second"));
    std::vector<double> tokens;
    for (const json* r : runs) {
      if (const double v = Number(*r, "tokens_per_second", where); std::isfinite(v)) tokens.push_back(v);
    }
    if (!tokens.empty()) {
      s.tokens_lo = *std::min_element(tokens.begin(), tokens.end());
      s.tokens_hi = *std::max_element(tokens.begin(), tokens.end());
    } else if (aggs.count("min") && aggs.count("max")) {
      s.tokens_lo = Number(*aggs["min"], "tokens_per_second", where);
      s.tokens_hi = Number(*aggs["max"], "tokens_per_second", where);
    }
    out.push_back(std::move(s));
  }
  return out;
}

void Devices(const json& report, Document& doc, RooflineSpec& roofline) {
  const json& devices = Object(report, "devices", "report");
  if (devices.empty()) return;
  Table t{{"device", "name", "cores", "f32 GFLOP/s", "bf16 GFLOP/s", "read GB/s"},
          {false, false, true, true, true, true}, {}};
  for (const auto& [key, device] : devices.items()) {
    const std::string where = "devices." + key;
    const json& peaks = Object(device, "peaks", where);
    auto peak = [&](const char* value, const char* impl) {
      const std::string i = String(peaks, impl, where + ".peaks");
      return Fixed(Number(peaks, value, where + ".peaks"), 1) + (i.empty() ? "" : " (" + i + ")");
    };
    t.rows.push_back({key, String(device, "name", where), Fixed(Number(device, "cores", where), 0),
                      peak("f32_gflops", "f32_impl"), peak("bf16_gflops", "bf16_impl"),
                      Fixed(Number(peaks, "read_bandwidth_gbs", where + ".peaks"), 1)});
    if (key != "cpu") continue;  // op benchmarks run on the CPU backends so far
    for (const char* dtype : {"f32", "bf16"}) {
      const double p = Number(peaks, std::string(dtype) + "_gflops", where + ".peaks");
      if (std::isfinite(p) && p > 0) roofline.ceilings.emplace_back(std::string(dtype) + " peak", p);
    }
    roofline.bandwidth_gbs = Number(peaks, "read_bandwidth_gbs", where + ".peaks");
  }
  doc.Heading(2, "Devices");
  doc.AddTable(t);
}

}  // namespace

void RenderBenchmark(const json& report, Document& doc) {
  RooflineSpec roofline{"Roofline: achieved GFLOP/s against arithmetic intensity", {}, {}, NAN};
  Devices(report, doc, roofline);
  const std::vector<Summary> rows = Summarize(Array(report, "benchmarks", "report"));

  doc.Heading(2, "Roofline");
  for (const Summary& s : rows) {
    if (!s.error.empty() || !(s.flops > 0) || !(s.bytes > 0)) continue;
    const std::string name = DisplayName(s.name);
    roofline.points.push_back({name, name.substr(0, name.find('/')), s.flops / s.bytes, s.flops / 1e9});
  }
  if (roofline.points.empty()) {
    doc.Note("No benchmark counts FLOPs and bytes: no roofline.");
  } else {
    doc.Paragraph(fmt::format("{} benchmarks with FLOP and byte counters (medians over repetitions).",
                              roofline.points.size()));
    doc.Chart(RooflineChart(roofline));
  }

  doc.Heading(2, "Benchmarks");
  if (rows.empty()) doc.Note("The report holds no benchmarks.");
  Table t{{"benchmark", "median time", "GFLOP/s", "GB/s", "% of peak", "repetitions"},
          {false, true, true, true, true, true}, {}};
  for (const Summary& s : rows) {
    if (!s.error.empty()) {
      t.rows.push_back({DisplayName(s.name), "error: " + s.error, "-", "-", "-", "-"});
      continue;
    }
    t.rows.push_back({DisplayName(s.name), Duration(s.time_ns), Fixed(s.flops / 1e9, 2),
                      Fixed(s.bytes / 1e9, 2), Percent(s.peak_frac, 1), std::to_string(s.repetitions)});
  }
  if (!rows.empty()) doc.AddTable(t);

  std::vector<const Summary*> tokens;
  for (const Summary& s : rows) {
    if (std::isfinite(s.tokens)) tokens.push_back(&s);
  }
  if (tokens.empty()) return;
  doc.Heading(2, "Tokens per second");
  Table tt{{"benchmark", "tokens/s (median)", "± half range", "min", "max", "repetitions"},
           {false, true, true, true, true, true}, {}};
  HBarChartSpec chart{"Tokens per second (median; whiskers: min to max)", "tokens/s", 0, 0, {}, {}, {}};
  for (const Summary* s : tokens) {
    const double half = (s->tokens_hi - s->tokens_lo) / 2;
    tt.rows.push_back({DisplayName(s->name), Fixed(s->tokens, 1), Fixed(half, 1), Fixed(s->tokens_lo, 1),
                       Fixed(s->tokens_hi, 1), std::to_string(s->repetitions)});
    chart.hi = std::max({chart.hi, s->tokens, std::isfinite(s->tokens_hi) ? s->tokens_hi : 0.0});
    chart.bars.push_back({DisplayName(s->name), s->tokens, s->tokens_lo, s->tokens_hi,
                          PaletteColor(0), Fixed(s->tokens, 1),
                          fmt::format("{}: {} tokens/s", DisplayName(s->name), Fixed(s->tokens, 1))});
  }
  doc.AddTable(tt);
  chart.hi = NiceLimit(chart.hi > 0 ? chart.hi * 1.05 : 1);
  doc.Chart(HBarChart(chart));
}

}  // namespace gemmeter::reports
