// Argument checks shared by every backend: one definition of each op's contract, so a
// wrong shape is reported the same way (naming the op, the operand and both shapes)
// whichever backend runs it.
#pragma once

#include <initializer_list>
#include <span>

#include "engine/backend/backend.h"

namespace gemmeter {

void CheckEmbeddingShapes(const Tensor& table, std::span<const int32_t> tokens,
                          const Tensor& out);
void CheckRmsNormShapes(const Tensor& x, const Tensor& gain, const Tensor& out);
void CheckMatMulShapes(const Tensor& x, const Tensor& weight, const Tensor& out,
                       const MatMulEpilogue& epilogue);
void CheckLogSoftmaxGather(const Tensor& logits, std::span<const int64_t> offsets,
                           std::span<const int32_t> targets, std::span<float> log_probs,
                           std::span<int32_t> argmax);
void CheckSameShapeF32(const char* op, std::initializer_list<const Tensor*> tensors);
void CheckRopeShapes(const Tensor& x, int head_dim, std::span<const int32_t> positions);
void CheckAttentionShapes(const Tensor& q, std::span<const AttentionSequence> sequences,
                          const AttentionParams& params, const Tensor& out);
void CheckCopyRows(const Tensor& src, int64_t src_row, const Tensor& dst, int64_t dst_row,
                   int64_t count);

}  // namespace gemmeter
