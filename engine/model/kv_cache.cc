#include "engine/model/kv_cache.h"

#include "engine/core/error.h"

namespace gemmeter {

KvCache::KvCache(Backend& backend, const ModelConfig& config, int64_t capacity)
    : backend_(&backend), config_(&config) {
  AllocateOwn(capacity);
  shared_.resize(static_cast<size_t>(config.num_layers));
}

KvCache::KvCache(const KvCache& parent, int64_t capacity)
    : backend_(parent.backend_),
      config_(parent.config_),
      first_own_position_(parent.length_),
      length_(parent.length_) {
  AllocateOwn(capacity);
  shared_ = parent.shared_;
  const int64_t own_filled = parent.length_ - parent.first_own_position_;
  for (size_t i = 0; i < shared_.size(); ++i) {
    if (own_filled > 0) {
      shared_[i].push_back(
          {parent.keys_[i], parent.values_[i], parent.first_own_position_, own_filled});
    }
  }
}

void KvCache::AllocateOwn(int64_t capacity) {
  Check(capacity > 0, "KV cache capacity must be positive, got {}", capacity);
  own_capacity_ = capacity;
  for (int i = 0; i < config_->num_layers; ++i) {
    keys_.push_back(backend_->Allocate({capacity, config_->kv_width()}, DType::kF32));
    values_.push_back(backend_->Allocate({capacity, config_->kv_width()}, DType::kF32));
  }
}

KvCache KvCache::Fork(int64_t capacity) const {
  KvCache copy = *this;
  copy.keys_.clear();
  copy.values_.clear();
  copy.AllocateOwn(capacity > 0 ? capacity : own_capacity_);
  const int64_t own_filled = length_ - first_own_position_;
  Check(copy.own_capacity_ >= own_filled, "cannot fork a cache of {} own positions into capacity {}",
        own_filled, copy.own_capacity_);
  for (size_t i = 0; i < keys_.size(); ++i) {
    backend_->CopyRows(keys_[i], 0, copy.keys_[i], 0, own_filled);
    backend_->CopyRows(values_[i], 0, copy.values_[i], 0, own_filled);
  }
  return copy;
}

void KvCache::Truncate(int64_t length) {
  Check(length >= first_own_position_ && length <= length_,
        "cannot truncate a cache of {} positions ({} shared) to {}", length_,
        first_own_position_, length);
  length_ = length;
}

void KvCache::Advance(int64_t count) {
  Check(count >= 0 && length_ + count <= capacity(),
        "KV cache overflow: {} + {} positions exceed the capacity {}", length_, count, capacity());
  length_ += count;
}

}  // namespace gemmeter
