// The cuda backend's own checks; its arithmetic is checked by the op suite (every
// available backend against the reference) and the real-model tests. Without a usable
// device (this CI machine) the backend must be absent from AvailableBackends(), and
// asking for it must say why; the device checks are then skipped with that reason.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/build_config.h"
#include "engine/core/error.h"
#if GEMMETER_HAVE_CUDA
#include <cmath>
#include <cstring>
#include <random>

#include "engine/backend/cuda/cuda_backend.h"
#include "engine/backend/cuda/cuda_kernels.h"
#include "engine/backend/cuda/cuda_matmul.h"
#include "engine/core/quant_blocks.h"
#endif

namespace gemmeter {
namespace {

using Catch::Matchers::Contains;

bool Listed(std::string_view name) {
  const auto all = AvailableBackends();
  return std::find(all.begin(), all.end(), name) != all.end();
}

#if GEMMETER_HAVE_CUDA
// The device checks run only where a device is; elsewhere they say why they did not.
bool DeviceOrSkip() {
  if (CudaUnavailableReason().empty()) return true;
  WARN("cuda device checks skipped: " << CudaUnavailableReason());
  return false;
}
#endif

TEST_CASE("the cuda backend is offered only where it can run, and says why not", "[cuda]") {
#if GEMMETER_HAVE_CUDA
  if (!CudaUnavailableReason().empty()) {
    CHECK_FALSE(Listed("cuda"));
    CHECK_THROWS_WITH(MakeBackend("cuda"),
                      Contains("backend 'cuda'") && Contains(CudaUnavailableReason()));
    WARN("no usable CUDA device here: " << CudaUnavailableReason());
    return;
  }
  CHECK(Listed("cuda"));
  CHECK(AvailableBackends().front() == "cuda");  // the fastest first: the default
  CHECK_THROWS_WITH(MakeBackend("cuda", {.device = 4096}), Contains("device 4096 does not exist"));
#else
  CHECK_FALSE(Listed("cuda"));
  CHECK_THROWS_WITH(MakeBackend("cuda"), Contains("unknown backend 'cuda'"));
  WARN("cuda tests skipped: this build has no CUDA backend (no CUDA toolkit at configure time)");
#endif
}

#if GEMMETER_HAVE_CUDA
// The device's block decoders are host-and-device functions: run on the host here (no GPU
// needed), they must give the plain decoders' values (engine/core/quant_blocks.cc, held
// to gguf-py by test_dequant) for every format, picking rows by id and scaling as the
// embedding lookup does. Same operations in the same order, so equal but for a fused
// multiply-add a compiler may form in q4_k/q5_k's d sc q - dmin m: one rounding, within
// 2^-20 of the block's largest value.
TEST_CASE("cuda: the block decoders equal the plain decoders (run on the host)", "[cuda]") {
  std::mt19937 rng(3);
  for (DType dtype : kBlockDTypes) {
    CAPTURE(DTypeName(dtype));
    const int64_t rows = 5, cols = 2 * BlockValues(dtype);
    const size_t row_bytes = RowBytes(dtype, cols);
    std::vector<uint8_t> blocks(rows * row_bytes);
    for (auto& b : blocks) b = static_cast<uint8_t>(rng());
    for (size_t block = 0; block < blocks.size(); block += BlockBytes(dtype)) {
      for (size_t offset : HalfScaleOffsets(dtype)) {  // scales near 0.01, not inf/NaN
        const uint16_t h = FloatToF16(0.01f * static_cast<float>(1 + rng() % 100) / 50.0f);
        std::memcpy(blocks.data() + block + offset, &h, 2);
      }
    }
    std::vector<float> plain(rows * cols);
    DequantizeBlocks(dtype, blocks.data(), plain.data(), rows * cols);

    const std::vector<int32_t> ids = {4, 0, 4, 2};
    const float scale = 0.5f;
    std::vector<float> decoded(ids.size() * cols, -1.0f);
    cuda::DequantizeRowsOnHost(blocks.data(), cuda::BlockFormatOf(dtype), ids.data(),
                               static_cast<int64_t>(ids.size()), cols, scale, decoded.data());
    for (size_t r = 0; r < ids.size(); ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        const int64_t block_begin = c / BlockValues(dtype) * BlockValues(dtype);
        float largest = 0;
        for (int64_t j = 0; j < BlockValues(dtype); ++j) {
          largest = std::max(largest, std::fabs(plain[ids[r] * cols + block_begin + j]));
        }
        const float expected = plain[ids[r] * cols + c] * scale;
        INFO("row id " << ids[r] << ", value " << c);
        CHECK(std::fabs(decoded[r * cols + c] - expected) <= largest * scale * 0x1p-20f);
      }
    }
    std::vector<float> all(rows * cols);  // null ids: rows 0.. in order, scale 1
    cuda::DequantizeRowsOnHost(blocks.data(), cuda::BlockFormatOf(dtype), nullptr, rows, cols,
                               1.0f, all.data());
    int64_t equal = 0;
    for (size_t i = 0; i < all.size(); ++i) equal += all[i] == plain[i];
    CHECK(equal >= static_cast<int64_t>(all.size()) * 9 / 10);  // most bit for bit
  }
  CHECK_THROWS_WITH(cuda::BlockFormatOf(DType::kBF16), Contains("bf16 is not a block format"));
}

TEST_CASE("cuda: tensors round-trip and describe the device", "[cuda]") {
  if (!DeviceOrSkip()) return;
  auto backend = MakeBackend("cuda");
  CHECK_THAT(backend->Describe(), Contains("cuda (device 0:") && Contains("cuBLASLt"));
  // Every value here is exact in bf16: halves from -64 to 63.5 have at most 8 significant bits.
  std::vector<float> values(1000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.5f * static_cast<float>(i % 256) - 64.0f;
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    Tensor t = backend->Allocate({10, 100}, dtype);
    backend->Upload(t, values.data(), DType::kF32);
    std::vector<float> back(values.size(), -1.0f);
    backend->Download(t, back.data());
    CHECK(back == values);
    // A row view reads and writes the right bytes.
    std::vector<float> row(100, 7.0f);
    backend->Upload(t.Rows(3, 1), row.data(), DType::kF32);
    backend->Download(t, back.data());
    CHECK(back[299] == values[299]);
    CHECK(back[300] == 7.0f);
    CHECK(back[399] == 7.0f);
    CHECK(back[400] == values[400]);
  }
  // Fresh tensors are zero, as the host backends'.
  Tensor zero = backend->Allocate({3, 5}, DType::kF32);
  std::vector<float> z(15, 1.0f);
  backend->Download(zero, z.data());
  CHECK(std::all_of(z.begin(), z.end(), [](float v) { return v == 0.0f; }));
}

TEST_CASE("cuda: limits of the kernels are errors that name the op", "[cuda]") {
  if (!DeviceOrSkip()) return;
  auto backend = MakeBackend("cuda");
  const int head_dim = 1024;  // above kMaxAttentionHeadDim
  Tensor q = backend->Allocate({1, head_dim}, DType::kF32);
  Tensor out = backend->Allocate({1, head_dim}, DType::kF32);
  AttentionSequence s;
  s.query_count = 1;
  s.keys = backend->Allocate({1, head_dim}, DType::kF32);
  s.values = backend->Allocate({1, head_dim}, DType::kF32);
  AttentionParams p;
  p.num_heads = p.num_kv_heads = 1;
  p.head_dim = head_dim;
  CHECK_THROWS_WITH(backend->Attention(q, std::span(&s, 1), p, out),
                    Contains("cuda attention") && Contains("head_dim 1024"));
  // Block formats are not multiplied here: Supports says so, so loaders refuse early.
  CHECK_FALSE(backend->Supports(Op::kMatMul, DType::kQ4_K));
  CHECK(backend->Supports(Op::kMatMul, DType::kBF16));
}

TEST_CASE("cuda: the same op on the same data gives the same bits", "[cuda]") {
  if (!DeviceOrSkip()) return;
  auto backend = MakeBackend("cuda");
  const int64_t M = 77, N = 300, K = 640;
  std::vector<float> x(M * K), w(N * K);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 101) / 50.0f - 1.0f;
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 53) % 97) / 48.0f - 1.0f;
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    Tensor tx = backend->Allocate({M, K}, DType::kF32), tw = backend->Allocate({N, K}, dtype);
    backend->Upload(tx, x.data(), DType::kF32);
    backend->Upload(tw, w.data(), DType::kF32);
    std::vector<float> first(M * N), second(M * N);
    Tensor out = backend->Allocate({M, N}, DType::kF32);
    backend->MatMul(tx, tw, out, {});
    backend->Download(out, first.data());
    backend->MatMul(tx, tw, out, {});
    backend->Download(out, second.data());
    CHECK(first == second);
  }
}
#endif

}  // namespace
}  // namespace gemmeter
