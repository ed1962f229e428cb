#include "engine/model/weights.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <span>
#include <vector>

#include "engine/core/error.h"

namespace gemmeter {
namespace {

constexpr Op kMatMulOnly[] = {Op::kMatMul};
constexpr Op kEmbeddingAndHead[] = {Op::kEmbedding, Op::kMatMul};  // tied LM head

const char* HfLayerSuffix(Family family, WeightKind kind) {
  switch (kind) {
    case WeightKind::kAttnNorm: return "input_layernorm.weight";
    case WeightKind::kQ: return "self_attn.q_proj.weight";
    case WeightKind::kK: return "self_attn.k_proj.weight";
    case WeightKind::kV: return "self_attn.v_proj.weight";
    case WeightKind::kO: return "self_attn.o_proj.weight";
    case WeightKind::kQNorm: return "self_attn.q_norm.weight";
    case WeightKind::kKNorm: return "self_attn.k_norm.weight";
    // Gemma 1 follows Llama naming: its pre-MLP norm is "post_attention_layernorm".
    case WeightKind::kPostAttnNorm: return "post_attention_layernorm.weight";
    case WeightKind::kPreFfnNorm:
      return family == Family::kGemma ? "post_attention_layernorm.weight"
                                      : "pre_feedforward_layernorm.weight";
    case WeightKind::kPostFfnNorm: return "post_feedforward_layernorm.weight";
    case WeightKind::kGate: return "mlp.gate_proj.weight";
    case WeightKind::kUp: return "mlp.up_proj.weight";
    case WeightKind::kDown: return "mlp.down_proj.weight";
  }
  return "?";
}

class Loader {
 public:
  Loader(const ModelConfig& config, const TensorSource& source, const WeightNaming& naming,
         Backend& backend, std::optional<DType> matrix_dtype)
      : config_(config), source_(source), naming_(naming), backend_(backend),
        matrix_dtype_(matrix_dtype) {}

  const StoredTensor& Fetch(const std::string& name, const Shape& expected) {
    const StoredTensor* t = source_.Find(name);
    if (t == nullptr) {
      Fail("{}: missing tensor '{}' required by a {} model", source_.Describe(), name,
           FamilyName(config_.family));
    }
    if (t->plain && t->dtype != DType::kF32 && t->dtype != DType::kBF16 &&
        t->dtype != DType::kF16) {  // integer tensors
      Fail("{}: tensor '{}' has dtype {}; weights must be f32, bf16 or f16", t->file, name,
           DTypeName(t->dtype));
    }
    if (t->shape != expected) {
      Fail("{}: tensor '{}' has shape {} but the config ({}) needs {}", t->file, name,
           ShapeToString(t->shape), config_.name, ShapeToString(expected));
    }
    return *t;
  }

  // A weight matrix, read by `ops` (matmul; the tied embedding also by embedding).
  Tensor Matrix(const std::string& name, int64_t rows, int64_t cols, std::span<const Op> ops) {
    const StoredTensor& t = Fetch(name, {rows, cols});
    const DType dtype = matrix_dtype_ ? *matrix_dtype_ : NativeDType(t);
    for (Op op : ops) {
      if (!backend_.Supports(op, dtype)) {
        Fail("{}: tensor '{}' is {}, which the {} backend's {} cannot read; load it with "
             "--weights f32 or bf16",
             t.file, name, t.type_name, backend_.name(), OpName(op));
      }
    }
    const bool as_stored = !t.plain && IsBlockFormat(t.dtype) && dtype == t.dtype;
    if (as_stored && source_.Mapping()) {  // used in place: the file's pages are the weights
      // A backend that copies them (a device; a CPU layout of its own) releases what it
      // has copied, so that resident memory does not hold both.
      return backend_.ImportWeights(t.shape, dtype, t.data, source_.Mapping(),
                                    [&](const void* bytes, size_t count) {
                                      source_.Release(bytes, count);
                                    });
    }
    Tensor out = backend_.Allocate(t.shape, dtype);
    if (t.plain || as_stored) {  // converted or copied as is
      backend_.Upload(out, t.data, t.dtype);
      return out;
    }
    // Dequantize a block of rows at a time, so the only full copy of the weights is the
    // one on the backend (the 262k x 640 embedding would need 640 MiB as float32).
    const int64_t block = std::max<int64_t>(1, (int64_t{1} << 22) / cols);  // 16 MiB of f32
    std::vector<float> values(static_cast<size_t>(std::min(rows, block) * cols));
    for (int64_t r = 0; r < rows; r += block) {
      const int64_t n = std::min(block, rows - r);
      source_.ReadRowsAsF32(t, r, n, values.data());
      backend_.Upload(out.Rows(r, n), values.data(), DType::kF32);
    }
    return out;
  }

  // "Native" weights: GGUF block formats stay blocks (the backend multiplies them
  // without dequantizing the matrix); plain floats become f32, as the f32 option would
  // (bf16 on a backend may round activations too: that stays an explicit choice).
  static DType NativeDType(const StoredTensor& t) {
    return !t.plain && IsBlockFormat(t.dtype) ? t.dtype : DType::kF32;
  }

