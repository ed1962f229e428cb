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
struct BlockMap {
  size_t block_bytes = 0;      // one row's block
  std::vector<size_t> offset;  // grouped offset of block byte p (lane 0)
  std::vector<uint8_t> step;   // lane to lane: 2 for a byte of a binary16 scale, else 1
};

BlockMap MakeBlockMap(DType dtype) {
  BlockMap g{BlockBytes(dtype), {}, {}};
  g.offset.resize(g.block_bytes);
  g.step.assign(g.block_bytes, 1);
  const std::vector<size_t> halves = HalfScaleOffsets(dtype);
  for (size_t h = 0; h < halves.size(); ++h) {
    for (size_t byte = 0; byte < 2; ++byte) {
      g.offset[halves[h] + byte] = 2 * kRowGroup * h + byte;
      g.step[halves[h] + byte] = 2;
    }
  }
  size_t next = 2 * kRowGroup * halves.size();
  for (size_t p = 0; p < g.block_bytes; ++p) {
    if (g.step[p] == 2) continue;
    g.offset[p] = next;
    next += kRowGroup;
  }
  return g;
}

// The map of `dtype` (built once per format), after checking that rows of k values are
// whole blocks of it.
const BlockMap& MapOf(DType dtype, int64_t k) {
  static const std::vector<BlockMap> maps = [] {
    std::vector<BlockMap> all;
    for (DType d : kBlockDTypes) all.push_back(MakeBlockMap(d));
    return all;
  }();
  Check(IsBlockFormat(dtype), "row groups: {} is not a block format", DTypeName(dtype));
  Check(k % BlockValues(dtype) == 0, "row groups: rows of {} values are not whole {} blocks", k,
        DTypeName(dtype));
  size_t index = 0;
  while (kBlockDTypes[index] != dtype) ++index;
  return maps[index];
}

}  // namespace

void GroupRows(const uint8_t* rows, DType dtype, int64_t row_count, int64_t k, uint8_t* groups) {
  const BlockMap& g = MapOf(dtype, k);
  Check(row_count % kRowGroup == 0, "row groups: {} rows are not whole groups of {}", row_count,
        kRowGroup);
  const int64_t blocks = k / BlockValues(dtype);
  const size_t row_bytes = g.block_bytes * static_cast<size_t>(blocks);
  ParallelFor(row_count / kRowGroup, k * kRowGroup, [&](int64_t begin, int64_t end) {
    for (int64_t group = begin; group < end; ++group) {
      uint8_t* out = groups + static_cast<size_t>(group) * kRowGroup * row_bytes;
      const uint8_t* first = rows + static_cast<size_t>(group * kRowGroup) * row_bytes;
      for (int64_t b = 0; b < blocks; ++b, out += g.block_bytes * kRowGroup) {
        const uint8_t* block = first + static_cast<size_t>(b) * g.block_bytes;
        // Byte by byte, the 16 rows' copies side by side: contiguous writes.
        for (size_t p = 0; p < g.block_bytes; ++p) {
          uint8_t* to = out + g.offset[p];
          for (int64_t r = 0; r < kRowGroup; ++r) to[g.step[p] * r] = block[r * row_bytes + p];
        }
      }
    }
  });
}

void UngroupRows(const uint8_t* groups, DType dtype, int64_t k, int64_t first, int64_t count,
                 uint8_t* rows) {
  const BlockMap& g = MapOf(dtype, k);
  const int64_t blocks = k / BlockValues(dtype);
  const size_t row_bytes = g.block_bytes * static_cast<size_t>(blocks);
  for (int64_t r = first; r < first + count;) {
    // Rows r .. r + n - 1, all in r's group: byte by byte, read side by side.
    const int64_t lane = r % kRowGroup, n = std::min(kRowGroup - lane, first + count - r);
    const uint8_t* in = groups + static_cast<size_t>(r / kRowGroup) * kRowGroup * row_bytes;
    uint8_t* out = rows + static_cast<size_t>(r - first) * row_bytes;
    for (int64_t b = 0; b < blocks; ++b, in += g.block_bytes * kRowGroup) {
      uint8_t* block = out + static_cast<size_t>(b) * g.block_bytes;
      for (size_t p = 0; p < g.block_bytes; ++p) {
        const uint8_t* from = in + g.offset[p] + g.step[p] * lane;
        for (int64_t i = 0; i < n; ++i) block[i * row_bytes + p] = from[g.step[p] * i];
      }
    }
    r += n;
  }
}

}  // namespace gemmeter::cpu
