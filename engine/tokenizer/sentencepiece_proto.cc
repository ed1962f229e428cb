#include "engine/tokenizer/sentencepiece_proto.h"

#include <cstring>
#include <string_view>

#include "engine/core/error.h"

namespace gemmeter {
namespace {

// Protobuf wire format (protobuf.dev/programming-guides/encoding): each field is a
// varint key (field_number << 3 | wire_type) followed by its value.
enum WireType : uint32_t { kVarint = 0, kFixed32 = 5, kLengthDelimited = 2 };

class ProtoWriter {
 public:
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Key(uint32_t field, WireType type) { Varint((static_cast<uint64_t>(field) << 3) | type); }
  void Int(uint32_t field, int64_t v) {
    Key(field, kVarint);
    Varint(static_cast<uint64_t>(v));  // negative int32 values take 10 bytes, as protobuf does
  }
  void Bool(uint32_t field, bool v) { Int(field, v ? 1 : 0); }
  void Float(uint32_t field, float v) {
    Key(field, kFixed32);
    char bytes[4];
    std::memcpy(bytes, &v, 4);  // little-endian IEEE, as the wire format requires
    out_.append(bytes, 4);
  }
  void Bytes(uint32_t field, const std::string& v) {
    Key(field, kLengthDelimited);
    Varint(v.size());
    out_ += v;
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

// Reads the wire format back, field by field; every length is checked against the end.
class ProtoReader {
 public:
  ProtoReader(std::string_view bytes, const std::string& source) : bytes_(bytes), source_(source) {}
  bool done() const { return pos_ >= bytes_.size(); }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= bytes_.size()) Fail("{}: truncated tokenizer model (varint)", source_);
      const auto b = static_cast<uint8_t>(bytes_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
    Fail("{}: malformed tokenizer model (varint)", source_);
  }
  // Skips or returns the value of a field whose key was just read.
  std::string_view Value(uint32_t wire_type) {
    size_t n = 0;
    if (wire_type == kVarint) {
      const size_t begin = pos_;
      Varint();
      return bytes_.substr(begin, pos_ - begin);
    }
    if (wire_type == kFixed32) n = 4;
    else if (wire_type == 1) n = 8;  // fixed64
    else if (wire_type == kLengthDelimited) n = Varint();
    else Fail("{}: malformed tokenizer model (wire type {})", source_, wire_type);
    if (n > bytes_.size() - pos_) Fail("{}: truncated tokenizer model", source_);
    const std::string_view v = bytes_.substr(pos_, n);
    pos_ += n;
    return v;
  }

 private:
  std::string_view bytes_;
  const std::string& source_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<PieceType> ReadPieceTypes(const std::string& model_proto, const std::string& source) {
  std::vector<PieceType> types;
  ProtoReader model(model_proto, source);
  while (!model.done()) {
    const uint64_t key = model.Varint();
    const std::string_view value = model.Value(static_cast<uint32_t>(key & 7));
    if (key != ((1u << 3) | kLengthDelimited)) continue;  // not a SentencePiece
    ProtoReader piece(value, source);
    PieceType type = PieceType::kNormal;
    while (!piece.done()) {
      const uint64_t k = piece.Varint();
      const std::string_view v = piece.Value(static_cast<uint32_t>(k & 7));
      if (k == ((3u << 3) | kVarint)) {
        type = static_cast<PieceType>(ProtoReader(v, source).Varint());
      }
    }
    types.push_back(type);
  }
  return types;
}

std::string SerializeGemmaModelProto(const SentencePieceVocab& vocab) {
  ProtoWriter model;
  for (size_t i = 0; i < vocab.pieces.size(); ++i) {
    ProtoWriter piece;  // message SentencePiece
    piece.Bytes(1, vocab.pieces[i]);
    piece.Float(2, vocab.scores[i]);
    piece.Int(3, static_cast<int>(vocab.types[i]));
    model.Bytes(1, piece.str());  // repeated SentencePiece pieces = 1
  }
  ProtoWriter trainer;  // message TrainerSpec
  trainer.Int(3, 2);    // model_type = BPE
  trainer.Int(4, static_cast<int64_t>(vocab.pieces.size()));  // vocab_size
  trainer.Bool(35, true);  // byte_fallback
  trainer.Int(40, vocab.unk_id);
  trainer.Int(41, vocab.bos_id);
  trainer.Int(42, vocab.eos_id);
  trainer.Int(43, vocab.pad_id);
  auto piece_or_empty = [&](int id) {
    return id >= 0 && static_cast<size_t>(id) < vocab.pieces.size() ? vocab.pieces[id] : "";
  };
  trainer.Bytes(45, piece_or_empty(vocab.unk_id));
  trainer.Bytes(46, piece_or_empty(vocab.bos_id));
  trainer.Bytes(47, piece_or_empty(vocab.eos_id));
  trainer.Bytes(48, piece_or_empty(vocab.pad_id));
  model.Bytes(2, trainer.str());

  ProtoWriter normalizer;  // message NormalizerSpec; the proto defaults are true for 3 and 4
  normalizer.Bytes(1, "identity");
  normalizer.Bool(3, false);  // add_dummy_prefix
  normalizer.Bool(4, false);  // remove_extra_whitespaces
  normalizer.Bool(5, true);   // escape_whitespaces
  model.Bytes(3, normalizer.str());
  return model.str();
}

}  // namespace gemmeter
