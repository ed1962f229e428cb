#include "engine/backend/op_checks.h"

#include "engine/core/error.h"

namespace gemmeter {
namespace {

void CheckF32(const char* op, const char* operand, const Tensor& t) {
  Check(t.defined(), "{}: {} is undefined", op, operand);
  Check(t.dtype() == DType::kF32, "{}: {} must be f32, got {}", op, operand, t);
}

}  // namespace

void CheckEmbeddingShapes(const Tensor& table, std::span<const int32_t> tokens,
                          const Tensor& out) {
  CheckF32("embedding", "out", out);
  Check(table.rank() == 2, "embedding: table must be [vocab, hidden], got {}", table);
  Check(out.rows() == static_cast<int64_t>(tokens.size()) && out.cols() == table.cols(),
        "embedding: out {} does not match {} tokens x hidden {}", out, tokens.size(),
        table.cols());
  for (int32_t id : tokens) {
    Check(id >= 0 && id < table.dim(0), "embedding: token id {} outside vocabulary of {}", id,
          table.dim(0));
  }
}

void CheckRmsNormShapes(const Tensor& x, const Tensor& gain, const Tensor& out) {
  CheckF32("rms_norm", "x", x);
  CheckF32("rms_norm", "gain", gain);
  CheckF32("rms_norm", "out", out);
  Check(gain.numel() == x.cols(), "rms_norm: gain {} does not match row width of x {}",
        gain, x);
  Check(out.numel() == x.numel() && out.cols() == x.cols(),
        "rms_norm: out {} does not match x {}", out, x);
}

void CheckMatMulShapes(const Tensor& x, const Tensor& weight, const Tensor& out,
                       const MatMulEpilogue& epilogue) {
  CheckF32("matmul", "x", x);
  CheckF32("matmul", "out", out);
  Check(weight.rank() == 2 && weight.dim(1) == x.cols(),
        "matmul: weight {} must be [N, {}] for x {}", weight, x.cols(), x);
  Check(out.rows() == x.rows() && out.cols() == weight.dim(0),
        "matmul: out {} must be [{}, {}]", out, x.rows(), weight.dim(0));
  if (epilogue.multiply != nullptr) {
    CheckF32("matmul", "multiply", *epilogue.multiply);
    Check(epilogue.multiply->rows() == out.rows() && epilogue.multiply->cols() == out.cols(),
          "matmul: multiply {} must match out {}", *epilogue.multiply, out);
  }
}

void CheckLogSoftmaxGather(const Tensor& logits, std::span<const int64_t> offsets,
                           std::span<const int32_t> targets, std::span<float> log_probs,
                           std::span<int32_t> argmax) {
  CheckF32("log_softmax_gather", "logits", logits);
  const auto rows = static_cast<size_t>(logits.rows());
  Check(offsets.size() == rows + 1 && argmax.size() == rows && log_probs.size() == targets.size(),
        "log_softmax_gather: {} rows need {} offsets and {} argmax slots, got {} and {}; {} "
        "targets, {} log_probs",
        rows, rows + 1, rows, offsets.size(), argmax.size(), targets.size(), log_probs.size());
  Check(offsets.front() == 0 && offsets.back() == static_cast<int64_t>(targets.size()),
        "log_softmax_gather: offsets must run from 0 to {} targets, got {} .. {}", targets.size(),
        offsets.front(), offsets.back());
  for (size_t r = 0; r < rows; ++r) {
    Check(offsets[r] <= offsets[r + 1], "log_softmax_gather: offsets decrease at row {}", r);
  }
  for (int32_t t : targets) {
    Check(t >= 0 && t < logits.cols(), "log_softmax_gather: target {} outside {} columns", t,
          logits.cols());
  }
}

void CheckSameShapeF32(const char* op, std::initializer_list<const Tensor*> tensors) {
  const Tensor* first = *tensors.begin();
  for (const Tensor* t : tensors) {
    CheckF32(op, "operand", *t);
    Check(t->shape() == first->shape(), "{}: operand shapes differ: {} vs {}", op,
          *first, *t);
  }
}

void CheckRopeShapes(const Tensor& x, int head_dim, std::span<const int32_t> positions) {
  CheckF32("rope", "x", x);
  Check(head_dim > 0 && head_dim % 2 == 0, "rope: head_dim {} must be positive and even",
        head_dim);
  Check(x.cols() % head_dim == 0, "rope: row width of {} is not a multiple of head_dim {}",
        x, head_dim);
  Check(static_cast<int64_t>(positions.size()) == x.rows(),
        "rope: {} positions for {} rows", positions.size(), x.rows());
}

void CheckAttentionShapes(const Tensor& q, std::span<const AttentionSequence> sequences,
                          const AttentionParams& p, const Tensor& out) {
  CheckF32("attention", "q", q);
  CheckF32("attention", "out", out);
  Check(p.num_heads > 0 && p.num_kv_heads > 0 && p.num_heads % p.num_kv_heads == 0,
        "attention: {} query heads are not a multiple of {} kv heads", p.num_heads,
        p.num_kv_heads);
  Check(q.cols() == static_cast<int64_t>(p.num_heads) * p.head_dim,
        "attention: q {} is not [T, {} heads x {}]", q, p.num_heads, p.head_dim);
  Check(out.shape() == q.shape(), "attention: out {} must match q {}", out,
        q);
  const int64_t kv_width = static_cast<int64_t>(p.num_kv_heads) * p.head_dim;
  auto check_kv = [&](const Tensor& keys, const Tensor& values, int64_t rows) {
    CheckF32("attention", "keys", keys);
    CheckF32("attention", "values", values);
    Check(keys.shape() == values.shape(), "attention: keys {} and values {} differ",
          keys, values);
    Check(keys.cols() == kv_width, "attention: keys {} are not [capacity, {} kv heads x {}]",
          keys, p.num_kv_heads, p.head_dim);
    Check(rows <= keys.rows(), "attention: positions up to {} exceed the cache capacity {}",
          rows, keys.rows());
  };
  for (const AttentionSequence& s : sequences) {
    Check(s.query_row >= 0 && s.query_count >= 0 && s.query_row + s.query_count <= q.rows(),
          "attention: query rows [{}, {}) outside q {}", s.query_row,
          s.query_row + s.query_count, q);
    Check(s.own_first_position >= 0 && s.own_first_position <= s.start_position,
          "attention: own rows start at position {}, after the first new token {}",
          s.own_first_position, s.start_position);
    check_kv(s.keys, s.values, s.start_position + s.query_count - s.own_first_position);
    int64_t covered = 0;
    for (const KvSegment& segment : s.shared) {
      Check(segment.first_position == covered && segment.length >= 0,
            "attention: a shared segment holds positions from {}, expected {}",
            segment.first_position, covered);
      check_kv(segment.keys, segment.values, segment.length);
      covered += segment.length;
    }
    Check(covered == s.own_first_position,
          "attention: shared segments hold {} positions, own rows start at {}", covered,
          s.own_first_position);
  }
}

void CheckCopyRows(const Tensor& src, int64_t src_row, const Tensor& dst, int64_t dst_row,
                   int64_t count) {
  Check(src.dtype() == dst.dtype() && src.cols() == dst.cols(),
        "copy_rows: source {} and destination {} differ in dtype or width", src,
        dst);
  Check(count >= 0 && src_row >= 0 && src_row + count <= src.rows() && dst_row >= 0 &&
            dst_row + count <= dst.rows(),
        "copy_rows: rows [{}, {}) of {} -> [{}, {}) of {} out of range", src_row,
        src_row + count, src, dst_row, dst_row + count, dst);
}

}  // namespace gemmeter
