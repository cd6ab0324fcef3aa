// Shared set-up of the security suites under tests/security/: a workspace seeded over the
// API with one record of every object and one of everything an ADMIN manages; the
// operations of /rest/openapi.json with their path parameters filled in from a workspace;
// and snapshots of every row a workspace owns, to show that a sweep of requests changed
// nothing. The OpenAPI document, not a list written here, says which operations exist.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "billing/lifecycle.hpp"
#include "crm/objects.hpp"
#include "harness.hpp"
#include "sandbox/sandbox.hpp"
#include "stripe/webhook_signature.hpp"

namespace settle::testing::security {

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

inline std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

inline bool is_2xx(int status) { return status >= 200 && status < 300; }

// The `data` of a call that must succeed; set-up cannot go on without it, hence the throw
// (GoogleTest reports it as the test's failure).
inline json data_of(TestServer& srv, const std::string& method, const std::string& path, const json& body,
                    const std::string& key, const std::string& cookie = {}) {
  Reply r = srv.call(method, path, body, key, cookie);
  if (!is_2xx(r.status)) throw std::runtime_error("set-up: " + method + " " + path + " -> " + r.raw);
  return r.body["data"];
}

// Delivers a Stripe webhook as Stripe does: no credentials, the Stripe-Signature header only.
inline Reply deliver_webhook(TestServer& srv, const std::string& subdomain, const std::string& payload,
                             const std::string& signing_secret) {
  return srv.call("POST", "/api/webhooks/stripe/" + subdomain, nullptr, {}, {}, payload, true,
                  {{"Stripe-Signature", stripe::sign_payload(payload, signing_secret, unix_now())}});
}

// An event Settle stores and then ignores (it uses no customer events), so that the
// background processor has nothing left to do with it once it is settled.
inline std::string ignored_event(const std::string& id) {
  return json{{"id", id},
              {"object", "event"},
              {"type", "customer.created"},
              {"created", unix_now()},
              {"livemode", false},
              {"api_version", "2026-10-28.endive"},
              {"data", {{"object", {{"id", "cus_" + id}, {"object", "customer"}}}}}}
      .dump();
}

// One workspace and what was made in it, by kind.
struct Workspace {
  std::string id, subdomain, admin_key, admin_user;
  std::string marker;  // in every name and note of its records: found in an answer, it leaked
  std::string member_user, member_email, member_password, member_key, member_session;
  std::string signing_secret;  // its Stripe webhook signing secret
  std::map<std::string, std::vector<std::string>> records;  // object name -> ids
  std::vector<std::string> users, api_key_ids, domain_ids, event_ids;
  // Its workflows (its own and the built-ins), their versions and one run of its own.
  std::vector<std::string> workflow_ids, workflow_version_ids, workflow_run_ids;
  std::vector<std::string> outbox_ids;  // its queued mail (the invitation, the domain validation)