  // Norm gains are computed in float32 as transformers does: (1.0 + w.float()).
  Tensor Norm(const std::string& name, int64_t size) {
    const StoredTensor& t = Fetch(name, {size});
    std::vector<float> gain(static_cast<size_t>(size));
    source_.ReadAsF32(t, gain.data());
    for (float& g : gain) g += naming_.norm_gain_offset;
    Tensor out = backend_.Allocate({size}, DType::kF32);
    backend_.Upload(out, gain.data(), DType::kF32);
    return out;
  }

  LayerWeights Layer(int i) {
    const ModelConfig& c = config_;
    auto name = [&](WeightKind kind) { return naming_.layer_tensor(i, kind); };
    const int64_t D = c.hidden_size, I = c.intermediate_size;
    LayerWeights w;
    w.attn_norm = Norm(name(WeightKind::kAttnNorm), D);
    w.q = Matrix(name(WeightKind::kQ), c.q_width(), D, kMatMulOnly);
    w.k = Matrix(name(WeightKind::kK), c.kv_width(), D, kMatMulOnly);
    w.v = Matrix(name(WeightKind::kV), c.kv_width(), D, kMatMulOnly);
    w.o = Matrix(name(WeightKind::kO), D, c.q_width(), kMatMulOnly);
    if (c.qk_norm) {
      w.q_norm = Norm(name(WeightKind::kQNorm), c.head_dim);
      w.k_norm = Norm(name(WeightKind::kKNorm), c.head_dim);
    }
    if (c.sandwich_norms) {
      w.post_attn_norm = Norm(name(WeightKind::kPostAttnNorm), D);
      w.post_ffn_norm = Norm(name(WeightKind::kPostFfnNorm), D);
    }
    w.pre_ffn_norm = Norm(name(WeightKind::kPreFfnNorm), D);
    w.gate = Matrix(name(WeightKind::kGate), I, D, kMatMulOnly);
    w.up = Matrix(name(WeightKind::kUp), I, D, kMatMulOnly);
    w.down = Matrix(name(WeightKind::kDown), D, I, kMatMulOnly);
    return w;
  }

 private:
  const ModelConfig& config_;
  const TensorSource& source_;
  const WeightNaming& naming_;
  Backend& backend_;
  std::optional<DType> matrix_dtype_;
};

}  // namespace

namespace {

template <class Fn>
void ForEachMatrix(const ModelWeights& w, Fn&& fn) {
  fn(w.embedding);
  for (const LayerWeights& l : w.layers) {
    for (const Tensor* t : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down}) fn(*t);
  }
}

}  // namespace

size_t MatrixBytes(const ModelWeights& weights) {
  size_t bytes = 0;
  ForEachMatrix(weights, [&](const Tensor& t) { bytes += t.bytes(); });
  return bytes;
}

std::string MatrixDTypes(const ModelWeights& weights) {
  std::vector<std::pair<DType, int>> counts;  // in order of first appearance
  ForEachMatrix(weights, [&](const Tensor& t) {
    auto it = std::find_if(counts.begin(), counts.end(),
                           [&](const auto& c) { return c.first == t.dtype(); });
    if (it == counts.end()) {
      counts.push_back({t.dtype(), 1});
    } else {
      ++it->second;
    }
  });
  std::string out;
  for (const auto& [dtype, n] : counts) {
    out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", DTypeName(dtype), n);
  }
  return out;
}

WeightNaming HfWeightNaming(const std::string& prefix, Family family) {
  WeightNaming naming;
  naming.embedding = prefix + "embed_tokens.weight";
  naming.final_norm = prefix + "norm.weight";
  naming.layer_tensor = [prefix, family](int layer, WeightKind kind) {
    return fmt::format("{}layers.{}.{}", prefix, layer, HfLayerSuffix(family, kind));
  };
  naming.norm_gain_offset = 1.0f;  // Hugging Face stores w; the gain is 1 + w
  return naming;
}

ModelWeights LoadWeights(const ModelConfig& config, const TensorSource& source,
                         const WeightNaming& naming, Backend& backend,
                         std::optional<DType> matrix_dtype) {
  if (matrix_dtype) {
    Check(*matrix_dtype == DType::kF32 || *matrix_dtype == DType::kBF16,
          "weights can be converted to f32 or bf16, not {}", DTypeName(*matrix_dtype));
    for (const OpInfo& op : AllOps()) {  // fail before a long load, not after it
      Check(!op.reads_weights || backend.Supports(op.op, *matrix_dtype),
            "backend '{}' does not support {} with {} weights", backend.name(), op.name,
            DTypeName(*matrix_dtype));
    }
  }
  Loader loader(config, source, naming, backend, matrix_dtype);
  ModelWeights w;
  w.embedding =
      loader.Matrix(naming.embedding, config.vocab_size, config.hidden_size, kEmbeddingAndHead);
  w.final_norm = loader.Norm(naming.final_norm, config.hidden_size);
  for (int i = 0; i < config.num_layers; ++i) w.layers.push_back(loader.Layer(i));
  return w;
}

}  // namespace gemmeter
