#include "cli/commands.h"
#include "cli/activity.h"
#include "cli/model_loading.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>

#include <nlohmann/json.hpp>

#include "engine/backend/backend.h"
#include "engine/core/error.h"
#include "engine/model/checkpoint.h"
#include "engine/model/generate.h"
#include "evals/encode.h"

namespace gemmeter::cli {
namespace {

std::string LayerPattern(const ModelConfig& c) {
  std::string s;
  for (const LayerConfig& l : c.layers) s += l.sliding_window > 0 ? 'L' : 'G';
  return s;
}

void PrintConfig(const ModelConfig& c) {
  fmt::print("family           {}\n", FamilyName(c.family));
  fmt::print("parameters       {}\n", c.ParameterCount());
  fmt::print("vocab            {}\n", c.vocab_size);
  fmt::print("hidden           {}\n", c.hidden_size);
  fmt::print("intermediate     {}\n", c.intermediate_size);
  fmt::print("layers           {}  ({}; L = sliding window, G = global)\n", c.num_layers, LayerPattern(c));
  fmt::print("heads            {} query, {} key/value, head_dim {}\n", c.num_heads, c.num_kv_heads,
             c.head_dim);
  fmt::print("query scale      {:.6g}\n", c.query_scale);
  int window = 0;
  for (const LayerConfig& l : c.layers) window = std::max(window, l.sliding_window);
  if (window > 0) fmt::print("sliding window   {}\n", window);
  std::vector<std::string> ropes;
  for (const LayerConfig& l : c.layers) {
    std::string r = fmt::format("{:g}", l.rope_theta);
    if (l.rope_scaling_factor != 1.0f) r += fmt::format(" (linear /{:g})", l.rope_scaling_factor);
    if (std::find(ropes.begin(), ropes.end(), r) == ropes.end()) ropes.push_back(r);
  }
  fmt::print("rope theta       {}\n", fmt::join(ropes, ", "));
  fmt::print("soft-caps        attention {}, final {}\n",
             c.attn_softcap > 0 ? fmt::format("{:g}", c.attn_softcap) : "none",
             c.final_softcap > 0 ? fmt::format("{:g}", c.final_softcap) : "none");
  fmt::print("norms            {}{}\n", c.sandwich_norms ? "pre + post (sandwich)" : "pre only",
             c.qk_norm ? ", q/k norms" : "");
  fmt::print("context length   {}\n", c.max_position_embeddings);
}

std::vector<int32_t> ParseTokenIds(const std::string& text) {
  std::vector<int32_t> ids;
  size_t pos = 0;
  while (true) {
    const size_t comma = text.find(',', pos);
    const std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t used = 0;
    long long value = -1;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty() || value < 0 || value > INT32_MAX) {
      Fail("--tokens: \"{}\" is not a non-negative token id (expected e.g. 2,651,6037)", item);
    }
    ids.push_back(static_cast<int32_t>(value));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return ids;
}

// Gemma's chat turn format: <start_of_turn>user\n{prompt}<end_of_turn>\n<start_of_turn>model\n
// The turn markers are control tokens, so they are inserted as ids, not encoded as text.
std::vector<int32_t> ChatPrompt(const Tokenizer& tok, const std::string& prompt, bool parse_markup) {
  const int32_t start = tok.PieceId("<start_of_turn>");
  const int32_t end = tok.PieceId("<end_of_turn>");
  if (start < 0 || end < 0) Fail("--chat: this tokenizer has no <start_of_turn>/<end_of_turn> tokens");
  std::vector<int32_t> ids = {tok.bos_id(), start};
  auto append = [&](const std::string& text) {
    const auto part = tok.Encode(text, /*add_bos=*/false, parse_markup);
    ids.insert(ids.end(), part.begin(), part.end());
  };
  append("user\n" + prompt);
  ids.push_back(end);
  append("\n");
  ids.push_back(start);
  append("model\n");
  return ids;
}

// Speed of a generation and the process's peak resident memory, on stderr.
void PrintSpeed(const GenerationResult& r) {
  const auto decoded = static_cast<int64_t>(r.tokens.size()) - 1;  // the first comes from prefill
  fmt::print(stderr, "prefill: {} tokens in {:.2f} s ({:.1f} tokens/s)\n", r.prompt_tokens,
             r.prefill_seconds, r.prompt_tokens / std::max(r.prefill_seconds, 1e-9));
  if (decoded > 0) {
    fmt::print(stderr, "decode:  {} tokens in {:.2f} s ({:.1f} tokens/s)\n", decoded, r.decode_seconds,
               decoded / std::max(r.decode_seconds, 1e-9));
  }
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  fmt::print(stderr, "peak resident memory: {:.0f} MiB\n", usage.ru_maxrss / 1024.0);
}

}  // namespace

void RunInfo(const InfoOptions& options) {
  if (!options.preset.empty()) {
    const ModelConfig c = Preset(options.preset);
    fmt::print("preset           {}\n", c.name);
    PrintConfig(c);
    return;
  }
  const CheckpointInfo info = InspectCheckpoint(ResolveModel(options.model));
  fmt::print("checkpoint       {}\n", info.path);
  fmt::print("format           {}, {:.1f} MiB\n", info.format, info.file_bytes / 1048576.0);
  PrintConfig(info.config);
  std::vector<std::string> types;
  for (const auto& [type, count] : info.tensor_types) types.push_back(fmt::format("{} {}", type, count));
  fmt::print("tensors          {} ({})\n", info.tensor_count, fmt::join(types, ", "));
  fmt::print("tokenizer        {}\n", info.tokenizer);
}

void RunGenerate(const RunOptions& options) {
  if (options.max_tokens < 1) Fail("--max-tokens must be at least 1");
  auto tokenizer = LoadModelTokenizer(options.model.model);
  Loaded l = Load(options.model);
  const std::vector<int32_t> prompt =
      options.chat ? ChatPrompt(*tokenizer, options.prompt, !options.literal_markup)
                   : tokenizer->Encode(options.prompt, true, !options.literal_markup);
  GenerateOptions generate;
  generate.max_new_tokens = options.max_tokens;
  generate.sampling = options.sampling;
  if (!options.ignore_eos) {
    generate.stop_tokens = {tokenizer->eos_id()};
    if (const int32_t eot = tokenizer->PieceId("<end_of_turn>"); eot >= 0) generate.stop_tokens.push_back(eot);
  }
  if (!options.chat) fmt::print("{}", options.prompt);
  std::fflush(stdout);
  TextStreamer streamer(*tokenizer);
  const Activity step(fmt::format("generating up to {} tokens", options.max_tokens));
  const GenerationResult r = Generate(*l.model, prompt, generate, [&](int32_t id) {
    fmt::print("{}", streamer.Push(id));
    std::fflush(stdout);
  });
  fmt::print("\n");
  PrintSpeed(r);
}

void RunScore(const ScoreOptions& options) {
  if (options.continuation.empty()) Fail("--continuation must not be empty");
  auto tokenizer = LoadModelTokenizer(options.model.model);
  Loaded l = Load(options.model);
  // As lm-evaluation-harness (_encode_pair, evals/encode.h).
  const evals::EncodedRequest encoded = evals::EncodePair(
      *tokenizer, {options.context, options.continuation}, !options.literal_markup);
  std::vector<int32_t> whole = encoded.context;
  whole.insert(whole.end(), encoded.continuation.begin(), encoded.continuation.end());
  const std::span<const int32_t> all(whole);
  const auto split = encoded.context.size();
  const ContinuationScore s = ScoreContinuation(*l.model, all.first(split), all.subspan(split));
  fmt::print("context tokens       {}\n", split);
  fmt::print("continuation tokens  {}\n", whole.size() - split);
  for (size_t i = split; i < whole.size(); ++i) {
    fmt::print("  {:>8}  {:<24}  log p = {:.6f}\n", whole[i], fmt::format("{:?}", tokenizer->Decode(all.subspan(i, 1))),
               s.token_log_probs[i - split]);
  }
  fmt::print("log-likelihood       {:.6f}\n", s.log_likelihood);
  fmt::print("greedy               {}\n", s.is_greedy ? "yes" : "no");
}

void RunTokenize(const TokenizeOptions& options) {
  if (options.text.empty() == options.input.empty()) Fail("tokenize: give exactly one of --text or --input");
  auto tokenizer = LoadModelTokenizer(options.model);
  auto print_ids = [&](const std::string& text) {
    fmt::print("[{}]\n", fmt::join(tokenizer->Encode(text, !options.no_bos, !options.literal_markup), ","));
  };
  if (!options.text.empty()) {
    print_ids(options.text);
    return;
  }
  std::ifstream in(options.input);
  if (!in) Fail("{}: cannot open", options.input);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      Fail("{}:{}: not a JSON string: {}", options.input, number, e.what());
    }
    if (!value.is_string()) Fail("{}:{}: not a JSON string", options.input, number);
    print_ids(value.get<std::string>());
  }
}

void RunForward(const ForwardOptions& options) {
  const std::vector<int32_t> tokens = ParseTokenIds(options.tokens);
  Loaded l = Load(options.model);
  KvCache cache = l.model->NewCache(static_cast<int64_t>(tokens.size()));
  const SequenceInput input{&cache, tokens};
  const std::vector<float> logits = l.model->ForwardToHost(std::span(&input, 1), LogitsFor::kLastPosition);
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  const size_t k = std::min<size_t>(static_cast<size_t>(options.top), order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  const double log_normalizer = LogSumExp(logits);
  fmt::print("input {} tokens: {}\n", tokens.size(), fmt::join(tokens, ","));
  fmt::print("next-token distribution (top {} of {}):\n", k, logits.size());
  fmt::print("  {:>4}  {:>8}  {:>10}  {:>9}\n", "rank", "token", "logit", "prob");
  for (size_t r = 0; r < k; ++r) {
    const int32_t id = order[r];
    fmt::print("  {:>4}  {:>8}  {:>10.4f}  {:>9.5f}\n", r + 1, id, logits[id],
               std::exp(logits[id] - log_normalizer));
  }
}

}  // namespace gemmeter::cli
