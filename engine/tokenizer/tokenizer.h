// Text <-> token ids with the sentencepiece library: from a tokenizer.model file
// (Hugging Face checkpoints) or from the vocabulary stored in a GGUF file.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace gemmeter {

class GgufFile;

class Tokenizer {
 public:
  // Throws Error naming the file when it cannot be read or is not a sentencepiece model.
  static std::unique_ptr<Tokenizer> FromModelFile(const std::string& path);
  // From tokenizer.ggml.{model,tokens,scores,token_type,*_token_id}; throws Error naming
  // the file and key when the tokenizer is missing or malformed.
  static std::unique_ptr<Tokenizer> FromGguf(const GgufFile& file);
  // From serialized ModelProto bytes; `source` names them in errors.
  static std::unique_ptr<Tokenizer> FromSerializedProto(const std::string& bytes,
                                                        const std::string& source);
  ~Tokenizer();

  // Token ids of `text`, with one BOS in front when `add_bos` (Gemma requires it). With
  // `parse_markup`, markup pieces of the vocabulary (control and user-defined pieces
  // written <...> or [...]: <start_of_turn>, <end_of_turn>, <eos>, <mask>, ...) in the text
  // become their ids, as transformers treats its added tokens; otherwise they are plain
  // text. A text starting with "<bos>" gets no second BOS.
  std::vector<int32_t> Encode(std::string_view text, bool add_bos = true,
                              bool parse_markup = true) const;
  // Id of a markup piece (e.g. "<start_of_turn>"), or -1.
  int32_t MarkupId(const std::string& piece) const;
  // Text of `ids`; control tokens (BOS, EOS, ...) produce no text.
  std::string Decode(std::span<const int32_t> ids) const;
  std::string Piece(int32_t id) const;

  int32_t vocab_size() const;
  int32_t bos_id() const;
  int32_t eos_id() const;
  // Id of `piece` if it is in the vocabulary, else -1.
  int32_t PieceId(const std::string& piece) const;
  const std::string& source() const { return source_; }
  // The sentencepiece ModelProto bytes: what a tokenizer.model file holds.
  std::string SerializedModel() const;

 private:
  Tokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> processor, std::string source);
  std::vector<int32_t> EncodePlain(std::string_view text) const;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  std::string source_;
  std::unordered_map<std::string, int32_t> markup_;
};

// Turns a growing list of generated ids into text chunks to print as they arrive,
// holding back bytes until they form complete UTF-8 characters.
class TextStreamer {
 public:
  explicit TextStreamer(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  // Appends `id` and returns the new printable text (possibly empty).
  std::string Push(int32_t id);

 private:
  const Tokenizer& tokenizer_;
  std::vector<int32_t> ids_;
  size_t printed_ = 0;  // bytes of Decode(ids_) already returned
};

}  // namespace gemmeter
