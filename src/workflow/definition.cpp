#include "workflow/definition.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "crm/objects.hpp"
#include "mail/templates.hpp"
#include "store/query.hpp"
#include "workflow/cron.hpp"
#include "workflow/template.hpp"

namespace settle::workflow {

namespace {

const std::map<std::string, TriggerType, std::less<>>& trigger_names() {
  static const std::map<std::string, TriggerType, std::less<>> kNames = {
      {"RECORD_CREATED", TriggerType::RecordCreated}, {"RECORD_UPDATED", TriggerType::RecordUpdated},
      {"RECORD_DELETED", TriggerType::RecordDeleted}, {"STRIPE_EVENT", TriggerType::StripeEvent},
      {"SCHEDULE", TriggerType::Schedule},            {"MANUAL", TriggerType::Manual},
      {"WEBHOOK", TriggerType::Webhook},              {"ACTION", TriggerType::Action}};
  return kNames;
}

// The settings of each step type: which are required, which hold templates (every string
// setting does; these are only the ones that must be present).
struct StepType {
  std::vector<std::string> required;
  bool needs_object = false;  // `object` must name a CRM object
};

const std::map<std::string, StepType, std::less<>>& step_types() {
  static const std::map<std::string, StepType, std::less<>> kTypes = {
      {"CREATE_RECORD", {{"object", "values"}, true}},
      {"UPDATE_RECORD", {{"object", "recordId", "values"}, true}},
      {"DELETE_RECORD", {{"object", "recordId"}, true}},
      {"FIND_RECORDS", {{"object"}, true}},
      {"UPSERT_RECORD", {{"object", "match"}, true}},
      {"CREATE_TASK", {{"title"}, false}},
      {"SEND_EMAIL", {{"to"}, false}},  // and a template, or a subject and a body (below)
      {"HTTP_REQUEST", {{"url"}, false}},
      {"IF", {{"condition"}, false}},
      {"FILTER", {{"condition"}, false}},
      {"ITERATOR", {{"items", "steps"}, false}},
      {"DELAY", {{}, false}},
      {"STRIPE_FINALIZE", {{"object", "recordId"}, false}},
      {"STRIPE_SYNC", {{}, false}},
      {"RECORD_ACTION", {{"object", "recordId", "action"}, true}},
      {"RUN_WORKFLOW", {{"workflowId"}, false}},
      {"EXPIRE_QUOTES", {{}, false}},
      {"MATCH_PROJECT", {{"expenseId"}, false}},
      {"BUDGET_REPORT", {{}, false}},
      {"FIND_MEMBERS", {{}, false}},
  };
  return kTypes;
}

// Settings that are not templates (structure, or checked on their own).
const std::set<std::string, std::less<>> kStructural = {"id",    "type",     "name",  "retry", "continueOnFailure",
                                                        "timeoutSeconds", "then", "else", "steps", "condition"};

// A step id is a template path segment ({{steps.<id>.x}}), which must start with a letter.
bool valid_step_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || id[0] < 'a' || id[0] > 'z') return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// What the trigger makes available as variables.
std::vector<std::string> trigger_variables(TriggerType type) {
  std::vector<std::string> known = {"workflow.*", "workspace.*", "run.*", "now"};
  switch (type) {
    case TriggerType::RecordCreated:
    case TriggerType::RecordDeleted:
      known.push_back("trigger.record.*");
      break;
    case TriggerType::RecordUpdated:
      known.insert(known.end(), {"trigger.record.*", "trigger.before.*", "trigger.changedFields.*"});
      break;
    case TriggerType::StripeEvent:
      known.insert(known.end(), {"trigger.event.*", "trigger.object.*"});
      break;
    case TriggerType::Schedule:
      known.insert(known.end(), {"trigger.scheduledAt", "trigger.localTime"});
      break;
    case TriggerType::Manual:
      known.insert(known.end(), {"trigger.record.*", "trigger.payload.*"});
      break;
    case TriggerType::Webhook:
      known.insert(known.end(), {"trigger.body.*", "trigger.headers.*"});
      break;
    case TriggerType::Action:
      known.insert(known.end(), {"trigger.record.*", "trigger.object", "trigger.action", "trigger.body.*",
                                 "trigger.startedBy"});
      break;
  }
  return known;
}

class Checker {
 public:
  std::vector<Problem> problems;

  void problem(std::string field, std::string message) { problems.push_back({std::move(field), std::move(message)}); }

