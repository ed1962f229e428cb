// GGUF block formats on the device (declarations in cuda_kernels.h): each thread decodes
// one value from its block, with the layouts and arithmetic of the host's plain decoders
// (engine/core/quant_blocks.{h,cc}; ggml's src/ggml-common.h):
//   q8_0  34 B: half d; int8 q[32];                                  y = d q
//   q4_0  18 B: half d; u8 qs[16] (low nibbles 0..15, high 16..31);  y = d (nibble - 8)
//   q5_0  22 B: half d; u8 qh[4]; u8 qs[16];                         y = d (code - 16)
//   q4_k 144 B: half d, dmin; u8 scales[12]; u8 qs[128];             y = d sc q - dmin m
//   q5_k 176 B: as q4_k with u8 qh[32] before qs
//   q6_k 210 B: u8 ql[128]; u8 qh[64]; int8 scales[16]; half d;      y = d sc (code - 32)
// Bytes are read one at a time: blocks of 18, 22 or 34 bytes leave scales unaligned.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "engine/backend/cuda/cuda_kernels.h"
#include "engine/backend/cuda/cuda_launch.cuh"

namespace gemmeter::cuda {
namespace {

__host__ __device__ float HalfAt(const uint8_t* p) {
  const auto bits = static_cast<unsigned short>(p[0] | (p[1] << 8));
  return __half2float(__ushort_as_half(bits));
}

__host__ __device__ uint32_t Word32At(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

// The 6-bit scale and min of sub-block j (0..7) of a q4_k/q5_k super-block.
__host__ __device__ void ScaleMinK4(int j, const uint8_t* s, float* scale, float* min) {
  int sc, m;
  if (j < 4) {
    sc = s[j] & 63;
    m = s[j + 4] & 63;
  } else {
    sc = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
    m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
  *scale = static_cast<float>(sc);
  *min = static_cast<float>(m);
}

// Value `v` (0..31) of a "_0" block, value `v` (0..255) of a K-quant super-block.
__host__ __device__ float Q8_0(const uint8_t* b, int v) {
  return HalfAt(b) * static_cast<float>(static_cast<int8_t>(b[2 + v]));
}

__host__ __device__ int Nibble(const uint8_t* qs, int v) {  // "_0" layout: v < 16 low, else high
  return v < 16 ? (qs[v] & 0x0f) : (qs[v - 16] >> 4);
}

__host__ __device__ float Q4_0(const uint8_t* b, int v) {
  return HalfAt(b) * static_cast<float>(Nibble(b + 2, v) - 8);
}

__host__ __device__ float Q5_0(const uint8_t* b, int v) {
  const int code = Nibble(b + 6, v) | static_cast<int>(((Word32At(b + 2) >> v) & 1u) << 4);
  return HalfAt(b) * static_cast<float>(code - 16);
}

// Chunk c = v / 64 reads qs[32c .. 32c+31]: low nibbles are sub-block 2c, high 2c+1.
template <bool kFifthBit>
__host__ __device__ float Q45K(const uint8_t* b, int v) {
  const int c = v / 64, l = v % 64, high = l / 32, byte = l % 32;
  const uint8_t* qs = b + (kFifthBit ? 48 : 16);
  int q = high ? (qs[32 * c + byte] >> 4) : (qs[32 * c + byte] & 0x0f);
  if (kFifthBit) q += ((b[16 + byte] >> (2 * c + high)) & 1) << 4;
  float scale, min;
  ScaleMinK4(2 * c + high, b + 4, &scale, &min);
  return HalfAt(b) * scale * static_cast<float>(q) - HalfAt(b + 2) * min;
}

// Half h = v / 128; group i = (v % 128) / 32 and position l = v % 32 within it.
__host__ __device__ float Q6K(const uint8_t* b, int v) {
  const int h = v / 128, i = (v % 128) / 32, l = v % 32;
  const uint8_t* ql = b + 64 * h;
  const uint8_t qh = b[128 + 32 * h + l];
  const uint8_t low_source = ql[l + 32 * (i & 1)];
  const int low = i < 2 ? (low_source & 0x0f) : (low_source >> 4);
  const int code = low | (((qh >> (2 * i)) & 3) << 4);
  const auto scale = static_cast<int8_t>(b[192 + 8 * h + l / 16 + 2 * i]);
  return HalfAt(b + 208) * static_cast<float>(scale) * static_cast<float>(code - 32);
}

struct Layout {
  int values;  // per block
  int bytes;   // per block
};

constexpr __host__ __device__ Layout LayoutOf(BlockFormat format) {
  switch (format) {
    case BlockFormat::kQ8_0: return {32, 34};
    case BlockFormat::kQ4_0: return {32, 18};
    case BlockFormat::kQ5_0: return {32, 22};
    case BlockFormat::kQ4_K: return {256, 144};
    case BlockFormat::kQ5_K: return {256, 176};
    case BlockFormat::kQ6_K: return {256, 210};
  }
  return {0, 0};
}

template <BlockFormat kFormat>
__host__ __device__ float Decode(const uint8_t* block, int v) {
  if constexpr (kFormat == BlockFormat::kQ8_0) return Q8_0(block, v);
  if constexpr (kFormat == BlockFormat::kQ4_0) return Q4_0(block, v);
  if constexpr (kFormat == BlockFormat::kQ5_0) return Q5_0(block, v);
  if constexpr (kFormat == BlockFormat::kQ4_K) return Q45K<false>(block, v);
  if constexpr (kFormat == BlockFormat::kQ5_K) return Q45K<true>(block, v);
  if constexpr (kFormat == BlockFormat::kQ6_K) return Q6K(block, v);
  return 0.0f;
}

// Element i of out[r, c] = value c of source row rows[r] (or r when rows is null), times
// scale: the kernel's body, and the host loop that lets tests check the decoders on
// machines without a GPU.
template <BlockFormat kFormat>
__host__ __device__ float DecodeElement(const uint8_t* blocks, int64_t row_bytes,
                                        const int32_t* rows, int64_t cols, float scale,
                                        int64_t i) {
  constexpr Layout layout = LayoutOf(kFormat);
  const int64_t r = i / cols, c = i % cols;
  const int64_t source = rows != nullptr ? int64_t{rows[r]} : r;
  const uint8_t* block = blocks + source * row_bytes + (c / layout.values) * layout.bytes;
  return Decode<kFormat>(block, static_cast<int>(c % layout.values)) * scale;
}

template <BlockFormat kFormat>
__global__ void DequantizeRowsKernel(const uint8_t* blocks, int64_t row_bytes,
                                     const int32_t* rows, int64_t count, int64_t cols,
                                     float scale, float* out) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count * cols;
       i += int64_t{gridDim.x} * blockDim.x) {
    out[i] = DecodeElement<kFormat>(blocks, row_bytes, rows, cols, scale, i);
  }
}

template <BlockFormat kFormat>
int64_t RowBytesOf(int64_t cols) {
  constexpr Layout layout = LayoutOf(kFormat);
  return cols / layout.values * layout.bytes;
}

template <BlockFormat kFormat>
int Launch(const void* blocks, const int32_t* rows, int64_t count, int64_t cols, float scale,
           float* out, Stream stream) {
  DequantizeRowsKernel<kFormat><<<GridFor(count * cols), kThreads, 0, AsStream(stream)>>>(
      static_cast<const uint8_t*>(blocks), RowBytesOf<kFormat>(cols), rows, count, cols, scale,
      out);
  return LastError();
}

template <BlockFormat kFormat>
void OnHost(const void* blocks, const int32_t* rows, int64_t count, int64_t cols, float scale,
            float* out) {
  const int64_t row_bytes = RowBytesOf<kFormat>(cols);
  for (int64_t i = 0; i < count * cols; ++i) {
    out[i] = DecodeElement<kFormat>(static_cast<const uint8_t*>(blocks), row_bytes, rows, cols,
                                    scale, i);
  }
}

}  // namespace

void DequantizeRowsOnHost(const void* blocks, BlockFormat format, const int32_t* rows,
                          int64_t count, int64_t cols, float scale, float* out) {
  switch (format) {
    case BlockFormat::kQ8_0: return OnHost<BlockFormat::kQ8_0>(blocks, rows, count, cols, scale, out);
    case BlockFormat::kQ4_0: return OnHost<BlockFormat::kQ4_0>(blocks, rows, count, cols, scale, out);
    case BlockFormat::kQ5_0: return OnHost<BlockFormat::kQ5_0>(blocks, rows, count, cols, scale, out);
    case BlockFormat::kQ4_K: return OnHost<BlockFormat::kQ4_K>(blocks, rows, count, cols, scale, out);
    case BlockFormat::kQ5_K: return OnHost<BlockFormat::kQ5_K>(blocks, rows, count, cols, scale, out);
    case BlockFormat::kQ6_K: return OnHost<BlockFormat::kQ6_K>(blocks, rows, count, cols, scale, out);
  }
}

int LaunchDequantizeRows(const void* blocks, BlockFormat format, const int32_t* rows,
                         int64_t count, int64_t cols, float scale, float* out, Stream stream) {
  if (count == 0 || cols == 0) return 0;
  switch (format) {
    case BlockFormat::kQ8_0: return Launch<BlockFormat::kQ8_0>(blocks, rows, count, cols, scale, out, stream);
    case BlockFormat::kQ4_0: return Launch<BlockFormat::kQ4_0>(blocks, rows, count, cols, scale, out, stream);
    case BlockFormat::kQ5_0: return Launch<BlockFormat::kQ5_0>(blocks, rows, count, cols, scale, out, stream);
    case BlockFormat::kQ4_K: return Launch<BlockFormat::kQ4_K>(blocks, rows, count, cols, scale, out, stream);
    case BlockFormat::kQ5_K: return Launch<BlockFormat::kQ5_K>(blocks, rows, count, cols, scale, out, stream);
    case BlockFormat::kQ6_K: return Launch<BlockFormat::kQ6_K>(blocks, rows, count, cols, scale, out, stream);
  }
  return static_cast<int>(cudaErrorInvalidValue);
}

}  // namespace gemmeter::cuda
