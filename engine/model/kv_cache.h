// Key/value cache of one sequence: per layer, the keys and values of every position
// seen so far, held on the model's backend.
//
// A cache may continue a prefix held by another cache (its parent): the parent's
// positions are read in place, as read-only shared segments, and this cache's own rows
// hold only the positions after them. A few-shot header or a multiple-choice context is
// computed once, and each continuation runs on top of it without a copy. Fork() copies
// the own rows into a new cache that shares the same prefix.
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
  // Continues `parent`: positions [0, parent.length()) are read from it (the parent's
  // storage is kept alive by this cache; the parent must not rewrite those positions),
  // and `capacity` more positions are this cache's own.
  KvCache(const KvCache& parent, int64_t capacity);

  int64_t length() const { return length_; }      // positions filled, shared ones included
  int64_t capacity() const { return first_own_position_ + own_capacity_; }  // positions
  // Positions before this one are shared segments; own row r holds position
  // first_own_position() + r.
  int64_t first_own_position() const { return first_own_position_; }
  const Tensor& keys(int layer) const { return keys_[static_cast<size_t>(layer)]; }
  const Tensor& values(int layer) const { return values_[static_cast<size_t>(layer)]; }
  // The shared segments of `layer`, covering positions [0, first_own_position()).
  const std::vector<KvSegment>& shared(int layer) const {
    return shared_[static_cast<size_t>(layer)];
  }

  // A new cache with the same prefix, the same own capacity (or a larger one) and a
  // copy of the filled own positions.
  KvCache Fork(int64_t capacity = 0) const;
  // Forgets positions from `length` on (e.g. to score another continuation); shared
  // positions cannot be forgotten.
  void Truncate(int64_t length);
  // Marks `count` more positions as filled (the model writes them first).
  void Advance(int64_t count);

 private:
  void AllocateOwn(int64_t capacity);

  Backend* backend_;
  const ModelConfig* config_;
  int64_t first_own_position_ = 0;
  int64_t own_capacity_ = 0;
  int64_t length_ = 0;
  std::vector<Tensor> keys_;    // per layer [own capacity, KV * Dh] f32
  std::vector<Tensor> values_;
  std::vector<std::vector<KvSegment>> shared_;  // per layer
};

}  // namespace gemmeter
