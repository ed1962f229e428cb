#include "engine/backend/cuda/cuda_backend.h"

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "engine/backend/cuda/cuda_device.h"
#include "engine/backend/cuda/cuda_kernels.h"
#include "engine/backend/cuda/cuda_matmul.h"
#include "engine/backend/host_memory.h"
#include "engine/backend/rope_frequencies.h"
#include "engine/core/error.h"

namespace gemmeter {
namespace {

// This build's kernels are machine code for sm_90 plus compute_90 PTX (meson.build), which
// the driver compiles for newer devices, not older ones.
constexpr int kMinComputeMajor = 9;

// 1 MiB per half of the staging ring: a 4096-token batch's token ids and positions are 16 KiB.
constexpr size_t kStagingHalfBytes = size_t{1} << 20;

template <typename T>
T* Data(const Tensor& t) {
  return static_cast<T*>(t.data());
}

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const BackendOptions& options)
      : context_(std::make_shared<cuda::DeviceContext>(options.device)),
        matmul_(context_),
        staging_(context_, kStagingHalfBytes),
        results_(context_),
        partials_(context_),
        copy_buffer_(context_) {
    cudaDeviceProp props{};
    GEMMETER_CUDA(cudaGetDeviceProperties(&props, options.device), "reading device {}",
                  options.device);
    int driver = 0, runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    description_ = fmt::format(
        "cuda (device {}: {}, sm_{}{}, {} SMs, {} MiB; driver {}.{}, runtime {}.{}, cuBLASLt {})",
        options.device, props.name, props.major, props.minor, props.multiProcessorCount,
        props.totalGlobalMem >> 20, driver / 1000, driver % 1000 / 10, runtime / 1000,
        runtime % 1000 / 10, cuda::CublasLtMatMul::Version());
    multiprocessors_ = props.multiProcessorCount;
  }

  std::string_view name() const override { return "cuda"; }
  std::string Describe() const override { return description_; }

  bool Supports(Op op, DType weight_dtype) const override {
    switch (op) {
      case Op::kMatMul:
      case Op::kEmbedding:
        return weight_dtype == DType::kF32 || weight_dtype == DType::kBF16 ||
               IsBlockFormat(weight_dtype);
      case Op::kCopyRows:
        return weight_dtype == DType::kF32 || weight_dtype == DType::kBF16;
      default:
        return weight_dtype == DType::kF32;
    }
  }

  // Block formats decode to float32 and multiply in float32 here (cuda_matmul.h): correct,
  // but slower than bf16 on the tensor cores, so `--weights auto` picks bf16.
  bool PrefersBlockFormats() const override { return false; }

  Tensor Allocate(const Shape& shape, DType dtype) override {
    const size_t bytes = StorageBytes(shape, dtype);
    auto storage = std::make_shared<TensorStorage>();
    storage->data = context_->Allocate(
        bytes, fmt::format("a {} tensor {}", DTypeName(dtype), ShapeToString(shape)));
    storage->bytes = bytes;
    // The context (stream and pool) lives as long as any tensor does.
    storage->owner = std::shared_ptr<void>(
        storage->data, [context = context_](void* p) { context->Free(p); });
    // Zeroed, as the host backends' memory is.
    GEMMETER_CUDA(cudaMemsetAsync(storage->data, 0, bytes, stream()), "zeroing {} bytes", bytes);
    return Tensor(std::move(storage), 0, shape, dtype, this);
  }

  void Upload(const Tensor& dst, const void* host, DType host_dtype) override {
    // The conversion to dst's dtype is the host backends' (one definition), into a host
    // tensor that is then copied over.
    const Tensor staged = AllocateHostTensor(dst.shape(), dst.dtype(), nullptr);
    UploadToHost(staged, host, host_dtype, "cuda");
    GEMMETER_CUDA(cudaMemcpyAsync(dst.data(), staged.data(), dst.bytes(), cudaMemcpyHostToDevice,
                                  stream()),
                  "uploading {}", dst);
    Synchronize();  // `staged` is freed on return
  }

