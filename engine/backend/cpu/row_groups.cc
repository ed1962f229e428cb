#include "engine/backend/cpu/row_groups.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/parallel.h"
#include "engine/core/quant_blocks.h"

namespace gemmeter::cpu {
namespace {

// Where each byte of one row's block goes in the grouped block, for lane 0 (lane r adds r
// for a plain byte, 2 r for a scale's).
struct Geometry {
  size_t block_bytes;            // one row's block
  int64_t blocks;                // per row
  std::vector<size_t> offset;    // grouped offset of block byte p (lane 0)
  std::vector<bool> scale_byte;  // whether byte p belongs to a binary16 scale
};

Geometry GeometryOf(DType dtype, int64_t k) {
  Check(IsBlockFormat(dtype), "row groups: {} is not a block format", DTypeName(dtype));
  Check(k % BlockValues(dtype) == 0, "row groups: rows of {} values are not whole {} blocks", k,
        DTypeName(dtype));
  Geometry g{BlockBytes(dtype), k / BlockValues(dtype), {}, {}};
  g.offset.resize(g.block_bytes);
  g.scale_byte.assign(g.block_bytes, false);
  const std::vector<size_t> halves = HalfScaleOffsets(dtype);
  for (size_t h = 0; h < halves.size(); ++h) {
    for (size_t byte = 0; byte < 2; ++byte) {
      g.offset[halves[h] + byte] = 2 * kRowGroup * h + byte;
      g.scale_byte[halves[h] + byte] = true;
    }
  }
  size_t next = 2 * kRowGroup * halves.size();
  for (size_t p = 0; p < g.block_bytes; ++p) {
    if (g.scale_byte[p]) continue;
    g.offset[p] = next;
    next += kRowGroup;
  }
  return g;
}

size_t LaneOffset(const Geometry& g, size_t p, int64_t lane) {
  return g.offset[p] + static_cast<size_t>(lane) * (g.scale_byte[p] ? 2 : 1);
}

}  // namespace

void GroupRows(const uint8_t* rows, DType dtype, int64_t row_count, int64_t k, uint8_t* groups) {
  const Geometry g = GeometryOf(dtype, k);
  Check(row_count % kRowGroup == 0, "row groups: {} rows are not whole groups of {}", row_count,
        kRowGroup);
  const size_t row_bytes = g.block_bytes * static_cast<size_t>(g.blocks);
  ParallelFor(row_count / kRowGroup, k * kRowGroup, [&](int64_t begin, int64_t end) {
    for (int64_t group = begin; group < end; ++group) {
      uint8_t* out = groups + static_cast<size_t>(group) * kRowGroup * row_bytes;
      const uint8_t* first = rows + static_cast<size_t>(group * kRowGroup) * row_bytes;
      for (int64_t b = 0; b < g.blocks; ++b, out += g.block_bytes * kRowGroup) {
        const uint8_t* block = first + static_cast<size_t>(b) * g.block_bytes;
        // Byte by byte, the 16 rows' copies side by side: contiguous writes.
        for (size_t p = 0; p < g.block_bytes; ++p) {
          uint8_t* to = out + g.offset[p];
          const size_t step = g.scale_byte[p] ? 2 : 1;
          for (int64_t r = 0; r < kRowGroup; ++r) to[step * r] = block[r * row_bytes + p];
        }
      }
    }
  });
}

void UngroupRows(const uint8_t* groups, DType dtype, int64_t k, int64_t first, int64_t count,
                 uint8_t* rows) {
  const Geometry g = GeometryOf(dtype, k);
  const size_t row_bytes = g.block_bytes * static_cast<size_t>(g.blocks);
  for (int64_t r = first; r < first + count; ++r) {
    const uint8_t* in = groups + static_cast<size_t>(r / kRowGroup) * kRowGroup * row_bytes;
    const int64_t lane = r % kRowGroup;
    for (int64_t b = 0; b < g.blocks; ++b, in += g.block_bytes * kRowGroup) {
      for (size_t p = 0; p < g.block_bytes; ++p) *rows++ = in[LaneOffset(g, p, lane)];
    }
  }
}

}  // namespace gemmeter::cpu
