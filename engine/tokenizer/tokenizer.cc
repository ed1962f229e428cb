#include "engine/tokenizer/tokenizer.h"

#include <sentencepiece_processor.h>

#include <fstream>
#include <sstream>

#include "engine/core/error.h"
#include "engine/io/gguf.h"
#include "engine/tokenizer/sentencepiece_proto.h"

namespace gemmeter {

Tokenizer::Tokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> processor,
                     std::string source)
    : processor_(std::move(processor)), source_(std::move(source)) {
  const std::vector<PieceType> types = ReadPieceTypes(processor_->serialized_model_proto(), source_);
  for (int id = 0; id < static_cast<int>(types.size()); ++id) {
    const PieceType t = types[static_cast<size_t>(id)];
    if (t != PieceType::kControl && t != PieceType::kUserDefined && t != PieceType::kUnknown) {
      continue;
    }
    const std::string piece = processor_->IdToPiece(id);
    const bool angled = piece.size() > 2 && piece.front() == '<' && piece.back() == '>';
    const bool squared = piece.size() > 2 && piece.front() == '[' && piece.back() == ']';
    if (angled || squared) markup_.emplace(piece, id);
  }
}

int32_t Tokenizer::MarkupId(const std::string& piece) const {
  const auto it = markup_.find(piece);
  return it == markup_.end() ? -1 : it->second;
}

Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::FromSerializedProto(const std::string& bytes,
                                                          const std::string& source) {
  auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
  const auto status = processor->LoadFromSerializedProto(bytes);
  if (!status.ok()) Fail("{}: not a usable sentencepiece model: {}", source, status.ToString());
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(processor), source));
}

std::unique_ptr<Tokenizer> Tokenizer::FromModelFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("{}: cannot open tokenizer model", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return FromSerializedProto(buffer.str(), path);
}

std::unique_ptr<Tokenizer> Tokenizer::FromGguf(const GgufFile& f) {
  if (!f.Has("tokenizer.ggml.tokens")) {
    Fail("{}: no tokenizer in this file (metadata 'tokenizer.ggml.tokens' is missing)", f.path());
  }
  const std::string model = f.Has("tokenizer.ggml.model") ? f.GetString("tokenizer.ggml.model")
                                                          : "llama";
  if (model != "llama") {
    Fail("{}: metadata 'tokenizer.ggml.model' is '{}'; Gemma uses a sentencepiece ('llama') "
         "tokenizer", f.path(), model);
  }
  SentencePieceVocab vocab;
  vocab.pieces = f.GetStringArray("tokenizer.ggml.tokens");
  const std::vector<double>& scores = f.GetNumberArray("tokenizer.ggml.scores");
  const std::vector<double>& types = f.GetNumberArray("tokenizer.ggml.token_type");
  const size_t n = vocab.pieces.size();
  if (scores.size() != n || types.size() != n) {
    Fail("{}: metadata 'tokenizer.ggml.scores' ({}) and 'tokenizer.ggml.token_type' ({}) must "
         "have one entry per token ({})", f.path(), scores.size(), types.size(), n);
  }
  auto id = [&](const char* key, int fallback) {
    const std::string k = std::string("tokenizer.ggml.") + key;
    // Checked as int64, before narrowing to int (which could wrap into the vocabulary).
    const int64_t v = f.Has(k) ? f.GetInt(k) : fallback;
    if (v < 0 || static_cast<uint64_t>(v) >= n) {
      Fail("{}: metadata '{}' = {} is outside the vocabulary of {}", f.path(), k, v, n);
    }
    return static_cast<int>(v);
  };
  vocab.unk_id = id("unknown_token_id", 3);
  vocab.bos_id = id("bos_token_id", 2);
  vocab.eos_id = id("eos_token_id", 1);
  vocab.pad_id = id("padding_token_id", 0);
  for (size_t i = 0; i < n; ++i) {
    vocab.scores.push_back(static_cast<float>(scores[i]));
    // Range-checked as a double: casting NaN or a huge value to int is undefined.
    if (!(types[i] >= 1 && types[i] <= 6)) {
      Fail("{}: metadata 'tokenizer.ggml.token_type' has unknown type {} for token {}", f.path(),
           types[i], i);
    }
    vocab.types.push_back(static_cast<PieceType>(static_cast<int>(types[i])));
  }
  // Gemma GGUFs store the user-defined whitespace pieces ("  ", "   ", ...) with raw
  // spaces, while sentencepiece matches user-defined pieces against the normalized text,
  // where every space is already U+2581. Escaping them here makes a run of spaces match
  // its piece, as transformers' tokenizer (which matches them on the raw text) does.
  for (size_t i = 0; i < n; ++i) {
    if (vocab.types[i] != PieceType::kUserDefined) continue;
    std::string escaped;
    for (char ch : vocab.pieces[i]) escaped += ch == ' ' ? std::string("\xE2\x96\x81") : std::string(1, ch);
    vocab.pieces[i] = std::move(escaped);
  }
  // sentencepiece requires the unknown piece to have type UNKNOWN; Gemma GGUFs mark
  // <unk> as a control token.
  vocab.types[static_cast<size_t>(vocab.unk_id)] = PieceType::kUnknown;
  auto tokenizer = FromSerializedProto(SerializeGemmaModelProto(vocab), f.path() + " (tokenizer)");
  // sentencepiece finds BOS and EOS by their pieces: a piece that occurs twice, or one
  // whose type it does not accept for the role, resolves to another id or to -1, which
  // Encode would then emit (found by fuzzing: BOS -1 for a piece of the wrong type).
  const struct {
    const char* key;
    int wanted, resolved;
  } specials[] = {{"bos_token_id", vocab.bos_id, tokenizer->bos_id()},
                  {"eos_token_id", vocab.eos_id, tokenizer->eos_id()}};
  for (const auto& s : specials) {
    if (s.resolved != s.wanted) {
      Fail("{}: metadata 'tokenizer.ggml.{}' = {} names the piece '{}' (type {}), which the "
           "tokenizer cannot use in that role (it resolves to id {}): a duplicated piece or a "
           "wrong 'tokenizer.ggml.token_type'", f.path(), s.key, s.wanted,
           vocab.pieces[static_cast<size_t>(s.wanted)], static_cast<int>(vocab.types[static_cast<size_t>(s.wanted)]),
           s.resolved);
    }
  }
  return tokenizer;
}