  std::vector<std::string> all_ids() const {
    std::vector<std::string> out = {id, marker};
    for (const auto& [object, ids] : records) out.insert(out.end(), ids.begin(), ids.end());
    for (const auto* list : {&users, &api_key_ids, &domain_ids, &event_ids, &workflow_ids, &workflow_version_ids,
                             &workflow_run_ids, &outbox_ids})
      out.insert(out.end(), list->begin(), list->end());
    return out;
  }
  const std::string& first(const std::string& object) const { return records.at(object).front(); }
};

inline constexpr const char* kMemberPassword = "a long member password";

// Seeds `made` over the API with its ADMIN key: a company, person, product, project; quotes
// Draft, Open and Accepted; the accepted quote's order taken to an Open invoice with a
// payment, a second order and a Draft invoice; an expense, a task and a note. Then a MEMBER
// user (signed in) and a MEMBER key, an approved domain, a settled Stripe event, and a
// manual workflow of its own (besides the built-ins) with one completed run.
inline Workspace seed_workspace(TestServer& srv, const crm::NewWorkspace& made, const std::string& subdomain,
                                const std::string& mail_domain) {
  Workspace w;
  w.id = made.workspace_id;
  w.subdomain = subdomain;
  w.admin_key = made.api_key;
  w.admin_user = made.user_id;
  w.marker = "mark-" + subdomain + "-" + random_id("").substr(0, 10);
  auto call = [&](const std::string& method, const std::string& path, const json& body = json::object()) {
    return data_of(srv, method, path, body, w.admin_key);
  };
  auto keep = [&](const std::string& object, const json& record) {
    w.records[object].push_back(record["id"].get<std::string>());
    return record["id"].get<std::string>();
  };
  std::string company = keep("companies", call("POST", "/rest/companies", {{"name", w.marker + " company"}}));
  std::string person = keep("people", call("POST", "/rest/people", {{"firstName", w.marker}, {"companyId", company}}));
  std::string product = keep("products", call("POST", "/rest/products",
                                              {{"name", w.marker + " product"}, {"unitAmount", 1000}, {"currency", "USD"}}));
  std::string project = keep("projects", call("POST", "/rest/projects", {{"name", w.marker + " project"}, {"companyId", company}}));
  json lines = {{{"description", w.marker + " line"}, {"quantity", 1}, {"unitAmount", 1000}, {"productId", product}}};
  auto document = [&](const std::string& object, const json& extra) {
    json body = {{"companyId", company}, {"lineItems", lines}, {object == "orders" ? "fulfillmentNotes" : "notes", w.marker}};
    body.update(extra);
    return keep(object, call("POST", "/rest/" + object, body));
  };
  document("quotes", {{"personId", person}});  // Draft
  call("POST", "/rest/quotes/" + document("quotes", {{"personId", person}}) + "/finalize");  // Open
  std::string accepted = document("quotes", {{"personId", person}});
  call("POST", "/rest/quotes/" + accepted + "/finalize");
  std::string order = call("POST", "/rest/quotes/" + accepted + "/accept")["orderId"].get<std::string>();
  w.records["orders"].push_back(order);
  call("POST", "/rest/orders/" + order + "/start");
  call("POST", "/rest/orders/" + order + "/fulfill");
  std::string open_invoice = keep("invoices", call("POST", "/rest/orders/" + order + "/invoice"));
  call("POST", "/rest/invoices/" + open_invoice + "/finalize");
  keep("payments", call("POST", "/rest/payments", {{"invoiceId", open_invoice}, {"amount", 100}, {"notes", w.marker}}));
  document("orders", {{"projectId", project}});  // Pending Fulfillment
  document("invoices", {{"projectId", project}});  // Draft
  keep("expenses", call("POST", "/rest/expenses", {{"description", w.marker + " expense"}, {"amount", 500}, {"currency", "USD"},
                                                   {"date", "2026-11-30"}, {"projectId", project}}));
  keep("tasks", call("POST", "/rest/tasks", {{"title", w.marker + " task"}, {"targetObject", "companies"},
                                             {"targetId", company}, {"assigneeId", w.admin_user}}));
  keep("notes", call("POST", "/rest/notes", {{"title", w.marker + " note"}, {"body", w.marker},
                                             {"targetObject", "companies"}, {"targetId", company}}));

  w.member_email = "member@" + mail_domain;
  w.member_password = kMemberPassword;
  w.member_user = call("POST", "/rest/workspace-members",
                       {{"email", w.member_email}, {"password", w.member_password}, {"role", "MEMBER"}})["userId"]
                      .get<std::string>();
  w.users = {w.admin_user, w.member_user};
  Reply login = srv.call("POST", "/auth/login",
                         {{"email", w.member_email}, {"password", w.member_password}, {"workspace", subdomain}});
  if (login.status != 200) throw std::runtime_error("set-up: member sign-in -> " + login.raw);
  w.member_session = session_from(login);
  w.member_key = call("POST", "/rest/api-keys", {{"name", w.marker + " key"}, {"role", "MEMBER"}})["key"].get<std::string>();
  for (const auto& k : call("GET", "/rest/api-keys")) w.api_key_ids.push_back(k["id"]);
  w.domain_ids = {call("POST", "/rest/approved-domains", {{"domain", mail_domain}})["id"].get<std::string>()};
  for (const auto& m : call("GET", "/rest/outbox")) w.outbox_ids.push_back(m["id"]);

  w.signing_secret = "whsec_" + random_token(24);
  call("PUT", "/rest/settings/stripe", {{"webhookSecrets", {w.signing_secret}}});
  std::string event = "evt_" + random_id("").substr(0, 16);
  Reply delivered = deliver_webhook(srv, subdomain, ignored_event(event), w.signing_secret);
  if (delivered.status != 200) throw std::runtime_error("set-up: webhook -> " + delivered.raw);
  w.event_ids = {event};

  json workflow = call("POST", "/rest/workflows",
                       {{"name", w.marker + " workflow"},
                        {"definition",
                         {{"trigger", {{"type", "MANUAL"}}},
                          {"steps", json::array({{{"id", "task"}, {"type", "CREATE_TASK"}, {"title", w.marker + " run task"}}})}}}});
  call("POST", "/rest/workflow-versions/" + workflow["draftVersionId"].get<std::string>() + "/activate");
  json runs = call("POST", "/rest/workflows/" + workflow["id"].get<std::string>() + "/run", {{"payload", {{"marker", w.marker}}}});
  w.workflow_run_ids = {runs["runs"][0]["id"].get<std::string>()};

  // The background processor settles the event, finishes the run and installs the built-in
  // workflows; a snapshot taken before that would see them move.
  for (int i = 0; i < 200; ++i) {
    auto events = call("GET", "/rest/stripe/events");
    auto run = call("GET", "/rest/workflow-runs/" + w.workflow_run_ids[0]);
    auto workflows = call("GET", "/rest/workflows?limit=100");
    bool builtins = false;
    for (const auto& wf : workflows) builtins = builtins || wf.value("builtinKey", json()).is_string();
    if (!events.empty() && events[0]["status"] != "pending" && run["status"] == "COMPLETED" && builtins) {
      for (const auto& wf : workflows) {
        w.workflow_ids.push_back(wf["id"]);
        for (const auto& v : call("GET", "/rest/workflow-versions?workflowId=" + wf["id"].get<std::string>()))
          w.workflow_version_ids.push_back(v["id"]);
      }
      return w;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("set-up: the Stripe event, the workflow run or the built-ins of " + subdomain + " never settled");
}

// ---- the OpenAPI document's operations ---------------------------------------------------------

struct Operation {
  std::string path, method;  // method lower-case, as in the document
  std::string access;        // x-settle-access
  json spec;
};

inline std::vector<Operation> operations(const json& doc) {
  std::vector<Operation> out;
  for (const auto& [path, ops] : doc.at("paths").items())
    for (const auto& [method, op] : ops.items()) out.push_back({path, method, op.value("x-settle-access", ""), op});
  return out;
}

// The object whose record schema is the operation's request body (creating or editing a
// record), or nullptr.
inline const crm::ObjectDef* record_body_object(const Operation& op) {
  auto ref = op.spec.value(json::json_pointer("/requestBody/content/application~1json/schema/$ref"), std::string());
  const std::string prefix = "#/components/schemas/";
  return ref.rfind(prefix, 0) == 0 ? crm::find_object(ref.substr(prefix.size())) : nullptr;
}

// `w`'s ids for the path parameter at `brace` of `path`, by what the parameter names: a
// record of the path's object, a member, an API key, an approved domain, a Stripe event.
// Empty when the parameter is of a kind not known here: the caller fails, so that a new
// kind of route cannot pass the sweep unsubstituted.
inline std::vector<std::string> ids_for(const std::string& path, size_t brace, const Workspace& w) {
  std::string name = path.substr(brace + 1, path.find('}', brace) - brace - 1);
  std::string before = path.substr(0, brace - 1);
  std::string segment = before.substr(before.rfind('/') + 1);
  if (name == "userId") return w.users;
  if (name == "kind") return {"invoice_sent"};  // mail templates: the same kinds in every workspace
  if (name != "id") return {};
  if (segment == "api-keys") return w.api_key_ids;
  if (segment == "approved-domains") return w.domain_ids;
  if (segment == "events") return w.event_ids;
  if (segment == "workflows") return w.workflow_ids;
  if (segment == "workflow-versions") return w.workflow_version_ids;
  if (segment == "workflow-runs") return w.workflow_run_ids;
  if (segment == "outbox") return w.outbox_ids;
  auto it = w.records.find(segment);
  return it == w.records.end() ? std::vector<std::string>() : it->second;
}

// Every concrete path of `path` with its parameters replaced by `w`'s ids (all combinations).
inline std::vector<std::string> concrete_paths(const std::string& path, const Workspace& w) {
  size_t brace = path.find('{');
  if (brace == std::string::npos) return {path};
  std::vector<std::string> ids = ids_for(path, brace, w);
  if (ids.empty()) ADD_FAILURE() << "no id of workspace " << w.subdomain << " for the parameter of " << path;
  std::vector<std::string> out;
  size_t close = path.find('}', brace);
  for (const auto& id : ids)
    for (const auto& rest : concrete_paths(path.substr(close + 1), w)) out.push_back(path.substr(0, brace) + id + rest);
  return out;
}

// ---- request bodies from the document's record schemas -------------------------------------------

// The body of a write that takes no record: the fields the workspace's own routes read (a
// member's new role, a key's name), so that such a request gets past its input checks to
// the lookup of what its path names. A record's actions take an empty object.
inline json request_body(const Operation& op) {
  if (!op.spec.contains("requestBody")) return nullptr;
  std::string segment = op.path.substr(6, op.path.find('/', 6) - 6);  // after "/rest/"
  if (op.path.rfind("/rest/", 0) == 0 && crm::find_object(segment)) return json::object();
  return {{"role", "MEMBER"}, {"name", "sweep"}};
}

// A value the schema accepts for a property that is not a reference.
inline json plausible_value(const std::string& name, const json& schema) {
  if (schema.contains("enum")) return schema["enum"][0];
  std::string type = schema.value("type", "string"), format = schema.value("format", "");
  if (type == "integer") return 1;
  if (type == "boolean") return true;
  if (format == "date") return "2026-12-01";
  if (format == "date-time") return "2026-12-01T00:00:00.000Z";
  if (schema.value("maxLength", 0) == 3) return "USD";
  return "sweep " + name;
}

// The reference fields of `object` that a request may set: those of the catalog, plus the
// product of a line item.
inline std::vector<std::string> reference_fields(const crm::ObjectDef& object, bool creating) {
  std::vector<std::string> out;
  for (const auto& f : object.fields) {
    if (f.spec.type != store::FieldType::Id || f.spec.name == "id" || f.access == crm::Access::ReadOnly) continue;
    if (!creating && f.access == crm::Access::CreateOnly) continue;
    out.push_back(f.spec.name);
  }
  if (object.has_line_items) out.push_back("lineItems.productId");
  return out;
}

// Sets reference `field` of `body` to `w`'s record of the kind it names.
inline void set_reference(json& body, const crm::ObjectDef& object, const std::string& field, const Workspace& w) {
  if (field == "lineItems.productId") {
    body["lineItems"] = {{{"description", "sweep line"}, {"quantity", 1}, {"unitAmount", 1}, {"productId", w.first("products")}}};
  } else if (field == "assigneeId") {
    body[field] = w.admin_user;
  } else if (field == "targetId") {
    body["targetObject"] = "companies";
    body[field] = w.first("companies");
  } else {
    body[field] = w.first(object.field(field)->references);
  }
}

// A body that creates a valid record of `object` in `w`, built from the document's schema:
// every required property, and every reference pointing at `w`'s own records.
inline json create_body(const json& doc, const crm::ObjectDef& object, const Workspace& w) {
  const json& schema = doc["components"]["schemas"][object.name];
  json body = json::object();
  for (const auto& name : schema.value("required", json::array())) {
    const json& p = schema["properties"][name.get<std::string>()];
    if (!p.value("readOnly", false)) body[name.get<std::string>()] = plausible_value(name, p);
  }
  // A payment's invoice is w's first: the Open one, which can take it.
  for (const auto& field : reference_fields(object, true)) set_reference(body, object, field, w);
  return body;
}

// An edit any record of `object` accepts in any status, from the document's schema: a note
// field where there is one (they stay editable after a document is finalized), else the
// first required text property.
inline json edit_body(const json& doc, const crm::ObjectDef& object) {
  const json& schema = doc["components"]["schemas"][object.name];
  std::string chosen;
  for (const auto& [name, p] : schema["properties"].items())
    if (billing::field_editable_after_finalize(name) && !p.value("readOnly", false)) chosen = name;
  if (chosen.empty())
    for (const auto& name : schema.value("required", json::array())) {
      const json& p = schema["properties"][name.get<std::string>()];
      if (p.value("type", "") == "string" && !p.contains("format") && !p.contains("enum") && !p.value("readOnly", false)) {
        chosen = name;
        break;
      }
    }
  return chosen.empty() ? json::object() : json{{chosen, "edited by another workspace"}};
}

// ---- snapshots of a workspace's rows ------------------------------------------------------------

// Columns a read may legitimately stamp; none of the others may change in a sweep.
// api_keys.last_used_at: the use of a key may record when it was last used.
inline bool touched_by_reads(const std::string& table, const std::string& column) {
  return table == "api_keys" && column == "last_used_at";
}

using Snapshot = std::map<std::string, std::multiset<std::string>>;  // table -> its rows, rendered

// Every row of every table that belongs to workspace `ws`: the tables with a workspace_id
// column, the workspace itself, and its members' users and their per-user rows. The table
// list is read from the database, so that a new table is covered without an edit here.
inline Snapshot snapshot(TestServer& srv, const std::string& ws) {
  auto snap = srv.db->read<Snapshot>([&](store::Tx& tx) -> Result<Snapshot> {
    store::Rows columns =
        tx.dialect() == store::Dialect::Postgres
            ? tx.query("SELECT table_name AS t, column_name AS c FROM information_schema.columns "
                       "WHERE table_schema = current_schema()")
            : tx.query("SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p "
                       "WHERE m.type = 'table'");
    std::map<std::string, std::set<std::string>> tables;
    for (size_t i = 0; i < columns.size(); ++i) {
      store::RowView r(columns, i);
      tables[r.text("t")].insert(r.text("c"));
    }
    const std::string members = "(SELECT user_id FROM workspace_members WHERE workspace_id = :ws)";
    Snapshot out;
    for (const auto& [table, cols] : tables) {
      std::string where;
      if (cols.count("workspace_id")) where = "workspace_id = :ws";
      else if (table == "workspaces") where = "id = :ws";
      else if (table == "users") where = "id IN " + members;
      else if (cols.count("user_id")) where = "user_id IN " + members;
      else continue;  // not a workspace's: schema_migrations, login_failures (by email and address)
      store::Rows rows = tx.query("SELECT * FROM " + table + " WHERE " + where, {{"ws", ws}});
      auto& rendered = out[table];
      for (size_t i = 0; i < rows.size(); ++i) {
        std::map<std::string, std::string> row;
        for (size_t c = 0; c < rows.columns.size(); ++c) {
          if (touched_by_reads(table, rows.columns[c])) continue;
          const store::SqlValue& v = rows.rows[i][c];
          row[rows.columns[c]] = std::holds_alternative<std::nullptr_t>(v) ? "NULL"
                                 : std::holds_alternative<std::int64_t>(v) ? std::to_string(std::get<std::int64_t>(v))
                                                                          : json(std::get<std::string>(v)).dump();
        }
        rendered.insert(json(row).dump());
      }
    }
    return out;
  });
  if (!snap) throw std::runtime_error("snapshot: " + snap.error().log);
  return *snap;
}

// The tables of `snap` that hold none of the workspace's rows, among those a seeded
// workspace fills (each object's table, and its members, keys, domains, sessions, Stripe
// settings and events): a snapshot that missed them would compare equal for nothing.
inline std::vector<std::string> empty_tables(const Snapshot& snap) {
  std::vector<std::string> tables = {"workspaces", "users", "workspace_members", "api_keys", "sessions", "approved_domains",
                                     "stripe_settings", "stripe_events", "line_items", "timeline_events", "outbox",
                                     "workflows", "workflow_versions", "workflow_runs", "workflow_run_steps",
                                     "workflow_schedules"};
  for (const auto& o : crm::all_objects()) tables.push_back(o.spec.table);
  std::vector<std::string> out;
  for (const auto& t : tables)
    if (!snap.count(t) || snap.at(t).empty()) out.push_back(t);
  return out;
}

// What differs between two snapshots, one line a row ("" when they are the same).
inline std::string snapshot_diff(const Snapshot& before, const Snapshot& after) {
  std::string out;
  std::set<std::string> tables;
  for (const auto& [t, _] : before) tables.insert(t);
  for (const auto& [t, _] : after) tables.insert(t);
  static const std::multiset<std::string> kNone;
  for (const auto& t : tables) {
    const auto& b = before.count(t) ? before.at(t) : kNone;
    const auto& a = after.count(t) ? after.at(t) : kNone;
    for (const auto& row : b)
      if (a.count(row) < b.count(row)) out += "  " + t + " lost or changed: " + row + "\n";
    for (const auto& row : a)
      if (b.count(row) < a.count(row)) out += "  " + t + " gained or changed: " + row + "\n";
  }
  return out;
}

// The first of `needles` found in `haystack`, leaving out those in `sent` (what the request
// itself carried: an answer may name the id it was asked about), or "".
inline std::string first_leaked(const std::string& haystack, const std::vector<std::string>& needles,
                                const std::string& sent = {}) {
  for (const auto& n : needles)
    if (!n.empty() && sent.find(n) == std::string::npos && haystack.find(n) != std::string::npos) return n;
  return {};
}

}  // namespace settle::testing::security
