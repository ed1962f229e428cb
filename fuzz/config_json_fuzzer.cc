// Fuzz target: Hugging Face config.json (ConfigFromHfJsonText in engine/model/config.h,
// config_json.cc), including the configuration's validation.
//
// Input: the text of config.json. Build and run: fuzz/README.md, e.g.
//   build-fuzz/fuzz/config_json_fuzzer -dict=fuzz/dict/config_json.dict (one line)
//       build-fuzz/corpus/config_json fuzz/corpus/config_json
// gemmeter::Error is the expected answer to bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/core/error.h"
#include "engine/model/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const gemmeter::ModelConfig config = gemmeter::ConfigFromHfJsonText(text, "config.json");
    config.ParameterCount();
  } catch (const gemmeter::Error&) {
  }
  return 0;
}
