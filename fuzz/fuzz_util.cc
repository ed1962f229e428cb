// Scratch files for the fuzz targets; see fuzz_util.h.
#include "fuzz/fuzz_util.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include "engine/core/error.h"

namespace gemmeter::fuzz {
namespace {

class Scratch {
 public:
  Scratch() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "gemmeter-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) Fail("cannot create a scratch folder {}", pattern);
    path_ = pattern;
  }
  ~Scratch() {
    std::error_code ignored;  // nothing useful to do if cleanup fails at exit
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

const std::string& ScratchDir() {
  static const Scratch scratch;
  return scratch.path();
}

std::string WriteScratchFile(const std::string& name, const void* data, size_t size) {
  const std::string path = ScratchDir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) Fail("{}: cannot write the fuzz input", path);
  return path;
}

std::string SafetensorsBytes(const nlohmann::json& header, const std::string& data) {
  std::string text = header.dump();
  text.resize((text.size() + 7) / 8 * 8, ' ');
  std::string out;
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  return out + text + data;
}

}  // namespace gemmeter::fuzz
