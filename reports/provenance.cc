#include "reports/provenance.h"

#include <fmt/chrono.h>
#include <fmt/core.h>

#include <ctime>
#include <fstream>
#include <thread>

#include "engine/backend/cpu/isa.h"
#include "engine/build_config.h"
#include "reports/git_version.h"

namespace gemmeter::reports {

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

std::string IsoDate(std::chrono::system_clock::time_point when) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(when)));
}

nlohmann::json BuildAndMachine(std::chrono::system_clock::time_point when) {
  return {{"gemmeter_version", GEMMETER_VERSION},
          {"git_commit", GEMMETER_GIT_COMMIT},
          {"build_type", GEMMETER_BUILD_TYPE},
          {"compiler", fmt::format("gcc {}", __VERSION__)},
          {"compiler_flags", GEMMETER_COMPILER_FLAGS},
          {"libraries", GEMMETER_LIBRARY_VERSIONS},
          {"cpu_model", CpuModel()},
          {"cpu_cores", std::thread::hardware_concurrency()},
          {"kernel_isa", std::string(cpu::IsaName(cpu::SelectedIsa()))},
          {"date", IsoDate(when)}};
}

nlohmann::json ComparisonProvenance(const std::string& command,
                                    const std::vector<std::pair<std::string, std::string>>& roles,
                                    const std::vector<const nlohmann::json*>& reports) {
  nlohmann::json p = BuildAndMachine();
  p["command"] = command;
  for (size_t i = 0; i < roles.size() && i < reports.size(); ++i) {
    const nlohmann::json& r = *reports[i];
    const nlohmann::json& rp = r.contains("provenance") ? r["provenance"] : nlohmann::json::object();
    p["inputs"][roles[i].first] = {{"path", roles[i].second},
                                   {"kind", r.value("kind", "")},
                                   {"git_commit", rp.value("git_commit", "")},
                                   {"date", rp.value("date", "")}};
  }
  return p;
}

}  // namespace gemmeter::reports
