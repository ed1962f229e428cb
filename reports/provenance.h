// Provenance shared by every report kind: which build, on which machine, when.
//
// BuildAndMachine() = {gemmeter_version, git_commit, build_type, compiler, compiler_flags,
// libraries, cpu_model, cpu_cores, kernel_isa, date}; each report adds its own run facts
// (model and digest, backend, weights, threads, command) next to these.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace gemmeter::reports {

// The build (commit from Meson's vcs_tag, build type, compiler and flags, library
// versions) and the machine (CPU model from /proc/cpuinfo, cores, the kernel ISA chosen
// at run time), dated `when` (UTC, ISO 8601).
nlohmann::json BuildAndMachine(std::chrono::system_clock::time_point when =
                                   std::chrono::system_clock::now());

// A comparison's provenance: BuildAndMachine() of the comparing build, the command, and
// per input report its path, kind, commit and date (inputs.base/new or inputs.a/b).
nlohmann::json ComparisonProvenance(const std::string& command,
                                    const std::vector<std::pair<std::string, std::string>>& roles,
                                    const std::vector<const nlohmann::json*>& reports);

std::string CpuModel();                                    // "unknown" where not readable
std::string IsoDate(std::chrono::system_clock::time_point when);  // 2026-11-29T13:20:00Z

}  // namespace gemmeter::reports
