// The workflows every workspace ships with (docs/workflows.md, "Built-in workflows"): the
// design's WF-003, WF-008, WF-009 and WF-010, as ordinary definitions an ADMIN can read,
// deactivate, copy and change.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace settle::workflow {

struct BuiltinWorkflow {
  std::string key;  // "WF-010"
  std::string name;
  std::string description;
  nlohmann::json definition;
};

const std::vector<BuiltinWorkflow>& builtin_workflows();

}  // namespace settle::workflow
