#include "engine/backend/backend.h"

#include <array>

#include "engine/backend/reference/reference_backend.h"
#include "engine/core/error.h"

namespace gemmeter {

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kEmbedding: return "embedding";
    case Op::kRmsNorm: return "rms_norm";
    case Op::kMatMul: return "matmul";
    case Op::kAdd: return "add";
    case Op::kGeGlu: return "geglu";
    case Op::kSoftcap: return "softcap";
    case Op::kRope: return "rope";
    case Op::kAttention: return "attention";
    case Op::kCopyRows: return "copy_rows";
    case Op::kLogSoftmaxGather: return "log_softmax_gather";
  }
  return "?";
}

std::span<const std::string_view> AvailableBackends() {
  // The fast backends (onednn, cuda) register here as they land; default first.
  static constexpr std::array<std::string_view, 1> kBackends = {"reference"};
  return kBackends;
}

std::unique_ptr<Backend> MakeBackend(std::string_view name) {
  if (name == "reference") return std::make_unique<ReferenceBackend>();
  Fail("unknown backend '{}' (this build has: reference)", name);
}

}  // namespace gemmeter
