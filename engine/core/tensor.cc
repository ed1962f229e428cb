#include "engine/core/tensor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/core/error.h"

namespace gemmeter {

int64_t NumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

size_t StorageBytes(const Shape& shape, DType dtype) {
  const int64_t cols = shape.empty() ? 1 : shape.back();
  const int64_t rows = cols == 0 ? 0 : NumElements(shape) / cols;
  return static_cast<size_t>(rows) * RowBytes(dtype, cols);
}

std::string ShapeToString(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

Tensor::Tensor(std::shared_ptr<TensorStorage> storage, size_t byte_offset, Shape shape,
               DType dtype, Backend* backend)
    : storage_(std::move(storage)),
      byte_offset_(byte_offset),
      shape_(std::move(shape)),
      dtype_(dtype),
      backend_(backend) {
  for (int64_t d : shape_) Check(d >= 0, "tensor dimension {} is negative", d);
  Check(byte_offset_ + bytes() <= storage_->bytes,
        "tensor view {} at offset {} overruns its {}-byte storage", ShapeToString(shape_),
        byte_offset_, storage_->bytes);
}

int64_t Tensor::dim(int axis) const {
  const int r = rank();
  const int a = axis < 0 ? axis + r : axis;
  Check(a >= 0 && a < r, "axis {} out of range for tensor {}", axis, *this);
  return shape_[a];
}

Tensor Tensor::WithLayout(RowLayout layout) const {
  Tensor t = *this;
  t.layout_ = layout;
  if (layout == RowLayout::kGroupsOf16) {
    Check(rank() == 2 && rows() % kRowGroup == 0, "tensor {} cannot be in groups of {} rows",
          *this, kRowGroup);
  }
  return t;
}

Tensor Tensor::Reshaped(Shape shape) const {
  Check(NumElements(shape) == numel(), "cannot reshape {} to {}", *this,
        ShapeToString(shape));
  Tensor t(storage_, byte_offset_, std::move(shape), dtype_, backend_);
  if (layout_ != RowLayout::kRows) {
    Check(t.shape_ == shape_, "cannot reshape {} to {}", *this, ShapeToString(t.shape_));
    t.layout_ = layout_;
  }
  return t;
}

Tensor Tensor::Rows(int64_t begin, int64_t count) const {
  Check(rank() >= 1 && begin >= 0 && count >= 0 && begin + count <= shape_[0],
        "rows [{}, {}) out of range for tensor {}", begin, begin + count, *this);
  Check(layout_ == RowLayout::kRows || (begin % kRowGroup == 0 && count % kRowGroup == 0),
        "rows [{}, {}) of {} are not whole groups of {}", begin, begin + count, *this, kRowGroup);
  Shape shape = shape_;
  shape[0] = count;
  const size_t row_bytes = shape_[0] == 0 ? 0 : bytes() / static_cast<size_t>(shape_[0]);
  Tensor t(storage_, byte_offset_ + static_cast<size_t>(begin) * row_bytes, std::move(shape),
           dtype_, backend_);
  t.layout_ = layout_;
  return t;
}

std::string Tensor::Describe() const {
  return fmt::format("{}{}{}", DTypeName(dtype_), ShapeToString(shape_),
                     layout_ == RowLayout::kGroupsOf16 ? " in row groups" : "");
}

}  // namespace gemmeter
