#include "evals/record_log.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "engine/core/error.h"

namespace gemmeter::evals {
namespace {

std::tuple<std::string, int, int64_t> Key(const nlohmann::json& record) {
  return {record.at("task").get<std::string>(), record.at("shots").get<int>(),
          record.at("index").get<int64_t>()};
}

}  // namespace

RecordLog::RecordLog(std::string path, const nlohmann::json& header) : path_(std::move(path)) {
  namespace fs = std::filesystem;
  std::string text;
  if (fs::exists(path_)) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) Fail("{}: cannot read the records of an earlier run", path_);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  size_t complete = 0;  // bytes of whole, valid lines
  bool have_header = false;
  for (size_t begin = 0; begin < text.size();) {
    const size_t end = text.find('\n', begin);
    if (end == std::string::npos) {
      ++dropped_;  // cut short by a kill: no newline yet
      break;
    }
    const std::string line = text.substr(begin, end - begin);
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      Fail("{}:{}: not a JSON record; remove the file to start over",
           path_, std::count(text.begin(), text.begin() + begin, '\n') + 1);
    }
    if (!have_header) {
      if (!value.is_object() || value.value("kind", "") != header.at("kind")) {
        Fail("{}: not a gemmeter records file (first line has no kind \"{}\")", path_,
             header.at("kind").get<std::string>());
      }
      for (const auto& [key, expected] : header.items()) {
        if (!value.contains(key) || value[key] != expected) {
          Fail("{}: records of another run: its {} is {}, this run's is {}; use another --out "
               "or remove the file",
               path_, key, value.contains(key) ? value[key].dump() : "missing", expected.dump());
        }
      }
      have_header = true;
    } else {
      try {
        records_[Key(value)] = value;
      } catch (const nlohmann::json::exception& e) {
        Fail("{}: a record lacks task, shots or index: {}", path_, e.what());
      }
    }
    complete = end + 1;
    begin = end + 1;
  }
  if (!text.empty()) fs::resize_file(path_, complete);  // drop a partial last line
  file_ = std::fopen(path_.c_str(), "ab");
  if (file_ == nullptr) Fail("{}: cannot open for appending", path_);
  if (!have_header) Append(header);
}

RecordLog::~RecordLog() {
  if (file_ != nullptr) std::fclose(file_);
}

const nlohmann::json* RecordLog::Find(const std::string& task, int shots, int64_t index) const {
  const auto it = records_.find({task, shots, index});
  return it == records_.end() ? nullptr : &it->second;
}

void RecordLog::Append(const nlohmann::json& record) {
  const std::string line = record.dump() + "\n";
  // One fwrite + fflush: the whole line reaches the kernel in one write() (it survives
  // kill -9; fsync would guard against power loss, at a price per document).
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    Fail("{}: cannot write a record (disk full?)", path_);
  }
}

}  // namespace gemmeter::evals
