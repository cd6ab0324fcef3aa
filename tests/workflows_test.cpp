// Workflows end to end, through the real server on both backends: the built-in WF-001
// and WF-005 without Stripe (tests/stripe_sync_test.cpp drives WF-001 ... WF-007 with the
// sandbox), WF-003, WF-004, WF-008, WF-009 and WF-010; ACTION triggers in the request; and
// user workflows' versions, validation, runs, retries with back-off, loop safety,
// webhooks, rate limits and workspace isolation.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "common/dates.hpp"
#include "harness.hpp"
#include "net/server.hpp"
#include "one_workspace.hpp"

namespace settle::testing {
namespace {

using namespace std::chrono_literals;

class WorkflowsTest : public OneWorkspaceTest {
 protected:
  void SetUp() override {
    OneWorkspaceTest::SetUp();
    ASSERT_TRUE(srv->workflows->install_builtins(workspace_id));
  }

  // The id of the built-in with this key.
  std::string builtin(const std::string& builtin_key) { return builtin_workflow_id(*srv, key, builtin_key); }

  json runs_of(const std::string& workflow_id) {
    return call("GET", "/rest/workflow-runs?workflowId=" + workflow_id).body["data"];
  }

  // Waits until the workflow has `count` runs that ended, and answers the newest's detail.
  json wait_for_runs(const std::string& workflow_id, size_t count = 1, std::chrono::milliseconds limit = 15s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    json runs;
    while (std::chrono::steady_clock::now() < deadline) {
      runs = runs_of(workflow_id);
      size_t ended = 0;
      for (const auto& r : runs)
        if (r["status"] == "COMPLETED" || r["status"] == "FAILED") ++ended;
      if (ended >= count && runs.size() >= count) return call("GET", "/rest/workflow-runs/" + runs[0]["id"].get<std::string>()).body["data"];
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "runs of " << workflow_id << " did not end: " << runs.dump();
    return nullptr;
  }

  store::Rows outbox(const std::string& where = "1=1") {
    auto rows = srv->db->read<store::Rows>([&](store::Tx& tx) -> Result<store::Rows> {
      return tx.query("SELECT recipient, subject, body, status, kind, source FROM outbox WHERE workspace_id = :ws AND source LIKE 'workflow-run:%' AND " +
                          where + " ORDER BY created_at",
                      {{"ws", workspace_id}});
    });
    return *rows;
  }

  // Makes a schedule's next tick due now, and fires it.
  void fire_schedule_now(const std::string& workflow_id) {
    auto w = call("GET", "/rest/workflows/" + workflow_id).body["data"];
    std::string version = w["activeVersionId"];
    auto st = srv->db->write<long long>([&](store::Tx& tx) -> Result<long long> {
      return tx.exec("UPDATE workflow_schedules SET next_fire_at = :t WHERE workspace_id = :ws AND version_id = :v",
                     {{"t", store::timestamp_from_now(-1s)}, {"ws", workspace_id}, {"v", version}});
    });
    ASSERT_TRUE(st);
    ASSERT_EQ(*st, 1) << "no schedule row for " << workflow_id;
    srv->jobs->wake();
  }

  std::string create_workflow(const json& definition, const std::string& name = "Test workflow") {
    auto w = call("POST", "/rest/workflows", {{"name", name}, {"definition", definition}});
    EXPECT_EQ(w.status, 201) << w.raw;
    std::string id = w.body["data"]["id"];
    auto a = call("POST", "/rest/workflow-versions/" + w.body["data"]["draftVersionId"].get<std::string>() + "/activate");
    EXPECT_EQ(a.status, 200) << a.raw;
    return id;
  }
};

TEST_P(WorkflowsTest, BuiltinsAreOrdinaryActiveWorkflows) {
  auto list = call("GET", "/rest/workflows");
  ASSERT_EQ(list.status, 200) << list.raw;
  std::set<std::string> keys;
  for (const auto& w : list.body["data"]) {
    if (w["builtinKey"].is_string()) keys.insert(w["builtinKey"]);
    EXPECT_EQ(w["status"], "ACTIVE") << w.dump();
  }
  EXPECT_EQ(keys, (std::set<std::string>{"WF-001", "WF-002", "WF-003", "WF-004", "WF-005", "WF-006", "WF-007",
                                         "WF-008", "WF-009", "WF-010"}));
  // Installing again changes nothing.
  ASSERT_TRUE(srv->workflows->install_builtins(workspace_id));
  EXPECT_EQ(call("GET", "/rest/workflows").body["data"].size(), list.body["data"].size());
  // Each version's definition passes activation's checks.
  for (const auto& w : list.body["data"]) {
    auto v = call("GET", "/rest/workflow-versions/" + w["activeVersionId"].get<std::string>());
    EXPECT_TRUE(v.body["data"]["problems"].empty()) << v.raw;
  }
}

TEST_P(WorkflowsTest, Wf004DraftsTheInvoiceOfAFulfilledOrderOnce) {
  std::string wf = builtin("WF-004");
  auto company = call("POST", "/rest/companies", {{"name", "Lumen Clinics"}});
  ASSERT_EQ(company.status, 201) << company.raw;
  auto make_order = [&] {
    auto order = call("POST", "/rest/orders",
                      {{"companyId", company.body["data"]["id"]},
                       {"currency", "USD"},
                       {"taxAmount", 500},
                       {"lineItems", {{{"description", "Laser service"}, {"quantity", 2}, {"unitAmount", 12500}}}}});
    EXPECT_EQ(order.status, 201) << order.raw;
    return order.body["data"]["id"].get<std::string>();
  };
  std::string order = make_order();
  ASSERT_EQ(call("POST", "/rest/orders/" + order + "/start").status, 200);
  EXPECT_TRUE(runs_of(wf).empty()) << "In Progress is not Fulfilled";
  ASSERT_EQ(call("POST", "/rest/orders/" + order + "/fulfill").status, 200);
  json run = wait_for_runs(wf);
  ASSERT_EQ(run["status"], "COMPLETED") << run.dump();
  std::string invoice = run["steps"][0]["output"]["id"];
  auto got = call("GET", "/rest/invoices/" + invoice).body["data"];
  EXPECT_EQ(got["status"], "Draft");
  EXPECT_EQ(got["orderId"], order);
  EXPECT_EQ(got["total"], 25500);
  EXPECT_EQ(got["lineItems"].size(), 1u);
  EXPECT_EQ(call("GET", "/rest/orders/" + order).body["data"]["invoiceId"], invoice);
  // Invoicing by hand afterwards answers the same invoice: an order has one.
  auto again = call("POST", "/rest/orders/" + order + "/invoice");
  ASSERT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(again.body["data"]["id"], invoice);
  EXPECT_EQ(call("GET", "/rest/invoices?filter=orderId%5Beq%5D%3A" + order).body["data"].size(), 1u);

  // Deactivated, it drafts nothing: the invoice is then made by hand.
  std::string version = call("GET", "/rest/workflows/" + wf).body["data"]["activeVersionId"];
  ASSERT_EQ(call("POST", "/rest/workflow-versions/" + version + "/deactivate").status, 200);
  std::string manual = make_order();
  ASSERT_EQ(call("POST", "/rest/orders/" + manual + "/start").status, 200);
  ASSERT_EQ(call("POST", "/rest/orders/" + manual + "/fulfill").status, 200);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(runs_of(wf).size(), 1u);
  EXPECT_TRUE(call("GET", "/rest/orders/" + manual).body["data"]["invoiceId"].is_null());
}

TEST_P(WorkflowsTest, Wf010WelcomesTheNewCompanysPrimaryContact) {
  auto person = call("POST", "/rest/people", {{"firstName", "Mara"}, {"lastName", "Quinn"}, {"email", "mara@lumen.example"}});
  ASSERT_EQ(person.status, 201) << person.raw;
  auto company = call("POST", "/rest/companies", {{"name", "Quinn Optics"}, {"primaryContactId", person.body["data"]["id"]}});
  ASSERT_EQ(company.status, 201) << company.raw;
  std::string wf = builtin("WF-010");
  json run = wait_for_runs(wf);
  ASSERT_EQ(run["status"], "COMPLETED") << run.dump();
  EXPECT_EQ(run["trigger"]["record"]["name"], "Quinn Optics");
  auto mail = outbox();
  ASSERT_EQ(mail.size(), 1u);
  store::RowView m(mail, 0);
  EXPECT_EQ(m.text("recipient"), "mara@lumen.example");
  EXPECT_EQ(m.text("subject"), "Welcome to Acme, Quinn Optics");
  EXPECT_NE(m.text("body").find("Hello Mara"), std::string::npos) << m.text("body");
  EXPECT_EQ(m.text("status"), "queued");
  // Every step's status, input and output is on record.
  ASSERT_EQ(run["steps"].size(), 3u) << run.dump();
  EXPECT_EQ(run["steps"][2]["output"]["to"], "mara@lumen.example");
  EXPECT_EQ(run["steps"][2]["attempts"], 1);
  // A company with no primary contact does not match the trigger's filter: no run at all.
  ASSERT_EQ(call("POST", "/rest/companies", {{"name", "Nobody Ltd"}}).status, 201);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(runs_of(wf).size(), 1u);
  // The mail is the workspace's welcome template (Settings, Mail): an edit of it is what goes.
  ASSERT_EQ(call("PUT", "/rest/mail-templates/welcome",
                 {{"subject", "Glad to have {{company.name}} aboard"}, {"html", "<p>Hi {{contact.firstName}}</p>"},
                  {"text", "Hi {{contact.firstName}}, from {{workspace.name}}."}})
                .status,
            200);
  auto p2 = call("POST", "/rest/people", {{"firstName", "Noor"}, {"email", "noor@lumen.example"}});
  ASSERT_EQ(call("POST", "/rest/companies", {{"name", "Noor Labs"}, {"primaryContactId", p2.body["data"]["id"]}}).status, 201);
  wait_for_runs(wf, 2);
  auto edited = outbox("recipient = 'noor@lumen.example'");
  ASSERT_EQ(edited.size(), 1u);
  EXPECT_EQ(store::RowView(edited, 0).text("subject"), "Glad to have Noor Labs aboard");
  EXPECT_EQ(store::RowView(edited, 0).text("body"), "Hi Noor, from Acme.");
  EXPECT_EQ(store::RowView(edited, 0).text("kind"), "welcome");
}

TEST_P(WorkflowsTest, Wf008LinksExpensesByCodeThenCompanyAndDate) {
  auto other = call("POST", "/rest/companies", {{"name", "Other Co"}}).body["data"]["id"];
  auto p1 = call("POST", "/rest/projects", {{"name", "Laser demo"}, {"code", "PRJ-7"}, {"companyId", other}, {"budget", 100000}, {"currency", "USD"}});
  ASSERT_EQ(p1.status, 201) << p1.raw;
  auto p2 = call("POST", "/rest/projects", {{"name", "Clinic install"}, {"companyId", company}, {"startDate", "2026-01-01"},
                                            {"endDate", "2026-06-30"}, {"budget", 500000}, {"currency", "USD"}});
  auto p3 = call("POST", "/rest/projects", {{"name", "Clinic service"}, {"companyId", company}, {"startDate", "2026-07-01"},
                                            {"budget", 200000}, {"currency", "USD"}});
  ASSERT_EQ(p2.status, 201) << p2.raw;
  ASSERT_EQ(p3.status, 201) << p3.raw;
  std::string wf = builtin("WF-008");
  auto expense = [&](const std::string& description, const json& company_id, const std::string& date) {
    json body = {{"description", description}, {"amount", 12500}, {"currency", "USD"}, {"date", date}};
    if (!company_id.is_null()) body["companyId"] = company_id;
    auto e = call("POST", "/rest/expenses", body);
    EXPECT_EQ(e.status, 201) << e.raw;
    return e.body["data"]["id"].get<std::string>();
  };
  std::string by_code = expense("Lenses for prj-7 demo", company, "2026-03-02");  // the code wins over the company
  std::string by_date = expense("Fibre cable", company, "2026-08-15");
  std::string none = expense("Coffee", nullptr, "2026-08-15");
  wait_for_runs(wf, 3);
  auto project_of = [&](const std::string& id) { return call("GET", "/rest/expenses/" + id).body["data"]["projectId"]; };
  EXPECT_EQ(project_of(by_code), p1.body["data"]["id"]);
  EXPECT_EQ(project_of(by_date), p3.body["data"]["id"]);
  EXPECT_TRUE(project_of(none).is_null());
  // The run that matched nothing completed at its filter, saying why.
  bool saw_none = false;
  for (const auto& r : runs_of(wf)) {
    auto d = call("GET", "/rest/workflow-runs/" + r["id"].get<std::string>()).body["data"];
    EXPECT_EQ(d["status"], "COMPLETED") << d.dump();
    if (d["trigger"]["record"]["id"] == none) {
      saw_none = true;
      EXPECT_EQ(d["steps"][0]["output"]["rule"], "none");
      EXPECT_EQ(d["steps"].size(), 2u);  // match, filter: no update
    }
  }
  EXPECT_TRUE(saw_none);
  // An expense created with its project is not the trigger's business.
  expense("Linked already", company, "2026-02-01");
  auto linked = call("POST", "/rest/expenses", {{"description", "x"}, {"amount", 1}, {"currency", "USD"}, {"date", "2026-02-01"},
                                               {"projectId", p2.body["data"]["id"]}});
  ASSERT_EQ(linked.status, 201);
  wait_for_runs(wf, 4);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(runs_of(wf).size(), 4u);
}

TEST_P(WorkflowsTest, Wf009MonthlyBudgetReportMailsAdminsAndKeepsANote) {
  ASSERT_EQ(call("PUT", "/rest/settings/time-zone", {{"timeZone", "America/New_York"}}).status, 200);
  auto p = call("POST", "/rest/projects", {{"name", "Clinic install"}, {"code", "CI-1"}, {"budget", 200000}, {"currency", "USD"},
                                           {"status", "Active"}});
  ASSERT_EQ(p.status, 201) << p.raw;
  for (int amount : {50000, 50000})
    ASSERT_EQ(call("POST", "/rest/expenses", {{"description", "parts"}, {"amount", amount}, {"currency", "USD"},
                                               {"date", "2026-11-03"}, {"projectId", p.body["data"]["id"]}})
                  .status,
              201);
  std::string wf = builtin("WF-009");
  // Its schedule: the 1st at 08:00 New York time.
  auto w = call("GET", "/rest/workflows/" + wf).body["data"];
  EXPECT_EQ(w["current"]["definition"]["trigger"]["cron"], "0 8 1 * *");
  fire_schedule_now(wf);
  json run = wait_for_runs(wf);
  ASSERT_EQ(run["status"], "COMPLETED") << run.dump();
  EXPECT_EQ(run["triggerType"], "SCHEDULE");
  EXPECT_EQ(run["trigger"]["timezone"], "America/New_York");
  const json& rows = run["steps"][0]["output"]["rows"];
  ASSERT_EQ(rows.size(), 1u) << run.dump();
  EXPECT_EQ(rows[0]["budget"], 200000);
  EXPECT_EQ(rows[0]["spent"], 100000);
  EXPECT_EQ(rows[0]["remaining"], 100000);
  EXPECT_EQ(rows[0]["percentUsed"], 50.0);
  auto mail = outbox();
  ASSERT_EQ(mail.size(), 1u);  // one ADMIN
  EXPECT_EQ(store::RowView(mail, 0).text("recipient"), "admin@acme-lasers.com");
  EXPECT_NE(store::RowView(mail, 0).text("body").find("Clinic install (CI-1): budget USD 2,000.00, spent USD 1,000.00, "
                                                       "remaining USD 1,000.00, 50% used"),
            std::string::npos)
      << store::RowView(mail, 0).text("body");
  auto notes = call("GET", "/rest/notes");
  ASSERT_EQ(notes.body["data"].size(), 1u) << notes.raw;
  EXPECT_EQ(notes.body["data"][0]["title"].get<std::string>().rfind("Budget report, ", 0), 0u);
  // The schedule moved on to the next 1st of a month at 08:00 New York time (13:00 or 12:00 UTC).
  auto next = srv->db->read<store::Rows>([&](store::Tx& tx) -> Result<store::Rows> {
    return tx.query("SELECT next_fire_at FROM workflow_schedules WHERE workspace_id = :ws", {{"ws", workspace_id}});
  });
  bool monthly = false;
  for (size_t i = 0; i < next->size(); ++i) {
    std::string t = store::RowView(*next, i).text("next_fire_at");
    if (t.substr(8, 2) == "01" && (t.substr(11, 5) == "13:00" || t.substr(11, 5) == "12:00")) monthly = true;
  }
  EXPECT_TRUE(monthly);
}

TEST_P(WorkflowsTest, Wf003ExpiresOverdueQuotesWithTaskAndDraftedFollowUp) {
  auto person = call("POST", "/rest/people", {{"firstName", "Ivo"}, {"email", "ivo@lumen.example"}, {"companyId", company}});
  auto q = call("POST", "/rest/quotes", {{"companyId", company}, {"personId", person.body["data"]["id"]},
                                         {"expiresAt", store::timestamp_from_now(-3600s)},
                                         {"lineItems", json::array({{{"description", "Laser"}, {"quantity", 1}, {"unitAmount", 990000}}})}});
  ASSERT_EQ(q.status, 201) << q.raw;
  std::string quote = q.body["data"]["id"];
  ASSERT_EQ(call("POST", "/rest/quotes/" + quote + "/finalize").status, 200);
  std::string wf = builtin("WF-003");
  fire_schedule_now(wf);
  json run = wait_for_runs(wf);
  ASSERT_EQ(run["status"], "COMPLETED") << run.dump();
  EXPECT_EQ(call("GET", "/rest/quotes/" + quote).body["data"]["status"], "Expired");
  auto tasks = call("GET", "/rest/tasks?filter=targetId[eq]:" + quote);
  EXPECT_EQ(tasks.body["data"].size(), 1u) << tasks.raw;
  auto mail = outbox();
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(store::RowView(mail, 0).text("status"), "draft");
  EXPECT_EQ(store::RowView(mail, 0).text("recipient"), "ivo@lumen.example");
  EXPECT_NE(store::RowView(mail, 0).text("body").find("USD 9,900.00"), std::string::npos) << store::RowView(mail, 0).text("body");
  // The iterator's steps ran once for the one quote, keyed by its position.
  bool keyed = false;
  for (const auto& s : run["steps"])
    if (s["key"] == "follow_up@0") keyed = true;
  EXPECT_TRUE(keyed) << run.dump();
  // A second tick finds nothing new to expire and drafts nothing more.
  fire_schedule_now(wf);
  wait_for_runs(wf, 2);
  EXPECT_EQ(outbox().size(), 1u);
}

TEST_P(WorkflowsTest, ActivationChecksVariablesAndEditingMakesANewVersion) {
  json bad = {{"trigger", {{"type", "RECORD_CREATED"}, {"object", "companies"}}},
              {"steps", json::array({{{"id", "task"}, {"type", "CREATE_TASK"}, {"title", "Call {{steps.nope.name}}"}}})}};
  auto w = call("POST", "/rest/workflows", {{"name", "Call new companies"}, {"definition", bad}});
  ASSERT_EQ(w.status, 201) << w.raw;
  std::string id = w.body["data"]["id"], draft = w.body["data"]["draftVersionId"];
  EXPECT_EQ(w.body["data"]["status"], "DRAFT");
  EXPECT_EQ(w.body["data"]["draft"]["problems"][0]["field"], "steps[0].title") << w.raw;
  auto refused = call("POST", "/rest/workflow-versions/" + draft + "/activate");
  EXPECT_EQ(refused.status, 422) << refused.raw;
  EXPECT_EQ(refused.body["error"]["field"], "steps[0].title");
  // Table of problems activation names.
  struct Case { json definition; std::string field; };
  std::vector<Case> cases = {
      {{{"trigger", {{"type", "RECORD_CREATED"}, {"object", "planets"}}}, {"steps", json::array({{{"id", "a"}, {"type", "FILTER"}, {"condition", {{"left", 1}, {"op", "eq"}, {"right", 1}}}}})}}, "trigger.object"},
      {{{"trigger", {{"type", "SCHEDULE"}, {"cron", "61 * * * *"}}}, {"steps", json::array({{{"id", "a"}, {"type", "BUDGET_REPORT"}}})}}, "trigger.cron"},
      {{{"trigger", {{"type", "SCHEDULE"}, {"cron", "0 8 * * *"}, {"timezone", "Mars/Olympus"}}}, {"steps", json::array({{{"id", "a"}, {"type", "BUDGET_REPORT"}}})}}, "trigger.timezone"},
      {{{"trigger", {{"type", "MANUAL"}}}, {"steps", json::array({{{"id", "a"}, {"type", "SEND_EMAIL"}, {"to", "x@y.z"}, {"subject", "s"}}})}}, "steps[0].body"},
      {{{"trigger", {{"type", "MANUAL"}}}, {"steps", json::array({{{"id", "a"}, {"type", "TELEPORT"}}})}}, "steps[0].type"},
      {{{"trigger", {{"type", "MANUAL"}}}, {"steps", json::array({{{"id", "a"}, {"type", "BUDGET_REPORT"}}, {{"id", "a"}, {"type", "BUDGET_REPORT"}}})}}, "steps[1].id"},
      // A step may not use a later step's output.
      {{{"trigger", {{"type", "MANUAL"}}}, {"steps", json::array({{{"id", "a"}, {"type", "CREATE_TASK"}, {"title", "{{steps.b.count}}"}}, {{"id", "b"}, {"type", "BUDGET_REPORT"}}})}}, "steps[0].title"},
      // trigger.before exists on updates only.
      {{{"trigger", {{"type", "RECORD_CREATED"}, {"object", "companies"}}}, {"steps", json::array({{{"id", "a"}, {"type", "CREATE_TASK"}, {"title", "{{trigger.before.name}}"}}})}}, "steps[0].title"},
      // {{item}} exists inside an iterator only.
      {{{"trigger", {{"type", "MANUAL"}}}, {"steps", json::array({{{"id", "a"}, {"type", "CREATE_TASK"}, {"title", "{{item.name}}"}}})}}, "steps[0].title"},
      {{{"trigger", {{"type", "MANUAL"}}}, {"steps", json::array({{{"id", "a"}, {"type", "HTTP_REQUEST"}, {"url", "http://x"}, {"retry", {{"maxAttempts", 50}}}}})}}, "steps[0].retry.maxAttempts"},
      {{{"trigger", {{"type", "MANUAL"}}}, {"steps", json::array({{{"id", "a"}, {"type", "IF"}, {"condition", {{"left", 1}, {"op", "eq"}, {"right", 1}}}, {"then", json::array({{{"id", "b"}, {"type", "SEND_EMAIL"}, {"to", "{{steps.zz.x}}"}, {"subject", "s"}, {"body", "b"}}})}}})}}, "steps[0].then[0].to"},
  };
  for (const auto& c : cases) {
    auto saved = call("PUT", "/rest/workflows/" + id + "/draft", {{"definition", c.definition}});
    ASSERT_EQ(saved.status, 200) << saved.raw;
    ASSERT_FALSE(saved.body["data"]["problems"].empty()) << c.definition.dump();
    EXPECT_EQ(saved.body["data"]["problems"][0]["field"], c.field) << saved.raw;
    EXPECT_EQ(call("POST", "/rest/workflow-versions/" + draft + "/activate").status, 422);
  }
  json good = {{"trigger", {{"type", "RECORD_CREATED"}, {"object", "companies"}}},
               {"steps", json::array({{{"id", "task"}, {"type", "CREATE_TASK"}, {"title", "Call {{trigger.record.name}}"}}})}};
  ASSERT_EQ(call("PUT", "/rest/workflows/" + id + "/draft", {{"definition", good}}).status, 200);
  auto active = call("POST", "/rest/workflow-versions/" + draft + "/activate");
  ASSERT_EQ(active.status, 200) << active.raw;
  EXPECT_EQ(active.body["data"]["status"], "ACTIVE");
  // Editing the active workflow makes draft version 2; version 1 stays active meanwhile.
  json better = good;
  better["steps"][0]["title"] = "Call {{trigger.record.name}} today";
  auto v2 = call("PUT", "/rest/workflows/" + id + "/draft", {{"definition", better}});
  ASSERT_EQ(v2.status, 200) << v2.raw;
  EXPECT_EQ(v2.body["data"]["number"], 2);
  EXPECT_EQ(v2.body["data"]["status"], "DRAFT");
  ASSERT_EQ(call("POST", "/rest/companies", {{"name", "Versioned Ltd"}}).status, 201);
  json run = wait_for_runs(id);
  EXPECT_EQ(run["versionId"], draft);
  EXPECT_EQ(run["steps"][0]["output"]["title"], "Call Versioned Ltd");
  ASSERT_EQ(call("POST", "/rest/workflow-versions/" + v2.body["data"]["id"].get<std::string>() + "/activate").status, 200);
  EXPECT_EQ(call("GET", "/rest/workflow-versions/" + draft).body["data"]["status"], "DEACTIVATED");
  ASSERT_EQ(call("POST", "/rest/companies", {{"name", "Second Ltd"}}).status, 201);
  run = wait_for_runs(id, 2);
  EXPECT_EQ(run["steps"][0]["output"]["title"], "Call Second Ltd today");
  // Deactivated: nothing runs.
  ASSERT_EQ(call("POST", "/rest/workflow-versions/" + v2.body["data"]["id"].get<std::string>() + "/deactivate").status, 200);
  ASSERT_EQ(call("POST", "/rest/companies", {{"name", "Third Ltd"}}).status, 201);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(runs_of(id).size(), 2u);
  EXPECT_EQ(call("GET", "/rest/workflows/" + id).body["data"]["status"], "DEACTIVATED");
}

TEST_P(WorkflowsTest, ASelfTriggeringWorkflowIsStoppedAtTheDepthLimit) {
  std::string id = create_workflow(
      {{"trigger", {{"type", "RECORD_UPDATED"}, {"object", "companies"}, {"fields", {"address"}}}},
       {"steps", json::array({{{"id", "touch"},
                               {"type", "UPDATE_RECORD"},
                               {"object", "companies"},
                               {"recordId", "{{trigger.record.id}}"},
                               {"values", {{"address", "{{trigger.record.address}}+"}}}}})}},
      "Loop");
  ASSERT_EQ(call("PATCH", "/rest/companies/" + company, {{"address", "1 Main St"}}).status, 200);
  // Depths 0..5 run; the sixth is recorded as stopped, and nothing follows it.
  wait_for_runs(id, 7);
  std::this_thread::sleep_for(500ms);
  json runs = runs_of(id);
  ASSERT_EQ(runs.size(), 7u) << runs.dump();
  // The deepest run, found by its depth: runs started within one millisecond list in either order.
  json deepest;
  for (const auto& r : runs)
    if (r["depth"] == 6) deepest = r;
  ASSERT_TRUE(deepest.is_object()) << runs.dump();
  EXPECT_EQ(deepest["status"], "FAILED");
  EXPECT_EQ(deepest.value("error", std::string()).rfind("loop stopped", 0), 0u) << deepest.dump();
  for (const auto& r : runs)
    if (r["depth"] != 6) EXPECT_EQ(r["status"], "COMPLETED") << r.dump();
  EXPECT_EQ(call("GET", "/rest/companies/" + company).body["data"]["address"], "1 Main St++++++");
  EXPECT_EQ(call("POST", "/rest/workflow-runs/" + deepest["id"].get<std::string>() + "/retry").status, 409);
}

// A receiver on loopback that fails its first `failures` requests with 500.
struct FlakyReceiver {
  std::atomic<int> calls{0};
  int failures = 0;
  std::mutex mutex;
  std::vector<std::string> keys;  // Idempotency-Key of each call
  std::vector<std::chrono::steady_clock::time_point> times;
  std::unique_ptr<net::Server> server;
  explicit FlakyReceiver(int fail_first) : failures(fail_first) {
    net::ServerOptions o;
    o.port = 0;
    o.worker_threads = 2;
    server = std::make_unique<net::Server>(o, [this](net::Request& r) {
      std::lock_guard lock(mutex);
      keys.emplace_back(r.header("idempotency-key"));
      times.push_back(std::chrono::steady_clock::now());
      int n = ++calls;
      if (n <= failures) return net::Response::json(500, R"({"error":"try later"})");
      return net::Response::json(200, R"({"ok":true,"echo":)" + (r.body.empty() ? std::string("null") : r.body) + "}");
    });
    server->start();
  }
  ~FlakyReceiver() { server->stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()) + "/hook"; }
};

TEST_P(WorkflowsTest, HttpStepRetriesWithBackOffUnderOneIdempotencyKey) {
  FlakyReceiver receiver(2);
  std::string id = create_workflow(
      {{"trigger", {{"type", "MANUAL"}}},
       {"steps", json::array({{{"id", "notify"},
                               {"type", "HTTP_REQUEST"},
                               {"method", "POST"},
                               {"url", receiver.url()},
                               {"body", {{"run", "{{run.id}}"}}},
                               {"retry", {{"maxAttempts", 3}, {"baseSeconds", 1}}}},
                              {{"id", "after"}, {"type", "CREATE_TASK"}, {"title", "got {{steps.notify.body.echo.run}}"}}})}},
      "Notify");
  auto started = call("POST", "/rest/workflows/" + id + "/run", json::object());
  ASSERT_EQ(started.status, 201) << started.raw;
  json run = wait_for_runs(id, 1, 20s);
  ASSERT_EQ(run["status"], "COMPLETED") << run.dump();
  ASSERT_EQ(receiver.calls.load(), 3);
  EXPECT_EQ(receiver.keys[0], receiver.keys[1]);
  EXPECT_EQ(receiver.keys[1], receiver.keys[2]);
  EXPECT_EQ(receiver.keys[0].rfind("settle-wf-" + run["id"].get<std::string>(), 0), 0u) << receiver.keys[0];
  // Back-off: 1 s, then 2 s.
  EXPECT_GE(receiver.times[1] - receiver.times[0], 900ms);
  EXPECT_GE(receiver.times[2] - receiver.times[1], 1900ms);
  EXPECT_EQ(run["steps"][0]["attempts"], 3);
  EXPECT_EQ(run["steps"][1]["output"]["title"], "got " + run["id"].get<std::string>());
}

TEST_P(WorkflowsTest, AFailedRunIsRetriedFromItsFailedStep) {
  FlakyReceiver receiver(1);
  std::string id = create_workflow(
      {{"trigger", {{"type", "MANUAL"}}},
       {"steps", json::array({{{"id", "first"}, {"type", "CREATE_TASK"}, {"title", "before"}},
                              {{"id", "call"}, {"type", "HTTP_REQUEST"}, {"url", receiver.url()}}})}},
      "Fails once");
  ASSERT_EQ(call("POST", "/rest/workflows/" + id + "/run", json::object()).status, 201);
  json run = wait_for_runs(id);
  ASSERT_EQ(run["status"], "FAILED") << run.dump();
  EXPECT_EQ(run["errorStep"], "call");
  EXPECT_NE(run["error"].get<std::string>().find("HTTP 500"), std::string::npos);
  auto retried = call("POST", "/rest/workflow-runs/" + run["id"].get<std::string>() + "/retry");
  ASSERT_EQ(retried.status, 200) << retried.raw;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline &&
         call("GET", "/rest/workflow-runs/" + run["id"].get<std::string>()).body["data"]["status"] != "COMPLETED")
    std::this_thread::sleep_for(50ms);
  run = call("GET", "/rest/workflow-runs/" + run["id"].get<std::string>()).body["data"];
  EXPECT_EQ(run["status"], "COMPLETED") << run.dump();
  // The step before the failure was not done again; the retry got a new idempotency key.
  EXPECT_EQ(call("GET", "/rest/tasks?filter=title[eq]:before").body["data"].size(), 1u);
  ASSERT_EQ(receiver.keys.size(), 2u);
  EXPECT_NE(receiver.keys[0], receiver.keys[1]);
}

TEST_P(WorkflowsTest, InboundWebhookTakesTheApiKeyOrAValidSignature) {
  std::string signed_id = create_workflow(
      {{"trigger", {{"type", "WEBHOOK"}, {"auth", "signature"}}},
       {"steps", json::array({{{"id", "task"}, {"type", "CREATE_TASK"}, {"title", "Lead {{trigger.body.email}}"}}})}},
      "Leads");
  auto secret = call("POST", "/rest/workflows/" + signed_id + "/webhook-secret");
  ASSERT_EQ(secret.status, 201) << secret.raw;
  std::string body = R"({"email":"lead@example.com"})";
  auto now = unix_seconds_now();
  auto post = [&](const std::string& id, const std::string& signature, const std::string& key = {}) {
    net::Headers h;
    if (!signature.empty()) h.emplace_back("Settle-Signature", signature);
    return srv->call("POST", "/webhooks/workflows/" + id, nullptr, key, {}, body, true, h);
  };
  auto ok = post(signed_id, workflow::Engine::sign_webhook(secret.body["data"]["secret"].get<std::string>(), now, body));
  ASSERT_EQ(ok.status, 202) << ok.raw;
  EXPECT_EQ(post(signed_id, workflow::Engine::sign_webhook("whsec_wrong", now, body)).status, 400);
  EXPECT_EQ(post(signed_id, workflow::Engine::sign_webhook(secret.body["data"]["secret"].get<std::string>(), now - 3600, body)).status, 400);
  EXPECT_EQ(post(signed_id, "").status, 401);
  json run = wait_for_runs(signed_id);
  EXPECT_EQ(run["steps"][0]["output"]["title"], "Lead lead@example.com");
  EXPECT_EQ(runs_of(signed_id).size(), 1u);

  std::string keyed = create_workflow({{"trigger", {{"type", "WEBHOOK"}, {"auth", "apiKey"}}},
                                       {"steps", json::array({{{"id", "task"}, {"type", "CREATE_TASK"}, {"title", "{{trigger.body.email}}"}}})}},
                                      "Keyed");
  EXPECT_EQ(post(keyed, "", key).status, 202);
  EXPECT_EQ(post(keyed, "").status, 401);
  // Another workspace's key does not reach this workspace's workflow.
  auto other = srv->accounts->create_workspace("Other", "other", "boss@other.example", std::string("correct horse 2"));
  ASSERT_TRUE(other);
  EXPECT_EQ(post(keyed, "", other->api_key).status, 404);
}

TEST_P(WorkflowsTest, RunRateLimitIsCountedOnTheWorkflow) {
  std::string id = create_workflow({{"trigger", {{"type", "RECORD_CREATED"}, {"object", "products"}}},
                                    {"steps", json::array({{{"id", "f"}, {"type", "FILTER"}, {"condition", {{"left", 1}, {"op", "eq"}, {"right", 1}}}}})}},
                                   "Limited");
  ASSERT_EQ(call("PATCH", "/rest/workflows/" + id, {{"maxRunsPerMinute", 3}}).status, 200);
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(call("POST", "/rest/products", {{"name", "P" + std::to_string(i)}, {"unitAmount", 100}, {"currency", "USD"}}).status, 201);
  wait_for_runs(id, 3);
  EXPECT_EQ(runs_of(id).size(), 3u);
  auto w = call("GET", "/rest/workflows/" + id).body["data"];
  EXPECT_EQ(w["throttledCount"], 2);
  EXPECT_TRUE(w["lastThrottledAt"].is_string());
  EXPECT_EQ(call("PATCH", "/rest/workflows/" + id, {{"maxRunsPerMinute", 0}}).status, 422);
}

TEST_P(WorkflowsTest, MembersReadAndRunButOnlyAdminsChangeAndWorkspacesAreApart) {
  std::string manual = create_workflow({{"trigger", {{"type", "MANUAL"}, {"object", "companies"}}},
                                        {"steps", json::array({{{"id", "t"}, {"type", "CREATE_TASK"}, {"title", "Check {{trigger.record.name}}"}}})}},
                                       "Check");
  auto member_key = call("POST", "/rest/api-keys", {{"name", "zapier"}, {"role", "MEMBER"}});
  ASSERT_EQ(member_key.status, 201) << member_key.raw;
  std::string mk = member_key.body["data"]["key"];
  auto as_member = [&](const std::string& m, const std::string& path, const json& body = nullptr) {
    return srv->call(m, path, body, mk);
  };
  EXPECT_EQ(as_member("GET", "/rest/workflows").status, 200);
  EXPECT_EQ(as_member("POST", "/rest/workflows", {{"name", "x"}}).status, 403);
  EXPECT_EQ(as_member("PUT", "/rest/workflows/" + manual + "/draft", {{"definition", json::object()}}).status, 403);
  auto ran = as_member("POST", "/rest/workflows/" + manual + "/run", {{"recordIds", {company}}});
  EXPECT_EQ(ran.status, 201) << ran.raw;
  // A member may not start a test run of a non-manual workflow.
  EXPECT_EQ(as_member("POST", "/rest/workflows/" + builtin("WF-009") + "/run", json::object()).status, 403);
  json run = wait_for_runs(manual);
  EXPECT_EQ(run["steps"][0]["output"]["title"], "Check Lumen Clinic");
  // Another workspace sees none of it.
  auto other = srv->accounts->create_workspace("Other", "other2", "boss2@other.example", std::string("correct horse 2"));
  ASSERT_TRUE(other);
  EXPECT_EQ(srv->call("GET", "/rest/workflows/" + manual, nullptr, other->api_key).status, 404);
  EXPECT_EQ(srv->call("GET", "/rest/workflow-runs/" + run["id"].get<std::string>(), nullptr, other->api_key).status, 404);
  EXPECT_EQ(srv->call("POST", "/rest/workflows/" + manual + "/run", json::object(), other->api_key).status, 404);
  EXPECT_EQ(srv->call("GET", "/rest/workflow-runs", nullptr, other->api_key).body["data"].size(), 0u);
}

TEST_P(WorkflowsTest, Wf001AndWf005FinalizeInTheRequestAndWithoutStripeStayHere) {
  std::string wf001 = builtin("WF-001"), wf005 = builtin("WF-005");
  auto quote = call("POST", "/rest/quotes",
                    {{"companyId", company},
                     {"currency", "USD"},
                     {"lineItems", {{{"description", "Laser head"}, {"quantity", 1}, {"unitAmount", 990000}}}}});
  ASSERT_EQ(quote.status, 201) << quote.raw;
  std::string id = quote.body["data"]["id"];
  auto done = call("POST", "/rest/quotes/" + id + "/finalize");
  ASSERT_EQ(done.status, 200) << done.raw;
  EXPECT_EQ(done.body["data"]["status"], "Open");
  EXPECT_TRUE(done.body["data"]["stripeQuoteId"].is_null()) << "the workspace has no Stripe key";
  // The run ended before the answer: no waiting.
  json runs = runs_of(wf001);
  ASSERT_EQ(runs.size(), 1u) << runs.dump();
  EXPECT_EQ(runs[0]["status"], "COMPLETED");
  EXPECT_EQ(runs[0]["triggerType"], "ACTION");
  json run = call("GET", "/rest/workflow-runs/" + runs[0]["id"].get<std::string>()).body["data"];
  EXPECT_EQ(run["trigger"]["record"]["status"], "Draft") << "the trigger holds the record before the action";
  EXPECT_EQ(run["steps"][0]["type"], "STRIPE_FINALIZE");
  EXPECT_EQ(run["steps"][0]["output"]["status"], "Open");
  // A refused action is answered as before and starts no run.
  auto again = call("POST", "/rest/quotes/" + id + "/finalize");
  EXPECT_EQ(again.status, 409) << again.raw;
  auto empty = call("POST", "/rest/quotes", {{"companyId", company}, {"currency", "USD"}});
  ASSERT_EQ(empty.status, 201) << empty.raw;
  auto no_lines = call("POST", "/rest/quotes/" + empty.body["data"]["id"].get<std::string>() + "/finalize");
  EXPECT_EQ(no_lines.status, 422) << no_lines.raw;
  EXPECT_EQ(no_lines.body["error"]["field"], "lineItems") << no_lines.raw;
  EXPECT_EQ(runs_of(wf001).size(), 1u);

  // WF-005 on an invoice, the same way.
  auto invoice = call("POST", "/rest/invoices",
                      {{"companyId", company},
                       {"currency", "EUR"},
                       {"lineItems", {{{"description", "Service"}, {"quantity", 1}, {"unitAmount", 50000}}}}});
  ASSERT_EQ(invoice.status, 201) << invoice.raw;
  auto sent = call("POST", "/rest/invoices/" + invoice.body["data"]["id"].get<std::string>() + "/finalize");
  ASSERT_EQ(sent.status, 200) << sent.raw;
  EXPECT_EQ(sent.body["data"]["status"], "Open");
  EXPECT_TRUE(sent.body["data"]["invoiceNumber"].is_string()) << sent.raw;
  ASSERT_EQ(runs_of(wf005).size(), 1u);

  // Deactivated, finalize is the plain action, with no run.
  std::string version = call("GET", "/rest/workflows/" + wf001).body["data"]["activeVersionId"];
  ASSERT_EQ(call("POST", "/rest/workflow-versions/" + version + "/deactivate").status, 200);
  auto other = call("POST", "/rest/quotes",
                    {{"companyId", company},
                     {"currency", "USD"},
                     {"lineItems", {{{"description", "Fibre"}, {"quantity", 3}, {"unitAmount", 1000}}}}});
  auto plain = call("POST", "/rest/quotes/" + other.body["data"]["id"].get<std::string>() + "/finalize");
  ASSERT_EQ(plain.status, 200) << plain.raw;
  EXPECT_EQ(plain.body["data"]["status"], "Open");
  EXPECT_EQ(runs_of(wf001).size(), 1u);
}

TEST_P(WorkflowsTest, AnActionWorkflowRunsBeforeTheAnswerAndItsFailureRefusesTheAction) {
  auto order = call("POST", "/rest/orders",
                    {{"companyId", company},
                     {"currency", "USD"},
                     {"lineItems", {{{"description", "Install"}, {"quantity", 1}, {"unitAmount", 30000}}}}});
  ASSERT_EQ(order.status, 201) << order.raw;
  std::string id = order.body["data"]["id"];
  // On start: a kick-off task, then the plain action (the workflow does not move the order).
  std::string kickoff = create_workflow(
      {{"trigger", {{"type", "ACTION"}, {"object", "orders"}, {"action", "start"}}},
       {"steps", json::array({{{"id", "task"},
                               {"type", "CREATE_TASK"},
                               {"title", "Kick-off {{trigger.record.orderNumber}} by {{trigger.startedBy}}"}}})}},
      "Kick-off");
  auto started = call("POST", "/rest/orders/" + id + "/start");
  ASSERT_EQ(started.status, 200) << started.raw;
  EXPECT_EQ(started.body["data"]["status"], "In Progress");
  // Made in the request, as the key that asked.
  json tasks = call("GET", "/rest/tasks?filter=title[like]:Kick-off%25").body["data"];
  ASSERT_EQ(tasks.size(), 1u) << tasks.dump();
  std::string number = order.body["data"]["orderNumber"];
  EXPECT_NE(tasks[0]["title"].get<std::string>().find(number), std::string::npos) << tasks[0].dump();
  EXPECT_EQ(tasks[0]["title"].get<std::string>().find("workflow"), std::string::npos) << "startedBy is the person";
  // Starting twice is refused by the order's state, before any run.
  EXPECT_EQ(call("POST", "/rest/orders/" + id + "/start").status, 409);
  EXPECT_EQ(runs_of(kickoff).size(), 1u);

  // On fulfill: a call that fails; the action is refused with the step's error and the
  // order stays as it was.
  FlakyReceiver down(1000);
  std::string gate = create_workflow(
      {{"trigger", {{"type", "ACTION"}, {"object", "orders"}, {"action", "fulfill"}}},
       {"steps", json::array({{{"id", "check"}, {"type", "HTTP_REQUEST"}, {"method", "POST"}, {"url", down.url()}}})}},
      "Warehouse check");
  auto refused = call("POST", "/rest/orders/" + id + "/fulfill");
  EXPECT_EQ(refused.status, 502) << refused.raw;
  EXPECT_NE(refused.raw.find("HTTP 500"), std::string::npos) << refused.raw;
  EXPECT_EQ(call("GET", "/rest/orders/" + id).body["data"]["status"], "In Progress");
  json runs = runs_of(gate);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["status"], "FAILED");
  // The workflow deactivated, fulfil goes through.
  std::string version = call("GET", "/rest/workflows/" + gate).body["data"]["activeVersionId"];
  ASSERT_EQ(call("POST", "/rest/workflow-versions/" + version + "/deactivate").status, 200);
  auto fulfilled = call("POST", "/rest/orders/" + id + "/fulfill");
  ASSERT_EQ(fulfilled.status, 200) << fulfilled.raw;
  EXPECT_EQ(fulfilled.body["data"]["status"], "Fulfilled");
  // Bad definitions: an action the object lacks.
  auto bad = call("POST", "/rest/workflows",
                  {{"name", "bad"},
                   {"definition",
                    {{"trigger", {{"type", "ACTION"}, {"object", "orders"}, {"action", "finalize"}}},
                     {"steps", json::array({{{"id", "t"}, {"type", "CREATE_TASK"}, {"title", "x"}}})}}}});
  ASSERT_EQ(bad.status, 201) << bad.raw;
  auto activate = call("POST", "/rest/workflow-versions/" + bad.body["data"]["draftVersionId"].get<std::string>() + "/activate");
  EXPECT_EQ(activate.status, 422) << activate.raw;
  EXPECT_EQ(activate.body["error"]["field"], "trigger.action") << activate.raw;
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkflowsTest, ::testing::ValuesIn(backends()));

}  // namespace
}  // namespace settle::testing
