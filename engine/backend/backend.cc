#include "engine/backend/backend.h"

#include <array>
#include <vector>

#include "engine/backend/op_checks.h"
#include "engine/backend/reference/reference_backend.h"
#include "engine/build_config.h"
#if GEMMETER_HAVE_ONEDNN
#include "engine/backend/onednn/onednn_backend.h"
#endif
#if GEMMETER_HAVE_CUDA
#include "engine/backend/cuda/cuda_backend.h"
#endif
#include "engine/core/error.h"

namespace gemmeter {

namespace {

constexpr OpInfo kOps[] = {
    {Op::kEmbedding, "embedding", true},
    {Op::kRmsNorm, "rms_norm", false},
    {Op::kMatMul, "matmul", true},
    {Op::kAdd, "add", false},
    {Op::kGeGlu, "geglu", false},
    {Op::kSoftcap, "softcap", false},
    {Op::kRope, "rope", false},
    {Op::kAttention, "attention", false},
    {Op::kCopyRows, "copy_rows", false},
    {Op::kLogSoftmaxGather, "log_softmax_gather", false},
};
static_assert(std::size(kOps) == static_cast<size_t>(Op::kCount), "one row per op");

constexpr bool InEnumOrder() {
  for (size_t i = 0; i < std::size(kOps); ++i) {
    if (static_cast<size_t>(kOps[i].op) != i) return false;
  }
  return true;
}
static_assert(InEnumOrder(), "kOps rows must follow the enum's order");

// The build option slow_down_op (testing only): extra work in one op, a chain of
// dependent adds a quarter as long as its output (on rms_norm of one 640-wide row: +57%
// instructions, about twice the time),
// so that a benchmark comparison can be shown to catch a slower kernel. Results stay the
// same; an empty option (the default) costs one comparison per call.
void SlowDownForTesting(Op op, int64_t elements) {
  constexpr std::string_view kSlowed = GEMMETER_SLOW_DOWN_OP;
  if (kSlowed.empty() || kSlowed != kOps[static_cast<size_t>(op)].name) return;
  volatile float sink = 0;
  for (int64_t i = 0; i < elements / 4; ++i) sink = sink + 1e-9f * static_cast<float>(i);
}

}  // namespace

std::span<const OpInfo> AllOps() { return kOps; }

std::string_view OpName(Op op) {
  const auto i = static_cast<size_t>(op);
  return i < std::size(kOps) ? kOps[i].name : "?";
}

Tensor Backend::ImportWeights(const Shape& shape, DType dtype, const void* host,
                              std::shared_ptr<const void> /*keep_alive*/,
                              const ReleaseHostBytes& release) {
  Tensor t = Allocate(shape, dtype);
  Upload(t, host, dtype);
  if (release) release(host, t.bytes());
  return t;
}

void Backend::CheckWeightSupported(Op op, const Tensor& weight) const {
  Check(Supports(op, weight.dtype()), "{}: backend '{}' does not support {} weights ({})",
        OpName(op), name(), DTypeName(weight.dtype()), weight);
}

void Backend::Embedding(const Tensor& table, std::span<const int32_t> tokens, float scale,
                        const Tensor& out) {
  CheckEmbeddingShapes(table, tokens, out);
  CheckWeightSupported(Op::kEmbedding, table);
  SlowDownForTesting(Op::kEmbedding, out.numel());
  DoEmbedding(table, tokens, scale, out);
}

void Backend::RmsNorm(const Tensor& x, const Tensor& gain, float eps, const Tensor& out) {
  CheckRmsNormShapes(x, gain, out);
  SlowDownForTesting(Op::kRmsNorm, out.numel());
  DoRmsNorm(x, gain, eps, out);
}

void Backend::MatMul(const Tensor& x, const Tensor& weight, const Tensor& out,
                     const MatMulEpilogue& epilogue) {
  CheckMatMulShapes(x, weight, out, epilogue);
  CheckWeightSupported(Op::kMatMul, weight);
  if (x.rows() == 0) return;
  SlowDownForTesting(Op::kMatMul, out.numel());
  DoMatMul(x, weight, out, epilogue);
}

void Backend::Add(const Tensor& a, const Tensor& b, const Tensor& out) {
  CheckSameShapeF32("add", {&a, &b, &out});
  SlowDownForTesting(Op::kAdd, out.numel());
  DoAdd(a, b, out);
}

void Backend::GeGlu(const Tensor& gate, const Tensor& up, const Tensor& out) {
  CheckSameShapeF32("geglu", {&gate, &up, &out});
  SlowDownForTesting(Op::kGeGlu, out.numel());
  DoGeGlu(gate, up, out);
}

void Backend::Softcap(const Tensor& x, float cap) {
  CheckSameShapeF32("softcap", {&x});
  SlowDownForTesting(Op::kSoftcap, x.numel());
  DoSoftcap(x, cap);
}

void Backend::Rope(const Tensor& x, int head_dim, std::span<const int32_t> positions, float theta,
                   float scaling_factor) {
  CheckRopeShapes(x, head_dim, positions);
  SlowDownForTesting(Op::kRope, x.numel());
  DoRope(x, head_dim, positions, theta, scaling_factor);
}

void Backend::Attention(const Tensor& q, std::span<const AttentionSequence> sequences,
                        const AttentionParams& params, const Tensor& out) {
  CheckAttentionShapes(q, sequences, params, out);
  SlowDownForTesting(Op::kAttention, out.numel());
  DoAttention(q, sequences, params, out);
}

void Backend::LogSoftmaxGather(const Tensor& logits, std::span<const int64_t> offsets,
                               std::span<const int32_t> targets, std::span<float> log_probs,
                               std::span<int32_t> argmax) {
  CheckLogSoftmaxGather(logits, offsets, targets, log_probs, argmax);
  SlowDownForTesting(Op::kLogSoftmaxGather, logits.numel());
  DoLogSoftmaxGather(logits, offsets, targets, log_probs, argmax);
}

void Backend::CopyRows(const Tensor& src, int64_t src_row, const Tensor& dst, int64_t dst_row,
                       int64_t count) {
  CheckCopyRows(src, src_row, dst, dst_row, count);
  SlowDownForTesting(Op::kCopyRows, dst.numel());
  DoCopyRows(src, src_row, dst, dst_row, count);
}

bool MultipliesBlockFormats(const Backend& backend) {
  for (DType dtype : kBlockDTypes) {
    if (!backend.Supports(Op::kMatMul, dtype) || !backend.Supports(Op::kEmbedding, dtype)) {
      return false;
    }
  }
  return true;
}

bool Backend::PrefersBlockFormats() const { return MultipliesBlockFormats(*this); }

std::span<const std::string_view> AvailableBackends() {
  // Default first: the fastest backend this build has that this machine can run. The cuda
  // backend is listed only where a device is present (CudaUnavailableReason() says why not).
  static const std::vector<std::string_view> backends = [] {
    std::vector<std::string_view> names;
#if GEMMETER_HAVE_CUDA
    if (CudaUnavailableReason().empty()) names.push_back("cuda");
#endif
#if GEMMETER_HAVE_ONEDNN
    names.push_back("onednn");
#endif
    names.push_back("reference");
    return names;
  }();
  return backends;
}

std::unique_ptr<Backend> MakeBackend(std::string_view name, const BackendOptions& options) {
  Check(options.threads >= 0, "backend '{}': threads must be >= 0, got {}", name, options.threads);
  if (name == "reference") return std::make_unique<ReferenceBackend>(options);
#if GEMMETER_HAVE_ONEDNN
  if (name == "onednn") return std::make_unique<OnednnBackend>(options);
#endif
#if GEMMETER_HAVE_CUDA
  if (name == "cuda") return MakeCudaBackend(options);  // throws, saying why, without a device
#endif
  std::string known;
  for (std::string_view b : AvailableBackends()) known += (known.empty() ? "" : ", ") + std::string(b);
  Fail("unknown backend '{}' (this build has: {})", name, known);
}

}  // namespace gemmeter
