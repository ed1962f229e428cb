// Helpers shared by the fuzz targets (fuzz/*_fuzzer.cc) and their replay (replay.cc):
// a per-process scratch folder for parsers that read files rather than bytes, and a
// writer of small safetensors files for seeds and fixed shards.
//
// Build and run: see fuzz/README.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace gemmeter::fuzz {

// A folder under $TMPDIR (default /tmp) made on first use and removed when the process
// exits normally; a crashed run leaves it behind (named gemmeter-fuzz-XXXXXX).
const std::string& ScratchDir();

// Writes `size` bytes to ScratchDir()/name, replacing any earlier content; returns the path.
std::string WriteScratchFile(const std::string& name, const void* data, size_t size);

// A safetensors file: the 8-byte little-endian header length, `header` as JSON padded
// with spaces to a multiple of 8 bytes (as the reference writer does), then `data`.
std::string SafetensorsBytes(const nlohmann::json& header, const std::string& data);

}  // namespace gemmeter::fuzz
