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

// Random blocks with every binary16 scale finite, in [2^-7, 2^-6) (RandomBlocks lives in
// the op harness).
std::vector<uint8_t> RandomRows(std::mt19937& rng, DType dtype, int64_t rows, int64_t k) {
  std::vector<uint8_t> bytes(RowBytes(dtype, k) * static_cast<size_t>(rows));
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  for (size_t at = 0; at < bytes.size(); at += BlockBytes(dtype)) {
    for (size_t offset : HalfScaleOffsets(dtype)) {
      const uint16_t half = static_cast<uint16_t>(0x2000 + rng() % 0x400);
      std::memcpy(&bytes[at + offset], &half, 2);
    }
  }
  return bytes;
}

TEST_CASE("row groups hold the rows' bytes, rearranged", "[quant_kernels][row_groups]") {
  std::mt19937 rng(11);
  for (DType dtype : kBlockDTypes) {
    INFO(DTypeName(dtype));
    const int64_t rows = 48, k = 2 * BlockValues(dtype);
    const std::vector<uint8_t> plain = RandomRows(rng, dtype, rows, k);
    const size_t row_bytes = RowBytes(dtype, k), block_bytes = BlockBytes(dtype);
    std::vector<uint8_t> groups(plain.size()), back(plain.size());
    cpu::GroupRows(plain.data(), dtype, rows, k, groups.data());
    CHECK(groups != plain);
    cpu::UngroupRows(groups.data(), dtype, k, 0, rows, back.data());
    CHECK(back == plain);
    cpu::UngroupRows(groups.data(), dtype, k, 17, 2, back.data());  // rows 17 and 18
    CHECK(std::equal(back.begin(), back.begin() + 2 * row_bytes, plain.begin() + 17 * row_bytes));
    // Layout (row_groups.h): row 17 (group 1, lane 1), block 1: its scales first (two bytes
    // per lane), then every other byte p, 16 bytes apart.
    const uint8_t* block = plain.data() + 17 * row_bytes + block_bytes;
    const uint8_t* grouped = groups.data() + (2 + 1) * 16 * block_bytes;
    const std::vector<size_t> halves = HalfScaleOffsets(dtype);
    std::vector<bool> is_scale(block_bytes, false);
    for (size_t h = 0; h < halves.size(); ++h) {
      CHECK(std::memcmp(grouped + 32 * h + 2, block + halves[h], 2) == 0);
      is_scale[halves[h]] = is_scale[halves[h] + 1] = true;
    }
    size_t next = 32 * halves.size();
    for (size_t p = 0; p < block_bytes; ++p) {
      if (is_scale[p]) continue;
      CHECK(grouped[next + 1] == block[p]);
      next += 16;
    }
    CHECK_THROWS_WITH(cpu::GroupRows(plain.data(), dtype, 40, k, groups.data()),
                      Catch::Contains("not whole groups of 16"));
  }
  CHECK_THROWS_WITH(cpu::UngroupRows(nullptr, DType::kF32, 256, 0, 1, nullptr),
                    Catch::Contains("not a block format"));
}

