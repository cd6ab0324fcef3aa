// Management of workflows and versions, the triggers, and the schedules.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <date/tz.h>

#include "common/crypto.hpp"
#include "common/dates.hpp"
#include "crm/objects.hpp"
#include "store/query.hpp"
#include "workflow/builtin.hpp"
#include "workflow/cron.hpp"
#include "workflow/definition.hpp"
#include "workflow/internal.hpp"

namespace settle::workflow {

using store::Rows;
using store::RowView;
using store::SqlValue;
using store::Tx;
using namespace detail;

namespace {

constexpr const char* kSelectWorkflows =
    "SELECT w.id, w.name, w.description, w.builtin_key, w.max_runs_per_minute, w.throttled_count, "
    "w.last_throttled_at, w.webhook_secret_sealed, w.created_at, w.updated_at, "
    "(SELECT v.id FROM workflow_versions v WHERE v.workspace_id = w.workspace_id AND v.workflow_id = w.id "
    " AND v.status = 'ACTIVE') AS active_version_id, "
    "(SELECT v.id FROM workflow_versions v WHERE v.workspace_id = w.workspace_id AND v.workflow_id = w.id "
    " AND v.status = 'DRAFT' ORDER BY v.number DESC LIMIT 1) AS draft_version_id, "
    "cv.trigger_type, cv.trigger_object, "
    "(SELECT COUNT(*) FROM workflow_versions v WHERE v.workspace_id = w.workspace_id AND v.workflow_id = w.id "
    " AND v.status IN ('DEACTIVATED', 'ARCHIVED')) AS retired_versions, "
    "(SELECT r.id FROM workflow_runs r WHERE r.workspace_id = w.workspace_id AND r.workflow_id = w.id "
    " ORDER BY r.created_at DESC LIMIT 1) AS last_run_id "
    // The trigger shown is the current version's: the active one, else the newest not archived.
    "FROM workflows w LEFT JOIN workflow_versions cv ON cv.workspace_id = w.workspace_id AND cv.id = "
    "(SELECT v.id FROM workflow_versions v WHERE v.workspace_id = w.workspace_id AND v.workflow_id = w.id "
    " AND v.status <> 'ARCHIVED' ORDER BY CASE v.status WHEN 'ACTIVE' THEN 0 ELSE 1 END, v.number DESC LIMIT 1) "
    "WHERE w.workspace_id = :ws AND w.deleted_at IS NULL";
constexpr const char* kSelectRunSummary =
    "SELECT id, status, created_at, ended_at, error FROM workflow_runs WHERE workspace_id = :ws AND id = :id";
constexpr const char* kInsertWorkflow =
    "INSERT INTO workflows (workspace_id, id, name, description, builtin_key, created_at, updated_at, created_by) "
    "VALUES (:ws, :id, :name, :description, :builtin, :now, :now, :by)";
constexpr const char* kInsertVersion =
    "INSERT INTO workflow_versions (workspace_id, id, workflow_id, number, status, trigger_type, trigger_object, "
    "definition, created_at, updated_at, created_by) VALUES (:ws, :id, :wf, :number, :status, :type, :object, "
    ":definition, :now, :now, :by)";
constexpr const char* kSelectVersions =
    "SELECT id, workflow_id, number, status, trigger_type, trigger_object, definition, created_at, updated_at "
    "FROM workflow_versions WHERE workspace_id = :ws AND workflow_id = :wf ORDER BY number DESC";
constexpr const char* kSelectVersion =
    "SELECT v.id, v.workflow_id, v.number, v.status, v.trigger_type, v.trigger_object, v.definition, v.created_at, "
    "v.updated_at FROM workflow_versions v JOIN workflows w ON w.workspace_id = v.workspace_id AND w.id = v.workflow_id "
    "WHERE v.workspace_id = :ws AND v.id = :id AND w.deleted_at IS NULL";
constexpr const char* kNextVersionNumber =
    "SELECT COALESCE(MAX(number), 0) + 1 AS n FROM workflow_versions WHERE workspace_id = :ws AND workflow_id = :wf";
constexpr const char* kSetVersionStatus =
    "UPDATE workflow_versions SET status = :status, updated_at = :now WHERE workspace_id = :ws AND id = :id";
constexpr const char* kUpdateDraft =
    "UPDATE workflow_versions SET definition = :definition, trigger_type = :type, trigger_object = :object, "
    "updated_at = :now WHERE workspace_id = :ws AND id = :id AND status = 'DRAFT'";
constexpr const char* kLockWorkflow = "SELECT id, name FROM workflows WHERE workspace_id = :ws AND id = :id AND deleted_at IS NULL";
constexpr const char* kDeleteSchedule = "DELETE FROM workflow_schedules WHERE workspace_id = :ws AND version_id = :id";
constexpr const char* kInsertSchedule =
    "INSERT INTO workflow_schedules (workspace_id, version_id, next_fire_at) VALUES (:ws, :id, :next)";
constexpr const char* kWorkspaceZone = "SELECT time_zone FROM workspaces WHERE id = :ws";

// Triggers.
constexpr const char* kSelectWatched =
    "SELECT v.workspace_id, v.trigger_type, v.trigger_object FROM workflow_versions v JOIN workflows w "
    "ON w.workspace_id = v.workspace_id AND w.id = v.workflow_id WHERE v.status = 'ACTIVE' AND w.deleted_at IS NULL "
    "AND v.trigger_type IN ('RECORD_CREATED', 'RECORD_UPDATED', 'RECORD_DELETED')";
constexpr const char* kSelectTriggered =
    "SELECT v.id, v.workflow_id, v.definition, w.name FROM workflow_versions v JOIN workflows w "
    "ON w.workspace_id = v.workspace_id AND w.id = v.workflow_id WHERE v.workspace_id = :ws AND v.status = 'ACTIVE' "
    "AND w.deleted_at IS NULL AND v.trigger_type = :type AND (v.trigger_object = :object OR :object = '')";
constexpr const char* kRunsSince =
    "SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND workflow_id = :wf AND created_at > :since";
constexpr const char* kWorkspaceRunsSince =
    "SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND created_at > :since";
constexpr const char* kWorkflowLimit = "SELECT max_runs_per_minute FROM workflows WHERE workspace_id = :ws AND id = :wf";
constexpr const char* kThrottled =
    "UPDATE workflows SET throttled_count = throttled_count + 1, last_throttled_at = :now "
    "WHERE workspace_id = :ws AND id = :wf";
constexpr const char* kSelectRunByDedup = "SELECT id FROM workflow_runs WHERE workspace_id = :ws AND dedup_key = :dedup";
constexpr const char* kSelectStripeEvent =
    "SELECT type, payload FROM stripe_events WHERE workspace_id = :ws AND event_id = :id";

// Schedules.
constexpr const char* kSelectDueSchedules =
    "SELECT s.workspace_id, s.version_id, s.next_fire_at, v.workflow_id, v.definition, ws.time_zone "
    "FROM workflow_schedules s JOIN workflow_versions v ON v.workspace_id = s.workspace_id AND v.id = s.version_id "
    "JOIN workspaces ws ON ws.id = s.workspace_id "
    "WHERE s.next_fire_at <= :now AND v.status = 'ACTIVE' ORDER BY s.next_fire_at LIMIT 50";
constexpr const char* kAdvanceSchedule =
    "UPDATE workflow_schedules SET next_fire_at = :next, last_fired_at = :due "
    "WHERE workspace_id = :ws AND version_id = :id AND next_fire_at = :due";
constexpr const char* kSelectWorkspaceSchedules =
    "SELECT s.version_id, v.definition FROM workflow_schedules s JOIN workflow_versions v "
    "ON v.workspace_id = s.workspace_id AND v.id = s.version_id WHERE s.workspace_id = :ws";
constexpr const char* kMoveSchedule =
    "UPDATE workflow_schedules SET next_fire_at = :next WHERE workspace_id = :ws AND version_id = :id";

// Runs.
constexpr const char* kSelectRuns =
    "SELECT id, workflow_id, version_id, status, trigger_type, depth, steps_executed, error, error_step, "
    "created_at, started_at, ended_at, next_attempt_at FROM workflow_runs WHERE workspace_id = :ws";
constexpr const char* kSelectRun =
    "SELECT id, workflow_id, version_id, status, trigger_type, trigger_data, depth, steps_executed, error, "
    "error_step, created_at, started_at, ended_at, next_attempt_at FROM workflow_runs "
    "WHERE workspace_id = :ws AND id = :id";
constexpr const char* kSelectRunSteps =
    "SELECT step_key, step_id, type, position, status, attempts, attempt_group, input, output, error, started_at, "
    "ended_at, retry_at FROM workflow_run_steps WHERE workspace_id = :ws AND run_id = :id ORDER BY position, step_key";
constexpr const char* kRetryFailedSteps =
    "UPDATE workflow_run_steps SET attempts = 0, attempt_group = attempt_group + 1, retry_at = :now, error = NULL "
    "WHERE workspace_id = :ws AND run_id = :id AND status = 'FAILED'";
constexpr const char* kRetryRun =
    "UPDATE workflow_runs SET status = 'RUNNING', error = NULL, error_step = NULL, ended_at = NULL, "
    "next_attempt_at = :now, claimed_by = NULL, updated_at = :now WHERE workspace_id = :ws AND id = :id "
    "AND status = 'FAILED'";
constexpr const char* kWorkflowOfId = "SELECT workspace_id, webhook_secret_sealed FROM workflows WHERE id = :id AND deleted_at IS NULL";
constexpr const char* kSetWebhookSecret =
    "UPDATE workflows SET webhook_secret_sealed = :sealed, updated_at = :now WHERE workspace_id = :ws AND id = :id";

constexpr std::int64_t kWebhookTolerance = 300;  // seconds a signature stays valid

Status require_workflow_admin(const Actor& a) {
  if (a.role != crm::Role::Admin) return fail(Error::forbidden("only an ADMIN of this workspace can change workflows"));
  return {};
}

SqlValue opt(const std::string& s) { return s.empty() ? SqlValue(nullptr) : SqlValue(s); }
json opt_json(const RowView& r, std::string_view column) {
  auto t = r.opt_text(column);
  return t ? json(*t) : json(nullptr);
}

std::string trigger_object_of(const json& d) {
  if (!d.is_object() || !d.contains("trigger") || !d["trigger"].is_object()) return "";
  const json& o = d["trigger"].value("object", json());
  return o.is_string() ? o.get<std::string>() : "";
}
std::string trigger_type_text(const json& d) {
  if (!d.is_object() || !d.contains("trigger") || !d["trigger"].is_object()) return "MANUAL";
  const json& t = d["trigger"].value("type", json());
  return t.is_string() && parse_trigger_type(t.get<std::string>()) ? t.get<std::string>() : "MANUAL";
}

json version_json(const RowView& r, bool with_definition) {
  json v = {{"id", r.text("id")},
            {"workflowId", r.text("workflow_id")},
            {"number", r.integer("number")},
            {"status", r.text("status")},
            {"triggerType", r.text("trigger_type")},
            {"createdAt", r.text("created_at")},
            {"updatedAt", r.text("updated_at")}};
  if (with_definition) {
    v["definition"] = parse_json_text(r.text("definition"));
    json problems = json::array();
    for (const auto& p : check_definition(v["definition"])) problems.push_back({{"field", p.field}, {"message", p.message}});
    v["problems"] = problems;
  }
  return v;
}

json workflow_json(Tx& tx, const std::string& ws, const Rows& rows, size_t i) {
  RowView r(rows, i);
  bool active = !r.is_null("active_version_id");
  std::string status = active ? "ACTIVE" : (r.integer("retired_versions") > 0 ? "DEACTIVATED" : "DRAFT");
  json w = {{"id", r.text("id")},
            {"name", r.text("name")},
            {"description", opt_json(r, "description")},
            {"builtinKey", opt_json(r, "builtin_key")},
            {"status", status},
            {"activeVersionId", opt_json(r, "active_version_id")},
            {"draftVersionId", opt_json(r, "draft_version_id")},
            {"triggerType", opt_json(r, "trigger_type")},
            {"triggerObject", opt_json(r, "trigger_object")},
            {"maxRunsPerMinute", r.integer("max_runs_per_minute")},
            {"throttledCount", r.integer("throttled_count")},
            {"lastThrottledAt", opt_json(r, "last_throttled_at")},
            {"hasWebhookSecret", !r.is_null("webhook_secret_sealed")},
            {"lastRun", nullptr},
            {"createdAt", r.text("created_at")},
            {"updatedAt", r.text("updated_at")}};
  if (!r.is_null("last_run_id")) {
    if (auto run = tx.query_one(kSelectRunSummary, {{"ws", ws}, {"id", r.text("last_run_id")}})) {
      RowView lr(*run, 0);
      w["lastRun"] = {{"id", lr.text("id")}, {"status", lr.text("status")}, {"createdAt", lr.text("created_at")},
                      {"endedAt", opt_json(lr, "ended_at")}, {"error", opt_json(lr, "error")}};
    }
  }
  return w;
}

Result<json> load_workflow(Tx& tx, const std::string& ws, std::string_view id) {
  Rows rows = tx.query(std::string(kSelectWorkflows) + " AND w.id = :id", {{"ws", ws}, {"id", std::string(id)}});
  if (rows.empty()) return fail(Error::not_found("workflow"));
  return workflow_json(tx, ws, rows, 0);
}

json run_json(const RowView& r) {
  return {{"id", r.text("id")},
          {"workflowId", r.text("workflow_id")},
          {"versionId", r.text("version_id")},
          {"status", r.text("status")},
          {"triggerType", r.text("trigger_type")},
          {"depth", r.integer("depth")},
          {"stepsExecuted", r.integer("steps_executed")},
          {"error", opt_json(r, "error")},
          {"errorStep", opt_json(r, "error_step")},
          {"createdAt", r.text("created_at")},
          {"startedAt", opt_json(r, "started_at")},
          {"endedAt", opt_json(r, "ended_at")},
          {"nextAttemptAt", opt_json(r, "next_attempt_at")}};
}

// The zone a schedule runs in: its own, or the workspace's.
std::string schedule_zone(const json& definition, const std::string& workspace_zone) {
  std::string tz = definition["trigger"].value("timezone", std::string("workspace"));
  return tz == "workspace" ? (workspace_zone.empty() ? "UTC" : workspace_zone) : tz;
}

std::optional<std::string> next_tick(const json& definition, const std::string& workspace_zone,
                                     std::chrono::sys_seconds after) {
  auto cron = parse_cron(definition["trigger"].value("cron", std::string()));
  if (!cron) return std::nullopt;
  auto next = next_fire(*cron, schedule_zone(definition, workspace_zone), after);
  if (!next) return std::nullopt;
  return store::format_timestamp(std::chrono::duration_cast<std::chrono::milliseconds>(next->time_since_epoch()).count());
}

std::chrono::sys_seconds now_seconds() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string local_time_text(std::chrono::sys_seconds t, const std::string& zone) {
  try {
    auto zt = date::make_zoned(zone, t);
    return date::format("%Y-%m-%dT%H:%M:%S", zt.get_local_time());
  } catch (const std::exception&) {
    return date::format("%Y-%m-%dT%H:%M:%S", t);
  }
}

// Does the record (as stored now, in this transaction) match the trigger's filter?
bool matches_filter(Tx& tx, const crm::ObjectDef& object, const std::string& ws, const std::string& id,
                    const json& trigger) {
  std::string filter = trigger.value("filter", json()).is_string() ? trigger["filter"].get<std::string>() : "";
  if (filter.empty()) return true;
  auto node = store::parse_filter(object.spec, filter);
  if (!node) return false;  // activation checked it; a catalog change could break it
  auto frag = store::compile_filter(*node, tx.dialect());
  store::Params params{{"ws", ws}, {"id", id}};
  for (size_t i = 0; i < frag.params.size(); ++i) params.emplace_back("p" + std::to_string(i + 1), frag.params[i]);
  return tx.query_one("SELECT 1 AS x FROM " + object.spec.table + " WHERE workspace_id = :ws AND id = :id AND (" +
                          frag.sql + ")",
                      params)
      .has_value();
}

}  // namespace

namespace detail {

std::string now_text() { return store::now_timestamp(); }

Actor run_actor(const std::string& workspace_id, const std::string& workflow_name, const std::string& run_id, int depth) {
  Actor a{workspace_id, "", "workflow '" + workflow_name + "'", crm::Role::Admin};
  a.workflow_depth = depth + 1;
  a.workflow_run_id = run_id;
  return a;
}

json parse_json_text(const std::string& text) {
  if (text.empty()) return nullptr;
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json(nullptr) : j;
}

}  // namespace detail

Engine::Engine(std::shared_ptr<crm::Records> records, std::shared_ptr<crm::StripeSync> sync, EngineOptions options)
    : records_(std::move(records)), sync_(std::move(sync)), options_(std::move(options)) {}

// --- management ------------------------------------------------------------------------------

Result<json> Engine::list(const Actor& a) {
  return records_->db().read<json>([&](Tx& tx) -> Result<json> {
    Rows rows = tx.query(std::string(kSelectWorkflows) + " ORDER BY w.builtin_key IS NULL, w.builtin_key, w.name",
                         {{"ws", a.workspace_id}});
    json out = json::array();
    for (size_t i = 0; i < rows.size(); ++i) out.push_back(workflow_json(tx, a.workspace_id, rows, i));
    return out;
  });
}

Result<json> Engine::get(const Actor& a, std::string_view id) {
  return records_->db().read<json>([&](Tx& tx) -> Result<json> {
    auto w = load_workflow(tx, a.workspace_id, id);
    if (!w) return w;
    Rows versions = tx.query(kSelectVersions, {{"ws", a.workspace_id}, {"wf", std::string(id)}});
    json list = json::array();
    json draft = nullptr;
    for (size_t i = 0; i < versions.size(); ++i) {
      RowView v(versions, i);
      list.push_back(version_json(v, false));
      if (v.text("status") == "DRAFT" && draft.is_null()) draft = version_json(v, true);
    }
    (*w)["versions"] = list;
    (*w)["draft"] = draft;
    // The definition shown when there is no draft: the active (or newest) version's.
    if (!versions.empty()) {
      size_t shown = 0;
      for (size_t i = 0; i < versions.size(); ++i)
        if (RowView(versions, i).text("status") == "ACTIVE") shown = i;
      (*w)["current"] = version_json(RowView(versions, shown), true);
    }
    return w;
  });
}

Result<json> Engine::create(const Actor& a, const json& body) {
  if (auto st = require_workflow_admin(a); !st) return fail(st.error());
  if (!body.is_object()) return fail(Error::bad_request("the body must be a JSON object"));
  std::string name = body.value("name", json()).is_string() ? body["name"].get<std::string>() : "";
  if (name.empty() || name.size() > 200) return fail(Error::validation("name", "a name of 1 to 200 characters is required"));
  json definition = body.value("definition", json{{"trigger", {{"type", "MANUAL"}}}, {"steps", json::array()}});
  if (!definition.is_object()) return fail(Error::validation("definition", "an object with trigger and steps"));
  std::string description = body.value("description", json()).is_string() ? body["description"].get<std::string>() : "";
  auto id = records_->db().write<std::string>([&](Tx& tx) -> Result<std::string> {
    std::string wf = random_id("wfl"), now = now_text();
    tx.exec(kInsertWorkflow, {{"ws", a.workspace_id}, {"id", wf}, {"name", name}, {"description", opt(description)},
                              {"builtin", nullptr}, {"now", now}, {"by", opt(a.user_id)}});
    tx.exec(kInsertVersion, {{"ws", a.workspace_id}, {"id", random_id("wfv")}, {"wf", wf}, {"number", std::int64_t{1}},
                             {"status", std::string("DRAFT")}, {"type", trigger_type_text(definition)},
                             {"object", opt(trigger_object_of(definition))}, {"definition", definition.dump()},
                             {"now", now}, {"by", opt(a.user_id)}});
    return wf;
  });
  if (!id) return fail(id.error());
  return get(a, *id);
}

Result<json> Engine::update(const Actor& a, std::string_view id, const json& body) {
  if (auto st = require_workflow_admin(a); !st) return fail(st.error());
  if (!body.is_object()) return fail(Error::bad_request("the body must be a JSON object"));
  for (const auto& [k, _] : body.items())
    if (k != "name" && k != "description" && k != "maxRunsPerMinute")
      return fail(Error::validation(k, "unknown or read-only field '" + k + "'"));
  auto done = records_->db().write<bool>([&](Tx& tx) -> Result<bool> {
    if (!tx.query_one(std::string(kLockWorkflow) + std::string(tx.lock_suffix()),
                      {{"ws", a.workspace_id}, {"id", std::string(id)}}))
      return fail(Error::not_found("workflow"));
    std::string now = now_text();
    store::Params p{{"ws", a.workspace_id}, {"id", std::string(id)}, {"now", now}};
    if (body.contains("name")) {
      if (!body["name"].is_string() || body["name"].get<std::string>().empty() || body["name"].get<std::string>().size() > 200)
        return fail(Error::validation("name", "a name of 1 to 200 characters"));
      tx.exec("UPDATE workflows SET name = :v, updated_at = :now WHERE workspace_id = :ws AND id = :id",
              {{"ws", a.workspace_id}, {"id", std::string(id)}, {"now", now}, {"v", body["name"].get<std::string>()}});
    }
    if (body.contains("description")) {
      if (!body["description"].is_string() && !body["description"].is_null())
        return fail(Error::validation("description", "text or null"));
      tx.exec("UPDATE workflows SET description = :v, updated_at = :now WHERE workspace_id = :ws AND id = :id",
              {{"ws", a.workspace_id}, {"id", std::string(id)}, {"now", now},
               {"v", body["description"].is_null() ? SqlValue(nullptr) : SqlValue(body["description"].get<std::string>())}});
    }
    if (body.contains("maxRunsPerMinute")) {
      const json& m = body["maxRunsPerMinute"];
      if (!m.is_number_integer() || m.get<long long>() < 1 || m.get<long long>() > 100000)
        return fail(Error::validation("maxRunsPerMinute", "a whole number from 1 to 100000"));
      tx.exec("UPDATE workflows SET max_runs_per_minute = :v, updated_at = :now WHERE workspace_id = :ws AND id = :id",
              {{"ws", a.workspace_id}, {"id", std::string(id)}, {"now", now}, {"v", m.get<std::int64_t>()}});
    }
    return true;
  });
  if (!done) return fail(done.error());
  return get(a, id);
}

Result<json> Engine::remove(const Actor& a, std::string_view id) {
  if (auto st = require_workflow_admin(a); !st) return fail(st.error());
  auto out = records_->db().write<json>([&](Tx& tx) -> Result<json> {
    auto w = load_workflow(tx, a.workspace_id, id);
    if (!w) return w;
    std::string now = now_text();
    if ((*w)["activeVersionId"].is_string()) {
      std::string v = (*w)["activeVersionId"].get<std::string>();
      tx.exec(kSetVersionStatus, {{"status", std::string("DEACTIVATED")}, {"now", now}, {"ws", a.workspace_id}, {"id", v}});
      tx.exec(kDeleteSchedule, {{"ws", a.workspace_id}, {"id", v}});
    }
    tx.exec("UPDATE workflows SET deleted_at = :now, updated_at = :now WHERE workspace_id = :ws AND id = :id",
            {{"ws", a.workspace_id}, {"id", std::string(id)}, {"now", now}});
    (*w)["status"] = "DEACTIVATED";
    return w;
  });
  invalidate_watch_cache();
  return out;
}

Result<json> Engine::copy(const Actor& a, std::string_view id) {
  if (auto st = require_workflow_admin(a); !st) return fail(st.error());
  auto source = get(a, id);
  if (!source) return source;
  json definition = (*source)["draft"].is_object() ? (*source)["draft"]["definition"]
                    : (*source).contains("current") ? (*source)["current"]["definition"]
                                                    : json{{"trigger", {{"type", "MANUAL"}}}, {"steps", json::array()}};
  std::string name = "Copy of " + (*source)["name"].get<std::string>();
  if (name.size() > 200) name.resize(200);
  return create(a, {{"name", name}, {"description", (*source)["description"]}, {"definition", definition}});
}

Result<json> Engine::save_draft(const Actor& a, std::string_view id, const json& body) {
  if (auto st = require_workflow_admin(a); !st) return fail(st.error());
  if (!body.is_object() || !body.contains("definition") || !body["definition"].is_object())
    return fail(Error::validation("definition", "an object with trigger and steps"));
  const json& definition = body["definition"];
  if (definition.dump().size() > 256 * 1024) return fail(Error::validation("definition", "at most 256 KiB"));
  auto version = records_->db().write<std::string>([&](Tx& tx) -> Result<std::string> {
    if (!tx.query_one(std::string(kLockWorkflow) + std::string(tx.lock_suffix()),
                      {{"ws", a.workspace_id}, {"id", std::string(id)}}))
      return fail(Error::not_found("workflow"));
    std::string now = now_text();
    Rows versions = tx.query(kSelectVersions, {{"ws", a.workspace_id}, {"wf", std::string(id)}});
    for (size_t i = 0; i < versions.size(); ++i) {
      RowView v(versions, i);
      if (v.text("status") != "DRAFT") continue;
      tx.exec(kUpdateDraft, {{"definition", definition.dump()}, {"type", trigger_type_text(definition)},
                             {"object", opt(trigger_object_of(definition))}, {"now", now},
                             {"ws", a.workspace_id}, {"id", v.text("id")}});
      return v.text("id");
    }
    // Editing an active (or retired) workflow makes a new draft; runs keep their version.
    std::string vid = random_id("wfv");
    auto n = tx.query(kNextVersionNumber, {{"ws", a.workspace_id}, {"wf", std::string(id)}});
    tx.exec(kInsertVersion, {{"ws", a.workspace_id}, {"id", vid}, {"wf", std::string(id)},
                             {"number", RowView(n, 0).integer("n")}, {"status", std::string("DRAFT")},
                             {"type", trigger_type_text(definition)}, {"object", opt(trigger_object_of(definition))},
                             {"definition", definition.dump()}, {"now", now}, {"by", opt(a.user_id)}});
    tx.exec("UPDATE workflows SET updated_at = :now WHERE workspace_id = :ws AND id = :id",
            {{"ws", a.workspace_id}, {"id", std::string(id)}, {"now", now}});
    return vid;
  });
  if (!version) return fail(version.error());
  return get_version(a, *version);
}

Result<json> Engine::rotate_webhook_secret(const Actor& a, std::string_view id) {
  if (auto st = require_workflow_admin(a); !st) return fail(st.error());
  if (!options_.secrets) return fail(Error::internal("workflows: no master key to seal a webhook secret"));
  std::string secret = "whsec_" + random_token(24);
  auto done = records_->db().write<bool>([&](Tx& tx) -> Result<bool> {
    if (!tx.query_one(kLockWorkflow, {{"ws", a.workspace_id}, {"id", std::string(id)}}))
      return fail(Error::not_found("workflow"));
    tx.exec(kSetWebhookSecret, {{"sealed", options_.secrets->seal(secret, "workflow-webhook:" + std::string(id))},
                                {"now", now_text()}, {"ws", a.workspace_id}, {"id", std::string(id)}});
    return true;
  });
  if (!done) return fail(done.error());
  return json{{"secret", secret}, {"header", "Settle-Signature"},
              {"scheme", "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">"}};
}

Result<json> Engine::list_versions(const Actor& a, std::string_view workflow_id) {
  return records_->db().read<json>([&](Tx& tx) -> Result<json> {
    if (!tx.query_one(kLockWorkflow, {{"ws", a.workspace_id}, {"id", std::string(workflow_id)}}))
      return fail(Error::not_found("workflow"));
    Rows versions = tx.query(kSelectVersions, {{"ws", a.workspace_id}, {"wf", std::string(workflow_id)}});
    json out = json::array();
    for (size_t i = 0; i < versions.size(); ++i) out.push_back(version_json(RowView(versions, i), true));
    return out;
  });
}

Result<json> Engine::get_version(const Actor& a, std::string_view id) {
  return records_->db().read<json>([&](Tx& tx) -> Result<json> {
    auto row = tx.query_one(kSelectVersion, {{"ws", a.workspace_id}, {"id", std::string(id)}});
    if (!row) return fail(Error::not_found("workflow version"));
    return version_json(RowView(*row, 0), true);
  });
}

Result<json> Engine::activate(const Actor& a, std::string_view id) {
  if (auto st = require_workflow_admin(a); !st) return fail(st.error());
  auto out = records_->db().write<json>([&](Tx& tx) -> Result<json> {
    auto row = tx.query_one(std::string(kSelectVersion) + std::string(tx.lock_suffix()),
                            {{"ws", a.workspace_id}, {"id", std::string(id)}});
    if (!row) return fail(Error::not_found("workflow version"));
    RowView v(*row, 0);
    std::string status = v.text("status");
    if (status == "ACTIVE") return version_json(v, true);
    if (status == "ARCHIVED") return fail(Error::conflict("an archived version cannot be activated; copy it", "status"));
    json definition = parse_json_text(v.text("definition"));
    if (auto st = definition_error(check_definition(definition)); !st) return fail(st.error());
    std::string wf = v.text("workflow_id"), now = now_text();
    // The workflow's row lock orders two activations of one workflow.
    tx.query_one(std::string(kLockWorkflow) + std::string(tx.lock_suffix()), {{"ws", a.workspace_id}, {"id", wf}});
    if (auto current = tx.query_one(kSelectActiveVersion, {{"ws", a.workspace_id}, {"wf", wf}})) {
      std::string old = RowView(*current, 0).text("id");
      tx.exec(kSetVersionStatus, {{"status", std::string("DEACTIVATED")}, {"now", now}, {"ws", a.workspace_id}, {"id", old}});
      tx.exec(kDeleteSchedule, {{"ws", a.workspace_id}, {"id", old}});
    }
    tx.exec(kSetVersionStatus, {{"status", std::string("ACTIVE")}, {"now", now}, {"ws", a.workspace_id}, {"id", std::string(id)}});
    if (trigger_type(definition) == TriggerType::Schedule) {
      auto zone = tx.query_one(kWorkspaceZone, {{"ws", a.workspace_id}});
      auto next = next_tick(definition, zone ? RowView(*zone, 0).text("time_zone") : "UTC", now_seconds());
      if (next) tx.exec(kInsertSchedule, {{"ws", a.workspace_id}, {"id", std::string(id)}, {"next", *next}});
    }
    auto again = tx.query_one(kSelectVersion, {{"ws", a.workspace_id}, {"id", std::string(id)}});
    return version_json(RowView(*again, 0), true);
  });
  invalidate_watch_cache();
  return out;
}

Result<json> Engine::deactivate(const Actor& a, std::string_view id) {
  if (auto st = require_workflow_admin(a); !st) return fail(st.error());
  auto out = records_->db().write<json>([&](Tx& tx) -> Result<json> {
    auto row = tx.query_one(std::string(kSelectVersion) + std::string(tx.lock_suffix()),
                            {{"ws", a.workspace_id}, {"id", std::string(id)}});
    if (!row) return fail(Error::not_found("workflow version"));
    if (RowView(*row, 0).text("status") != "ACTIVE")
      return fail(Error::conflict("only the ACTIVE version can be deactivated", "status"));
    tx.exec(kSetVersionStatus, {{"status", std::string("DEACTIVATED")}, {"now", now_text()}, {"ws", a.workspace_id},
                                {"id", std::string(id)}});
    tx.exec(kDeleteSchedule, {{"ws", a.workspace_id}, {"id", std::string(id)}});
    auto again = tx.query_one(kSelectVersion, {{"ws", a.workspace_id}, {"id", std::string(id)}});
    return version_json(RowView(*again, 0), true);
  });
  invalidate_watch_cache();
  return out;
}

Result<json> Engine::archive(const Actor& a, std::string_view id) {
  if (auto st = require_workflow_admin(a); !st) return fail(st.error());
  return records_->db().write<json>([&](Tx& tx) -> Result<json> {
    auto row = tx.query_one(std::string(kSelectVersion) + std::string(tx.lock_suffix()),
                            {{"ws", a.workspace_id}, {"id", std::string(id)}});
    if (!row) return fail(Error::not_found("workflow version"));
    if (RowView(*row, 0).text("status") == "ACTIVE")
      return fail(Error::conflict("deactivate the version before archiving it", "status"));
    tx.exec(kSetVersionStatus, {{"status", std::string("ARCHIVED")}, {"now", now_text()}, {"ws", a.workspace_id},
                                {"id", std::string(id)}});
    auto again = tx.query_one(kSelectVersion, {{"ws", a.workspace_id}, {"id", std::string(id)}});
    return version_json(RowView(*again, 0), true);
  });
}

Result<json> Engine::set_time_zone(const Actor& a, const json& body) {
  if (auto st = require_workflow_admin(a); !st) return fail(st.error());
  std::string tz = body.is_object() && body.value("timeZone", json()).is_string() ? body["timeZone"].get<std::string>() : "";
  if (tz.empty()) return fail(Error::validation("timeZone", "an IANA time zone such as America/New_York"));
  if (auto st = check_time_zone(tz); !st) return fail(Error::validation("timeZone", st.error().message));
  return records_->db().write<json>([&](Tx& tx) -> Result<json> {
    tx.exec("UPDATE workspaces SET time_zone = :tz WHERE id = :ws", {{"tz", tz}, {"ws", a.workspace_id}});
    // Schedules in the workspace's zone move with it.
    Rows schedules = tx.query(kSelectWorkspaceSchedules, {{"ws", a.workspace_id}});
    for (size_t i = 0; i < schedules.size(); ++i) {
      RowView s(schedules, i);
      auto next = next_tick(parse_json_text(s.text("definition")), tz, now_seconds());
      if (next) tx.exec(kMoveSchedule, {{"next", *next}, {"ws", a.workspace_id}, {"id", s.text("version_id")}});
    }
    return json{{"timeZone", tz}};
  });
}

// --- runs (reading and retrying) -----------------------------------------------------------

Result<json> Engine::list_runs(const Actor& a, const std::vector<std::pair<std::string, std::string>>& query) {
  std::string sql = kSelectRuns;
  store::Params p{{"ws", a.workspace_id}};
  std::int64_t limit = 50;
  for (const auto& [k, v] : query) {
    if (k == "workflowId") {
      sql += " AND workflow_id = :wf";
      p.emplace_back("wf", v);
    } else if (k == "status") {
      static const std::set<std::string> kStatuses = {kRunRunning, kRunWaiting, kRunCompleted, kRunFailed};
      if (!kStatuses.count(v)) return fail(Error::bad_request("status must be RUNNING, WAITING, COMPLETED or FAILED", "status"));
      sql += " AND status = :status";
      p.emplace_back("status", v);
    } else if (k == "limit") {
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > 200) return fail(Error::bad_request("limit must be 1 to 200", "limit"));
      limit = n;
    } else {
      return fail(Error::bad_request("unknown parameter '" + k + "'", k));
    }
  }
  sql += " ORDER BY created_at DESC, id DESC LIMIT " + std::to_string(limit);
  return records_->db().read<json>([&](Tx& tx) -> Result<json> {
    Rows rows = tx.query(sql, p);
    json out = json::array();
    for (size_t i = 0; i < rows.size(); ++i) out.push_back(run_json(RowView(rows, i)));
    return out;
  });
}

Result<json> Engine::get_run(const Actor& a, std::string_view id) {
  return records_->db().read<json>([&](Tx& tx) -> Result<json> {
    auto row = tx.query_one(kSelectRun, {{"ws", a.workspace_id}, {"id", std::string(id)}});
    if (!row) return fail(Error::not_found("workflow run"));
    RowView r(*row, 0);
    json run = run_json(r);
    run["trigger"] = parse_json_text(r.text("trigger_data"));
    Rows steps = tx.query(kSelectRunSteps, {{"ws", a.workspace_id}, {"id", std::string(id)}});
    json list = json::array();
    for (size_t i = 0; i < steps.size(); ++i) {
      RowView s(steps, i);
      list.push_back({{"key", s.text("step_key")},
                      {"stepId", s.text("step_id")},
                      {"type", s.text("type")},
                      {"status", s.text("status")},
                      {"attempts", s.integer("attempts")},
                      {"input", parse_json_text(s.text("input"))},
                      {"output", parse_json_text(s.text("output"))},
                      {"error", opt_json(s, "error")},
                      {"startedAt", opt_json(s, "started_at")},
                      {"endedAt", opt_json(s, "ended_at")},
                      {"retryAt", opt_json(s, "retry_at")}});
    }
    run["steps"] = list;
    return run;
  });
}

Result<json> Engine::retry_run(const Actor& a, std::string_view id) {
  if (auto st = require_workflow_admin(a); !st) return fail(st.error());
  auto done = records_->db().write<bool>([&](Tx& tx) -> Result<bool> {
    auto row = tx.query_one(std::string(kSelectRun) + std::string(tx.lock_suffix()),
                            {{"ws", a.workspace_id}, {"id", std::string(id)}});
    if (!row) return fail(Error::not_found("workflow run"));
    if (RowView(*row, 0).text("status") != kRunFailed)
      return fail(Error::conflict("only a FAILED run can be retried", "status"));
    if (RowView(*row, 0).text("error").rfind("loop stopped", 0) == 0)
      return fail(Error::conflict("a run stopped by the loop limit cannot be retried", "status"));
    std::string now = now_text();
    // A new attempt group: a retried HTTP step sends a new idempotency key.
    tx.exec(kRetryFailedSteps, {{"now", now}, {"ws", a.workspace_id}, {"id", std::string(id)}});
    tx.exec(kRetryRun, {{"now", now}, {"ws", a.workspace_id}, {"id", std::string(id)}});
    return true;
  });
  if (!done) return fail(done.error());
  if (on_queued_) on_queued_();
  return get_run(a, id);
}

// --- triggers --------------------------------------------------------------------------------

std::optional<std::string> Engine::queue_run(Tx& tx, const std::string& ws, const std::string& wf,
                                             const std::string& version, std::string_view trigger_type,
                                             const json& trigger_data, int depth, std::optional<std::string> dedup,
                                             bool limited, const std::string& claim_token) {
  std::string now = now_text();
  std::string since = store::timestamp_from_now(std::chrono::seconds(-60));
  std::string id = random_id("wfr");
  store::Params base{{"ws", ws},
                     {"id", id},
                     {"wf", wf},
                     {"version", version},
                     {"type", std::string(trigger_type)},
                     {"data", trigger_data.dump(-1, ' ', false, json::error_handler_t::replace)},
                     {"depth", std::int64_t{depth}},
                     {"dedup", dedup ? SqlValue(*dedup) : SqlValue(nullptr)},
                     {"now", now}};
  if (depth > options_.max_depth) {
    // Recorded, not run: the chain of runs triggering runs is stopped here, visibly.
    base.emplace_back("status", std::string(kRunFailed));
    base.emplace_back("next", nullptr);
    base.emplace_back("error", "loop stopped: this run was triggered by a chain of " + std::to_string(depth) +
                                   " workflow runs' own writes (the limit is " + std::to_string(options_.max_depth) +
                                   "); check the workflow's trigger filter");
    base.emplace_back("ended", now);
    tx.exec(kInsertRun, base);
    spdlog::warn("workflow {}: loop stopped at depth {}", wf, depth);
    return std::nullopt;
  }
  if (limited) {
    auto limit_row = tx.query_one(kWorkflowLimit, {{"ws", ws}, {"wf", wf}});
    std::int64_t limit = limit_row ? RowView(*limit_row, 0).integer("max_runs_per_minute") : 600;
    std::int64_t recent = RowView(tx.query(kRunsSince, {{"ws", ws}, {"wf", wf}, {"since", since}}), 0).integer("n");
    std::int64_t recent_ws =
        recent < limit ? RowView(tx.query(kWorkspaceRunsSince, {{"ws", ws}, {"since", since}}), 0).integer("n") : 0;
    if (recent >= limit || recent_ws >= options_.workspace_runs_per_minute) {
      tx.exec(kThrottled, {{"now", now}, {"ws", ws}, {"wf", wf}});
      spdlog::warn("workflow {}: run rate limit hit ({} runs in the last minute)", wf, recent >= limit ? recent : recent_ws);
      return std::nullopt;
    }
  }
  base.emplace_back("status", std::string(kRunRunning));
  base.emplace_back("error", nullptr);
  base.emplace_back("ended", nullptr);
  if (!claim_token.empty()) {
    // Claimed by the caller, who executes it now; the lease lets the background runner take
    // it up should the caller die.
    base.emplace_back("next", store::timestamp_from_now(options_.lease));
    base.emplace_back("token", claim_token);
    return tx.exec(kInsertClaimedRun, base) == 1 ? std::optional<std::string>(id) : std::nullopt;
  }
  base.emplace_back("next", now);
  if (tx.exec(kInsertRun, base) != 1) return std::nullopt;  // this trigger already queued it
  if (on_queued_) on_queued_();
  return id;
}

void Engine::invalidate_watch_cache() {
  std::lock_guard lock(watch_mutex_);
  watched_valid_ = false;
}

bool Engine::watches(const std::string& ws, const crm::ObjectDef& object, crm::RecordChange change) {
  constexpr auto kReload = std::chrono::seconds(5);
  std::lock_guard lock(watch_mutex_);
  auto now = std::chrono::steady_clock::now();
  if (!watched_valid_ || now - watched_loaded_ > kReload) {
    auto rows = records_->db().read<Rows>([](Tx& tx) -> Result<Rows> { return tx.query(kSelectWatched); });
    if (rows) {
      watched_.clear();
      for (size_t i = 0; i < rows->size(); ++i) {
        RowView r(*rows, i);
        auto t = parse_trigger_type(r.text("trigger_type"));
        int kind = t == TriggerType::RecordCreated ? 0 : t == TriggerType::RecordUpdated ? 1 : 2;
        watched_.emplace(r.text("workspace_id"), r.text("trigger_object"), kind);
      }
      watched_valid_ = true;
      watched_loaded_ = now;
    } else {
      return true;  // unsure: look in the transaction
    }
  }
  return watched_.count({ws, object.name, static_cast<int>(change)}) > 0;
}

void Engine::on_change(Tx& tx, const Actor& actor, const crm::ObjectDef& object, crm::RecordChange change,
                       const json& before, const json& after) {
  std::string type = change == crm::RecordChange::Created   ? "RECORD_CREATED"
                     : change == crm::RecordChange::Updated ? "RECORD_UPDATED"
                                                            : "RECORD_DELETED";
  Rows versions = tx.query(kSelectTriggered, {{"ws", actor.workspace_id}, {"type", type}, {"object", object.name}});
  if (versions.empty()) return;
  json changed = json::array();
  if (change == crm::RecordChange::Updated && before.is_object())
    for (const auto& [k, v] : after.items())
      if (!before.contains(k) || before[k] != v) changed.push_back(k);
  std::string id = after.value("id", std::string());
  for (size_t i = 0; i < versions.size(); ++i) {
    RowView v(versions, i);
    json definition = parse_json_text(v.text("definition"));
    const json& trigger = definition["trigger"];
    if (change == crm::RecordChange::Updated && trigger.contains("fields") && trigger["fields"].is_array() &&
        !trigger["fields"].empty()) {
      bool hit = false;
      for (const auto& f : trigger["fields"])
        if (std::find(changed.begin(), changed.end(), f) != changed.end()) hit = true;
      if (!hit) continue;
    }
    if (!matches_filter(tx, object, actor.workspace_id, id, trigger)) continue;
    json data = {{"object", object.name}, {"record", after}};
    if (change == crm::RecordChange::Updated) {
      data["before"] = before;
      data["changedFields"] = changed;
    }
    if (!actor.workflow_run_id.empty()) data["causedByRun"] = actor.workflow_run_id;
    queue_run(tx, actor.workspace_id, v.text("workflow_id"), v.text("id"), type, data, actor.workflow_depth, std::nullopt);
  }
}

std::string Engine::on_stripe_event(Tx& tx, const std::string& ws, const std::string& event_id) {
  Rows versions = tx.query(kSelectTriggered, {{"ws", ws}, {"type", std::string("STRIPE_EVENT")}, {"object", std::string()}});
  if (versions.empty()) return "";
  auto event = tx.query_one(kSelectStripeEvent, {{"ws", ws}, {"id", event_id}});
  if (!event) return "";
  std::string handed;
  std::string type = RowView(*event, 0).text("type");
  json payload = parse_json_text(RowView(*event, 0).text("payload"));
  for (size_t i = 0; i < versions.size(); ++i) {
    RowView v(versions, i);
    json definition = parse_json_text(v.text("definition"));
    bool wanted = false;
    for (const auto& t : definition["trigger"].value("eventTypes", json::array()))
      if (t == "*" || t == type) wanted = true;
    if (!wanted) continue;
    json object = payload.is_object() && payload.contains("data") ? payload["data"].value("object", json()) : json();
    std::string dedup = "stripe:" + event_id + ":" + v.text("id");
    auto run = queue_run(tx, ws, v.text("workflow_id"), v.text("id"), "STRIPE_EVENT", {{"event", payload}, {"object", object}},
                         0, dedup, false);
    if (!run)  // an event settled again (an ADMIN's retry): its run is the one queued before
      if (auto before = tx.query_one(kSelectRunByDedup, {{"ws", ws}, {"dedup", dedup}}))
        run = RowView(*before, 0).text("id");
    handed += std::string(handed.empty() ? "handed to " : "; ") + "workflow '" + v.text("name") + "' (run " +
              run.value_or("?") + ")";
  }
  return handed;
}

Result<json> Engine::run_manually(const Actor& a, std::string_view workflow_id, const json& body) {
  if (!body.is_null() && !body.is_object()) return fail(Error::bad_request("the body must be a JSON object"));
  json ids = body.is_object() ? body.value("recordIds", json::array()) : json::array();
  json payload = body.is_object() ? body.value("payload", json::object()) : json::object();
  if (!ids.is_array() || ids.size() > 200) return fail(Error::validation("recordIds", "a list of at most 200 record ids"));
  // The records to run on, read first (the runs are queued in one transaction after).
  std::vector<json> targets;
  std::string target_object;
  if (!ids.empty()) {
    auto version = records_->db().read<std::string>([&](Tx& tx) -> Result<std::string> {
      auto active = tx.query_one(kSelectActiveVersion, {{"ws", a.workspace_id}, {"wf", std::string(workflow_id)}});
      return active ? RowView(*active, 0).text("definition") : std::string();
    });
    if (!version) return fail(version.error());
    json definition = parse_json_text(*version);
    target_object = trigger_object_of(definition);
    const crm::ObjectDef* object = crm::find_object(target_object);
    if (object) {
      for (size_t i = 0; i < ids.size(); ++i) {
        if (!ids[i].is_string()) return fail(Error::validation("recordIds[" + std::to_string(i) + "]", "a record id"));
        auto record = records_->get(a, *object, ids[i].get<std::string>());
        if (!record)
          return fail(Error::validation("recordIds[" + std::to_string(i) + "]",
                                        "no such " + object->singular + " in this workspace"));
        targets.push_back(*record);
      }
    }
  }
  auto runs = records_->db().write<json>([&](Tx& tx) -> Result<json> {
    auto active = tx.query_one(kSelectActiveVersion, {{"ws", a.workspace_id}, {"wf", std::string(workflow_id)}});
    if (!active) {
      if (!tx.query_one(kLockWorkflow, {{"ws", a.workspace_id}, {"id", std::string(workflow_id)}}))
        return fail(Error::not_found("workflow"));
      return fail(Error::conflict("the workflow has no ACTIVE version; activate it first", "status"));
    }
    RowView v(*active, 0);
    json definition = parse_json_text(v.text("definition"));
    bool manual = trigger_type(definition) == TriggerType::Manual;
    // Members run manual workflows, as they would use a record's action; anything else is an
    // ADMIN's test run.
    if (!manual)
      if (auto st = require_workflow_admin(a); !st) return fail(st.error());
    std::string object_name = definition["trigger"].value("object", json()).is_string()
                                  ? definition["trigger"]["object"].get<std::string>()
                                  : "";
    json out = json::array();
    auto queue = [&](json data) -> Status {
      data["startedBy"] = a.label;
      auto id = queue_run(tx, a.workspace_id, std::string(workflow_id), v.text("id"), "MANUAL", data, a.workflow_depth,
                          std::nullopt);
      if (!id) return fail(Error{ErrorCode::RateLimited, "the workflow's run rate limit was hit; try again in a minute",
                                 "maxRunsPerMinute", {}, nullptr});
      out.push_back(*id);
      return {};
    };
    if (trigger_type(definition) == TriggerType::Schedule) {
      // A test run of a schedule: as if its tick were now.
      auto zone = tx.query_one(kWorkspaceZone, {{"ws", a.workspace_id}});
      std::string tz = schedule_zone(definition, zone ? RowView(*zone, 0).text("time_zone") : "UTC");
      payload = {{"scheduledAt", now_text()}, {"localTime", local_time_text(now_seconds(), tz)}, {"timezone", tz},
                 {"payload", payload}};
      if (auto st = queue(payload); !st) return fail(st.error());
      return out;
    }
    if (!ids.empty()) {
      if (object_name.empty() || object_name != target_object || targets.size() != ids.size())
        return fail(Error::validation("recordIds", "this workflow's trigger names no object; run it without records"));
      for (const auto& record : targets)
        if (auto st = queue({{"object", object_name}, {"record", record}, {"payload", payload}}); !st) return fail(st.error());
    } else {
      if (auto st = queue({{"payload", payload}}); !st) return fail(st.error());
    }
    return out;
  });
  if (!runs) return fail(runs.error());
  json list = json::array();
  for (const auto& id : *runs) {
    auto r = get_run(a, id.get<std::string>());
    if (r) list.push_back(*r);
  }
  return json{{"runs", list}};
}

std::string Engine::sign_webhook(std::string_view secret, std::int64_t t, std::string_view body) {
  return "t=" + std::to_string(t) + ",v1=" + hmac_sha256_hex(secret, std::to_string(t) + "." + std::string(body));
}

Result<json> Engine::receive_webhook(std::string_view workflow_id, const std::optional<Actor>& key_actor,
                                     std::string_view signature, std::string_view body) {
  json parsed = body.empty() ? json::object() : json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return fail(Error::bad_request("the body is not valid JSON"));
  auto out = records_->db().write<json>([&](Tx& tx) -> Result<json> {
    auto wf = tx.query_one(kWorkflowOfId, {{"id", std::string(workflow_id)}});
    // The same answer for a workflow that does not exist and one of another workspace.
    Error denied = Error::unauthenticated("send the workspace's API key or a valid Settle-Signature");
    if (!wf) return fail(key_actor ? Error::not_found("workflow") : denied);
    std::string ws = RowView(*wf, 0).text("workspace_id");
    if (key_actor && key_actor->workspace_id != ws) return fail(Error::not_found("workflow"));
    auto active = tx.query_one(kSelectActiveVersion, {{"ws", ws}, {"wf", std::string(workflow_id)}});
    json definition = active ? parse_json_text(RowView(*active, 0).text("definition")) : json();
    bool webhook = active && trigger_type(definition) == TriggerType::Webhook;
    std::string auth = webhook ? definition["trigger"].value("auth", std::string("apiKey")) : "";
    if (!key_actor) {
      if (auth != "signature" || signature.empty()) return fail(denied);
      auto sealed = RowView(*wf, 0).opt_text("webhook_secret_sealed");
      if (!sealed || !options_.secrets) return fail(denied);
      auto secret = options_.secrets->open(*sealed, "workflow-webhook:" + std::string(workflow_id));
      if (!secret) return fail(secret.error());
      // t=<unix>,v1=<hex>; every v1 is tried (a sender rotating its secret sends two).
      std::int64_t t = 0;
      std::vector<std::string> sigs;
      size_t pos = 0;
      std::string header(signature);
      while (pos <= header.size()) {
        size_t comma = header.find(',', pos);
        std::string part = header.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (part.rfind("t=", 0) == 0) t = std::atoll(part.c_str() + 2);
        if (part.rfind("v1=", 0) == 0) sigs.push_back(part.substr(3));
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
      std::int64_t now = unix_seconds_now();
      if (t <= 0 || sigs.empty()) return fail(Error::bad_request("Settle-Signature must be t=<unix>,v1=<hex>", "Settle-Signature"));
      if (std::llabs(now - t) > kWebhookTolerance)
        return fail(Error::bad_request("the signature's timestamp is more than 5 minutes away", "Settle-Signature"));
      std::string expected = hmac_sha256_hex(*secret, std::to_string(t) + "." + std::string(body));
      bool ok = false;
      for (const auto& s : sigs) ok = constant_time_equals(s, expected) || ok;
      if (!ok) return fail(Error::bad_request("the signature does not match", "Settle-Signature"));
    } else if (auth != "apiKey") {
      return fail(Error::conflict(webhook ? "this workflow's webhook takes a signature, not an API key"
                                          : "the workflow has no ACTIVE version with a webhook trigger",
                                  "trigger"));
    }
    if (!webhook) return fail(Error::conflict("the workflow has no ACTIVE version with a webhook trigger", "trigger"));
    auto id = queue_run(tx, ws, std::string(workflow_id), RowView(*active, 0).text("id"), "WEBHOOK",
                        {{"body", parsed}}, 0, std::nullopt);
    if (!id) return fail(Error{ErrorCode::RateLimited, "the workflow's run rate limit was hit; try again in a minute",
                               "maxRunsPerMinute", {}, nullptr});
    return json{{"runId", *id}, {"status", kRunRunning}};
  });
  return out;
}

// --- built-ins ---------------------------------------------------------------------------------

Status Engine::install_builtins(const std::string& ws) {
  auto installed = records_->db().write<int>([&](Tx& tx) -> Result<int> {
    int count = 0;
    std::string now = now_text();
    auto zone_row = tx.query_one(kWorkspaceZone, {{"ws", ws}});
    if (!zone_row) return fail(Error::not_found("workspace"));
    std::string zone = RowView(*zone_row, 0).text("time_zone");
    for (const auto& b : builtin_workflows()) {
      std::string wf = random_id("wfl");
      // Once per workspace, ever: a built-in an ADMIN deleted stays deleted.
      if (tx.exec(std::string(kInsertWorkflow) + " ON CONFLICT DO NOTHING",
                  {{"ws", ws}, {"id", wf}, {"name", b.name}, {"description", b.description},
                   {"builtin", b.key}, {"now", now}, {"by", nullptr}}) != 1)
        continue;
      std::string version = random_id("wfv");
      tx.exec(kInsertVersion, {{"ws", ws}, {"id", version}, {"wf", wf}, {"number", std::int64_t{1}},
                               {"status", std::string("ACTIVE")}, {"type", trigger_type_text(b.definition)},
                               {"object", opt(trigger_object_of(b.definition))}, {"definition", b.definition.dump()},
                               {"now", now}, {"by", nullptr}});
      if (trigger_type(b.definition) == TriggerType::Schedule)
        if (auto next = next_tick(b.definition, zone, now_seconds()))
          tx.exec(kInsertSchedule, {{"ws", ws}, {"id", version}, {"next", *next}});
      ++count;
    }
    return count;
  });
  if (!installed) return fail(installed.error());
  if (*installed > 0) {
    spdlog::info("workflows: installed {} built-in workflow(s) in workspace {}", *installed, ws);
    invalidate_watch_cache();
  }
  return {};
}

Status Engine::install_builtins_everywhere() {
  auto missing = records_->db().read<Rows>([&](Tx& tx) -> Result<Rows> {
    return tx.query(
        "SELECT w.id FROM workspaces w WHERE (SELECT COUNT(*) FROM workflows f WHERE f.workspace_id = w.id "
        "AND f.builtin_key IS NOT NULL) < :n ORDER BY w.id",
        {{"n", static_cast<std::int64_t>(builtin_workflows().size())}});
  });
  if (!missing) return fail(missing.error());
  for (size_t i = 0; i < missing->size(); ++i)
    if (auto st = install_builtins(RowView(*missing, i).text("id")); !st) return st;
  return {};
}

// --- schedules ---------------------------------------------------------------------------------

Result<int> Engine::fire_due_schedules() {
  return records_->db().write<int>([&](Tx& tx) -> Result<int> {
    std::string sql = kSelectDueSchedules;
    if (tx.dialect() == store::Dialect::Postgres) sql += " FOR UPDATE OF s SKIP LOCKED";
    Rows due = tx.query(sql, {{"now", now_text()}});
    int fired = 0;
    auto now = now_seconds();
    for (size_t i = 0; i < due.size(); ++i) {
      RowView s(due, i);
      json definition = parse_json_text(s.text("definition"));
      std::string tick = s.text("next_fire_at"), ws = s.text("workspace_id"), version = s.text("version_id");
      // The next tick after now, not after the one due: ticks missed while Settle was
      // down fire once, now, instead of once each.
      auto next = next_tick(definition, s.text("time_zone"), now);
      if (!next) next = store::timestamp_from_now(std::chrono::hours(24 * 365 * 5));
      if (tx.exec(kAdvanceSchedule, {{"next", *next}, {"due", tick}, {"ws", ws}, {"id", version}}) != 1) continue;
      auto tick_seconds = unix_seconds(tick).value_or(now.time_since_epoch().count());
      std::string zone = schedule_zone(definition, s.text("time_zone"));
      json data = {{"scheduledAt", tick},
                   {"localTime", local_time_text(std::chrono::sys_seconds(std::chrono::seconds(tick_seconds)), zone)},
                   {"timezone", zone}};
      if (queue_run(tx, ws, s.text("workflow_id"), version, "SCHEDULE", data, 0, "schedule:" + version + ":" + tick))
        ++fired;
    }
    return fired;
  });
}

void Engine::turn() {
  if (auto f = fire_due_schedules(); !f) spdlog::error("workflow schedules: {}", f.error().log);
  for (int batch = 0; batch < 50; ++batch) {
    auto n = process_due();
    if (!n) {
      spdlog::error("workflow runs: {}", n.error().log.empty() ? n.error().message : n.error().log);
      break;
    }
    if (*n == 0) break;
  }
  auto now = std::chrono::steady_clock::now();
  if (now < next_housekeeping_) return;
  // A new workspace gets its built-ins within seconds; old runs are forgotten at that pace too.
  next_housekeeping_ = now + std::chrono::seconds(5);
  if (auto st = install_builtins_everywhere(); !st) spdlog::error("workflow built-ins: {}", st.error().log);
  std::string before = store::timestamp_from_now(-std::chrono::duration_cast<std::chrono::seconds>(options_.retention));
  auto forgot = records_->db().write<long long>([&](Tx& tx) -> Result<long long> {
    tx.exec("DELETE FROM workflow_run_steps WHERE run_id IN (SELECT id FROM workflow_runs WHERE ended_at < :before)",
            {{"before", before}});
    return tx.exec("DELETE FROM workflow_runs WHERE ended_at < :before", {{"before", before}});
  });
  if (forgot && *forgot > 0) spdlog::info("workflow runs: forgot {} run(s) ended before {}", *forgot, before);
}

}  // namespace settle::workflow
