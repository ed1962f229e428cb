// Tensor: a typed, shaped view of memory owned by one backend.
//
// The bytes may live in host memory (reference, oneDNN) or on a GPU (CUDA), so the
// engine never dereferences Tensor::data() itself: only the owning backend does.
// Copies share storage, like a handle; Reshaped() and Rows() make views of the same bytes.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/dtype.h"

namespace gemmeter {

class Backend;

using Shape = std::vector<int64_t>;

int64_t NumElements(const Shape& shape);
std::string ShapeToString(const Shape& shape);
// Bytes of a tensor of this shape and dtype: its rows (the last dimension is a row) of
// whole blocks for a block format; throws Error when a row is not whole blocks.
size_t StorageBytes(const Shape& shape, DType dtype);

// How a matrix's rows lie in its bytes: one after another, or (a CPU backend's layout for
// block-format weights, engine/backend/cpu/row_groups.h) in groups of 16 rows whose blocks
// are interleaved. Only the owning backend reads either.
enum class RowLayout : uint8_t { kRows, kGroupsOf16 };
inline constexpr int64_t kRowGroup = 16;  // rows per group of RowLayout::kGroupsOf16

// A block of memory allocated by a backend; the backend's deleter frees it.
struct TensorStorage {
  void* data = nullptr;
  size_t bytes = 0;
  std::shared_ptr<void> owner;  // frees `data` when the last view goes away
};

class Tensor {
 public:
  Tensor() = default;
  Tensor(std::shared_ptr<TensorStorage> storage, size_t byte_offset, Shape shape, DType dtype,
         Backend* backend);

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int axis) const;          // negative axis counts from the end
  int64_t numel() const { return NumElements(shape_); }
  // Storage bytes: rows of whole blocks for a block format.
  size_t bytes() const { return StorageBytes(shape_, dtype_); }
  Backend* backend() const { return backend_; }
  RowLayout layout() const { return layout_; }
  // The same bytes, declared to be in `layout` (by the backend that arranged them).
  Tensor WithLayout(RowLayout layout) const;

  // Rows and columns when the tensor is seen as a matrix [rows, last dim].
  int64_t cols() const { return shape_.empty() ? 1 : shape_.back(); }
  int64_t rows() const { return cols() == 0 ? 0 : numel() / cols(); }

  // Backend memory; meaningful only to the owning backend.
  void* data() const { return static_cast<char*>(storage_->data) + byte_offset_; }

  // The same bytes with another shape of equal element count (and, in row groups, equal
  // rows).
  Tensor Reshaped(Shape shape) const;
  // Rows [begin, begin + count) along axis 0 (whole groups, in row groups).
  Tensor Rows(int64_t begin, int64_t count) const;

  std::string Describe() const;  // e.g. "f32[3, 64]", "q5_0[1024, 640] in row groups"

 private:
  std::shared_ptr<TensorStorage> storage_;
  size_t byte_offset_ = 0;
  Shape shape_;
  DType dtype_ = DType::kF32;
  Backend* backend_ = nullptr;
  RowLayout layout_ = RowLayout::kRows;
};

}  // namespace gemmeter

// Formats a Tensor as Describe() does. Check(cond, "...{}...", tensor) formats only when the
// check fails, so passing tensors (not Describe() strings) keeps passing checks free: the
// hot path checks every op of every decoded token.
template <>
struct fmt::formatter<gemmeter::Tensor> : fmt::formatter<std::string> {
  template <typename FormatContext>
  auto format(const gemmeter::Tensor& t, FormatContext& ctx) const {
    return fmt::formatter<std::string>::format(t.Describe(), ctx);
  }
};
