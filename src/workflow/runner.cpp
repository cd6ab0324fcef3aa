// Executing runs: claiming them, walking their steps, and what each step type does.
//
// A step's row is the truth about it. A step found COMPLETED is not done again: its stored
// output is put back into the context, so that later steps see what it answered the first
// time (an IF takes the same branch, an ITERATOR walks the same items). A step that changes
// only this database commits its change together with its COMPLETED row and the run's
// lease check, so it happens exactly once: a crash before the commit leaves no change and
// no row, and the resumed run does the step again. HTTP steps cannot be atomic with a
// commit: they send the same Idempotency-Key in every attempt of one attempt group.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "common/crypto.hpp"
#include "common/dates.hpp"
#include "common/money.hpp"
#include "common/text.hpp"
#include "crm/objects.hpp"
#include "crm/outbox.hpp"
#include "mail/templates.hpp"
#include "net/client.hpp"
#include "store/query.hpp"
#include "workflow/definition.hpp"
#include "workflow/internal.hpp"
#include "workflow/template.hpp"

namespace settle::workflow {

using store::Rows;
using store::RowView;
using store::SqlValue;
using store::Tx;
using namespace detail;

namespace {

// A mail template's model from a step's rendered `data`: "" (a template value that was
// missing) becomes null, so that {{#payUrl}}...{{/payUrl}} leaves the part out.
json empty_to_null(const json& j) {
  if (j.is_string() && j.get<std::string>().empty()) return nullptr;
  if (j.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : j.items()) out[k] = empty_to_null(v);
    return out;
  }
  if (j.is_array()) {
    json out = json::array();
    for (const auto& v : j) out.push_back(empty_to_null(v));
    return out;
  }
  return j;
}

constexpr const char* kSelectDueRuns =
    "SELECT workspace_id, id, next_attempt_at FROM workflow_runs WHERE next_attempt_at <= :now "
    "AND status IN ('RUNNING', 'WAITING') ORDER BY next_attempt_at LIMIT :n";
constexpr const char* kClaimRun =
    "UPDATE workflow_runs SET claimed_by = :token, next_attempt_at = :lease, status = 'RUNNING', "
    "started_at = COALESCE(started_at, :now), updated_at = :now "
    "WHERE workspace_id = :ws AND id = :id AND next_attempt_at = :due";
constexpr const char* kReleaseLeases =
    "UPDATE workflow_runs SET next_attempt_at = :now, claimed_by = NULL WHERE claimed_by LIKE :mine "
    "AND status = 'RUNNING' AND next_attempt_at > :now";
constexpr const char* kSelectRunToExecute =
    "SELECT r.workflow_id, r.version_id, r.trigger_data, r.depth, r.steps_executed, v.definition, w.name, "
    "ws.name AS workspace_name, ws.time_zone "
    "FROM workflow_runs r JOIN workflow_versions v ON v.workspace_id = r.workspace_id AND v.id = r.version_id "
    "JOIN workflows w ON w.workspace_id = r.workspace_id AND w.id = r.workflow_id "
    "JOIN workspaces ws ON ws.id = r.workspace_id "
    "WHERE r.workspace_id = :ws AND r.id = :id AND r.claimed_by = :token";
constexpr const char* kSelectStepRows =
    "SELECT step_key, status, attempts, attempt_group, output, error, retry_at, attempt_log "
    "FROM workflow_run_steps WHERE workspace_id = :ws AND run_id = :id";
// Every commit of a step first proves the run is still this processor's (and extends the lease).
constexpr const char* kHoldLease =
    "UPDATE workflow_runs SET next_attempt_at = :lease, steps_executed = steps_executed + :executed, "
    "updated_at = :now WHERE workspace_id = :ws AND id = :id AND claimed_by = :token";
constexpr const char* kUpsertStep =
    "INSERT INTO workflow_run_steps (workspace_id, run_id, step_key, step_id, type, position, status, attempts, "
    "attempt_group, input, output, error, started_at, ended_at, retry_at, attempt_log) VALUES (:ws, :run, :key, "
    ":step, :type, :position, :status, :attempts, :group, :input, :output, :error, :started, :ended, :retry, :log) "
    "ON CONFLICT (workspace_id, run_id, step_key) DO UPDATE SET status = excluded.status, "
    "attempts = excluded.attempts, input = excluded.input, output = excluded.output, error = excluded.error, "
    "started_at = excluded.started_at, ended_at = excluded.ended_at, retry_at = excluded.retry_at, "
    "attempt_log = excluded.attempt_log";
constexpr const char* kEndRun =
    "UPDATE workflow_runs SET status = :status, error = :error, error_step = :step, ended_at = :ended, "
    "next_attempt_at = :next, claimed_by = NULL, updated_at = :now "
    "WHERE workspace_id = :ws AND id = :id AND claimed_by = :token";
constexpr const char* kSelectMembers =
    "SELECT u.id, u.email, u.first_name, u.last_name, m.role FROM workspace_members m JOIN users u ON u.id = m.user_id "
    "WHERE m.workspace_id = :ws ORDER BY u.email";
constexpr const char* kSelectBudgets =
    "SELECT p.id, p.name, p.code, p.budget, p.currency, p.status, "
    "(SELECT COALESCE(SUM(e.amount), 0) FROM expenses e WHERE e.workspace_id = p.workspace_id "
    " AND e.project_id = p.id AND e.deleted_at IS NULL AND e.currency = p.currency) AS spent, "
    "(SELECT COUNT(*) FROM expenses e WHERE e.workspace_id = p.workspace_id AND e.project_id = p.id "
    " AND e.deleted_at IS NULL AND e.currency <> p.currency) AS other_currency "
    "FROM projects p WHERE p.workspace_id = :ws AND p.deleted_at IS NULL AND p.budget IS NOT NULL "
    "AND p.status NOT IN ('Completed', 'Cancelled') ORDER BY p.name, p.id";

constexpr const char* kSelectActionVersions =
    "SELECT v.id, v.workflow_id, v.definition, w.name FROM workflow_versions v JOIN workflows w "
    "ON w.workspace_id = v.workspace_id AND w.id = v.workflow_id WHERE v.workspace_id = :ws AND v.status = 'ACTIVE' "
    "AND w.deleted_at IS NULL AND v.trigger_type = 'ACTION' AND v.trigger_object = :object ORDER BY w.created_at, w.id";

constexpr int kMaxIteratorItems = 1000;

// Settings that are structure, not input: everything else of a step is rendered.
bool structural(const std::string& key) {
  return key == "id" || key == "type" || key == "name" || key == "retry" || key == "continueOnFailure" ||
         key == "timeoutSeconds" || key == "then" || key == "else" || key == "steps" || key == "condition";
}

std::string lease_end(std::chrono::seconds lease) { return store::timestamp_from_now(lease); }

std::string quote_filter_value(const json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

const crm::ObjectDef* object_of(const json& input, std::string& error) {
  std::string name = input.value("object", json()).is_string() ? input["object"].get<std::string>() : "";
  const crm::ObjectDef* o = crm::find_object(name);
  if (!o) error = "no object '" + name + "'";
  return o;
}

std::string text_setting(const json& input, const char* key) {
  if (!input.contains(key) || input[key].is_null()) return "";
  return input[key].is_string() ? input[key].get<std::string>() : input[key].dump();
}

bool looks_like_email(const std::string& s) {
  auto at = s.find('@');
  return at != std::string::npos && at > 0 && at + 1 < s.size() && s.find('.', at) != std::string::npos &&
         s.size() <= 320 && s.find_first_of(" \r\n\t<>,;") == std::string::npos;
}

// Whole-word, case-insensitive: "PRJ-7" in "Lenses for PRJ-7 demo" but not in "PRJ-70".
bool mentions_code(const std::string& text, const std::string& code) {
  if (code.empty()) return false;
  std::string t = ascii_lower(text), c = ascii_lower(code);
  auto word = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0; };
  for (size_t pos = t.find(c); pos != std::string::npos; pos = t.find(c, pos + 1)) {
    bool left = pos == 0 || !word(t[pos - 1]);
    bool right = pos + c.size() == t.size() || !word(t[pos + c.size()]);
    if (left && right) return true;
  }
  return false;
}

}  // namespace