  void check_trigger(const json& t, TriggerType& type_out, bool& ok) {
    ok = false;
    trigger_ok_ = false;
    if (!t.is_object()) return problem("trigger", "a trigger is required");
    auto type_text = t.value("type", json()).is_string() ? t["type"].get<std::string>() : std::string();
    auto type = parse_trigger_type(type_text);
    if (!type) return problem("trigger.type", "unknown trigger type '" + type_text + "'");
    type_out = *type;
    trigger_ = *type;
    trigger_ok_ = true;
    ok = true;
    bool record = *type == TriggerType::RecordCreated || *type == TriggerType::RecordUpdated ||
                  *type == TriggerType::RecordDeleted;
    const crm::ObjectDef* object = nullptr;
    if (record || (*type == TriggerType::Manual && t.contains("object") && !t["object"].is_null())) {
      std::string name = t.value("object", json()).is_string() ? t["object"].get<std::string>() : "";
      object = crm::find_object(name);
      if (!object) problem("trigger.object", name.empty() ? "an object is required" : "no object '" + name + "'");
    }
    if (object && t.contains("filter") && t["filter"].is_string() && !t["filter"].get<std::string>().empty()) {
      if (auto f = store::parse_filter(object->spec, t["filter"].get<std::string>()); !f)
        problem("trigger.filter", f.error().message);
    }
    if (object && *type == TriggerType::RecordUpdated && t.contains("fields")) {
      if (!t["fields"].is_array()) {
        problem("trigger.fields", "a list of field names");
      } else {
        for (size_t i = 0; i < t["fields"].size(); ++i) {
          const json& f = t["fields"][i];
          if (!f.is_string() || !object->field(f.get<std::string>()))
            problem("trigger.fields[" + std::to_string(i) + "]",
                    "no field '" + (f.is_string() ? f.get<std::string>() : f.dump()) + "' on " + object->name);
        }
      }
    }
    if (*type == TriggerType::StripeEvent) {
      const json& types = t.value("eventTypes", json());
      if (!types.is_array() || types.empty()) problem("trigger.eventTypes", "at least one Stripe event type ('*' for any)");
      else
        for (size_t i = 0; i < types.size(); ++i)
          if (!types[i].is_string() || types[i].get<std::string>().empty())
            problem("trigger.eventTypes[" + std::to_string(i) + "]", "an event type such as invoice.paid");
    }
    if (*type == TriggerType::Schedule) {
      std::string cron = t.value("cron", json()).is_string() ? t["cron"].get<std::string>() : "";
      if (auto c = parse_cron(cron); !c) problem("trigger.cron", c.error().message);
      std::string tz = t.value("timezone", json()).is_string() ? t["timezone"].get<std::string>() : "workspace";
      if (tz != "workspace")
        if (auto st = check_time_zone(tz); !st) problem("trigger.timezone", st.error().message);
    }
    if (*type == TriggerType::Action) {
      std::string name = t.value("object", json()).is_string() ? t["object"].get<std::string>() : "";
      std::string action = t.value("action", json()).is_string() ? t["action"].get<std::string>() : "";
      if (name != "quotes" && name != "orders" && name != "invoices")
        problem("trigger.object", "quotes, orders or invoices (the objects with lifecycle actions)");
      else if (!lifecycle_action_exists(name, action))
        problem("trigger.action", "no action '" + action + "' on " + name);
    }
    if (*type == TriggerType::Webhook) {
      std::string auth = t.value("auth", json()).is_string() ? t["auth"].get<std::string>() : "";
      if (auth != "apiKey" && auth != "signature") problem("trigger.auth", "apiKey or signature");
    }
  }

