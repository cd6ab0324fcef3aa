// Internal to src/workflow: the SQL and the pieces engine.cpp (management, triggers,
// schedules) and runner.cpp (executing runs) share.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "crm/records.hpp"
#include "store/database.hpp"
#include "workflow/workflow.hpp"

namespace settle::workflow::detail {

using json = nlohmann::json;

// Run statuses (Twenty's names, plus WAITING for a delay or a retry's back-off).
inline constexpr const char* kRunRunning = "RUNNING";
inline constexpr const char* kRunWaiting = "WAITING";
inline constexpr const char* kRunCompleted = "COMPLETED";
inline constexpr const char* kRunFailed = "FAILED";

inline constexpr const char* kSelectVersionForRun =
    "SELECT v.definition, v.workflow_id, w.name FROM workflow_versions v JOIN workflows w "
    "ON w.workspace_id = v.workspace_id AND w.id = v.workflow_id WHERE v.workspace_id = :ws AND v.id = :id";

inline constexpr const char* kInsertRun =
    "INSERT INTO workflow_runs (workspace_id, id, workflow_id, version_id, status, trigger_type, trigger_data, depth, "
    "dedup_key, next_attempt_at, error, created_at, updated_at, ended_at) VALUES (:ws, :id, :wf, :version, :status, "
    ":type, :data, :depth, :dedup, :next, :error, :now, :now, :ended) ON CONFLICT DO NOTHING";

// A run inserted already claimed by the request that executes it (ACTION triggers).
inline constexpr const char* kInsertClaimedRun =
    "INSERT INTO workflow_runs (workspace_id, id, workflow_id, version_id, status, trigger_type, trigger_data, depth, "
    "dedup_key, next_attempt_at, claimed_by, error, created_at, updated_at, started_at, ended_at) VALUES (:ws, :id, "
    ":wf, :version, :status, :type, :data, :depth, :dedup, :next, :token, :error, :now, :now, :now, :ended) "
    "ON CONFLICT DO NOTHING";

// The active version of a workflow that is not deleted.
inline constexpr const char* kSelectActiveVersion =
    "SELECT v.id, v.definition, v.trigger_type FROM workflow_versions v JOIN workflows w "
    "ON w.workspace_id = v.workspace_id AND w.id = v.workflow_id "
    "WHERE v.workspace_id = :ws AND v.workflow_id = :wf AND v.status = 'ACTIVE' AND w.deleted_at IS NULL";

std::string now_text();
// The actor a run's steps act as: the workspace's automation, with the run's depth.
Actor run_actor(const std::string& workspace_id, const std::string& workflow_name, const std::string& run_id,
                int depth);
json parse_json_text(const std::string& text);

}  // namespace settle::workflow::detail
