#include "tests/gguf_builder.h"

#include <fmt/format.h>

#include <cstring>
#include <fstream>

#include "engine/core/error.h"
#include "engine/io/safetensors.h"
#include "engine/model/config.h"

namespace gemmeter::test {
namespace {

template <typename T>
void Append(std::string& out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out.append(bytes, sizeof(T));
}

void AppendString(std::string& out, const std::string& s) {
  Append<uint64_t>(out, s.size());
  out += s;
}

enum : uint32_t { kInt32 = 5, kUInt32 = 4, kFloat32 = 6, kBool = 7, kString = 8, kArray = 9 };

}  // namespace

void GgufBuilder::UInt32(const std::string& key, uint32_t v) {
  AppendString(metadata_, key);
  Append<uint32_t>(metadata_, kUInt32);
  Append<uint32_t>(metadata_, v);
  ++kv_count_;
}

void GgufBuilder::Float32(const std::string& key, float v) {
  AppendString(metadata_, key);
  Append<uint32_t>(metadata_, kFloat32);
  Append<float>(metadata_, v);
  ++kv_count_;
}

void GgufBuilder::Bool(const std::string& key, bool v) {
  AppendString(metadata_, key);
  Append<uint32_t>(metadata_, kBool);
  Append<uint8_t>(metadata_, v ? 1 : 0);
  ++kv_count_;
}

void GgufBuilder::String(const std::string& key, const std::string& v) {
  AppendString(metadata_, key);
  Append<uint32_t>(metadata_, kString);
  AppendString(metadata_, v);
  ++kv_count_;
}

void GgufBuilder::StringArray(const std::string& key, const std::vector<std::string>& v) {
  AppendString(metadata_, key);
  Append<uint32_t>(metadata_, kArray);
  Append<uint32_t>(metadata_, kString);
  Append<uint64_t>(metadata_, v.size());
  for (const auto& s : v) AppendString(metadata_, s);
  ++kv_count_;
}

void GgufBuilder::Float32Array(const std::string& key, const std::vector<float>& v) {
  AppendString(metadata_, key);
  Append<uint32_t>(metadata_, kArray);
  Append<uint32_t>(metadata_, kFloat32);
  Append<uint64_t>(metadata_, v.size());
  for (float f : v) Append<float>(metadata_, f);
  ++kv_count_;
}

void GgufBuilder::Int32Array(const std::string& key, const std::vector<int32_t>& v) {
  AppendString(metadata_, key);
  Append<uint32_t>(metadata_, kArray);
  Append<uint32_t>(metadata_, kInt32);
  Append<uint64_t>(metadata_, v.size());
  for (int32_t i : v) Append<int32_t>(metadata_, i);
  ++kv_count_;
}

void GgufBuilder::Tensor(const std::string& name, const std::vector<uint64_t>& ne, uint32_t type,
                         const std::vector<uint8_t>& data) {
  tensors_.push_back({name, ne, type, data});
}

std::string GgufBuilder::Build(uint32_t version, const std::string& magic) const {
  std::string out = magic;
  Append<uint32_t>(out, version);
  Append<uint64_t>(out, tensors_.size());
  Append<uint64_t>(out, kv_count_);
  out += metadata_;
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    AppendString(out, t.name);
    Append<uint32_t>(out, static_cast<uint32_t>(t.ne.size()));
    for (uint64_t d : t.ne) Append<uint64_t>(out, d);
    Append<uint32_t>(out, t.type);
    Append<uint64_t>(out, offset);
    offset += (t.data.size() + kAlignment - 1) / kAlignment * kAlignment;
  }
  out.resize((out.size() + kAlignment - 1) / kAlignment * kAlignment, '\0');
  for (const auto& t : tensors_) {
    out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size());
    out.resize((out.size() + kAlignment - 1) / kAlignment * kAlignment, '\0');
  }
  return out;
}

