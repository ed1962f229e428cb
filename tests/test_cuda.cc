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
#include "engine/backend/cuda/cuda_backend.h"
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
