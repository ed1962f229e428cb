#include "engine/backend/backend.h"

#include <array>

#include "engine/backend/reference/reference_backend.h"
#include "engine/build_config.h"
#if GEMMETER_HAVE_ONEDNN
#include "engine/backend/onednn/onednn_backend.h"
#endif
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
  // Default first: the fastest backend this build has.
#if GEMMETER_HAVE_ONEDNN
  static constexpr std::array<std::string_view, 2> kBackends = {"onednn", "reference"};
#else
  static constexpr std::array<std::string_view, 1> kBackends = {"reference"};
#endif
  return kBackends;
}

std::unique_ptr<Backend> MakeBackend(std::string_view name) {
  if (name == "reference") return std::make_unique<ReferenceBackend>();
#if GEMMETER_HAVE_ONEDNN
  if (name == "onednn") return std::make_unique<OnednnBackend>();
#endif
  std::string known;
  for (std::string_view b : AvailableBackends()) known += (known.empty() ? "" : ", ") + std::string(b);
  Fail("unknown backend '{}' (this build has: {})", name, known);
}

}  // namespace gemmeter
