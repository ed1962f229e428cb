// Fuzz target: the dequantizers: DequantizeRow (engine/io/ggml_types.*, by GGUF type id),
// ConvertToF32 (engine/core/dtype.*) and DequantizeBlocks (engine/core/quant_blocks.*).
//
// Input: one byte choosing the GGUF type id (values with no type exercise the refusal),
// then the tensor bytes; every whole block of them is decoded. Build and run:
// fuzz/README.md, e.g.
//   build-fuzz/fuzz/dequant_fuzzer build-fuzz/corpus/dequant fuzz/corpus/dequant
// gemmeter::Error is the expected answer to bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "engine/core/dtype.h"
#include "engine/core/error.h"
#include "engine/core/quant_blocks.h"
#include "engine/io/ggml_types.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint32_t type_id = data[0];
  // An exact-size heap copy: weights start aligned in a real file, and the address
  // sanitizer sees any read past the last block.
  const std::vector<uint8_t> bytes(data + 1, data + size);
  const std::optional<gemmeter::DType> dtype = gemmeter::DTypeOfGgmlType(type_id);
  if (!dtype) {
    float unused = 0.0f;
    try {
      gemmeter::DequantizeRow(type_id, bytes.data(), &unused, 0);
      __builtin_trap();  // an unknown type must be refused
    } catch (const gemmeter::Error&) {
    }
    return 0;
  }
  const int64_t block_values = gemmeter::BlockValues(*dtype);
  const int64_t blocks = static_cast<int64_t>(bytes.size() / gemmeter::BlockBytes(*dtype));
  const int64_t values = blocks * block_values;
  std::vector<float> out(static_cast<size_t>(values));
  gemmeter::DequantizeRow(type_id, bytes.data(), out.data(), values);
  std::vector<float> again(static_cast<size_t>(values));
  gemmeter::ConvertToF32(bytes.data(), *dtype, static_cast<size_t>(values), again.data());
  if (gemmeter::IsBlockFormat(*dtype)) {
    gemmeter::DequantizeBlocks(*dtype, bytes.data(), again.data(), values);
    try {  // a partial block is refused
      gemmeter::DequantizeBlocks(*dtype, bytes.data(), again.data(), values + 1);
      __builtin_trap();
    } catch (const gemmeter::Error&) {
    }
  }
  return 0;
}