struct Engine::Run {
  std::string ws, id, token;
  std::string workflow_id, version_id, workflow_name;
  int depth = 0;
  std::int64_t steps_executed = 0;
  int max_steps = kDefaultMaxStepsPerRun;
  json definition, context;
  struct Row {
    std::string status, error, retry_at;
    int attempts = 0, group = 0;
    json output, log;
  };
  std::map<std::string, Row> rows;
  int position = 0;
  // How execute() left it: RUNNING (stopped unexpectedly), WAITING, COMPLETED or FAILED,
  // and the error of the step that failed it (for an answer in the request).
  std::string outcome = kRunRunning;
  std::optional<Error> failure;
};

// Walks a run's steps (engine.cpp's friend); one per execute().
class StepRunner {
 public:
  enum class Flow { Next, Stop, Pause, Failed, LeaseLost };

  StepRunner(Engine& engine, Engine::Run& run) : e_(engine), run_(run) {}

  std::string pause_until, fail_step, fail_error;
  std::optional<Error> fail_cause;

  Flow walk(const json& steps, const std::string& suffix) {
    for (const auto& s : steps) {
      Flow f = step(s, suffix);
      if (f != Flow::Next) return f;
    }
    return Flow::Next;
  }

 private:
  Engine& e_;
  Engine::Run& run_;

  // A run of an ACTION trigger acts as the person who asked for the action, with their
  // role; every other run as the workspace's automation.
  Actor actor() const {
    const json& who = run_.context["trigger"].is_object() ? run_.context["trigger"].value("actor", json()) : json();
    if (!who.is_object()) return run_actor(run_.ws, run_.workflow_name, run_.id, run_.depth);
    Actor a{run_.ws, who.value("userId", std::string()),
            who.value("label", std::string()) + " via workflow '" + run_.workflow_name + "'",
            who.value("role", std::string()) == "ADMIN" ? crm::Role::Admin : crm::Role::Member};
    a.workflow_depth = run_.depth + 1;
    a.workflow_run_id = run_.id;
    return a;
  }