  void Download(const Tensor& src, float* host) override {
    const Tensor staged = AllocateHostTensor(src.shape(), src.dtype(), nullptr);
    GEMMETER_CUDA(cudaMemcpyAsync(staged.data(), src.data(), src.bytes(), cudaMemcpyDeviceToHost,
                                  stream()),
                  "downloading {}", src);
    Synchronize();
    DownloadFromHost(staged, host);
  }

  void Synchronize() override {
    GEMMETER_CUDA(cudaStreamSynchronize(stream()), "waiting for the queued ops");
  }

 protected:
  void DoEmbedding(const Tensor& table, std::span<const int32_t> tokens, float scale,
                   const Tensor& out) override {
    const int32_t* ids = staging_.Stage(tokens, "embedding token ids");
    if (IsBlockFormat(table.dtype())) {
      GEMMETER_CUDA(cuda::LaunchDequantizeRows(table.data(), cuda::BlockFormatOf(table.dtype()),
                                               ids, static_cast<int64_t>(tokens.size()),
                                               table.cols(), scale, Data<float>(out), stream()),
                    "embedding of {} tokens from {}", tokens.size(), table);
      return;
    }
    GEMMETER_CUDA(cuda::LaunchEmbedding(table.data(), table.dtype() == DType::kBF16, ids,
                                        static_cast<int64_t>(tokens.size()), table.cols(), scale,
                                        Data<float>(out), stream()),
                  "embedding of {} tokens from {}", tokens.size(), table);
  }

  void DoRmsNorm(const Tensor& x, const Tensor& gain, float eps, const Tensor& out) override {
    GEMMETER_CUDA(cuda::LaunchRmsNorm(Data<const float>(x), Data<const float>(gain), eps, x.rows(),
                                      x.cols(), Data<float>(out), stream()),
                  "rms_norm of {}", x);
  }

  void DoMatMul(const Tensor& x, const Tensor& weight, const Tensor& out,
                const MatMulEpilogue& epilogue) override {
    matmul_.Run(x, weight, out, epilogue);
  }

  void DoAdd(const Tensor& a, const Tensor& b, const Tensor& out) override {
    GEMMETER_CUDA(cuda::LaunchAdd(Data<const float>(a), Data<const float>(b), a.numel(),
                                  Data<float>(out), stream()),
                  "add of {}", a);
  }

  void DoGeGlu(const Tensor& gate, const Tensor& up, const Tensor& out) override {
    GEMMETER_CUDA(cuda::LaunchGeGlu(Data<const float>(gate), Data<const float>(up), gate.numel(),
                                    Data<float>(out), stream()),
                  "geglu of {}", gate);
  }

  void DoSoftcap(const Tensor& x, float cap) override {
    GEMMETER_CUDA(cuda::LaunchSoftcap(Data<float>(x), x.numel(), cap, stream()), "softcap of {}", x);
  }

  void DoRope(const Tensor& x, int head_dim, std::span<const int32_t> positions, float theta,
              float scaling_factor) override {
    const std::vector<float> inv_freq = RopeInverseFrequencies(head_dim, theta, scaling_factor);
    const int32_t* device_positions = staging_.Stage(positions, "rope positions");
    const float* device_inv_freq =
        staging_.Stage(std::span<const float>(inv_freq), "rope frequencies");
    GEMMETER_CUDA(cuda::LaunchRope(Data<float>(x), x.rows(), x.cols() / head_dim, head_dim,
                                   device_positions, device_inv_freq, stream()),
                  "rope of {} (head_dim {})", x, head_dim);
  }

  void DoAttention(const Tensor& q, std::span<const AttentionSequence> sequences,
                   const AttentionParams& params, const Tensor& out) override;

