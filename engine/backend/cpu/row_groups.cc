#include "engine/backend/cpu/row_groups.h"

#include <cstring>

#include "engine/core/error.h"
#include "engine/core/parallel.h"
#include "engine/core/quant_blocks.h"

namespace gemmeter::cpu {
namespace {

constexpr size_t kScaleBytes = 2;  // one binary16 scale per block

struct Geometry {
  size_t block_bytes;     // one row's block
  int64_t blocks;         // per row
  size_t group_bytes;     // one group: kRowGroup rows
};

Geometry GeometryOf(DType dtype, int64_t k) {
  Check(HasRowGroups(dtype), "row groups: {} has no row-group layout", DTypeName(dtype));
  Check(k % kBlockQ == 0, "row groups: rows of {} values are not whole {} blocks", k,
        DTypeName(dtype));
  const size_t block_bytes = RowBytes(dtype, kBlockQ);
  const int64_t blocks = k / kBlockQ;
  return {block_bytes, blocks, block_bytes * static_cast<size_t>(blocks * kRowGroup)};
}

}  // namespace

bool HasRowGroups(DType dtype) {
  return dtype == DType::kQ8_0 || dtype == DType::kQ4_0 || dtype == DType::kQ5_0;
}

void GroupRows(const uint8_t* rows, DType dtype, int64_t row_count, int64_t k, uint8_t* groups) {
  const Geometry g = GeometryOf(dtype, k);
  Check(row_count % kRowGroup == 0, "row groups: {} rows are not whole groups of {}", row_count,
        kRowGroup);
  const size_t row_bytes = g.block_bytes * static_cast<size_t>(g.blocks);
  const size_t payload = g.block_bytes - kScaleBytes;
  ParallelFor(row_count / kRowGroup, k * kRowGroup, [&](int64_t begin, int64_t end) {
    for (int64_t group = begin; group < end; ++group) {
      for (int64_t b = 0; b < g.blocks; ++b) {
        uint8_t* out = groups + static_cast<size_t>(group) * g.group_bytes +
                       static_cast<size_t>(b) * g.block_bytes * kRowGroup;
        for (int64_t r = 0; r < kRowGroup; ++r) {
          const uint8_t* block = rows + static_cast<size_t>(group * kRowGroup + r) * row_bytes +
                                 static_cast<size_t>(b) * g.block_bytes;
          std::memcpy(out + kScaleBytes * r, block, kScaleBytes);
          for (size_t p = 0; p < payload; ++p) {
            out[kScaleBytes * kRowGroup + kRowGroup * p + r] = block[kScaleBytes + p];
          }
        }
      }
    }
  });
}

void UngroupRow(const uint8_t* groups, DType dtype, int64_t k, int64_t r, uint8_t* row) {
  const Geometry g = GeometryOf(dtype, k);
  const size_t payload = g.block_bytes - kScaleBytes;
  const int64_t lane = r % kRowGroup;
  const uint8_t* group = groups + static_cast<size_t>(r / kRowGroup) * g.group_bytes;
  for (int64_t b = 0; b < g.blocks; ++b, row += g.block_bytes) {
    const uint8_t* in = group + static_cast<size_t>(b) * g.block_bytes * kRowGroup;
    std::memcpy(row, in + kScaleBytes * lane, kScaleBytes);
    for (size_t p = 0; p < payload; ++p) {
      row[kScaleBytes + p] = in[kScaleBytes * kRowGroup + kRowGroup * p + lane];
    }
  }
}

}  // namespace gemmeter::cpu