  Flow step(const json& s, const std::string& suffix) {
    const std::string id = s.value("id", std::string());
    const std::string type = s.value("type", std::string());
    const std::string key = id + suffix;
    const int position = run_.position++;
    auto found = run_.rows.find(key);
    Engine::Run::Row* row = found == run_.rows.end() ? nullptr : &found->second;
    StepPolicy policy = step_policy(s);
    std::string now = now_text();

    if (row && row->status == "COMPLETED") return replay(s, type, suffix, row->output);
    if (row && row->status == "WAITING") {
      if (row->retry_at > now) {
        pause_until = row->retry_at;
        return Flow::Pause;
      }
      if (!commit(key, s, position, "COMPLETED", row->attempts, row->group, nullptr, row->output, "", 0, row->log))
        return Flow::LeaseLost;
      run_.context["steps"][id] = row->output;
      return Flow::Next;
    }
    if (row && row->status == "FAILED") {
      if (row->retry_at.empty()) {  // failed for good
        if (policy.continue_on_failure) {
          run_.context["steps"][id] = row->output;
          return Flow::Next;
        }
        fail_step = key;
        fail_error = row->error;
        return Flow::Failed;
      }
      if (row->retry_at > now) {
        pause_until = row->retry_at;
        return Flow::Pause;
      }
    }
    if (run_.steps_executed >= run_.max_steps) {
      fail_step = key;
      fail_error = "step limit reached: a run may execute at most " + std::to_string(run_.max_steps) +
                   " steps (settings.maxStepsPerRun)";
      return Flow::Failed;
    }
    int attempt = (row ? row->attempts : 0) + 1;
    int group = row ? row->group : 0;
    json log = row && row->log.is_array() ? row->log : json::array();

    // The step's settings, rendered against what the run knows now.
    json settings = json::object();
    for (const auto& [k, v] : s.items())
      if (!structural(k)) settings[k] = v;
    auto input = render_value(settings, run_.context, "steps." + id);

    json output;
    std::string error;
    std::optional<Error> cause;
    bool local = !step_leaves_settle(type);
    if (!input) {
      error = input.error().message;
      cause = input.error();
    } else if (local) {
      // The effect and the COMPLETED row in one transaction.
      bool lease_lost = false;
      auto done = e_.records_->db().write<json>([&](Tx& tx) -> Result<json> {
        if (!hold_lease(tx, 1)) {
          lease_lost = true;
          return fail(Error::conflict("lease lost"));
        }
        auto out = execute_local(tx, s, type, *input, key, group);
        if (!out) return out;
        json entry = {{"attempt", attempt}, {"at", now}, {"status", "COMPLETED"}};
        json l = log;
        l.push_back(entry);
        upsert(tx, key, s, position, type == "DELAY" && out->contains("waitUntil") ? "WAITING" : "COMPLETED", attempt,
               group, *input, *out, "", type == "DELAY" ? out->value("waitUntil", std::string()) : "", now, l);
        return out;
      });
      if (lease_lost) return Flow::LeaseLost;
      if (done) {
        output = *done;
        if (type == "DELAY" && output.contains("waitUntil")) {
          pause_until = output["waitUntil"].get<std::string>();
          return Flow::Pause;
        }
        run_.steps_executed++;
        return after_success(s, type, suffix, output);
      }
      error = done.error().message;
      cause = done.error();
      if (done.error().code == ErrorCode::Internal) error = "internal error";
      spdlog::info("workflow run {} step {}: {}", run_.id, key, done.error().log.empty() ? error : done.error().log);
    } else {
      // Outside Settle: mark the attempt as started, then call, then record what came back.
      json entry = {{"attempt", attempt}, {"at", now}, {"status", "RUNNING"}};
      if (!commit(key, s, position, "RUNNING", attempt, group, *input, nullptr, "", 1, log)) return Flow::LeaseLost;
      auto out = execute_remote(type, *input, policy, key, group, attempt);
      if (out) {
        json l = log;
        l.push_back({{"attempt", attempt}, {"at", now}, {"status", "COMPLETED"}});
        if (!commit(key, s, position, "COMPLETED", attempt, group, *input, *out, "", 0, l)) return Flow::LeaseLost;
        run_.steps_executed++;
        return after_success(s, type, suffix, *out);
      }
      error = out.error().message;
      cause = out.error();
    }

    // A failed attempt: retry after a back-off, go on without it, or fail the run.
    log.push_back({{"attempt", attempt}, {"at", now}, {"status", "FAILED"}, {"error", error}});
    json rendered = input ? *input : json(nullptr);
    if (attempt < policy.max_attempts) {
      auto wait = std::chrono::seconds(std::min<long long>(
          static_cast<long long>(policy.base_seconds) << std::min(attempt - 1, 20), kMaxRetryWaitSeconds));
      std::string retry = store::timestamp_from_now(wait);
      if (!commit(key, s, position, "FAILED", attempt, group, rendered, nullptr, error, 1, log, retry))
        return Flow::LeaseLost;
      pause_until = retry;
      return Flow::Pause;
    }
    json out = {{"error", error}};
    if (!commit(key, s, position, "FAILED", attempt, group, rendered, out, error, 1, log)) return Flow::LeaseLost;
    if (policy.continue_on_failure) {
      run_.context["steps"][id] = out;
      return Flow::Next;
    }
    fail_step = key;
    fail_error = error;
    fail_cause = cause;
    return Flow::Failed;
  }

  // A step done before (this run, before a crash or a wait): its stored output again.
  Flow replay(const json& s, const std::string& type, const std::string& suffix, const json& output) {
    return after_success(s, type, suffix, output);
  }

  Flow after_success(const json& s, const std::string& type, const std::string& suffix, const json& output) {
    const std::string id = s.value("id", std::string());
    run_.context["steps"][id] = output;
    if (type == "FILTER") return output.value("passed", false) ? Flow::Next : Flow::Stop;
    if (type == "IF") {
      const char* branch = output.value("result", false) ? "then" : "else";
      return s.contains(branch) ? walk(s[branch], suffix) : Flow::Next;
    }
    if (type == "ITERATOR") {
      const json items = output.value("items", json::array());
      json saved_item = run_.context.value("item", json()), saved_index = run_.context.value("index", json());
      for (size_t i = 0; i < items.size(); ++i) {
        run_.context["item"] = items[i];
        run_.context["index"] = i;
        Flow f = walk(s["steps"], suffix + "@" + std::to_string(i));
        if (f == Flow::Stop) continue;  // a FILTER inside skips this item only
        if (f != Flow::Next) return f;
      }
      run_.context["item"] = saved_item;
      run_.context["index"] = saved_index;
    }
    return Flow::Next;
  }

  bool hold_lease(Tx& tx, int executed) {
    return tx.exec(kHoldLease, {{"lease", lease_end(e_.options_.lease)},
                                {"executed", std::int64_t{executed}},
                                {"now", now_text()},
                                {"ws", run_.ws},
                                {"id", run_.id},
                                {"token", run_.token}}) == 1;
  }

