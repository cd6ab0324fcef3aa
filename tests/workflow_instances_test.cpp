// Several Settle instances on one database (docs/workflows.md): two workflow engines with
// different instance names share the server's database, and race each other
//  - to fire a schedule's tick: every tick fires exactly once (the compare-and-set on
//    workflow_schedules.next_fire_at, the unique dedup key of the tick, and on PostgreSQL
//    FOR UPDATE SKIP LOCKED);
//  - to claim and execute queued runs: every run is executed once and completes once, so
//    each run's task exists exactly once (the lease in workflow_runs).
// The server's own background thread is stopped first, so only the two racing threads work.
// On both backends: the point is several instances on one PostgreSQL, and SQLite, which
// serialises writers, must hold as well.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <mutex>
#include <thread>

#include "harness.hpp"
#include "one_workspace.hpp"

namespace settle::testing {
namespace {

using namespace std::chrono_literals;
using store::RowView;

class WorkflowInstancesTest : public OneWorkspaceTest {
 protected:
  void SetUp() override {
    OneWorkspaceTest::SetUp();
    if (HasFatalFailure()) return;
    srv->jobs->stop();  // only this test's threads fire schedules and run runs
    workflow::EngineOptions options;
    options.instance = "second-" + random_id("").substr(0, 8);
    second = std::make_shared<workflow::Engine>(srv->records, srv->sync, options);
  }
  void TearDown() override { second.reset(); }

  std::string create_workflow(const json& definition, const std::string& name) {
    auto w = call("POST", "/rest/workflows", {{"name", name}, {"definition", definition}});
    EXPECT_EQ(w.status, 201) << w.raw;
    if (w.status != 201) return "";
    auto a = call("POST", "/rest/workflow-versions/" + w.body["data"]["draftVersionId"].get<std::string>() + "/activate");
    EXPECT_EQ(a.status, 200) << a.raw;
    return w.body["data"]["id"];
  }

  long long count(const std::string& sql, const store::Params& params) {
    auto n = srv->db->read<long long>([&](store::Tx& tx) -> Result<long long> {
      return RowView(tx.query(sql, params), 0).integer("n");
    });
    if (!n) throw std::runtime_error(n.error().log);
    return *n;
  }

