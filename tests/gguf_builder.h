// Writes GGUF files for tests: real-looking checkpoints made from the tiny fixtures, and
// corrupt ones. Follows the layout in ggml docs/gguf.md (engine-facts.md 2.1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gemmeter::test {

class GgufBuilder {
 public:
  void UInt32(const std::string& key, uint32_t v);
  void Float32(const std::string& key, float v);
  void Bool(const std::string& key, bool v);
  void String(const std::string& key, const std::string& v);
  void StringArray(const std::string& key, const std::vector<std::string>& v);
  void Float32Array(const std::string& key, const std::vector<float>& v);
  void Int32Array(const std::string& key, const std::vector<int32_t>& v);
  // `ne` in GGUF order (innermost first); `data` already in the tensor's type.
  void Tensor(const std::string& name, const std::vector<uint64_t>& ne, uint32_t type,
              const std::vector<uint8_t>& data);

  // The file's bytes. `magic` and `version` can be set wrong on purpose.
  std::string Build(uint32_t version = 3, const std::string& magic = "GGUF") const;
  void Write(const std::string& path, uint32_t version = 3, const std::string& magic = "GGUF") const;

  static constexpr uint32_t kAlignment = 32;

 private:
  struct TensorEntry {
    std::string name;
    std::vector<uint64_t> ne;
    uint32_t type;
    std::vector<uint8_t> data;
  };
  std::string metadata_;  // serialized key/value pairs
  uint64_t kv_count_ = 0;
  std::vector<TensorEntry> tensors_;
};

// A GGUF (F32 tensors, llama.cpp names, norms stored as 1 + w) holding a tiny
// Hugging Face fixture, with the metadata llama.cpp's converter writes for its family.
// Optionally with a small byte-level vocabulary (types and scores as a Gemma GGUF).
void WriteTinyFixtureAsGguf(const std::string& fixture_folder, const std::string& out_path,
                            bool with_tokenizer);

}  // namespace gemmeter::test