  // `known`: the variables usable here (trigger's, earlier steps', item/index in iterators).
  void check_steps(const json& steps, const std::string& path, std::vector<std::string> known) {
    if (!steps.is_array()) return problem(path, "a list of steps");
    for (size_t i = 0; i < steps.size(); ++i) {
      std::string at = path + "[" + std::to_string(i) + "]";
      const json& s = steps[i];
      if (!s.is_object()) {
        problem(at, "a step is an object");
        continue;
      }
      std::string id = s.value("id", json()).is_string() ? s["id"].get<std::string>() : "";
      if (!valid_step_id(id)) problem(at + ".id", "an id of lower-case letters, digits and _, starting with a letter (at most 64)");
      else if (!ids_.insert(id).second) problem(at + ".id", "another step has the id '" + id + "'");
      std::string type = s.value("type", json()).is_string() ? s["type"].get<std::string>() : "";
      auto it = step_types().find(type);
      if (it == step_types().end()) {
        problem(at + ".type", "unknown step type '" + type + "'");
        continue;
      }
      for (const auto& r : it->second.required)
        if (!s.contains(r) || s[r].is_null() || (s[r].is_string() && s[r].get<std::string>().empty()))
          problem(at + "." + r, r + " is required");
      if (type == "SEND_EMAIL") {
        // A mail template of the workspace's (Settings, Mail) with its model in `data`, or
        // the step's own subject and body.
        if (s.contains("template") && !s["template"].is_null()) {
          if (!s["template"].is_string() || !mail::workflow_may_send(s["template"].get<std::string>()))
            problem(at + ".template", "a customer mail template: payment_failed, welcome, payment_receipt, quote_sent, "
                                      "invoice_sent or invoice_reminder_1..3");
          if (s.contains("data") && !s["data"].is_null() && !s["data"].is_object())
            problem(at + ".data", "an object: the template's model, {\"invoice\": {\"number\": \"...\"}}");
        } else {
          for (const char* r : {"subject", "body"})
            if (!s.contains(r) || s[r].is_null() || (s[r].is_string() && s[r].get<std::string>().empty()))
              problem(at + "." + r, std::string(r) + " is required (or a template)");
        }
      }
      if (it->second.needs_object && s.value("object", json()).is_string() &&
          !crm::find_object(s["object"].get<std::string>()))
        problem(at + ".object", "no object '" + s["object"].get<std::string>() + "'");
      if (type == "STRIPE_FINALIZE" && s.value("object", json()) != "quotes" && s.value("object", json()) != "invoices")
        problem(at + ".object", "quotes or invoices");
      if (type == "STRIPE_SYNC" && trigger_ok_ && trigger_ != TriggerType::StripeEvent)
        problem(at + ".type", "STRIPE_SYNC applies the trigger's Stripe event: only in a STRIPE_EVENT workflow");
      if (type == "RECORD_ACTION" && s.value("object", json()).is_string() && s.value("action", json()).is_string() &&
          !record_action_allowed(s["object"].get<std::string>(), s["action"].get<std::string>()))
        problem(at + ".action", "an order's start, fulfill, cancel or invoice");
      if (type == "DELAY" && !s.contains("seconds") && !s.contains("until"))
        problem(at + ".seconds", "seconds or until is required");
      if (type == "DELAY" && s.contains("seconds") && !(s["seconds"].is_number_integer() && s["seconds"].get<long long>() >= 0 &&
                                                        s["seconds"].get<long long>() <= 90LL * 86400))
        problem(at + ".seconds", "a whole number of seconds, at most 90 days");
      if (type == "HTTP_REQUEST") {
        std::string method = s.value("method", json("GET")).is_string() ? s.value("method", std::string("GET")) : "";
        static const std::set<std::string> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
        if (!kMethods.count(method)) problem(at + ".method", "GET, POST, PUT, PATCH or DELETE");
      }
      if (type == "SEND_EMAIL" && s.contains("attach") && !s["attach"].is_null()) {
        const json& a = s["attach"];
        if (!a.is_object() || (a.value("object", json()) != "quotes" && a.value("object", json()) != "invoices"))
          problem(at + ".attach.object", "quotes or invoices");
        else if (!a.contains("recordId"))
          problem(at + ".attach.recordId", "recordId is required");
      }
      check_policy(s, at);
      // Every other setting may hold templates.
      for (const auto& [key, value] : s.items())
        if (!kStructural.count(key)) check_templates(value, at + "." + key, known);
      if (s.contains("condition")) {
        auto refs = condition_references(s["condition"], at + ".condition");
        if (!refs) problem(refs.error().field.empty() ? at + ".condition" : refs.error().field, refs.error().message);
        else check_known(*refs, at + ".condition", known);
      }
      if (type == "IF") {
        if (s.contains("then")) check_steps(s["then"], at + ".then", known);
        if (s.contains("else")) check_steps(s["else"], at + ".else", known);
      }
      if (type == "ITERATOR" && s.contains("steps")) {
        auto inner = known;
        inner.insert(inner.end(), {"item", "item.*", "index"});
        check_steps(s["steps"], at + ".steps", inner);
      }
      if (valid_step_id(id)) known.push_back("steps." + id + ".*");
    }
  }

 private:
  std::set<std::string> ids_;
  TriggerType trigger_ = TriggerType::Manual;
  bool trigger_ok_ = false;

  void check_policy(const json& s, const std::string& at) {
    if (s.contains("retry") && !s["retry"].is_null()) {
      const json& r = s["retry"];
      if (!r.is_object()) return problem(at + ".retry", "{maxAttempts, baseSeconds}");
      if (r.contains("maxAttempts") && !(r["maxAttempts"].is_number_integer() && r["maxAttempts"].get<int>() >= 1 &&
                                         r["maxAttempts"].get<int>() <= kMaxStepAttempts))
        problem(at + ".retry.maxAttempts", "from 1 to " + std::to_string(kMaxStepAttempts));
      if (r.contains("baseSeconds") && !(r["baseSeconds"].is_number_integer() && r["baseSeconds"].get<int>() >= 1 &&
                                         r["baseSeconds"].get<int>() <= 3600))
        problem(at + ".retry.baseSeconds", "from 1 to 3600");
    }
    if (s.contains("timeoutSeconds") && !(s["timeoutSeconds"].is_number_integer() &&
                                          s["timeoutSeconds"].get<int>() >= 1 && s["timeoutSeconds"].get<int>() <= 300))
      problem(at + ".timeoutSeconds", "from 1 to 300");
    if (s.contains("continueOnFailure") && !s["continueOnFailure"].is_boolean())
      problem(at + ".continueOnFailure", "true or false");
  }

