// The vectorized block-format kernels (engine/backend/cpu/quant_kernels.h), every variant
// this CPU runs, against gguf-py's dequantization of the same blocks
// (tools/make_dequant_fixtures.py): real blocks from the Gemma 3 270M file and random
// blocks of every format.
//
// Budgets. Dequantize: q8_0, q4_0, q5_0 and q6_k decode with the plain decoders' exact
// float operations; q4_k/q5_k may fuse d sc q - dmin m into one multiply-add, which drops
// the rounding of one product |d sc q| <= |y| + |dmin m|: |diff| <= 2 u max|row| per row
// (u = 2^-24), checked for all. Dot: the float sum of k products in 16 lanes, then a
// tree, has error <= (k / 16 + 8) u sum|x w| (the standard bound for recursive
// summation, n u per term, with n the longest chain), plus the decoding error above times
// sum|x|.
#include <catch2/catch.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <set>

#include "engine/backend/backend.h"
#include "engine/backend/cpu/quant_kernels.h"
#include "engine/backend/cpu/row_groups.h"
#include "engine/core/quant_blocks.h"
#include "engine/build_config.h"
#include "engine/io/gguf.h"
#include "engine/io/safetensors.h"

namespace gemmeter {
namespace {

constexpr double kU = 0x1p-24;
const std::string kFixtures = std::string(GEMMETER_SOURCE_ROOT) + "/tests/fixtures/dequant/";

TEST_CASE("block kernels of every variant match gguf-py", "[quant_kernels]") {
  const GgufFile blocks(kFixtures + "blocks.gguf");
  const SafetensorsFile expected(kFixtures + "expected.safetensors");
  std::set<std::string> formats;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (cpu::Isa isa : cpu::AvailableIsas()) {
    for (const std::string& name : blocks.Names()) {
      const StoredTensor& t = *blocks.Find(name);
      if (!IsBlockFormat(t.dtype)) continue;
      DYNAMIC_SECTION(cpu::IsaName(isa) << " " << name) {
        const cpu::BlockKernels& kernels = cpu::KernelsFor(t.dtype, isa);
        const auto* want = static_cast<const float*>(expected.Find(name)->data);
        const int64_t k = t.shape.back(), rows = t.shape[0];
        const size_t row_bytes = RowBytes(t.dtype, k);
        std::vector<float> got(static_cast<size_t>(k)), x(static_cast<size_t>(k));
        for (int64_t r = 0; r < rows; ++r) {
          const auto* row = static_cast<const uint8_t*>(t.data) + r * row_bytes;
          const float* w = want + r * k;
          kernels.dequantize(row, got.data(), k);
          double max_abs = 0, sum_abs_x = 0, sum_abs_xw = 0, exact = 0;
          for (int64_t i = 0; i < k; ++i) max_abs = std::max(max_abs, std::fabs(double(w[i])));
          const double decode_error = 2 * kU * max_abs;
          int64_t outside = 0;
          for (int64_t i = 0; i < k; ++i) {
            outside += !(std::fabs(double(got[i]) - w[i]) <= decode_error);
            x[i] = normal(rng);
            sum_abs_x += std::fabs(x[i]);
            sum_abs_xw += std::fabs(double(x[i]) * w[i]);
            exact += double(x[i]) * w[i];
          }
          CHECK(outside == 0);
          const double dot = kernels.dot(x.data(), row, k);
          const double budget = (double(k) / 16 + 8) * kU * sum_abs_xw + decode_error * sum_abs_x;
          INFO("row " << r << ": dot " << dot << " vs " << exact << ", budget " << budget);
          CHECK(std::fabs(dot - exact) <= budget);
        }
      }
      formats.insert(std::string(DTypeName(t.dtype)));
    }
  }
  CHECK(formats.size() == std::size(kBlockDTypes));
  fmt::print("block kernels: {} variants run here\n", cpu::AvailableIsas().size());
}

// Random blocks with finite scales near 2^-7 (RandomBlocks lives in the op harness).
std::vector<uint8_t> RandomRows(std::mt19937& rng, DType dtype, int64_t rows, int64_t k) {
  std::vector<uint8_t> bytes(RowBytes(dtype, k) * static_cast<size_t>(rows));
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  const size_t block_bytes = RowBytes(dtype, kBlockQ);
  for (size_t at = 0; at < bytes.size(); at += block_bytes) {
    const uint16_t half = static_cast<uint16_t>(0x2000 + rng() % 0x400);  // [2^-7, 2^-6)
    std::memcpy(&bytes[at], &half, 2);
  }
  return bytes;
}

TEST_CASE("row groups hold the rows' bytes, rearranged", "[quant_kernels][row_groups]") {
  std::mt19937 rng(11);
  for (DType dtype : kBlockDTypes) {
    CHECK(cpu::HasRowGroups(dtype) ==
          (dtype == DType::kQ8_0 || dtype == DType::kQ4_0 || dtype == DType::kQ5_0));
    if (!cpu::HasRowGroups(dtype)) continue;
    INFO(DTypeName(dtype));
    const int64_t rows = 48, k = 96;
    const std::vector<uint8_t> plain = RandomRows(rng, dtype, rows, k);
    std::vector<uint8_t> groups(plain.size()), row(RowBytes(dtype, k));
    cpu::GroupRows(plain.data(), dtype, rows, k, groups.data());
    CHECK(groups != plain);
    for (int64_t r = 0; r < rows; ++r) {
      cpu::UngroupRow(groups.data(), dtype, k, r, row.data());
      CHECK(std::equal(row.begin(), row.end(), plain.begin() + r * row.size()));
    }
    // Layout (row_groups.h): row 17 (group 1, lane 1), block 2: its scale, then its
    // payload byte p at 32 + 16 p + lane.
    const size_t block_bytes = RowBytes(dtype, kBlockQ);
    const uint8_t* block = plain.data() + 17 * row.size() + 2 * block_bytes;
    const uint8_t* grouped = groups.data() + (3 + 2) * 16 * block_bytes;
    CHECK(std::memcmp(grouped + 2, block, 2) == 0);
    for (size_t p = 0; p + 2 < block_bytes; ++p) CHECK(grouped[32 + 16 * p + 1] == block[2 + p]);
    CHECK_THROWS_WITH(cpu::GroupRows(plain.data(), dtype, 40, k, groups.data()),
                      Catch::Contains("not whole groups of 16"));
  }
  CHECK_THROWS_WITH(cpu::UngroupRow(nullptr, DType::kQ4_K, 256, 0, nullptr),
                    Catch::Contains("no row-group layout"));
}

// Budget: per block, four chains of 8 multiply-adds, two adds, one multiply-add by the
// scale; then k / 32 blocks accumulated: error <= (k / 32 + 11) u sum|x w| (recursive
// summation; w = d code is exact in float, so the decode adds nothing).
TEST_CASE("row-group dot products of every variant match the dequantized rows",
          "[quant_kernels][row_groups]") {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  for (cpu::Isa isa : cpu::AvailableIsas()) {
    for (DType dtype : {DType::kQ8_0, DType::kQ4_0, DType::kQ5_0}) {
      for (int64_t k : {32, 640, 2048}) {
        INFO(cpu::IsaName(isa) << " " << DTypeName(dtype) << " k=" << k);
        const std::vector<uint8_t> plain = RandomRows(rng, dtype, 16, k);
        std::vector<uint8_t> groups(plain.size());
        cpu::GroupRows(plain.data(), dtype, 16, k, groups.data());
        std::vector<float> x(static_cast<size_t>(k)), w(static_cast<size_t>(k)), y(16);
        for (float& v : x) v = normal(rng);
        cpu::KernelsFor(dtype, isa).group_dot(x.data(), groups.data(), k, y.data());
        for (int64_t r = 0; r < 16; ++r) {
          DequantizeBlocks(dtype, plain.data() + r * RowBytes(dtype, k), w.data(), k);
          double exact = 0, sum_abs = 0;
          for (int64_t i = 0; i < k; ++i) {
            exact += double(x[i]) * w[i];
            sum_abs += std::fabs(double(x[i]) * w[i]);
          }
          const double budget = (double(k) / 32 + 11) * kU * sum_abs;
          INFO("row " << r << ": " << y[r] << " vs " << exact << ", budget " << budget);
          CHECK(std::fabs(y[r] - exact) <= budget);
        }
      }
    }
  }
}

TEST_CASE("a block whose scale is NaN decodes to NaN in every variant", "[quant_kernels]") {
  // The op suite's guard rows are all-ones bytes: NaN halves. A kernel that read past its
  // rows must turn them into NaN, not into plausible numbers.
  for (cpu::Isa isa : cpu::AvailableIsas()) {
    for (DType dtype : kBlockDTypes) {
      const std::vector<uint8_t> row(RowBytes(dtype, 256), 0xff);
      std::vector<float> out(256), x(256, 1.0f);
      cpu::KernelsFor(dtype, isa).dequantize(row.data(), out.data(), 256);
      INFO(cpu::IsaName(isa) << " " << DTypeName(dtype));
      CHECK(std::isnan(out[0]));
      CHECK(std::isnan(out[255]));
      CHECK(std::isnan(cpu::KernelsFor(dtype, isa).dot(x.data(), row.data(), 256)));
    }
  }
}

TEST_CASE("the kernel variant can be chosen, and a bad choice is refused", "[quant_kernels]") {
  CHECK(cpu::AvailableIsas().front() == cpu::Isa::kPortable);
  CHECK_THROWS_WITH(cpu::KernelsFor(DType::kF32, cpu::Isa::kPortable),
                    Catch::Contains("not a block format"));
}

TEST_CASE("host backends use imported weights in place and keep their owner alive",
          "[quant_kernels][memory]") {
  // What keeps resident memory at the file's size with native GGUF weights: the tensor is
  // the memory-mapped bytes themselves, held by the mapping's owner.
  for (std::string_view name : AvailableBackends()) {
    auto backend = MakeBackend(name);
    std::vector<uint8_t> bytes(RowBytes(DType::kQ8_0, 64) * 3, 0);
    bool released = false;
    {
      std::shared_ptr<const void> owner(bytes.data(), [&](const void*) { released = true; });
      const Tensor t = backend->ImportWeights({3, 64}, DType::kQ8_0, bytes.data(), owner);
      owner.reset();
      INFO(name);
      CHECK(t.data() == bytes.data());
      CHECK(t.bytes() == bytes.size());
      CHECK_FALSE(released);  // the tensor holds the owner
    }
    CHECK(released);
  }
}

}  // namespace
}  // namespace gemmeter
