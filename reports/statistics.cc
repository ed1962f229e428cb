#include "reports/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/core/error.h"

namespace gemmeter::reports {
namespace {

// log C(n, k)
double LogChoose(int64_t n, int64_t k) {
  return std::lgamma(double(n) + 1) - std::lgamma(double(k) + 1) - std::lgamma(double(n - k) + 1);
}

// counts[u] = the number of orderings of n1 + n2 distinct values in which the first
// sample's U equals u, by the recurrence c(m, n, u) = c(m - 1, n, u - n) + c(m, n - 1, u)
// (the largest value belongs to the first sample, adding n to U, or to the second).
std::vector<double> ExactUCounts(int64_t n1, int64_t n2) {
  // table[m][n] as vectors over u, built for m <= n1, n <= n2.
  std::vector<std::vector<std::vector<double>>> table(
      static_cast<size_t>(n1 + 1), std::vector<std::vector<double>>(static_cast<size_t>(n2 + 1)));
  for (int64_t m = 0; m <= n1; ++m) {
    for (int64_t n = 0; n <= n2; ++n) {
      std::vector<double>& c = table[m][n];
      c.assign(static_cast<size_t>(m * n + 1), 0.0);
      if (m == 0 || n == 0) {
        c[0] = 1;
        continue;
      }
      const std::vector<double>& first = table[m - 1][n];  // U shifted by n
      const std::vector<double>& second = table[m][n - 1];
      for (size_t u = 0; u < first.size(); ++u) c[u + static_cast<size_t>(n)] += first[u];
      for (size_t u = 0; u < second.size(); ++u) c[u] += second[u];
    }
  }
  return table[n1][n2];
}

}  // namespace

double Median(std::span<const double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

MannWhitney MannWhitneyU(std::span<const double> a, std::span<const double> b) {
  Check(!a.empty() && !b.empty(), "Mann-Whitney U test: each sample needs a value ({} and {})",
        a.size(), b.size());
  const auto n1 = static_cast<int64_t>(a.size()), n2 = static_cast<int64_t>(b.size());
  const int64_t n = n1 + n2;
  // Ranks of the pooled values, ties sharing their average rank.
  std::vector<std::pair<double, int>> pooled;
  for (double x : a) pooled.push_back({x, 0});
  for (double x : b) pooled.push_back({x, 1});
  std::sort(pooled.begin(), pooled.end(),
            [](const auto& l, const auto& r) { return l.first < r.first; });
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j < n && pooled[j].first == pooled[i].first) ++j;
    const double t = double(j - i), rank = (double(i) + double(j) + 1) / 2;  // 1-based
    for (int64_t k = i; k < j; ++k) {
      if (pooled[k].second == 0) rank_sum_a += rank;
    }
    if (t > 1) {
      ties = true;
      tie_term += t * t * t - t;
    }
    i = j;
  }
  MannWhitney r;
  r.u = rank_sum_a - double(n1) * double(n1 + 1) / 2;
  const double mean = double(n1) * double(n2) / 2;
  if (!ties && std::min(n1, n2) <= 8) {
    r.exact = true;
    const std::vector<double> counts = ExactUCounts(n1, n2);
    const double u_low = std::min(r.u, double(n1) * double(n2) - r.u);
    double tail = 0;
    for (int64_t u = 0; u <= static_cast<int64_t>(u_low); ++u) tail += counts[static_cast<size_t>(u)];
    r.p = std::min(1.0, 2 * std::exp(std::log(tail) - LogChoose(n, n1)));
    return r;
  }
  const double variance = double(n1) * double(n2) / 12 *
                          (double(n + 1) - tie_term / (double(n) * double(n - 1)));
  if (variance <= 0) return r;  // every value equal: no evidence either way, p = 1
  const double z = std::max(0.0, std::fabs(r.u - mean) - 0.5) / std::sqrt(variance);
  r.p = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
  return r;
}

double SmallestExactP(int64_t n1, int64_t n2) {
  if (n1 <= 0 || n2 <= 0) return 1;
  return std::min(1.0, 2 * std::exp(-LogChoose(n1 + n2, n1)));
}

double McNemarExactP(int64_t b, int64_t c) {
  Check(b >= 0 && c >= 0, "McNemar test: negative counts {} and {}", b, c);
  const int64_t n = b + c;
  if (n == 0) return 1;
  const int64_t k = std::min(b, c);
  double tail = 0;  // P(X <= k), X ~ Binomial(n, 1/2), summed in log space for large n
  for (int64_t i = 0; i <= k; ++i) tail += std::exp(LogChoose(n, i) - double(n) * std::log(2.0));
  return std::min(1.0, 2 * tail);
}

}  // namespace gemmeter::reports
