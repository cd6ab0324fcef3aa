// The workflows every workspace ships with (docs/workflows.md, "Built-in workflows"): the
// design's WF-001 ... WF-010, as ordinary definitions an ADMIN can read, deactivate, copy
// and change. The Stripe sync's work is theirs through three step types: STRIPE_FINALIZE
// (WF-001, WF-005, on the finalize action), STRIPE_SYNC (WF-002, WF-006, on Stripe's
// events) and the record change WF-006 makes, which WF-007 follows up.
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