  void DoLogSoftmaxGather(const Tensor& logits, std::span<const int64_t> offsets,
                          std::span<const int32_t> targets, std::span<float> log_probs,
                          std::span<int32_t> argmax) override {
    const int64_t rows = logits.rows();
    if (rows == 0) return;
    const int64_t* device_offsets = staging_.Stage(offsets, "log_softmax_gather offsets");
    const int32_t* device_targets = staging_.Stage(targets, "log_softmax_gather targets");
    // Results side by side in one scratch block: log-probs, then the argmaxes.
    const size_t probs_bytes = (sizeof(float) * targets.size() + 255) / 256 * 256;
    char* results = static_cast<char*>(
        results_.Get(probs_bytes + sizeof(int32_t) * argmax.size(), "log_softmax_gather results"));
    auto* device_probs = reinterpret_cast<float*>(results);
    auto* device_argmax = reinterpret_cast<int32_t*>(results + probs_bytes);
    GEMMETER_CUDA(cuda::LaunchLogSoftmaxGather(Data<const float>(logits), rows, logits.cols(),
                                               device_offsets, device_targets, device_probs,
                                               device_argmax, stream()),
                  "log_softmax_gather of {}", logits);
    GEMMETER_CUDA(cudaMemcpyAsync(log_probs.data(), device_probs, log_probs.size_bytes(),
                                  cudaMemcpyDeviceToHost, stream()),
                  "downloading {} log-probabilities", log_probs.size());
    GEMMETER_CUDA(cudaMemcpyAsync(argmax.data(), device_argmax, argmax.size_bytes(),
                                  cudaMemcpyDeviceToHost, stream()),
                  "downloading {} argmaxes", argmax.size());
    Synchronize();
  }

  void DoCopyRows(const Tensor& src, int64_t src_row, const Tensor& dst, int64_t dst_row,
                  int64_t count) override {
    const size_t row_bytes = RowBytes(src.dtype(), src.cols());
    const size_t bytes = row_bytes * static_cast<size_t>(count);
    if (bytes == 0) return;
    const char* from = Data<const char>(src) + row_bytes * src_row;
    char* to = Data<char>(dst) + row_bytes * dst_row;
    if (from < to + bytes && to < from + bytes) {  // overlapping: through a scratch copy
      char* buffer = static_cast<char*>(copy_buffer_.Get(bytes, "copy_rows buffer"));
      GEMMETER_CUDA(cudaMemcpyAsync(buffer, from, bytes, cudaMemcpyDeviceToDevice, stream()),
                    "copy_rows of {}", src);
      from = buffer;
    }
    GEMMETER_CUDA(cudaMemcpyAsync(to, from, bytes, cudaMemcpyDeviceToDevice, stream()),
                  "copy_rows {} -> {}", src, dst);
  }

 private:
  cudaStream_t stream() const { return context_->stream(); }

  std::shared_ptr<cuda::DeviceContext> context_;
  cuda::CublasLtMatMul matmul_;
  cuda::StagingRing staging_;
  cuda::DeviceScratch results_;      // log_softmax_gather's outputs before their download
  cuda::DeviceScratch partials_;     // attention's per-split partial results
  cuda::DeviceScratch copy_buffer_;  // overlapping copy_rows
  std::string description_;
  int multiprocessors_ = 1;
};