  void upsert(Tx& tx, const std::string& key, const json& s, int position, const std::string& status, int attempts,
              int group, const json& input, const json& output, const std::string& error, const std::string& retry,
              const std::string& started, const json& log) {
    std::string now = now_text();
    bool ended = status == "COMPLETED" || (status == "FAILED" && retry.empty());
    auto text = [](const json& j) { return j.is_null() ? SqlValue(nullptr) : SqlValue(j.dump(-1, ' ', false, json::error_handler_t::replace)); };
    tx.exec(kUpsertStep, {{"ws", run_.ws},
                          {"run", run_.id},
                          {"key", key},
                          {"step", s.value("id", std::string())},
                          {"type", s.value("type", std::string())},
                          {"position", std::int64_t{position}},
                          {"status", status},
                          {"attempts", std::int64_t{attempts}},
                          {"group", std::int64_t{group}},
                          {"input", text(input)},
                          {"output", text(output)},
                          {"error", error.empty() ? SqlValue(nullptr) : SqlValue(error)},
                          {"started", started.empty() ? SqlValue(now) : SqlValue(started)},
                          {"ended", ended ? SqlValue(now) : SqlValue(nullptr)},
                          {"retry", retry.empty() ? SqlValue(nullptr) : SqlValue(retry)},
                          {"log", text(log)}});
    Engine::Run::Row& r = run_.rows[key];
    r.status = status;
    r.attempts = attempts;
    r.group = group;
    r.output = output;
    r.error = error;
    r.retry_at = retry;
    r.log = log;
  }

  // A step row written on its own (with the lease check); false when the lease is lost.
  bool commit(const std::string& key, const json& s, int position, const std::string& status, int attempts, int group,
              const json& input, const json& output, const std::string& error, int executed, const json& log,
              const std::string& retry = "") {
    auto ok = e_.records_->db().write<bool>([&](Tx& tx) -> Result<bool> {
      if (!hold_lease(tx, executed)) return false;
      upsert(tx, key, s, position, status, attempts, group, input, output, error, retry, "", log);
      return true;
    });
    return ok && *ok;
  }

  // --- the step types that change only this database (or nothing) ---------------------------
  Result<json> execute_local(Tx& tx, const json& s, const std::string& type, const json& in, const std::string& key,
                             int group) {
    Actor a = actor();
    std::string err;
    if (type == "CREATE_RECORD" || type == "UPDATE_RECORD" || type == "DELETE_RECORD" || type == "FIND_RECORDS" ||
        type == "UPSERT_RECORD") {
      const crm::ObjectDef* o = object_of(in, err);
      if (!o) return fail(Error::validation("object", err));
      if (type == "CREATE_RECORD") return e_.records_->create(tx, a, *o, in.value("values", json::object()));
      if (type == "UPDATE_RECORD")
        return e_.records_->update(tx, a, *o, text_setting(in, "recordId"), in.value("values", json::object()));
      if (type == "DELETE_RECORD") return e_.records_->remove(tx, a, *o, text_setting(in, "recordId"));
      if (type == "FIND_RECORDS") return find_records(a, *o, in);
      // UPSERT_RECORD: the first record matching every `match` field, updated; else created.
      const json& match = in.value("match", json::object());
      if (!match.is_object() || match.empty()) return fail(Error::validation("match", "an object of field: value"));
      std::string filter;
      for (const auto& [k, v] : match.items()) filter += (filter.empty() ? "" : ",") + k + "[eq]:" + quote_filter_value(v);
      auto found = find_records(a, *o, {{"filter", filter}, {"limit", 1}});
      if (!found) return found;
      json values = in.value("values", json::object());
      if ((*found)["count"].get<int>() > 0) {
        auto r = e_.records_->update(tx, a, *o, (*found)["first"]["id"].get<std::string>(), values);
        if (r) (*r)["created"] = false;
        return r;
      }
      for (const auto& [k, v] : match.items())
        if (!values.contains(k)) values[k] = v;
      auto r = e_.records_->create(tx, a, *o, values);
      if (r) (*r)["created"] = true;
      return r;
    }
    if (type == "RECORD_ACTION") {
      std::string object = text_setting(in, "object"), action = text_setting(in, "action");
      if (!record_action_allowed(object, action))
        return fail(Error::validation("action", "an order's start, fulfill, cancel or invoice"));
      return e_.records_->act(tx, a, *crm::find_object(object), text_setting(in, "recordId"), action,
                              in.value("body", json::object()));
    }
    if (type == "CREATE_TASK") {
      json task = {{"title", text_setting(in, "title")}, {"status", "TODO"}};
      for (const char* k : {"body", "assigneeId", "targetObject", "targetId"})
        if (in.contains(k) && !in[k].is_null() && !(in[k].is_string() && in[k].get<std::string>().empty())) task[k] = in[k];
      if (in.contains("dueInDays") && in["dueInDays"].is_number_integer())
        task["dueAt"] = store::timestamp_from_now(std::chrono::days(in["dueInDays"].get<int>()));
      else if (in.contains("dueAt") && in["dueAt"].is_string() && !in["dueAt"].get<std::string>().empty())
        task["dueAt"] = in["dueAt"];
      return e_.records_->create(tx, a, *crm::find_object("tasks"), task);
    }
    if (type == "SEND_EMAIL") {
      std::string to = text_setting(in, "to");
      if (!looks_like_email(to)) return fail(Error::validation("to", "'" + to + "' is not an email address"));
      // A workspace template: rendered now (the outbox lists its subject) and again when sent,
      // from the model in `data` (an empty value is a missing one, for the template's sections).
      std::string kind = text_setting(in, "template");
      json model = json::object();
      std::string subject, body;
      if (!kind.empty()) {
        if (in.contains("data") && in["data"].is_object()) model = empty_to_null(in["data"]);
        if (!model.contains("workspace")) model["workspace"] = run_.context.value("workspace", json::object());
        auto t = mail::workspace_template(tx, run_.ws, kind);
        if (!t) return fail(t.error());
        auto rendered = mail::render(*t, model);
        if (!rendered) return fail(Error::validation("template", rendered.error().message));
        subject = rendered->subject;
        body = rendered->text;
      } else {
        subject = text_setting(in, "subject");
        body = text_setting(in, "body");
      }
      if (subject.empty() || subject.size() > 998 || subject.find_first_of("\r\n") != std::string::npos)
        return fail(Error::validation("subject", "a subject of one line, at most 998 characters"));
      std::string object, record;
      if (in.contains("attach") && in["attach"].is_object()) {
        object = text_setting(in["attach"], "object");
        record = text_setting(in["attach"], "recordId");
        const crm::ObjectDef* o = crm::find_object(object);
        if (!o || !tx.query_one("SELECT 1 AS x FROM " + o->spec.table +
                                    " WHERE workspace_id = :ws AND id = :id AND deleted_at IS NULL",
                                {{"ws", run_.ws}, {"id", record}}))
          return fail(Error::validation("attach.recordId", "no such record to attach"));
      }
      bool draft = in.value("draft", false);
      crm::QueuedMail mail{run_.ws, kind.empty() ? "workflow" : kind, to, subject, body};
      mail.draft = draft;
      mail.data = model;
      mail.data["workflow"] = run_.context.value("workflow", json::object());
      if (!object.empty()) mail.attachment = mail.about = std::make_pair(object, record);
      mail.source = "workflow-run:" + run_.id + ":" + key;
      auto queued = crm::queue_mail(tx, mail, nullptr);
      if (!queued) return fail(queued.error());
      const std::string& id = *queued;
      return json{{"messageId", id}, {"to", to}, {"subject", subject}, {"status", draft ? "draft" : "queued"}};
    }
    if (type == "IF") {
      auto r = evaluate_condition(s["condition"], run_.context, "condition");
      if (!r) return fail(r.error());
      return json{{"result", *r}};
    }
    if (type == "FILTER") {
      auto r = evaluate_condition(s["condition"], run_.context, "condition");
      if (!r) return fail(r.error());
      return json{{"passed", *r}};
    }
    if (type == "ITERATOR") {
      json items = in.value("items", json());
      if (!items.is_array()) return fail(Error::validation("items", "items must be a list, got " + std::string(items.type_name())));
      if (items.size() > kMaxIteratorItems)
        return fail(Error::validation("items", "at most " + std::to_string(kMaxIteratorItems) + " items"));
      return json{{"items", items}, {"count", items.size()}};
    }
    if (type == "DELAY") {
      std::int64_t until = 0;
      if (in.contains("until") && !in["until"].is_null()) {
        auto t = unix_seconds(text_setting(in, "until"));
        if (!t) return fail(Error::validation("until", "a date or timestamp"));
        until = *t;
      } else {
        until = unix_seconds_now() + in.value("seconds", std::int64_t{0});
      }
      std::string at = store::format_timestamp(until * 1000);
      json out = {{"until", at}};
      if (until > unix_seconds_now()) out["waitUntil"] = at;
      return out;
    }
    if (type == "RUN_WORKFLOW") {
      std::string wf = text_setting(in, "workflowId");
      auto active = tx.query_one(kSelectActiveVersion, {{"ws", run_.ws}, {"wf", wf}});
      if (!active) return fail(Error::validation("workflowId", "no workflow with an ACTIVE version has this id"));
      json data = {{"payload", in.value("payload", json::object())}, {"causedByRun", run_.id}};
      auto id = e_.queue_run(tx, run_.ws, wf, RowView(*active, 0).text("id"), "RUN_WORKFLOW", data, run_.depth + 1,
                             "run:" + run_.id + ":" + key + ":" + std::to_string(group));
      return json{{"runId", id ? json(*id) : json(nullptr)}, {"started", id.has_value()}};
    }
    if (type == "EXPIRE_QUOTES") return expire_quotes(tx, a);
    if (type == "MATCH_PROJECT") return match_project(tx, a, text_setting(in, "expenseId"));
    if (type == "BUDGET_REPORT") return budget_report(tx);
    if (type == "FIND_MEMBERS") {
      std::string role = text_setting(in, "role");
      Rows rows = tx.query(kSelectMembers, {{"ws", run_.ws}});
      json members = json::array();
      for (size_t i = 0; i < rows.size(); ++i) {
        RowView r(rows, i);
        if (!role.empty() && r.text("role") != role) continue;
        std::string name = r.text("first_name") + (r.text("last_name").empty() ? "" : " " + r.text("last_name"));
        members.push_back({{"userId", r.text("id")}, {"email", r.text("email")}, {"name", name}, {"role", r.text("role")}});
      }
      return json{{"members", members}, {"count", members.size()}};
    }
    return fail(Error::validation("type", "unknown step type '" + type + "'"));
  }

