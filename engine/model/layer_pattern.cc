#include "engine/model/layer_pattern.h"

namespace gemmeter {

std::vector<LayerConfig> GlobalLayers(int num_layers, float theta) {
  return std::vector<LayerConfig>(static_cast<size_t>(num_layers), LayerConfig{0, theta, 1.0f});
}

std::vector<LayerConfig> Gemma2Layers(int num_layers, int window, float theta) {
  std::vector<LayerConfig> layers = GlobalLayers(num_layers, theta);
  for (int i = 0; i < num_layers; i += 2) layers[i].sliding_window = window;
  return layers;
}

std::vector<LayerConfig> Gemma3Layers(int num_layers, int pattern, int window, float local_theta,
                                      float global_theta, float global_scaling) {
  std::vector<LayerConfig> layers;
  for (int i = 0; i < num_layers; ++i) {
    const bool global = pattern > 0 && (i + 1) % pattern == 0;
    layers.push_back(global ? LayerConfig{0, global_theta, global_scaling}
                            : LayerConfig{window, local_theta, 1.0f});
  }
  return layers;
}

}  // namespace gemmeter
