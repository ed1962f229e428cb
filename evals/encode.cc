#include "evals/encode.h"

#include "engine/core/error.h"

namespace gemmeter::evals {

EncodedRequest EncodePair(const Tokenizer& tokenizer, const Request& request, bool parse_markup) {
  std::string context = request.context;
  std::string continuation = request.continuation;
  // Python's str.isspace() set for ASCII, which is what lm-eval's rstrip() removes here.
  auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!context.empty() && is_space(context.back())) {
    continuation.insert(continuation.begin(), context.back());
    context.pop_back();
  }
  const std::vector<int32_t> whole = tokenizer.Encode(context + continuation, true, parse_markup);
  EncodedRequest encoded;
  encoded.context = tokenizer.Encode(context, true, parse_markup);
  Check(whole.size() > encoded.context.size(),
        "the continuation {:?} adds no tokens to its context", request.continuation);
  encoded.continuation.assign(whole.begin() + static_cast<std::ptrdiff_t>(encoded.context.size()),
                              whole.end());
  return encoded;
}

}  // namespace gemmeter::evals
