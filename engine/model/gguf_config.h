// Model configuration and weight names of GGUF files (llama.cpp's gemma, gemma2 and
// gemma3 architectures).
#pragma once

#include "engine/io/gguf.h"
#include "engine/model/config.h"
#include "engine/model/weights.h"

namespace gemmeter {

// Reads `{arch}.*` metadata; fills what GGUF does not store from the architecture
// (engine-facts.md 2.2). Throws Error naming the file and key.
ModelConfig ConfigFromGguf(const GgufFile& file);

// llama.cpp tensor names (gguf-py constants.py). Norm weights in GGUF already hold the
// gain: the converter stored w + 1 (engine-facts.md 2.4), so the offset here is 0.
WeightNaming GgufWeightNaming();

}  // namespace gemmeter
