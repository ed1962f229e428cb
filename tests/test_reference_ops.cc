// The reference ops against closed-form values and invariants derived from their
// formulas, so the oracle is itself checked independently of transformers.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/backend/reference/reference_ops.h"
#include "engine/core/dtype.h"

namespace gemmeter {
namespace {

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST_CASE("matmul computes x W^T", "[ops]") {
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};        // [2, 3]
  const std::vector<float> w = {1, 0, -1, 0.5f, 0.5f, 0.5f};  // [2, 3]
  std::vector<float> y(4);
  ref::MatMul(x.data(), w.data(), DType::kF32, y.data(), 2, 2, 3);
  CHECK(y == std::vector<float>{-2, 3, -2, 7.5f});
  std::vector<uint16_t> w_bf16;
  for (float v : w) w_bf16.push_back(FloatToBF16(v));  // all exactly representable
  std::vector<float> y16(4);
  ref::MatMul(x.data(), w_bf16.data(), DType::kBF16, y16.data(), 2, 2, 3);
  CHECK(y16 == y);
}

TEST_CASE("rms_norm scales each row to unit root-mean-square", "[ops]") {
  const std::vector<float> x = {3, 4, 0, 0, 1, 1, 1, 1};  // rows of 4
  const std::vector<float> gain = {1, 1, 2, 1};
  std::vector<float> y(8);
  ref::RmsNorm(x.data(), gain.data(), y.data(), 2, 4, 0.0f);
  // Row 0: mean square 25/4, rms 2.5.
  CHECK(y[0] == Approx(1.2f));
  CHECK(y[1] == Approx(1.6f));
  CHECK(y[6] == Approx(2.0f));
  CHECK(y[7] == Approx(1.0f));
}

TEST_CASE("gelu_tanh matches its formula at known points", "[ops]") {
  CHECK(ref::GeluTanh(0.0) == 0.0);
  // 0.5 (1 + tanh(sqrt(2/pi) * 1.044715)) = 0.841191990607...
  CHECK(ref::GeluTanh(1.0) == Approx(0.8411919906082768).epsilon(1e-12));
  CHECK(ref::GeluTanh(-1.0) == Approx(-0.15880800939172324).epsilon(1e-12));
  CHECK(ref::GeluTanh(10.0) == Approx(10.0));
  const std::vector<float> gate = {1.0f}, up = {2.0f};
  std::vector<float> y(1);
  ref::GeGlu(gate.data(), up.data(), y.data(), 1);
  CHECK(y[0] == Approx(2 * 0.8411919906082768));
}

TEST_CASE("softcap bounds values and is the identity near zero", "[ops]") {
  std::vector<float> x = {0.0f, 1e-3f, 1000.0f, -1000.0f};
  ref::Softcap(x.data(), 4, 30.0f);
  CHECK(x[0] == 0.0f);
  CHECK(x[1] == Approx(1e-3f).epsilon(1e-6));
  CHECK(x[2] == Approx(30.0f));
  CHECK(x[3] == Approx(-30.0f));
}

TEST_CASE("rope rotates pairs (i, i + d/2) by position * inv_freq", "[ops]") {
  const int64_t heads = 2, d = 8;
  const auto original = Random(heads * d, 1);
  SECTION("position 0 is the identity") {
    auto x = original;
    const int32_t pos = 0;
    ref::Rope(x.data(), 1, heads, d, &pos, 10000.0f, 1.0f);
    CHECK(x == original);
  }
  SECTION("closed form at position 3") {
    auto x = original;
    const int32_t pos = 3;
    ref::Rope(x.data(), 1, heads, d, &pos, 10000.0f, 1.0f);
    for (int64_t h = 0; h < heads; ++h) {
      for (int64_t i = 0; i < d / 2; ++i) {
        const double angle = 3.0 * std::pow(10000.0, -2.0 * i / d);
        const double a = original[h * d + i], b = original[h * d + i + d / 2];
        CHECK(x[h * d + i] == Approx(a * std::cos(angle) - b * std::sin(angle)).margin(1e-6));
        CHECK(x[h * d + i + d / 2] == Approx(b * std::cos(angle) + a * std::sin(angle)).margin(1e-6));
      }
    }
  }
  SECTION("linear scaling by 2 at position 6 equals position 3") {
    auto scaled = original, plain = original;
    const int32_t p6 = 6, p3 = 3;
    ref::Rope(scaled.data(), 1, heads, d, &p6, 10000.0f, 2.0f);
    ref::Rope(plain.data(), 1, heads, d, &p3, 10000.0f, 1.0f);
    for (size_t i = 0; i < plain.size(); ++i) CHECK(scaled[i] == Approx(plain[i]).margin(1e-6));
  }
  SECTION("q.k depends only on the position difference") {
    auto q1 = original, k1 = Random(heads * d, 2);
    auto q2 = q1, k2 = k1;
    const int32_t a = 7, b = 4, c = 103, e = 100;
    ref::Rope(q1.data(), 1, heads, d, &a, 10000.0f, 1.0f);
    ref::Rope(k1.data(), 1, heads, d, &b, 10000.0f, 1.0f);
    ref::Rope(q2.data(), 1, heads, d, &c, 10000.0f, 1.0f);
    ref::Rope(k2.data(), 1, heads, d, &e, 10000.0f, 1.0f);
    double dot1 = 0, dot2 = 0;
    for (int64_t i = 0; i < d; ++i) {
      dot1 += q1[i] * k1[i];
      dot2 += q2[i] * k2[i];
    }
    CHECK(dot1 == Approx(dot2).margin(1e-4));
  }
}

TEST_CASE("attention: masks, windows, grouping and soft-capping", "[ops]") {
  AttentionParams p;
  p.num_heads = 2;
  p.num_kv_heads = 1;
  p.head_dim = 2;
  p.scale = 1.0f;
  // Three positions; keys orthogonal-ish, values distinct.
  const std::vector<float> keys = {1, 0, 0, 1, 1, 1};
  const std::vector<float> values = {1, 0, 0, 1, 5, 5};
  const std::vector<float> q = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};  // [3, 2 heads x 2]
  std::vector<float> out(12);
  const HostKvRange whole[] = {{keys.data(), values.data(), 0, 3}};
  // The same cache split into a shared prefix (position 0) and own rows (1, 2).
  const HostKvRange split[] = {{keys.data(), values.data(), 0, 1},
                               {keys.data() + 2, values.data() + 2, 1, 3}};

