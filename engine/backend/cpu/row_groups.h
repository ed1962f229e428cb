// Row groups: a block-format matrix stored with its rows in groups of kRowGroup = 16
// (tensor.h: RowLayout::kGroupsOf16) and
// each group's blocks transposed byte by byte, so that one vector register holds the same
// byte of 16 rows. A matrix-vector product then needs no horizontal sums: lane r
// accumulates row r, x[i] is broadcast once for 16 rows, and a block's 16 scales load as
// one vector. Measured on Zen 4 (one core, rows in cache): q5_0 dot products 13 -> 20
// billion values/s.
//
// Layout: group g (rows 16g .. 16g + 15) holds block b of its rows (each row being whole
// blocks of BlockBytes(dtype) bytes; quant_blocks.h) at offset
// (g * blocks_per_row + b) * 16 * BlockBytes(dtype), as
//   first, each binary16 scale of the block (HalfScaleOffsets order: d; d, dmin for
//     q4_k/q5_k): 32 bytes, row r's at 2 r;
//   then every other byte of the block in order: 16 bytes, row r's at r.
// So q5_0's block is [16 d][4 x 16 bytes of fifth bits][16 x 16 bytes of nibbles], and
// q4_k's [16 d][16 dmin][12 x 16 scale bytes][128 x 16 nibble bytes]. The same bytes as
// the rows, rearranged: a grouped matrix is exactly as large.
#pragma once

#include <cstdint>

#include "engine/core/dtype.h"
#include "engine/core/tensor.h"

namespace gemmeter::cpu {

// Rows [0, rows) of block format `dtype`, k values each, one after another -> row
// groups. rows must be a multiple of kRowGroup.
void GroupRows(const uint8_t* rows, DType dtype, int64_t row_count, int64_t k, uint8_t* groups);

// Rows [first, first + count) of a grouped matrix of rows of k values, in the plain
// layout (count * RowBytes(dtype, k) bytes at `rows`).
void UngroupRows(const uint8_t* groups, DType dtype, int64_t k, int64_t first, int64_t count,
                 uint8_t* rows);

}  // namespace gemmeter::cpu