  Result<json> find_records(const Actor& a, const crm::ObjectDef& o, const json& in) {
    std::vector<std::pair<std::string, std::string>> params;
    if (auto f = text_setting(in, "filter"); !f.empty()) params.emplace_back("filter", f);
    if (auto ob = text_setting(in, "orderBy"); !ob.empty()) params.emplace_back("order_by", ob);
    int limit = in.contains("limit") && in["limit"].is_number_integer() ? in["limit"].get<int>() : 20;
    params.emplace_back("limit", std::to_string(std::clamp(limit, 1, 200)));
    auto q = store::parse_list_query(o.spec, params);
    if (!q) return fail(q.error());
    auto page = e_.records_->list(a, o, *q);
    if (!page) return fail(page.error());
    json first = page->records.empty() ? json(nullptr) : page->records[0];
    return json{{"records", page->records}, {"count", page->records.size()}, {"first", first},
                {"totalCount", page->total_count}, {"totalCountExact", page->total_count_exact}};
  }

  // WF-003: the quotes that expire now, each with its follow-up task (Records does both).
  Result<json> expire_quotes(Tx& tx, const Actor& a) {
    auto expired = e_.records_->expire_due_quotes(tx, a);
    if (!expired) return fail(expired.error());
    json quotes = json::array();
    for (const auto& id : *expired) {
      auto q = e_.records_->get(tx, a, *crm::find_object("quotes"), id);
      if (q) quotes.push_back(*q);
    }
    return json{{"quotes", quotes}, {"count", quotes.size()}};
  }

