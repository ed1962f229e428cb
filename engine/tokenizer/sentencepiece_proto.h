// Serializes a SentencePiece ModelProto from a vocabulary, so that a GGUF file's
// tokenizer (tokens, scores, types) can be loaded by the sentencepiece library.
// Debian's libsentencepiece-dev ships no generated protobuf headers, so this writes the
// protobuf wire format directly (field numbers: sentencepiece_model.proto, listed in
// engine-facts.md 2.7).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gemmeter {

// SentencePiece.Type.
enum class PieceType : int { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4,
                             kUnused = 5, kByte = 6 };

struct SentencePieceVocab {
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<PieceType> types;
  int unk_id = 3, bos_id = 2, eos_id = 1, pad_id = 0;
};

// A BPE model with byte fallback and an identity normalizer that only escapes spaces as
// U+2581, adds no dummy prefix and keeps repeated whitespace: Gemma's tokenizer.
std::string SerializeGemmaModelProto(const SentencePieceVocab& vocab);

// The type of every piece of a serialized ModelProto, in id order (kNormal where a piece
// omits it, the proto's default). Throws Error naming `source` on malformed bytes.
std::vector<PieceType> ReadPieceTypes(const std::string& model_proto, const std::string& source);

}  // namespace gemmeter
