// SHA-256 digests (OpenSSL's libcrypto), for reports' provenance and data manifests.
#pragma once

#include <string>
#include <string_view>

namespace gemmeter {

// Lowercase hex SHA-256 of a file's bytes, read in 1 MiB blocks; throws Error naming the
// file when it cannot be read.
std::string Sha256File(const std::string& path);
// Lowercase hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

}  // namespace gemmeter