  // WF-008 (docs/workflows.md): the project an expense belongs to, by these rules in order:
  //  1. code: exactly one open project whose code appears as a word in the description;
  //  2. company and date: exactly one open project of the expense's company whose date
  //     range (either end may be open) holds the expense's date;
  //  3. company: the expense's company has exactly one open project.
  // Otherwise nothing is linked and the candidates are listed (ambiguous, or none).
  Result<json> match_project(Tx& tx, const Actor& a, const std::string& expense_id) {
    auto expense = e_.records_->get(tx, a, *crm::find_object("expenses"), expense_id);
    if (!expense) return fail(Error::validation("expenseId", "no such expense in this workspace"));
    Rows projects = tx.query(
        "SELECT id, code, company_id, start_date, end_date FROM projects WHERE workspace_id = :ws "
        "AND deleted_at IS NULL AND status NOT IN ('Completed', 'Cancelled') ORDER BY id",
        {{"ws", run_.ws}});
    auto result = [&](const std::vector<std::string>& ids, const char* rule) -> json {
      json c = json::array();
      for (const auto& id : ids) c.push_back(id);
      return {{"projectId", ids.size() == 1 ? json(ids[0]) : json(nullptr)},
              {"rule", ids.size() == 1 ? rule : (ids.empty() ? "none" : "ambiguous")},
              {"candidates", c}};
    };
    std::string description = expense->value("description", std::string());
    std::vector<std::string> by_code, by_company_date, by_company;
    std::string company = (*expense)["companyId"].is_string() ? (*expense)["companyId"].get<std::string>() : "";
    std::string day = (*expense)["date"].is_string() ? (*expense)["date"].get<std::string>() : "";
    for (size_t i = 0; i < projects.size(); ++i) {
      RowView p(projects, i);
      if (mentions_code(description, p.text("code"))) by_code.push_back(p.text("id"));
      if (!company.empty() && p.text("company_id") == company) {
        by_company.push_back(p.text("id"));
        bool after_start = p.is_null("start_date") || p.text("start_date") <= day;
        bool before_end = p.is_null("end_date") || day <= p.text("end_date");
        if (after_start && before_end) by_company_date.push_back(p.text("id"));
      }
    }
    if (!by_code.empty()) return result(by_code, "code");
    if (!by_company_date.empty()) return result(by_company_date, "company_and_date");
    return result(by_company, "company");
  }

  // WF-009: budget, spent (expenses in the project's currency), remaining and % used of
  // every open project with a budget.
  Result<json> budget_report(Tx& tx) {
    Rows rows = tx.query(kSelectBudgets, {{"ws", run_.ws}});
    json list = json::array();
    std::string text = "Project budgets\n\n";
    for (size_t i = 0; i < rows.size(); ++i) {
      RowView p(rows, i);
      std::int64_t budget = p.integer("budget"), spent = p.integer("spent");
      std::string currency = p.text("currency").empty() ? "USD" : p.text("currency");
      double used = budget > 0 ? std::round(static_cast<double>(spent) * 1000.0 / static_cast<double>(budget)) / 10.0 : 0.0;
      list.push_back({{"projectId", p.text("id")},
                      {"name", p.text("name")},
                      {"code", p.opt_text("code") ? json(p.text("code")) : json(nullptr)},
                      {"currency", currency},
                      {"budget", budget},
                      {"spent", spent},
                      {"remaining", budget - spent},
                      {"percentUsed", used},
                      {"overBudget", spent > budget},
                      {"expensesInOtherCurrencies", p.integer("other_currency")}});
      text += p.text("name") + (p.text("code").empty() ? "" : " (" + p.text("code") + ")") + ": budget " +
              display_money(budget, currency) + ", spent " + display_money(spent, currency) + ", remaining " +
              display_money(budget - spent, currency) + ", " + fmt_percent(used) + " used" +
              (spent > budget ? " — OVER BUDGET" : "") + "\n";
    }
    if (rows.empty()) text += "No open project has a budget.\n";
    return json{{"rows", list}, {"count", list.size()}, {"text", text}};
  }

  static std::string fmt_percent(double v) {
    char buf[32];
    if (v == std::floor(v)) std::snprintf(buf, sizeof buf, "%.0f%%", v);
    else std::snprintf(buf, sizeof buf, "%.1f%%", v);
    return buf;
  }