// Budget (recursive summation, n u per term with n the longest chain): "_0" formats and
// q6_k sum code * x in chains of at most 16 multiply-adds per block or sub-block, then
// scale by d (sc), then accumulate k / 16 sub-blocks or fewer; q4_k/q5_k also subtract
// dmin m times x's sum over the sub-block (a chain of 32), and their reference w = d sc q -
// dmin m has two roundings of its own: error <= (k / 16 + 40) u (sum|x w| + 2 sum|x m|)
// with m_i = dmin m of value i's sub-block (0 for the other formats).
TEST_CASE("row-group dot products of every variant match the dequantized rows",
          "[quant_kernels][row_groups]") {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  for (cpu::Isa isa : cpu::AvailableIsas()) {
    for (DType dtype : kBlockDTypes) {
      const int64_t unit = BlockValues(dtype);
      for (int64_t k : {unit, 640 / unit * unit + unit, int64_t{2048}}) {
        INFO(cpu::IsaName(isa) << " " << DTypeName(dtype) << " k=" << k);
        const std::vector<uint8_t> plain = RandomRows(rng, dtype, 16, k);
        std::vector<uint8_t> groups(plain.size());
        cpu::GroupRows(plain.data(), dtype, 16, k, groups.data());
        std::vector<float> x(static_cast<size_t>(k)), x_sums(static_cast<size_t>(k / 32));
        for (float& v : x) v = normal(rng);
        for (size_t j = 0; j < x_sums.size(); ++j) {
          for (size_t i = 0; i < 32; ++i) x_sums[j] += x[32 * j + i];
        }
        std::vector<float> y(16), w(static_cast<size_t>(k)), mins(static_cast<size_t>(k), 0.0f);
        cpu::KernelsFor(dtype, isa).group_dot(x.data(), x_sums.data(), groups.data(), k,
                                              y.data());
        const size_t row_bytes = RowBytes(dtype, k);
        for (int64_t r = 0; r < 16; ++r) {
          const uint8_t* row = plain.data() + r * row_bytes;
          DequantizeBlocks(dtype, row, w.data(), k);
          if (dtype == DType::kQ4_K || dtype == DType::kQ5_K) {
            // Codes zeroed (q5_k's fifth bits too): each value decodes to -dmin m.
            std::vector<uint8_t> zeroed(row, row + row_bytes);
            for (size_t at = 0; at < row_bytes; at += BlockBytes(dtype)) {
              std::fill(zeroed.begin() + at + 16, zeroed.begin() + at + BlockBytes(dtype), 0);
            }
            DequantizeBlocks(dtype, zeroed.data(), mins.data(), k);
          }
          double exact = 0, sum_abs = 0;
          for (int64_t i = 0; i < k; ++i) {
            exact += double(x[i]) * w[i];
            sum_abs += std::fabs(double(x[i]) * w[i]) + 2 * std::fabs(double(x[i]) * mins[i]);
          }
          const double budget = (double(k) / 16 + 40) * kU * sum_abs;
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

TEST_CASE("onednn imports whole row groups as a copy and releases the file's bytes",
          "[quant_kernels][row_groups][memory]") {
  bool have_onednn = false;
  for (std::string_view name : AvailableBackends()) have_onednn |= name == "onednn";
  if (!have_onednn) {
    WARN("skipped: the onednn backend is not in this build");
    return;
  }
  auto backend = MakeBackend("onednn");
  std::mt19937 rng(3);
  const std::vector<uint8_t> bytes = RandomRows(rng, DType::kQ4_K, 48, 256);
  size_t released = 0;
  const Tensor t = backend->ImportWeights(
      {48, 256}, DType::kQ4_K, bytes.data(), nullptr, [&](const void* p, size_t count) {
        CHECK(static_cast<const uint8_t*>(p) == bytes.data() + released);  // in order
        released += count;
      });
  CHECK(released == bytes.size());
  CHECK(t.data() != bytes.data());
  CHECK(t.layout() == RowLayout::kGroupsOf16);
  CHECK_THAT(t.Describe(), Catch::Contains("in row groups"));
  CHECK(t.Rows(16, 32).layout() == RowLayout::kGroupsOf16);
  CHECK_THROWS_WITH(t.Rows(3, 5), Catch::Contains("not whole groups of 16"));
  CHECK_THROWS_WITH(t.Reshaped({24, 512}), Catch::Contains("cannot reshape"));
  // Rows that are not whole groups stay in place, released never.
  released = 0;
  const std::vector<uint8_t> few = RandomRows(rng, DType::kQ4_K, 3, 256);
  const Tensor in_place = backend->ImportWeights(
      {3, 256}, DType::kQ4_K, few.data(), nullptr,
      [&](const void*, size_t count) { released += count; });
  CHECK(in_place.data() == few.data());
  CHECK(in_place.layout() == RowLayout::kRows);
  CHECK(released == 0);
}

}  // namespace
}  // namespace gemmeter