  std::shared_ptr<workflow::Engine> second;
};

TEST_P(WorkflowInstancesTest, TwoInstancesFireEachScheduleTickOnce) {
  std::string wf = create_workflow(
      {{"trigger", {{"type", "SCHEDULE"}, {"cron", "* * * * *"}, {"timezone", "UTC"}}},
       {"steps", json::array({{{"id", "task"}, {"type", "CREATE_TASK"}, {"title", "Tick {{trigger.scheduledAt}}"}}})}},
      "Every minute");
  ASSERT_FALSE(wf.empty());
  std::string version = call("GET", "/rest/workflows/" + wf).body["data"]["activeVersionId"];
  store::Params runs_of{{"ws", workspace_id}, {"wf", wf}};
  const std::string runs_sql = "SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND workflow_id = :wf";

  constexpr int kTicks = 20;
  int fired_by_first = 0, fired_by_second = 0;
  for (int tick = 0; tick < kTicks; ++tick) {
    // A distinct tick in the past each time (distinct, so that its dedup key is new).
    std::string due = store::timestamp_from_now(-std::chrono::seconds(100000 - tick * 100));
    auto st = srv->db->write<long long>([&](store::Tx& tx) -> Result<long long> {
      return tx.exec("UPDATE workflow_schedules SET next_fire_at = :t WHERE workspace_id = :ws AND version_id = :v",
                     {{"t", due}, {"ws", workspace_id}, {"v", version}});
    });
    ASSERT_TRUE(st);
    ASSERT_EQ(*st, 1) << "no schedule row";
    std::latch go(3);
    Result<int> a = 0, b = 0;
    std::thread t1([&] {
      go.arrive_and_wait();
      a = srv->workflows->fire_due_schedules();
    });
    std::thread t2([&] {
      go.arrive_and_wait();
      b = second->fire_due_schedules();
    });
    go.arrive_and_wait();
    t1.join();
    t2.join();
    ASSERT_TRUE(a) << "tick " << tick << ": " << a.error().log;
    ASSERT_TRUE(b) << "tick " << tick << ": " << b.error().log;
    EXPECT_EQ(*a + *b, 1) << "tick " << tick << ": the first instance fired " << *a << ", the second " << *b;
    fired_by_first += *a;
    fired_by_second += *b;
    ASSERT_EQ(count(runs_sql, runs_of), tick + 1) << "tick " << tick;
    // The schedule moved on to a tick in the future: nothing is due any more.
    EXPECT_EQ(*srv->workflows->fire_due_schedules(), 0);
    EXPECT_EQ(*second->fire_due_schedules(), 0);
  }
  std::cerr << "[          ] ticks fired by the first instance: " << fired_by_first << ", by the second: " << fired_by_second
            << "\n";
  EXPECT_EQ(count(runs_sql + " AND trigger_type = 'SCHEDULE'", runs_of), kTicks);
  EXPECT_EQ(count("SELECT COUNT(DISTINCT dedup_key) AS n FROM workflow_runs WHERE workspace_id = :ws AND workflow_id = :wf",
                  runs_of),
            kTicks);
}

TEST_P(WorkflowInstancesTest, TwoInstancesRunEachQueuedRunOnce) {
  std::string wf = create_workflow(
      {{"trigger", {{"type", "MANUAL"}}},
       {"steps", json::array({{{"id", "task"}, {"type", "CREATE_TASK"}, {"title", "Manual {{trigger.payload.n}}"}}})}},
      "Manual task");
  ASSERT_FALSE(wf.empty());
  constexpr int kRuns = 200;
  for (int i = 0; i < kRuns; ++i) {
    auto r = call("POST", "/rest/workflows/" + wf + "/run", {{"payload", {{"n", i}}}});
    ASSERT_EQ(r.status, 201) << r.raw;
    ASSERT_EQ(r.body["data"]["runs"].size(), 1u) << r.raw;
  }
  store::Params ws_wf{{"ws", workspace_id}, {"wf", wf}};
  ASSERT_EQ(count("SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND workflow_id = :wf "
                  "AND status = 'RUNNING' AND claimed_by IS NULL",
                  ws_wf),
            kRuns);

  // Both instances claim and run batches until nothing is due.
  std::atomic<int> claimed_first{0}, claimed_second{0};
  std::mutex errors_mutex;
  std::vector<std::string> errors;
  auto loop = [&](workflow::Engine& engine, std::atomic<int>& claimed, std::latch& go) {
    go.arrive_and_wait();
    auto until = std::chrono::steady_clock::now() + 60s;
    int idle = 0;
    while (idle < 3 && std::chrono::steady_clock::now() < until) {
      auto n = engine.process_due(3);
      if (!n) {
        std::lock_guard lock(errors_mutex);
        errors.push_back(n.error().log.empty() ? n.error().message : n.error().log);
        std::this_thread::sleep_for(5ms);
        continue;
      }
      claimed += *n;
      if (*n == 0) {
        ++idle;
        std::this_thread::sleep_for(5ms);
      } else {
        idle = 0;
      }
    }
  };
  std::latch go(2);
  std::thread t1([&] { loop(*srv->workflows, claimed_first, go); });
  std::thread t2([&] { loop(*second, claimed_second, go); });
  t1.join();
  t2.join();
  std::cerr << "[          ] runs claimed by the first instance: " << claimed_first << ", by the second: " << claimed_second
            << "\n";
  EXPECT_TRUE(errors.empty()) << errors.size() << " error(s), the first: " << errors.front();
  EXPECT_EQ(claimed_first + claimed_second, kRuns);

  // Every run completed once, with one attempt of its one step, and made exactly one task.
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND workflow_id = :wf "
                  "AND status = 'COMPLETED' AND steps_executed = 1 AND claimed_by IS NULL",
                  ws_wf),
            kRuns);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM workflow_run_steps s JOIN workflow_runs r ON r.workspace_id = s.workspace_id "
                  "AND r.id = s.run_id WHERE r.workspace_id = :ws AND r.workflow_id = :wf AND s.status = 'COMPLETED' "
                  "AND s.attempts = 1",
                  ws_wf),
            kRuns);
  store::Params ws{{"ws", workspace_id}};
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM tasks WHERE workspace_id = :ws AND title LIKE 'Manual %'", ws), kRuns);
  EXPECT_EQ(count("SELECT COUNT(DISTINCT title) AS n FROM tasks WHERE workspace_id = :ws AND title LIKE 'Manual %'", ws),
            kRuns);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM (SELECT title FROM tasks WHERE workspace_id = :ws AND title LIKE 'Manual %' "
                  "GROUP BY title HAVING COUNT(*) > 1) t",
                  ws),
            0);
  EXPECT_EQ(*srv->workflows->process_due(), 0);
  EXPECT_EQ(*second->process_due(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkflowInstancesTest, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::testing
