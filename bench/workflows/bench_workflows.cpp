// bench_workflows: record-triggered workflow runs per second, in process, against plain
// creates measured in the same run (scripts/bench_workflows.sh drives it, docs/performance.md
// "Workflows" shows the figures).
//   bench_workflows --db URL [--companies 2000]
// On a fresh database: migrates, creates a workspace, installs the built-in workflows and
// adds N people. Then, one thread, as the server's one background runner:
//   baseline  N Records::create of companies without primaryContactId: WF-010's trigger
//             filter (primaryContactId[is]:NOT_NULL) does not match, so no run is queued,
//             but the trigger is still evaluated in each create's transaction;
//   measured  N creates of companies with primaryContactId (each queues a WF-010 run in its
//             transaction), then Engine::process_due until all N runs are COMPLETED (each
//             run: FIND_RECORDS, FILTER, SEND_EMAIL into the outbox, every step's row stored).
// The per-workflow and per-workspace run limits (600 and 3000 a minute) are lifted for the
// run, or most triggers would be throttled. Checks at the end that exactly N runs completed
// and N welcome mails were queued. Prints one JSON object.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/crypto.hpp"
#include "crm/accounts.hpp"
#include "crm/objects.hpp"
#include "crm/records.hpp"
#include "store/database.hpp"
#include "workflow/workflow.hpp"

namespace {

using nlohmann::json;
using settle::store::RowView;
using settle::store::Tx;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what, const settle::Error& e) {
  std::cerr << "bench_workflows: " << what << ": " << e.message << (e.log.empty() ? "" : " (" + e.log + ")") << "\n";
  std::exit(1);
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

long long count(settle::store::Database& db, const std::string& sql, const settle::store::Params& params) {
  auto n = db.read<long long>([&](Tx& tx) -> settle::Result<long long> {
    return RowView(tx.query(sql, params), 0).integer("n");
  });
  if (!n) die("count", n.error());
  return *n;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_workflows: record-triggered workflow runs per second"};
  std::string url;
  int n = 2000;
  app.add_option("--db", url, "sqlite:PATH or postgres://... (an empty database)")->required();
  app.add_option("--companies", n, "companies created in each phase");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);
  settle::crypto_init();

  auto opened = settle::store::Database::open(url, 4);
  if (!opened) die("cannot open " + url, opened.error());
  auto db = *opened;
  if (auto st = db->migrate(); !st) die("migration failed", st.error());
  settle::crm::Accounts accounts(db, settle::crm::AccountsOptions::without_mail(settle::PasswordHashCost::MinimalForTests));
  auto ws = accounts.create_workspace("Bench Industries", "bench", "bench@bench.example", std::nullopt);
  if (!ws) die("cannot create the workspace", ws.error());
  const std::string workspace = ws->workspace_id;
  settle::crm::Actor actor{workspace, ws->user_id, "bench@bench.example", settle::crm::Role::Admin};

  auto records = std::make_shared<settle::crm::Records>(db);
  settle::workflow::EngineOptions options;
  options.instance = "bench";
  options.workspace_runs_per_minute = 1'000'000'000;
  auto engine = std::make_shared<settle::workflow::Engine>(records, nullptr, options);
  records->set_observer(engine);
  if (auto st = engine->install_builtins(workspace); !st) die("install_builtins", st.error());
  std::string wf010;
  auto list = engine->list(actor);
  if (!list) die("list workflows", list.error());
  for (const auto& w : *list)
    if (w.value("builtinKey", json()) == "WF-010") wf010 = w["id"];
  if (wf010.empty()) die("WF-010", settle::Error::not_found("WF-010 is not installed"));
  if (auto u = engine->update(actor, wf010, {{"maxRunsPerMinute", 100000}}); !u) die("maxRunsPerMinute", u.error());

  const auto& people = *settle::crm::find_object("people");
  const auto& companies = *settle::crm::find_object("companies");
  std::vector<std::string> contacts;
  contacts.reserve(n);
  for (int i = 0; i < n; ++i) {
    auto p = records->create(actor, people,
                             {{"firstName", "Ada" + std::to_string(i)}, {"lastName", "Bench"},
                              {"email", "ada" + std::to_string(i) + "@bench.example"}});
    if (!p) die("create person", p.error());
    contacts.push_back((*p)["id"]);
  }

  // Baseline: plain creates (the trigger is evaluated, its filter does not match).
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto c = records->create(actor, companies, {{"name", "Plain " + std::to_string(i)}});
    if (!c) die("create company", c.error());
  }
  double baseline_seconds = seconds_since(t0);
  settle::store::Params wf{{"ws", workspace}, {"wf", wf010}};
  if (long long runs = count(*db, "SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND workflow_id = :wf", wf);
      runs != 0)
    die("baseline", settle::Error::conflict("the plain creates queued " + std::to_string(runs) + " runs"));

  // Measured: creates that each queue a WF-010 run, then the runner drains them.
  auto t1 = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto c = records->create(actor, companies, {{"name", "Welcomed " + std::to_string(i)}, {"primaryContactId", contacts[i]}});
    if (!c) die("create company", c.error());
  }
  double create_seconds = seconds_since(t1);
  long long queued = count(*db, "SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND workflow_id = :wf", wf);
  auto t2 = Clock::now();
  long long claimed = 0;
  for (;;) {
    auto done = engine->process_due(20);
    if (!done) die("process_due", done.error());
    if (*done == 0) break;
    claimed += *done;
  }
  double drain_seconds = seconds_since(t2);
  long long completed = count(
      *db, "SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND workflow_id = :wf AND status = 'COMPLETED'", wf);
  long long mails = count(*db, "SELECT COUNT(*) AS n FROM outbox WHERE workspace_id = :ws AND kind = 'workflow'", {{"ws", workspace}});
  records->set_observer(nullptr);
  if (queued != n || completed != n || mails != n)
    die("check", settle::Error::conflict("queued " + std::to_string(queued) + ", completed " + std::to_string(completed) +
                                         ", mails " + std::to_string(mails) + " of " + std::to_string(n)));

  double baseline_rate = n / baseline_seconds;
  double create_rate = n / create_seconds;
  double drain_rate = n / drain_seconds;
  double end_to_end_rate = n / (create_seconds + drain_seconds);
  json out = {{"backend", url.rfind("sqlite:", 0) == 0 ? "sqlite" : "postgres"},
              {"companies", n},
              {"baselineSeconds", baseline_seconds},
              {"baselineCreatesPerSec", baseline_rate},
              {"triggeredCreateSeconds", create_seconds},
              {"triggeredCreatesPerSec", create_rate},
              {"drainSeconds", drain_seconds},
              {"runsPerSecDrain", drain_rate},
              {"runsPerSecEndToEnd", end_to_end_rate},
              {"createRatio", create_rate / baseline_rate},
              {"drainRatio", drain_rate / baseline_rate},
              {"endToEndRatio", end_to_end_rate / baseline_rate},
              {"runsCompleted", completed},
              {"mailsQueued", mails},
              {"claimed", claimed}};
  std::cout << out.dump() << "\n";
  return 0;
}
