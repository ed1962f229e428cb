// Key/value cache of one sequence: per layer, the keys and values of every position
// seen so far, held on the model's backend.
//
// Fork() copies the filled positions into a new cache, so a shared prefix (an MMLU
// few-shot context, a HellaSwag context) is computed once and each continuation is
// scored from its own fork.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/model/config.h"

namespace gemmeter {

class KvCache {
 public:
  // Room for `capacity` positions of every layer of `config`.
  KvCache(Backend& backend, const ModelConfig& config, int64_t capacity);

  int64_t length() const { return length_; }      // positions filled
  int64_t capacity() const { return capacity_; }
  const Tensor& keys(int layer) const { return keys_[static_cast<size_t>(layer)]; }
  const Tensor& values(int layer) const { return values_[static_cast<size_t>(layer)]; }

  // A new cache with the same capacity (or a larger one) and a copy of the filled positions.
  KvCache Fork(int64_t capacity = 0) const;
  // Forgets positions from `length` on (e.g. to score another continuation).
  void Truncate(int64_t length);
  // Marks `count` more positions as filled (the model writes them first).
  void Advance(int64_t count);

 private:
  Backend* backend_;
  const ModelConfig* config_;
  int64_t capacity_ = 0;
  int64_t length_ = 0;
  std::vector<Tensor> keys_;    // per layer [capacity, KV * Dh] f32
  std::vector<Tensor> values_;
};

}  // namespace gemmeter
