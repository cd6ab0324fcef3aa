// Crash safety of the workflow runner: the real `settle serve` binary is killed with SIGKILL
// in the middle of a burst of 500 record-triggered WF-010 runs (a new company's primary
// contact gets a welcome mail) and started again on the same database as the same instance.
// Every run must finish exactly once: 500 runs COMPLETED with their 3 step rows each, and
// 500 welcome mails in the outbox, one per recipient (docs/workflows.md, "Durability and
// exactly-once").
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "harness.hpp"
#include "process.hpp"

namespace settle::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kCompanies = 500;
constexpr int kKillAfterCompleted = 150;
constexpr int kClientThreads = 4;

std::string pad(int i) {
  std::string s = std::to_string(i);
  return std::string(4 - s.size(), '0') + s;
}

class WorkflowCrashTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    crypto_init();
    net::global_init();
    std::string suffix = random_id("").substr(0, 12);
    scratch = std::make_unique<ScratchDatabase>(GetParam(), "wfcrash");
    db_url = scratch->url();
    log = (std::filesystem::temp_directory_path() / ("settle-wfcrash-" + suffix + ".log")).string();
    port = free_port();
    base = "http://127.0.0.1:" + std::to_string(port);
    instance = "wfcrash-" + suffix;
    auto opened = store::Database::open(db_url, 4);
    ASSERT_TRUE(opened) << opened.error().log;
    db = *opened;
    ASSERT_TRUE(db->migrate());
  }
  void TearDown() override {
    server.reset();
    db.reset();
    scratch.reset();
    if (!HasFailure()) std::filesystem::remove(log);
  }

  // The same instance name every time: at start it ends the leases its killed process held.
  void start_server() {
    server = std::make_unique<SettleProcess>(
        std::vector<std::string>{"serve", "--db", db_url, "--port", std::to_string(port), "--address", "127.0.0.1"},
        std::vector<std::string>{"SETTLE_MASTER_KEY=" + master_key, "SETTLE_INSECURE_FAST_PASSWORD_HASH=1",
                                 "SETTLE_INSTANCE=" + instance},
        log);
    server->start();
    if (!wait_until_healthy(base)) FAIL() << "settle did not start; see " << log;
  }

  // nullopt when the server did not answer (killed, or not yet back).
  std::optional<Reply> try_call(const std::string& method, const std::string& p, const json& body = nullptr) {
    return call_settle(base, key, method, p, body, 10000);
  }
  Reply call(const std::string& method, const std::string& p, const json& body = nullptr) {
    auto r = try_call(method, p, body);
    if (!r) throw std::runtime_error(method + " " + p + ": no answer");
    return *r;
  }

  long long count(const std::string& sql, const store::Params& params = {}) {
    auto n = db->read<long long>([&](store::Tx& tx) -> Result<long long> {
      return RowView(tx.query(sql, params), 0).integer("n");
    });
    if (!n) throw std::runtime_error(n.error().log);
    return *n;
  }
  using RowView = store::RowView;

  // Creates the company unless it exists; a create whose answer was lost to the kill may or
  // may not have committed, so the client looks before it sends it again (as a careful
  // integration would). Answers an error text, empty on success.
  std::string create_company(int i, const std::string& person_id) {
    std::string name = "CrashCo" + pad(i);
    json body = {{"name", name}, {"primaryContactId", person_id}};
    auto deadline = std::chrono::steady_clock::now() + 45s;
    bool uncertain = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (uncertain) {
        auto found = try_call("GET", "/rest/companies?filter=name%5Beq%5D%3A%22" + name + "%22&limit=5");
        if (!found || found->status != 200) {
          std::this_thread::sleep_for(100ms);
          continue;
        }
        if (!found->body["data"].empty()) return "";
      }
      auto r = try_call("POST", "/rest/companies", body);
      if (r && r->status == 201) return "";
      if (r && r->status < 500) return "POST company " + name + ": " + std::to_string(r->status) + " " + r->raw;
      uncertain = true;
      ++retried_creates;
      std::this_thread::sleep_for(100ms);
    }
    return "company " + name + " not created before the deadline";
  }

  std::unique_ptr<ScratchDatabase> scratch;
  std::string db_url, log, base, key, workspace_id, instance;
  std::string master_key = generate_master_key();
  unsigned short port = 0;
  std::shared_ptr<store::Database> db;
  std::unique_ptr<SettleProcess> server;
  std::atomic<int> retried_creates{0};
};

