#include "engine/model/kv_cache.h"

#include "engine/core/error.h"

namespace gemmeter {

KvCache::KvCache(Backend& backend, const ModelConfig& config, int64_t capacity)
    : backend_(&backend), config_(&config), capacity_(capacity) {
  Check(capacity > 0, "KV cache capacity must be positive, got {}", capacity);
  for (int i = 0; i < config.num_layers; ++i) {
    keys_.push_back(backend.Allocate({capacity, config.kv_width()}, DType::kF32));
    values_.push_back(backend.Allocate({capacity, config.kv_width()}, DType::kF32));
  }
}

KvCache KvCache::Fork(int64_t capacity) const {
  KvCache copy(*backend_, *config_, capacity > 0 ? capacity : capacity_);
  Check(copy.capacity_ >= length_, "cannot fork a cache of {} positions into capacity {}",
        length_, copy.capacity_);
  for (size_t i = 0; i < keys_.size(); ++i) {
    backend_->CopyRows(keys_[i], 0, copy.keys_[i], 0, length_);
    backend_->CopyRows(values_[i], 0, copy.values_[i], 0, length_);
  }
  copy.length_ = length_;
  return copy;
}

void KvCache::Truncate(int64_t length) {
  Check(length >= 0 && length <= length_, "cannot truncate a cache of {} positions to {}",
        length_, length);
  length_ = length;
}

void KvCache::Advance(int64_t count) {
  Check(count >= 0 && length_ + count <= capacity_,
        "KV cache overflow: {} + {} positions exceed the capacity {}", length_, count, capacity_);
  length_ += count;
}

}  // namespace gemmeter