  SECTION("zero queries average the visible values (causal)") {
    ref::Attention(q.data(), 3, 0, whole, p, out.data());
    CHECK(out[0] == Approx(1.0));  // position 0 sees only v0
    CHECK(out[1] == Approx(0.0));
    CHECK(out[4] == Approx(0.5));  // position 1: mean of v0, v1
    CHECK(out[8] == Approx(2.0));  // position 2: mean of v0, v1, v2
    CHECK(out[10] == out[8]);      // both query heads share the single kv head
    std::vector<float> from_split(12);
    ref::Attention(q.data(), 3, 0, split, p, from_split.data());
    CHECK(from_split == out);  // a prefix read in place gives the same result
  }
  SECTION("a window of 2 hides keys older than one step") {
    p.window = 2;
    ref::Attention(q.data(), 3, 0, whole, p, out.data());
    CHECK(out[8] == Approx(2.5));  // position 2: mean of v1, v2
    CHECK(out[9] == Approx(3.0));
  }
  SECTION("softmax weights follow exp(scale * q.k)") {
    const std::vector<float> q1 = {2, 0, 2, 0};  // one query at position 1
    ref::Attention(q1.data(), 1, 1, whole, p, out.data());
    const double w0 = std::exp(2.0) / (std::exp(2.0) + 1.0);
    CHECK(out[0] == Approx(w0));
    CHECK(out[1] == Approx(1 - w0));
    SECTION("soft-capping at 1 squashes the score 2 to tanh(2)") {
      p.softcap = 1.0f;
      ref::Attention(q1.data(), 1, 1, whole, p, out.data());
      const double c0 = std::exp(std::tanh(2.0)) / (std::exp(std::tanh(2.0)) + 1.0);
      CHECK(out[0] == Approx(c0));
    }
  }
}

TEST_CASE("dtype conversions round to nearest even", "[ops]") {
  CHECK(BF16ToFloat(FloatToBF16(1.0f)) == 1.0f);
  CHECK(FloatToBF16(1.0f + std::ldexp(1.0f, -8)) == FloatToBF16(1.0f));  // tie -> even
  CHECK(BF16ToFloat(FloatToBF16(1.0f + 3 * std::ldexp(1.0f, -9))) == 1.0f + std::ldexp(1.0f, -7));
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f, 0.333251953125f}) {
    CHECK(F16ToFloat(FloatToF16(f)) == f);  // exactly representable in binary16
  }
  CHECK(F16ToFloat(0x3c00) == 1.0f);
  CHECK(F16ToFloat(0x0001) == std::ldexp(1.0f, -24));
  CHECK(std::isinf(F16ToFloat(0x7c00)));
  CHECK(FloatToF16(1e6f) == 0x7c00);
}

TEST_CASE("the reference backend says what it supports", "[ops]") {
  auto backend = MakeBackend("reference");
  CHECK(backend->Supports(Op::kMatMul, DType::kF32));
  CHECK(backend->Supports(Op::kMatMul, DType::kBF16));
  CHECK_FALSE(backend->Supports(Op::kMatMul, DType::kF16));
  CHECK(backend->Supports(Op::kAttention, DType::kF32));
  CHECK_FALSE(backend->Supports(Op::kAttention, DType::kBF16));
  // An op's contract is checked whatever the backend: wrong shapes are named.
  Tensor x = backend->Allocate({2, 3}, DType::kF32);
  Tensor w = backend->Allocate({4, 5}, DType::kF32);
  Tensor y = backend->Allocate({2, 4}, DType::kF32);
  CHECK_THROWS_WITH(backend->MatMul(x, w, y, {}), Catch::Contains("matmul: weight f32[4, 5] must be [N, 3]"));
}

}  // namespace
}  // namespace gemmeter