TEST_P(WorkflowCrashTest, KillNineDuringA500RunBurstFinishesEveryRunExactlyOnce) {
  auto started = std::chrono::steady_clock::now();
  {
    crm::Accounts accounts(db, crm::AccountsOptions::without_mail(PasswordHashCost::MinimalForTests));
    auto ws = accounts.create_workspace("Phos Industries", "phos", "admin@phos-ind.com", std::string("pw-123456789"));
    ASSERT_TRUE(ws);
    key = ws->api_key;
    workspace_id = ws->workspace_id;
  }
  start_server();
  ASSERT_FALSE(HasFailure());

  // The server installs the built-ins in every workspace within seconds.
  std::string wf010;
  for (auto until = std::chrono::steady_clock::now() + 15s; wf010.empty() && std::chrono::steady_clock::now() < until;) {
    auto list = call("GET", "/rest/workflows");
    for (const auto& w : list.body["data"])
      if (w["builtinKey"] == "WF-010" && w["status"] == "ACTIVE") wf010 = w["id"];
    if (wf010.empty()) std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(wf010.empty()) << "WF-010 was not installed; see " << log;

  // 500 people first (no workflow watches people).
  std::vector<std::string> people(kCompanies);
  {
    std::vector<std::thread> threads;
    std::mutex failures_mutex;
    std::vector<std::string> failures;
    for (int t = 0; t < kClientThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = t; i < kCompanies; i += kClientThreads) {
          auto p = try_call("POST", "/rest/people",
                            {{"firstName", "Person" + pad(i)}, {"lastName", "Crash"}, {"email", "p" + pad(i) + "@crash.example"}});
          if (p && p->status == 201) {
            people[i] = p->body["data"]["id"];
          } else {
            std::lock_guard lock(failures_mutex);
            failures.push_back(p ? p->raw : "no answer");
          }
        }
      });
    for (auto& th : threads) th.join();
    ASSERT_TRUE(failures.empty()) << failures.front();
  }

  // The burst: 500 companies, each queueing one WF-010 run; the server is killed once about
  // 150 runs completed, while runs are processed (and, if the runner keeps up with the
  // creates, while companies are still being created: the creators then retry carefully).
  std::string completed_sql =
      "SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND workflow_id = :wf AND status = 'COMPLETED'";
  store::Params wf_params{{"ws", workspace_id}, {"wf", wf010}};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  std::vector<std::thread> creators;
  for (int t = 0; t < kClientThreads; ++t)
    creators.emplace_back([&, t] {
      for (int i = t; i < kCompanies; i += kClientThreads) {
        std::string err = create_company(i, people[i]);
        if (!err.empty()) {
          std::lock_guard lock(failures_mutex);
          failures.push_back(err);
        }
      }
    });
  long long completed_at_kill = 0;
  for (auto until = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < until;) {
    completed_at_kill = count(completed_sql, wf_params);
    if (completed_at_kill >= kKillAfterCompleted) break;
    std::this_thread::sleep_for(2ms);
  }
  server->kill(SIGKILL);
  long long queued_at_kill = count("SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND workflow_id = :wf", wf_params);
  long long leased_at_kill = count(
      "SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND workflow_id = :wf AND status = 'RUNNING' "
      "AND claimed_by IS NOT NULL",
      wf_params);
  long long completed_after_kill = count(completed_sql, wf_params);
  std::cerr << "[          ] killed with " << completed_after_kill << " of " << queued_at_kill
            << " queued runs completed, " << leased_at_kill << " leased by the killed process\n";
  EXPECT_GE(completed_at_kill, kKillAfterCompleted) << "the runs did not progress; see " << log;
  EXPECT_LT(completed_after_kill, kCompanies) << "the kill came after the burst: it tests nothing";
  std::this_thread::sleep_for(200ms);
  start_server();
  for (auto& th : creators) th.join();
  ASSERT_TRUE(failures.empty()) << failures.front();

  // Every run completes after the restart.
  long long completed = 0;
  for (auto until = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < until;) {
    completed = count(completed_sql, wf_params);
    if (completed >= kCompanies) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(completed, kCompanies) << "see " << log;
  // The API sees the same (newest first, so the first page suffices for the status).
  auto api_runs = call("GET", "/rest/workflow-runs?workflowId=" + wf010 + "&status=COMPLETED&limit=200");
  ASSERT_EQ(api_runs.status, 200) << api_runs.raw;
  EXPECT_EQ(api_runs.body["data"].size(), 200u);
  server->kill(SIGTERM);
  // The restarted process ended the leases of the killed one at start instead of waiting
  // for them to run out.
  if (leased_at_kill > 0) {
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("left by this instance's previous process"), std::string::npos) << "see " << log;
  }

  // The database, by SQL: exactly 500 companies, 500 runs, all COMPLETED, 3 completed step
  // rows each, one attempt each, and 500 welcome mails, one per recipient.
  store::Params ws{{"ws", workspace_id}};
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM companies WHERE workspace_id = :ws AND deleted_at IS NULL", ws), kCompanies);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws", ws), kCompanies);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND workflow_id = :wf "
                  "AND status = 'COMPLETED' AND claimed_by IS NULL AND next_attempt_at IS NULL AND ended_at IS NOT NULL",
                  wf_params),
            kCompanies);
  // One run per company (a record trigger queues its run in the record's own transaction,
  // with no dedup key: each run's trigger data names its own company).
  EXPECT_EQ(count("SELECT COUNT(DISTINCT trigger_data) AS n FROM workflow_runs WHERE workspace_id = :ws", ws), kCompanies);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM workflow_run_steps WHERE workspace_id = :ws", ws), 3 * kCompanies);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM (SELECT s.run_id FROM workflow_run_steps s JOIN workflow_runs r "
                  "ON r.workspace_id = s.workspace_id AND r.id = s.run_id WHERE s.workspace_id = :ws "
                  "AND s.status = 'COMPLETED' AND s.attempts = 1 GROUP BY s.run_id HAVING COUNT(*) = 3) t",
                  ws),
            kCompanies);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM outbox WHERE workspace_id = :ws AND kind = 'welcome'", ws), kCompanies);
  EXPECT_EQ(count("SELECT COUNT(DISTINCT recipient) AS n FROM outbox WHERE workspace_id = :ws AND kind = 'welcome'", ws),
            kCompanies);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM (SELECT recipient FROM outbox WHERE workspace_id = :ws AND kind = 'welcome' "
                  "GROUP BY recipient HAVING COUNT(*) > 1) t",
                  ws),
            0);
  // Each mail went to its company's own contact.
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM outbox o JOIN companies c ON c.workspace_id = o.workspace_id "
                  "JOIN people p ON p.workspace_id = c.workspace_id AND p.id = c.primary_contact_id "
                  "WHERE o.workspace_id = :ws AND o.kind = 'welcome' AND o.recipient = p.email "
                  "AND o.subject = 'Welcome to Phos Industries, ' || c.name",
                  ws),
            kCompanies);
  std::cerr << "[          ] " << retried_creates.load() << " company create(s) cut off by the kill and checked again; "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
            << " ms in all\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkflowCrashTest, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::testing