std::vector<int32_t> Tokenizer::EncodePlain(std::string_view text) const {
  std::vector<int> ids;
  const auto status = processor_->Encode(text, &ids);
  if (!status.ok()) Fail("{}: cannot encode text: {}", source_, status.ToString());
  return {ids.begin(), ids.end()};
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_bos,
                                       bool parse_markup) const {
  std::vector<int32_t> out;
  if (add_bos) out.push_back(bos_id());
  // As transformers' added tokens: markup pieces are cut out of the text first, and the
  // text between them is tokenized piece by piece.
  size_t plain_begin = 0;
  auto flush_plain = [&](size_t end) {
    if (end <= plain_begin) return;
    const std::vector<int32_t> ids = EncodePlain(text.substr(plain_begin, end - plain_begin));
    out.insert(out.end(), ids.begin(), ids.end());
  };
  for (size_t i = 0; parse_markup && !markup_.empty() && i < text.size(); ++i) {
    if (text[i] != '<' && text[i] != '[') continue;
    const size_t close = text.find(text[i] == '<' ? '>' : ']', i);
    if (close == std::string_view::npos) break;
    const auto it = markup_.find(std::string(text.substr(i, close - i + 1)));
    if (it == markup_.end()) continue;
    flush_plain(i);
    // A text that starts with "<bos>" already has its BOS (lm-eval avoids a double BOS).
    if (!(it->second == bos_id() && out.size() == 1 && add_bos && i == 0)) out.push_back(it->second);
    plain_begin = close + 1;
    i = close;
  }
  flush_plain(text.size());
  return out;
}

std::string Tokenizer::Decode(std::span<const int32_t> ids) const {
  std::vector<int> v(ids.begin(), ids.end());
  for (int id : v) {
    if (id < 0 || id >= vocab_size()) Fail("{}: cannot decode token id {}", source_, id);
  }
  std::string text;
  const auto status = processor_->Decode(v, &text);
  if (!status.ok()) Fail("{}: cannot decode: {}", source_, status.ToString());
  return text;
}

std::string Tokenizer::SerializedModel() const { return processor_->serialized_model_proto(); }

std::string Tokenizer::Piece(int32_t id) const { return processor_->IdToPiece(id); }
int32_t Tokenizer::vocab_size() const { return processor_->GetPieceSize(); }
int32_t Tokenizer::bos_id() const { return processor_->bos_id(); }
int32_t Tokenizer::eos_id() const { return processor_->eos_id(); }

int32_t Tokenizer::PieceId(const std::string& piece) const {
  const int id = processor_->PieceToId(piece);
  return id == processor_->unk_id() && piece != processor_->IdToPiece(id) ? -1 : id;
}

std::string TextStreamer::Push(int32_t id) {
  ids_.push_back(id);
  const std::string text = tokenizer_.Decode(ids_);
  // Hold back a trailing U+FFFD (EF BF BD): byte-fallback tokens of a multi-byte
  // character decode to it until the character is complete.
  size_t end = text.size();
  if (end >= 3 && text.compare(end - 3, 3, "\xEF\xBF\xBD") == 0) end -= 3;
  if (end <= printed_) return "";
  std::string chunk = text.substr(printed_, end - printed_);
  printed_ = end;
  return chunk;
}

}  // namespace gemmeter
