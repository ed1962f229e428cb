// gemmeter: the command-line frontend.
//
//   gemmeter info    --model PATH | --preset NAME   what a model is
//   gemmeter forward --model PATH --tokens IDS      next-token distribution after IDS
//
// Every failure prints "gemmeter: error: ..." and exits non-zero.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/build_config.h"
#include "engine/core/error.h"
#include "engine/core/parallel.h"
#include "engine/model/checkpoint.h"
#include "engine/model/config.h"

namespace gemmeter {
namespace {

std::string LayerPatternSummary(const ModelConfig& c) {
  std::string s;
  for (const LayerConfig& l : c.layers) s += l.sliding_window > 0 ? 'L' : 'G';
  return s;
}

void PrintConfig(const ModelConfig& c) {
  fmt::print("model            {}\n", c.name);
  fmt::print("family           {}\n", FamilyName(c.family));
  fmt::print("parameters       {}\n", c.ParameterCount());
  fmt::print("vocab            {}\n", c.vocab_size);
  fmt::print("hidden           {}\n", c.hidden_size);
  fmt::print("intermediate     {}\n", c.intermediate_size);
  fmt::print("layers           {}  ({}; L = sliding window, G = global)\n", c.num_layers,
             LayerPatternSummary(c));
  fmt::print("heads            {} query, {} key/value, head_dim {}\n", c.num_heads,
             c.num_kv_heads, c.head_dim);
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
}

std::vector<int32_t> ParseTokenIds(const std::string& text) {
  std::vector<int32_t> ids;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = text.find(',', pos);
    const std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos
                                                                          : comma - pos);
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

DType ParseWeightDType(const std::string& s) {
  if (s == "f32") return DType::kF32;
  if (s == "bf16") return DType::kBF16;
  Fail("--weights: \"{}\" is not one of f32, bf16", s);
}

void RunForward(const std::string& model_path, const std::string& backend_name,
                const std::string& weights, const std::string& tokens_text, int top) {
  const std::vector<int32_t> tokens = ParseTokenIds(tokens_text);
  auto backend = MakeBackend(backend_name);
  auto model = LoadModel(model_path, *backend, {ParseWeightDType(weights)});
  KvCache cache = model->NewCache(static_cast<int64_t>(tokens.size()));
  const SequenceInput input{&cache, tokens};
  const std::vector<float> logits =
      model->ForwardToHost(std::span(&input, 1), LogitsFor::kLastPosition);

  // log p = logit - log(sum exp(logit)), with the max subtracted for range.
  const double max_logit = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (float l : logits) sum += std::exp(l - max_logit);
  const double log_normalizer = max_logit + std::log(sum);
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  const size_t k = std::min<size_t>(static_cast<size_t>(std::max(top, 1)), order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });

  fmt::print("model {} ({}, {} parameters), backend {}, {} weights\n", model_path,
             FamilyName(model->config().family), model->config().ParameterCount(),
             backend->name(), weights);
  fmt::print("input {} tokens: {}\n", tokens.size(), fmt::join(tokens, ","));
  fmt::print("next-token distribution (top {} of {}):\n", k, logits.size());
  fmt::print("  {:>4}  {:>8}  {:>10}  {:>9}\n", "rank", "token", "logit", "prob");
  for (size_t r = 0; r < k; ++r) {
    const int32_t id = order[r];
    fmt::print("  {:>4}  {:>8}  {:>10.4f}  {:>9.5f}\n", r + 1, id, logits[id],
               std::exp(logits[id] - log_normalizer));
  }
}

int Main(int argc, char** argv) {
  CLI::App app{"gemmeter: a Gemma engine with its benchmark and evaluation harness"};
  app.set_version_flag("--version", std::string("gemmeter ") + GEMMETER_VERSION);
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "worker threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);

  std::string model_path, preset;
  auto* info = app.add_subcommand("info", "print a model's architecture and size");
  auto* info_model = info->add_option("--model", model_path, "checkpoint folder (config.json + safetensors)");
  info->add_option("--preset", preset, "a built-in configuration: " +
                                           fmt::format("{}", fmt::join(PresetNames(), ", ")))
      ->excludes(info_model);

  std::string backend_name = "reference", weights = "f32", tokens_text;
  int top = 10;
  auto* forward = app.add_subcommand(
      "forward", "run token ids through a model and print the next-token distribution");
  forward->add_option("--model", model_path, "checkpoint folder (config.json + safetensors)")
      ->required();
  forward->add_option("--tokens", tokens_text, "comma-separated token ids, e.g. 2,651,6037")
      ->required();
  forward->add_option("--backend", backend_name,
                      fmt::format("compute backend: {}", fmt::join(AvailableBackends(), ", ")))
      ->capture_default_str();
  forward->add_option("--weights", weights, "weight precision on the backend: f32 or bf16")
      ->capture_default_str();
  forward->add_option("--top", top, "how many of the most likely tokens to print")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (threads > 0) SetParallelThreads(threads);
    if (*info) {
      if (model_path.empty() && preset.empty()) Fail("info: give --model PATH or --preset NAME");
      if (!preset.empty()) {
        PrintConfig(Preset(preset));
      } else {
        auto backend = MakeBackend("reference");
        auto model = LoadModel(model_path, *backend);
        PrintConfig(model->config());
      }
    } else if (*forward) {
      RunForward(model_path, backend_name, weights, tokens_text, top);
    }
  } catch (const Error& e) {
    fmt::print(stderr, "gemmeter: error: {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace gemmeter

int main(int argc, char** argv) { return gemmeter::Main(argc, argv); }
