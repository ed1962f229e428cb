// Row groups: a block-format matrix stored with its rows in groups of kRowGroup = 16 and
// each group's blocks transposed byte by byte, so that one vector register holds the same
// value of 16 rows. A matrix-vector product then needs no horizontal sums: lane r
// accumulates row r, and a block's 16 scales load as one vector. Measured on Zen 4 (one
// core, rows in L1/L2): q5_0 decode dot products 13 -> 20 billion values/s.
//
// Layout, for the "_0" formats (one binary16 scale d, then a payload of P bytes per block
// of 32 values; quant_blocks.h): group g (rows 16g .. 16g + 15) holds block b of its rows
// at offset (g * blocks_per_row + b) * 16 * block_bytes, as
//   bytes [0, 32):          the 16 rows' scales, row r's at 2 r
//   bytes [32 + 16 p + r]:  payload byte p of row r (p < P)
// The same bytes as the rows, rearranged: a grouped matrix is exactly as large.
// q8_0's payload is its 32 codes, q4_0's its 16 bytes of nibbles, q5_0's its 4 bytes of
// fifth bits, then its 16 of nibbles.
#pragma once

#include <cstdint>

#include "engine/core/dtype.h"

namespace gemmeter::cpu {

inline constexpr int64_t kRowGroup = 16;

// Whether `dtype` has a row-group layout (and kernels for it): q8_0, q4_0, q5_0.
bool HasRowGroups(DType dtype);

// Rows [0, rows) of `dtype`, k values each, one after another -> row groups. rows must be
// a multiple of kRowGroup.
void GroupRows(const uint8_t* rows, DType dtype, int64_t row_count, int64_t k, uint8_t* groups);

// Row r of a grouped matrix of rows of k values, in the plain layout (RowBytes(dtype, k)
// bytes at `row`).
void UngroupRow(const uint8_t* groups, DType dtype, int64_t k, int64_t r, uint8_t* row);

}  // namespace gemmeter::cpu