  // --- the step types that reach outside Settle ---------------------------------------------
  Result<json> execute_remote(const std::string& type, const json& in, const StepPolicy& policy, const std::string& key,
                              int group, int attempt) {
    if (type == "STRIPE_FINALIZE") {
      std::string object = text_setting(in, "object"), id = text_setting(in, "recordId");
      const crm::ObjectDef* o = crm::find_object(object);
      if (!o || (object != "quotes" && object != "invoices")) return fail(Error::validation("object", "quotes or invoices"));
      Actor a = actor();
      auto current = e_.records_->get(a, *o, id);
      if (!current) return fail(current.error());
      // Resumed after a crash or a failed attempt that came after the move: it is done.
      if (attempt > 1 && (*current)["status"] != "Draft") return current;
      return e_.sync_ ? e_.sync_->act(a, *o, id, "finalize", json::object()) : e_.records_->act(a, *o, id, "finalize", json::object());
    }
    if (type == "STRIPE_SYNC") {
      // WF-002 / WF-006: the quote or invoice the trigger's event names, converged on what
      // Stripe has now (an error is "try again": Stripe unreachable, the record not ready).
      if (!e_.sync_) return json{{"ignored", true}, {"outcome", "Stripe is not configured in this Settle"}};
      const json& event = run_.context["trigger"].value("event", json());
      if (!event.is_object()) return fail(Error::validation("trigger.event", "the run has no Stripe event"));
      bool ignored = false;
      crm::StripeSync::EventTarget target;
      auto applied = e_.sync_->apply_event(run_.ws, event, ignored, &target);
      if (!applied) return fail(applied.error());
      json out = {{"ignored", ignored}, {"outcome", *applied}, {"eventType", event.value("type", std::string())},
                  {"object", target.object.empty() ? json(nullptr) : json(target.object)},
                  {"recordId", target.id.empty() ? json(nullptr) : json(target.id)}, {"record", nullptr}};
      if (!target.id.empty())
        if (auto record = e_.records_->get(actor(), *crm::find_object(target.object), target.id)) out["record"] = *record;
      return out;
    }
    // HTTP_REQUEST
    net::ClientRequest req;
    req.method = in.value("method", std::string("GET"));
    req.url = text_setting(in, "url");
    if (req.url.rfind("http://", 0) != 0 && req.url.rfind("https://", 0) != 0)
      return fail(Error::validation("url", "an http:// or https:// URL"));
    req.timeout_ms = 1000L * std::min(policy.timeout_seconds, e_.options_.http_timeout_ceiling_seconds);
    req.connect_timeout_ms = std::min<long>(req.timeout_ms, 5000);
    if (in.contains("headers") && in["headers"].is_object())
      for (const auto& [k, v] : in["headers"].items()) {
        std::string value = v.is_string() ? v.get<std::string>() : v.dump();
        if (k.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos)
          return fail(Error::validation("headers", "header '" + k + "' has a line break"));
        req.headers.emplace_back(k, value);
      }
    req.headers.emplace_back("Idempotency-Key", "settle-wf-" + run_.id + "-" + key + "-" + std::to_string(group));
    req.headers.emplace_back("User-Agent", "Settle-Workflows/1");
    if (in.contains("body") && !in["body"].is_null()) {
      req.body = in["body"].is_string() ? in["body"].get<std::string>() : in["body"].dump();
      req.headers.emplace_back("Content-Type", "application/json");
    }
    auto r = net::perform(req);
    if (!r) return fail(Error::upstream("the request failed: " + r.error().message, r.error().log));
    json body = json::parse(r->body, nullptr, false);
    if (body.is_discarded()) body = r->body.size() > 65536 ? r->body.substr(0, 65536) : r->body;
    json headers = json::object();
    for (const auto& [k, v] : r->headers) headers[k] = v;
    if (r->status >= 400)
      return fail(Error::upstream("the server answered HTTP " + std::to_string(r->status)));
    return json{{"status", r->status}, {"body", body}, {"headers", headers}};
  }
};

// --- claiming and executing ---------------------------------------------------------------------

Status Engine::release_stale_leases() {
  auto n = records_->db().write<long long>([&](Tx& tx) -> Result<long long> {
    return tx.exec(kReleaseLeases, {{"now", now_text()}, {"mine", options_.instance + "/%"}});
  });
  if (!n) return fail(n.error());
  if (*n > 0) spdlog::info("workflow runs: took up {} run(s) left by this instance's previous process", *n);
  return {};
}

Result<int> Engine::process_due(int limit) {
  auto claimed = records_->db().write<std::vector<Run>>([&](Tx& tx) -> Result<std::vector<Run>> {
    std::string sql = kSelectDueRuns;
    if (tx.dialect() == store::Dialect::Postgres) sql += " FOR UPDATE SKIP LOCKED";
    std::string now = now_text();
    Rows due = tx.query(sql, {{"now", now}, {"n", std::int64_t{limit}}});
    std::vector<Run> runs;
    for (size_t i = 0; i < due.size(); ++i) {
      RowView r(due, i);
      Run run;
      run.ws = r.text("workspace_id");
      run.id = r.text("id");
      run.token = options_.instance + "/" + random_token(6);
      if (tx.exec(kClaimRun, {{"token", run.token}, {"lease", lease_end(options_.lease)}, {"now", now},
                              {"ws", run.ws}, {"id", run.id}, {"due", r.text("next_attempt_at")}}) == 1)
        runs.push_back(std::move(run));
    }
    return runs;
  });
  if (!claimed) return fail(claimed.error());
  for (auto& run : *claimed) execute(run);
  return static_cast<int>(claimed->size());
}

Result<json> Engine::act(const Actor& a, const crm::ObjectDef& o, std::string_view id, std::string_view route_action,
                         const json& body) {
  // The route says mark-uncollectible (URL style), the lifecycle mark_uncollectible.
  std::string action = route_action == "mark-uncollectible" ? "mark_uncollectible" : std::string(route_action);
  // The action as it is without workflows: finalize is the CRM's own (Stripe comes in
  // through WF-001 and WF-005); the others make the same move at Stripe first.
  auto plain = [&]() -> Result<json> {
    if (action == "finalize" || !sync_) return records_->act(a, o, id, action, body);
    return sync_->act(a, o, id, action, body);
  };
  if (!lifecycle_action_exists(o.name, action)) return plain();

  auto versions = records_->db().read<Rows>([&](Tx& tx) -> Result<Rows> {
    return tx.query(kSelectActionVersions, {{"ws", a.workspace_id}, {"object", o.name}});
  });
  if (!versions) return fail(versions.error());
  std::vector<std::pair<std::string, std::string>> wanted;  // version id, workflow id
  for (size_t i = 0; i < versions->size(); ++i) {
    RowView v(*versions, i);
    if (parse_json_text(v.text("definition"))["trigger"].value("action", std::string()) == action)
      wanted.emplace_back(v.text("id"), v.text("workflow_id"));
  }
  if (wanted.empty()) return plain();

  // A refused action starts no run: it is tried in a transaction that is rolled back.
  constexpr const char* kDryRun = "dry run of the action";
  json before;
  auto tried = records_->db().write<bool>([&](Tx& tx) -> Result<bool> {
    auto record = records_->get(tx, a, o, id);
    if (!record) return fail(record.error());
    before = *record;
    auto done = records_->act(tx, a, o, id, action, body);
    if (!done) return fail(done.error());
    return fail(Error{ErrorCode::Conflict, kDryRun, {}, kDryRun, nullptr});
  });
  if (!tried && tried.error().log != kDryRun) return fail(tried.error());

  // The runs, inserted claimed by this request, then executed here one after the other.
  json data = {{"object", o.name},
               {"action", action},
               {"record", before},
               {"body", body.is_object() ? body : json::object()},
               {"startedBy", a.label},
               {"actor", {{"userId", a.user_id}, {"label", a.label}, {"role", a.role == crm::Role::Admin ? "ADMIN" : "MEMBER"}}}};
  std::vector<Run> runs;
  auto queued = records_->db().write<bool>([&](Tx& tx) -> Result<bool> {
    runs.clear();
    for (const auto& [version, workflow] : wanted) {
      Run run;
      run.ws = a.workspace_id;
      run.token = options_.instance + "/" + random_token(6);
      auto rid = queue_run(tx, a.workspace_id, workflow, version, "ACTION", data, a.workflow_depth, std::nullopt, false,
                           run.token);
      if (!rid) continue;  // stopped at the depth limit (recorded as a failed run)
      run.id = *rid;
      runs.push_back(std::move(run));
    }
    return true;
  });
  if (!queued) return fail(queued.error());
  if (runs.empty())
    return fail(Error::conflict("the workflows of this action were stopped: a chain of workflow runs reached the depth "
                                "limit"));
  for (auto& run : runs) {
    execute(run);
    if (run.outcome == kRunFailed) return fail(run.failure ? *run.failure : Error::conflict("the workflow run failed"));
    if (run.outcome == kRunRunning)
      return fail(Error{ErrorCode::Unavailable,
                        "the workflow run " + run.id + " stopped before it ended; it is taken up again within a minute",
                        {}, {}, nullptr});
  }
  auto after = records_->get(a, o, id);
  if (!after) return fail(after.error());
  bool all_done = std::all_of(runs.begin(), runs.end(), [](const Run& r) { return r.outcome == kRunCompleted; });
  if ((*after)["status"] == before["status"] && (*after)["invoiceId"] == before["invoiceId"])
    return all_done ? plain() : *after;  // a run still waiting has the action to itself
  if (o.name == "orders" && action == "invoice" && (*after)["invoiceId"].is_string())
    return records_->get(a, *crm::find_object("invoices"), (*after)["invoiceId"].get<std::string>());
  return *after;
}

