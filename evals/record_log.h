// Per-document records of an evaluation, as JSON Lines, so an interrupted run resumes.
//
// The file starts with a header line naming what the records depend on (model digest,
// backend, weights, protocol version); each later line is one finished document. A line
// is written with one write() as soon as its document is done, so kill -9 loses at most
// the documents in flight; a last line cut short by a kill is dropped when the file is
// reopened. A rerun with the same header reuses every record it finds.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace gemmeter::evals {

class RecordLog {
 public:
  // Creates `path` with `header`, or, when it exists, reads its records after checking
  // that its header equals `header` (throws Error naming the first differing field).
  RecordLog(std::string path, const nlohmann::json& header);
  ~RecordLog();
  RecordLog(const RecordLog&) = delete;
  RecordLog& operator=(const RecordLog&) = delete;

  const std::string& path() const { return path_; }
  // The record of document `index` of `task` written with `shots` shots, or null.
  const nlohmann::json* Find(const std::string& task, int shots, int64_t index) const;
  // Appends one record (it must have "task", "shots" and "index") and makes it durable
  // against a killed process (written to the kernel before returning).
  void Append(const nlohmann::json& record);
  int64_t dropped_partial_lines() const { return dropped_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  std::map<std::tuple<std::string, int, int64_t>, nlohmann::json> records_;
  int64_t dropped_ = 0;
};

}  // namespace gemmeter::evals
