// Fuzz target: the tokenizer built from a GGUF vocabulary (Tokenizer::FromGguf in
// engine/tokenizer/tokenizer.*, which serializes a sentencepiece model from
// tokenizer.ggml.* metadata), then Encode and Decode of a few texts and every id.
//
// Input: the bytes of a .gguf file (the seeds hold only tokenizer metadata). Build and
// run: fuzz/README.md, e.g.
//   build-fuzz/fuzz/gguf_tokenizer_fuzzer -dict=fuzz/dict/gguf.dict (one line)
//       build-fuzz/corpus/gguf_tokenizer fuzz/corpus/gguf_tokenizer
// gemmeter::Error is the expected answer to bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/io/gguf.h"
#include "engine/tokenizer/tokenizer.h"
#include "fuzz/fuzz_util.h"

namespace {

using gemmeter::Error;

// Plain words, repeated spaces (user-defined whitespace pieces), markup that may or may
// not be in the vocabulary, bytes that need byte fallback, and broken UTF-8.
const char* const kTexts[] = {
    "Hello world",
    "  a  ab   b ",
    "<bos><start_of_turn>user\nab<end_of_turn>\n<eos>",
    "[mask] <unk> <pad> <0x41> <",
    "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x99\x82",
    "\xFF\xFE broken \xC3",
};

void Exercise(const gemmeter::Tokenizer& tokenizer) {
  const int32_t vocab = tokenizer.vocab_size();
  for (const char* text : kTexts) {
    for (const bool markup : {true, false}) {
      const std::vector<int32_t> ids = tokenizer.Encode(text, /*add_bos=*/true, markup);
      for (int32_t id : ids) {
        if (id < 0 || id >= vocab) __builtin_trap();  // Encode must return vocabulary ids
      }
      tokenizer.Decode(ids);
    }
  }
  // Every id on its own, and streamed as a generation would be.
  gemmeter::TextStreamer streamer(tokenizer);
  for (int32_t id = 0; id < vocab && id < 1024; ++id) {
    tokenizer.PieceId(tokenizer.Piece(id));
    streamer.Push(id);
  }
  // Ids outside the vocabulary are refused with an Error.
  for (const int32_t id : {-1, vocab}) {
    try {
      tokenizer.Decode(std::vector<int32_t>{id});
      __builtin_trap();
    } catch (const Error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = gemmeter::fuzz::WriteScratchFile("tokenizer.gguf", data, size);
  try {
    const gemmeter::GgufFile file(path);
    const std::unique_ptr<gemmeter::Tokenizer> tokenizer = gemmeter::Tokenizer::FromGguf(file);
    Exercise(*tokenizer);
  } catch (const Error&) {
  }
  return 0;
}
