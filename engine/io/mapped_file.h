// A read-only memory map of a whole file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace gemmeter {

class MappedFile {
 public:
  // Maps `path`; throws Error naming the file if it cannot be opened or mapped.
  explicit MappedFile(std::string path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // Tells the kernel that the whole pages inside [p, p + bytes) (within the mapping) are
  // not needed for now: they leave this process's resident memory, and a later read
  // brings them back from the file (a read-only mapping holds no data of its own). Best
  // effort: nothing happens where the system declines.
  void DropPages(const void* p, size_t bytes) const;

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace gemmeter
