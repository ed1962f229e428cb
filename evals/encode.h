// Requests to token ids, as lm-evaluation-harness's _encode_pair.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/tokenizer/tokenizer.h"
#include "evals/task.h"

namespace gemmeter::evals {

struct EncodedRequest {
  std::vector<int32_t> context;       // BOS + tokens of the context
  std::vector<int32_t> continuation;  // the rest of tokenize(context + continuation)
};

// Trailing whitespace of the context moves to the front of the continuation; then
// whole = tokenize(context + continuation) and ctx = tokenize(context), both with one BOS
// (Gemma needs it, lm-eval adds it for Gemma), and the continuation's tokens are
// whole[len(ctx):]. The split point is the context's token count, as lm-eval's, with no
// check that whole starts with ctx. Throws Error when the continuation adds no tokens.
// Markup such as <start_of_turn> in the text becomes its token ids (as transformers'
// added tokens) unless `parse_markup` is false.
EncodedRequest EncodePair(const Tokenizer& tokenizer, const Request& request,
                          bool parse_markup = true);

}  // namespace gemmeter::evals