void CudaBackend::DoAttention(const Tensor& q, std::span<const AttentionSequence> sequences,
                              const AttentionParams& params, const Tensor& out) {
  Check(params.head_dim <= cuda::kMaxAttentionHeadDim,
        "cuda attention: head_dim {} is above the kernels' {}", params.head_dim,
        cuda::kMaxAttentionHeadDim);
  // Flatten the sequences into the kernel's descriptors: key ranges (the shared segments,
  // then the sequence's own rows) and tiles of query rows.
  std::vector<cuda::AttentionSeq> seqs;
  std::vector<cuda::KvRange> ranges;
  int64_t max_queries = 0, max_keys = 0;
  for (const AttentionSequence& s : sequences) {
    max_queries = std::max(max_queries, s.query_count);
    max_keys = std::max(max_keys, s.start_position + s.query_count);
  }
  const bool decode = max_queries <= cuda::kDecodeTileRows;
  const int tile_rows = decode ? cuda::kDecodeTileRows : cuda::kPrefillTileRows;
  std::vector<cuda::AttentionTile> tiles;
  for (const AttentionSequence& s : sequences) {
    const auto first_range = static_cast<int32_t>(ranges.size());
    for (const KvSegment& segment : s.shared) {
      if (segment.length == 0) continue;
      ranges.push_back({Data<const float>(segment.keys), Data<const float>(segment.values),
                        segment.first_position, segment.first_position + segment.length});
    }
    ranges.push_back({Data<const float>(s.keys), Data<const float>(s.values),
                      s.own_first_position, s.start_position + s.query_count});
    const auto index = static_cast<int32_t>(seqs.size());
    seqs.push_back({s.query_row, s.query_count, s.start_position, first_range,
                    static_cast<int32_t>(ranges.size()) - first_range});
    for (int64_t first = 0; first < s.query_count; first += tile_rows) {
      tiles.push_back({index, static_cast<int32_t>(first)});
    }
  }
  if (tiles.empty()) return;
  // Decode: split the keys over enough blocks to fill the device twice over, in shares of
  // at least 128 keys.
  int splits = 1;
  if (decode) {
    // A sliding window reads at most window + rows - 1 keys per tile, however long the cache.
    if (params.window > 0) max_keys = std::min<int64_t>(max_keys, params.window + max_queries - 1);
    const int64_t blocks = static_cast<int64_t>(tiles.size()) * params.num_heads;
    const int64_t wanted = (2 * multiprocessors_ + blocks - 1) / blocks;
    splits = static_cast<int>(std::clamp<int64_t>(std::min(wanted, (max_keys + 127) / 128), 1, 64));
  }
  const cuda::AttentionShape shape{params.num_heads, params.num_kv_heads, params.head_dim,
                                   params.scale,     params.softcap,      params.window,
                                   q.rows()};
  void* partials = splits > 1 ? partials_.Get(static_cast<size_t>(cuda::AttentionPartialBytes(shape, splits)),
                                              "attention partials")
                              : nullptr;
  const auto* device_seqs =
      staging_.Stage(std::span<const cuda::AttentionSeq>(seqs), "attention sequences");
  const auto* device_ranges =
      staging_.Stage(std::span<const cuda::KvRange>(ranges), "attention key ranges");
  const auto* device_tiles =
      staging_.Stage(std::span<const cuda::AttentionTile>(tiles), "attention tiles");
  GEMMETER_CUDA(cuda::LaunchAttention(Data<const float>(q), device_seqs, device_ranges, device_tiles,
                                      static_cast<int64_t>(tiles.size()), tile_rows, splits, shape,
                                      partials, Data<float>(out), stream()),
                "attention of {} over {} sequences (heads {}/{}, head_dim {}, {} splits)", q,
                sequences.size(), params.num_heads, params.num_kv_heads, params.head_dim, splits);
}

}  // namespace

const std::string& CudaUnavailableReason() {
  static const std::string reason = [] () -> std::string {
    int count = 0;
    const cudaError_t error = cudaGetDeviceCount(&count);
    if (error != cudaSuccess) {
      return fmt::format("no usable CUDA driver or device ({}: {})", cudaGetErrorName(error),
                         cudaGetErrorString(error));
    }
    if (count == 0) return "no CUDA device";
    cudaDeviceProp props{};
    if (cudaGetDeviceProperties(&props, 0) == cudaSuccess && props.major < kMinComputeMajor) {
      return fmt::format("device 0 ({}) has compute capability {}.{}; this build's kernels need "
                         "{}.0 or newer",
                         props.name, props.major, props.minor, kMinComputeMajor);
    }
    return "";
  }();
  return reason;
}

std::unique_ptr<Backend> MakeCudaBackend(const BackendOptions& options) {
  Check(CudaUnavailableReason().empty(), "backend 'cuda': {}", CudaUnavailableReason());
  int count = 0;
  cudaGetDeviceCount(&count);
  Check(options.device >= 0 && options.device < count,
        "backend 'cuda': device {} does not exist (this machine has {})", options.device, count);
  return std::make_unique<CudaBackend>(options);
}

}  // namespace gemmeter
