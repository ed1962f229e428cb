// Reading whole data files, gzip-compressed or plain.
#pragma once

#include <string>
#include <vector>

namespace gemmeter::datasets {

// The file's bytes, decompressed if its name ends in ".gz". Throws Error naming the file.
std::string ReadTextFile(const std::string& path);

// Splits on '\n'; a final empty line after a trailing newline is dropped. '\r' is kept.
std::vector<std::string> SplitLines(const std::string& text);

}  // namespace gemmeter::datasets