void Engine::execute(Run& run) {
  auto loaded = records_->db().read<bool>([&](Tx& tx) -> Result<bool> {
    auto row = tx.query_one(kSelectRunToExecute, {{"ws", run.ws}, {"id", run.id}, {"token", run.token}});
    if (!row) return false;
    RowView r(*row, 0);
    run.workflow_id = r.text("workflow_id");
    run.version_id = r.text("version_id");
    run.workflow_name = r.text("name");
    run.depth = static_cast<int>(r.integer("depth"));
    run.steps_executed = r.integer("steps_executed");
    run.definition = parse_json_text(r.text("definition"));
    run.max_steps = max_steps_per_run(run.definition);
    run.context = {{"trigger", parse_json_text(r.text("trigger_data"))},
                   {"workflow", {{"id", run.workflow_id}, {"name", run.workflow_name}}},
                   {"workspace", {{"id", run.ws}, {"name", r.text("workspace_name")}, {"timeZone", r.text("time_zone")}}},
                   {"run", {{"id", run.id}}},
                   {"now", now_text()},
                   {"steps", json::object()}};
    Rows steps = tx.query(kSelectStepRows, {{"ws", run.ws}, {"id", run.id}});
    for (size_t i = 0; i < steps.size(); ++i) {
      RowView s(steps, i);
      Run::Row& row_state = run.rows[s.text("step_key")];
      row_state.status = s.text("status");
      row_state.attempts = static_cast<int>(s.integer("attempts"));
      row_state.group = static_cast<int>(s.integer("attempt_group"));
      row_state.output = parse_json_text(s.text("output"));
      row_state.error = s.text("error");
      row_state.retry_at = s.text("retry_at");
      row_state.log = parse_json_text(s.text("attempt_log"));
    }
    return true;
  });
  if (!loaded || !*loaded) {
    if (!loaded) spdlog::error("workflow run {}: {}", run.id, loaded.error().log);
    return;
  }
  StepRunner runner(*this, run);
  StepRunner::Flow flow;
  try {
    flow = runner.walk(run.definition.value("steps", json::array()), "");
  } catch (const std::exception& e) {
    // A bug or a storage failure: the run is taken up again when its lease ends.
    spdlog::error("workflow run {}: {}", run.id, e.what());
    return;
  }
  if (flow == StepRunner::Flow::LeaseLost) {
    spdlog::info("workflow run {}: its lease ran out and another processor took it", run.id);
    return;
  }
  std::string now = now_text();
  store::Params p{{"ws", run.ws}, {"id", run.id}, {"token", run.token}, {"now", now}};
  run.outcome = flow == StepRunner::Flow::Pause    ? kRunWaiting
                : flow == StepRunner::Flow::Failed ? kRunFailed
                                                   : kRunCompleted;
  if (flow == StepRunner::Flow::Failed)
    run.failure = runner.fail_cause ? *runner.fail_cause : Error::conflict(runner.fail_error);
  if (flow == StepRunner::Flow::Pause) {
    p.insert(p.end(), {{"status", std::string(kRunWaiting)}, {"error", nullptr}, {"step", nullptr}, {"ended", nullptr},
                       {"next", runner.pause_until}});
  } else if (flow == StepRunner::Flow::Failed) {
    p.insert(p.end(), {{"status", std::string(kRunFailed)}, {"error", runner.fail_error}, {"step", runner.fail_step},
                       {"ended", now}, {"next", nullptr}});
  } else {
    p.insert(p.end(), {{"status", std::string(kRunCompleted)}, {"error", nullptr}, {"step", nullptr}, {"ended", now},
                       {"next", nullptr}});
  }
  auto st = records_->db().write<long long>([&](Tx& tx) -> Result<long long> { return tx.exec(kEndRun, p); });
  if (!st) spdlog::error("workflow run {}: {}", run.id, st.error().log);
}

}  // namespace settle::workflow