  void check_templates(const json& value, const std::string& at, const std::vector<std::string>& known) {
    if (value.is_string()) {
      auto refs = template_references(value.get<std::string>(), at);
      if (!refs) return problem(at, refs.error().message);
      check_known(*refs, at, known);
    } else if (value.is_object()) {
      for (const auto& [k, v] : value.items()) check_templates(v, at + "." + k, known);
    } else if (value.is_array()) {
      for (size_t i = 0; i < value.size(); ++i) check_templates(value[i], at + "[" + std::to_string(i) + "]", known);
    }
  }

  void check_known(const std::vector<std::string>& refs, const std::string& at, const std::vector<std::string>& known) {
    if (auto unknown = first_unknown_reference(refs, known))
      problem(at, "variable '" + *unknown + "' does not exist here" +
                      (unknown->rfind("steps.", 0) == 0 ? " (a step can use only the steps before it)" : ""));
  }
};

}  // namespace

std::string_view to_string(TriggerType type) {
  for (const auto& [name, t] : trigger_names())
    if (t == type) return name;
  return "MANUAL";
}

std::optional<TriggerType> parse_trigger_type(std::string_view text) {
  auto it = trigger_names().find(text);
  if (it == trigger_names().end()) return std::nullopt;
  return it->second;
}

std::vector<Problem> check_definition(const json& d) {
  Checker c;
  if (!d.is_object()) {
    c.problem("definition", "a definition is an object with trigger and steps");
    return c.problems;
  }
  TriggerType type = TriggerType::Manual;
  bool ok = false;
  c.check_trigger(d.value("trigger", json()), type, ok);
  if (!d.contains("steps") || !d["steps"].is_array() || d["steps"].empty()) {
    c.problem("steps", "at least one step");
  } else if (ok) {
    c.check_steps(d["steps"], "steps", trigger_variables(type));
  }
  if (d.contains("settings") && d["settings"].is_object() && d["settings"].contains("maxStepsPerRun")) {
    const json& m = d["settings"]["maxStepsPerRun"];
    if (!m.is_number_integer() || m.get<int>() < 1 || m.get<int>() > kMaxStepsPerRunCeiling)
      c.problem("settings.maxStepsPerRun", "from 1 to " + std::to_string(kMaxStepsPerRunCeiling));
  }
  return c.problems;
}

Status definition_error(const std::vector<Problem>& problems) {
  if (problems.empty()) return {};
  Error e = Error::validation(problems.front().field, problems.front().field + ": " + problems.front().message);
  json all = json::array();
  for (const auto& p : problems) all.push_back({{"field", p.field}, {"message", p.message}});
  e.details = {{"problems", all}};
  return fail(std::move(e));
}

TriggerType trigger_type(const json& d) {
  auto t = parse_trigger_type(d["trigger"].value("type", std::string()));
  return t ? *t : TriggerType::Manual;
}

StepPolicy step_policy(const json& s) {
  StepPolicy p;
  if (s.contains("retry") && s["retry"].is_object()) {
    p.max_attempts = s["retry"].value("maxAttempts", 1);
    p.base_seconds = s["retry"].value("baseSeconds", 2);
  }
  p.continue_on_failure = s.value("continueOnFailure", false);
  p.timeout_seconds = s.value("timeoutSeconds", 30);
  return p;
}

int max_steps_per_run(const json& d) {
  if (d.contains("settings") && d["settings"].is_object())
    return d["settings"].value("maxStepsPerRun", kDefaultMaxStepsPerRun);
  return kDefaultMaxStepsPerRun;
}

bool step_leaves_settle(std::string_view type) {
  return type == "HTTP_REQUEST" || type == "STRIPE_FINALIZE" || type == "STRIPE_SYNC";
}

bool record_action_allowed(std::string_view object, std::string_view action) {
  return object == "orders" && (action == "start" || action == "fulfill" || action == "cancel" || action == "invoice");
}

bool lifecycle_action_exists(std::string_view object, std::string_view action) {
  if (object == "quotes") return action == "finalize" || action == "accept" || action == "cancel";
  if (object == "orders") return action == "start" || action == "fulfill" || action == "cancel" || action == "invoice";
  if (object == "invoices") return action == "finalize" || action == "void" || action == "mark_uncollectible";
  return false;
}

}  // namespace settle::workflow
