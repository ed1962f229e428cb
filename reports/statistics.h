// Statistics for comparing runs: the Mann-Whitney U test (benchmark repetitions) and the
// exact McNemar test (paired predictions of two evaluations).
#pragma once

#include <cstdint>
#include <span>

namespace gemmeter::reports {

// The middle value (mean of the two middle ones for an even count); NaN when empty.
double Median(std::span<const double> values);

struct MannWhitney {
  double u = 0;      // U of the first sample: pairs (a, b) with a > b, ties counting 1/2
  double p = 1;      // two-sided p-value
  bool exact = false;
};

// Two-sided Mann-Whitney U test of `a` against `b`, choosing its method as
// scipy.stats.mannwhitneyu's method="auto" does: the exact null distribution of U when
// the smaller sample has at most 8 values and no value is tied; otherwise the normal
// approximation with the tie-corrected variance and a continuity correction of 1/2:
//   z = (|U - n1 n2 / 2| - 1/2) / sqrt(n1 n2 / 12 (n + 1 - sum(t^3 - t) / (n (n - 1))))
// (t: sizes of the groups of tied values), p = erfc(z / sqrt 2). p = 1 when all values
// are equal. Needs at least one value in each sample.
MannWhitney MannWhitneyU(std::span<const double> a, std::span<const double> b);

// The smallest two-sided p-value the exact test can give for samples of these sizes,
// 2 / C(n1 + n2, n1): with 3 repetitions each it is 0.1, so no 5% test can succeed.
double SmallestExactP(int64_t n1, int64_t n2);

// Exact two-sided McNemar test of paired binary outcomes: of the n = b + c pairs that
// disagree, b went one way and c the other; under the null each is Binomial(n, 1/2):
// p = min(1, 2 P(X <= min(b, c))), 1 when n = 0.
double McNemarExactP(int64_t b, int64_t c);

}  // namespace gemmeter::reports
