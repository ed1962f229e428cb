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

#include <cmath>
#include <random>
#include <set>

#include "engine/backend/backend.h"
#include "engine/backend/cpu/quant_kernels.h"
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
