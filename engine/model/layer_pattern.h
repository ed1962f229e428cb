// Per-layer attention patterns of the Gemma generations (engine-facts.md 1.6).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/model/config.h"

namespace gemmeter {

// The most layers a configuration may claim. Gemma has at most 62; config.json and GGUF
// metadata are checked against this before the lists below are allocated from them.
inline constexpr int64_t kMaxLayers = 1024;

// Gemma 1: every layer global.
std::vector<LayerConfig> GlobalLayers(int num_layers, float theta);
// Gemma 2: sliding window on even layer indices, global on odd ones.
std::vector<LayerConfig> Gemma2Layers(int num_layers, int window, float theta);
// Gemma 3: layer i is global iff (i + 1) % pattern == 0 (pattern 6: 5 local, 1 global).
// Local layers use local_theta; global ones global_theta with linear scaling.
std::vector<LayerConfig> Gemma3Layers(int num_layers, int pattern, int window, float local_theta,
                                      float global_theta, float global_scaling);

}  // namespace gemmeter