void GgufBuilder::Write(const std::string& path, uint32_t version, const std::string& magic) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const std::string bytes = Build(version, magic);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void WriteTinyFixtureAsGguf(const std::string& folder, const std::string& out_path,
                            bool with_tokenizer) {
  const ModelConfig c = ConfigFromHfJsonFile(folder + "/config.json");
  SafetensorsCheckpoint source(folder);
  const std::string arch = c.family == Family::kGemma ? "gemma" : c.family == Family::kGemma2 ? "gemma2" : "gemma3";
  GgufBuilder b;
  b.String("general.architecture", arch);
  b.String("general.name", "tiny " + arch);
  auto key = [&](const char* k) { return fmt::format("{}.{}", arch, k); };
  b.UInt32(key("context_length"), 8192);
  b.UInt32(key("embedding_length"), static_cast<uint32_t>(c.hidden_size));
  b.UInt32(key("block_count"), static_cast<uint32_t>(c.num_layers));
  b.UInt32(key("feed_forward_length"), static_cast<uint32_t>(c.intermediate_size));
  b.UInt32(key("attention.head_count"), static_cast<uint32_t>(c.num_heads));
  b.UInt32(key("attention.head_count_kv"), static_cast<uint32_t>(c.num_kv_heads));
  b.UInt32(key("attention.key_length"), static_cast<uint32_t>(c.head_dim));
  b.UInt32(key("attention.value_length"), static_cast<uint32_t>(c.head_dim));
  b.Float32(key("attention.layer_norm_rms_epsilon"), c.rms_norm_eps);
  if (c.family == Family::kGemma3) {
    int window = 0;
    float global_theta = 0, scaling = 1;
    for (const LayerConfig& l : c.layers) {
      if (l.sliding_window > 0) window = l.sliding_window;
      else { global_theta = l.rope_theta; scaling = l.rope_scaling_factor; }
    }
    b.Float32(key("rope.freq_base"), global_theta);
    b.UInt32(key("attention.sliding_window"), static_cast<uint32_t>(window));
    if (scaling != 1.0f) {
      b.String(key("rope.scaling.type"), "linear");
      b.Float32(key("rope.scaling.factor"), scaling);
    }
  }
  if (with_tokenizer) {
    // <pad> <eos> <bos> <unk> as in Gemma, then the 256 byte pieces, then normal pieces.
    std::vector<std::string> tokens = {"<pad>", "<eos>", "<bos>", "<unk>"};
    std::vector<int32_t> types = {3, 3, 3, 3};
    for (int i = 0; i < 256; ++i) {
      tokens.push_back(fmt::format("<0x{:02X}>", i));
      types.push_back(6);
    }
    const char* words[] = {"\xE2\x96\x81", "a", "b", "ab", "\xE2\x96\x81" "ab"};
    for (const char* w : words) {
      tokens.push_back(w);
      types.push_back(1);
    }
    while (static_cast<int64_t>(tokens.size()) < c.vocab_size) {
      tokens.push_back(fmt::format("<unused{}>", tokens.size()));
      types.push_back(5);
    }
    std::vector<float> scores(tokens.size(), 0.0f);
    for (size_t i = 260; i < 265; ++i) scores[i] = -static_cast<float>(i - 260);
    b.String("tokenizer.ggml.model", "llama");
    b.StringArray("tokenizer.ggml.tokens", tokens);
    b.Float32Array("tokenizer.ggml.scores", scores);
    b.Int32Array("tokenizer.ggml.token_type", types);
    b.UInt32("tokenizer.ggml.bos_token_id", 2);
    b.UInt32("tokenizer.ggml.eos_token_id", 1);
    b.UInt32("tokenizer.ggml.unknown_token_id", 3);
    b.UInt32("tokenizer.ggml.padding_token_id", 0);
  }
  // Hugging Face name pieces -> llama.cpp names (gguf-py constants.py).
  const std::pair<const char*, const char*> renames[] = {
      {"input_layernorm", "attn_norm"}, {"self_attn.q_proj", "attn_q"}, {"self_attn.k_proj", "attn_k"},
      {"self_attn.v_proj", "attn_v"}, {"self_attn.o_proj", "attn_output"},
      {"self_attn.q_norm", "attn_q_norm"}, {"self_attn.k_norm", "attn_k_norm"},
      {"pre_feedforward_layernorm", "ffn_norm"}, {"post_feedforward_layernorm", "post_ffw_norm"},
      {"mlp.gate_proj", "ffn_gate"}, {"mlp.up_proj", "ffn_up"}, {"mlp.down_proj", "ffn_down"},
  };
  for (const std::string& name : source.Names()) {
    const StoredTensor* t = source.Find(name);
    std::string out;
    if (name == "model.embed_tokens.weight") out = "token_embd.weight";
    else if (name == "model.norm.weight") out = "output_norm.weight";
    else {
      const size_t dot = name.find('.', std::string("model.layers.").size());
      const std::string layer = name.substr(13, dot - 13);
      std::string rest = name.substr(dot + 1);
      rest = rest.substr(0, rest.size() - std::string(".weight").size());
      std::string mapped;
      if (rest == "post_attention_layernorm") {
        // Gemma 1's post_attention_layernorm is the pre-feed-forward norm.
        mapped = c.family == Family::kGemma ? "ffn_norm" : "post_attention_norm";
      }
      for (const auto& [hf, gg] : renames)
        if (rest == hf) mapped = gg;
      Check(!mapped.empty(), "no GGUF name for {}", name);
      out = "blk." + layer + "." + mapped + ".weight";
    }
    std::vector<float> values(static_cast<size_t>(NumElements(t->shape)));
    source.ReadAsF32(*t, values.data());
    // The llama.cpp converter stores every norm weight as 1 + w.
    if (name.size() >= 11 && name.compare(name.size() - 11, 11, "norm.weight") == 0) {
      for (float& v : values) v += 1.0f;
    }
    std::vector<uint64_t> ne(t->shape.rbegin(), t->shape.rend());  // GGUF order
    std::vector<uint8_t> bytes(values.size() * 4);
    std::memcpy(bytes.data(), values.data(), bytes.size());
    b.Tensor(out, ne, /*F32=*/0, bytes);
  }
  b.Write(out_path);
}

}  // namespace gemmeter::test
