// Workflows: user-defined automation over the CRM (docs/workflows.md), and the ten built-in
// workflows of the design (WF-001 ... WF-010) expressed on it.
//
// The engine is the only public face of src/workflow:
//  - the ADMIN's management of workflows, versions and runs (what /rest/workflows* calls);
//  - the triggers: record changes (crm::RecordObserver, inside the change's transaction),
//    Stripe events (inside the transaction that settles the event), schedules, manual
//    runs and inbound webhooks — each queues a run durably, once; lifecycle actions
//    (act(), in the request) run their ACTION workflows before answering;
//  - the runner (turn(), on the background jobs thread): claims due runs with a lease and
//    executes their steps, storing each step's status, input and output as it goes, so that
//    a run resumes after a crash at the step that had not finished.
// Nothing here knows HTTP; the http layer maps the Results.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include <nlohmann/json.hpp>

#include "common/crypto.hpp"
#include "common/error.hpp"
#include "crm/records.hpp"
#include "crm/stripe_sync.hpp"
#include "store/database.hpp"

namespace settle::workflow {

using json = nlohmann::json;
using crm::Actor;

struct EngineOptions {
  // Names this process in run leases, stably across restarts (as the Stripe inbox does).
  std::string instance = "settle";
  std::chrono::seconds lease{60};
  int max_depth = 5;                     // runs triggered by runs' own writes
  int workspace_runs_per_minute = 3000;  // beside each workflow's own maxRunsPerMinute
  std::chrono::hours retention{24 * 30};
  std::optional<SecretBox> secrets;      // seals webhook signing secrets (required for them)
  int http_timeout_ceiling_seconds = 300;
};

class Engine : public crm::RecordObserver {
 public:
  // `sync` does the Stripe side of STRIPE_FINALIZE (may be null: plain lifecycle actions).
  Engine(std::shared_ptr<crm::Records> records, std::shared_ptr<crm::StripeSync> sync, EngineOptions options = {});

  // --- management (docs/workflows.md, REST API) ---------------------------------------------
  Result<json> list(const Actor& actor);
  Result<json> get(const Actor& actor, std::string_view workflow_id);
  Result<json> create(const Actor& actor, const json& body);
  Result<json> update(const Actor& actor, std::string_view workflow_id, const json& body);
  Result<json> remove(const Actor& actor, std::string_view workflow_id);
  Result<json> copy(const Actor& actor, std::string_view workflow_id);
  Result<json> save_draft(const Actor& actor, std::string_view workflow_id, const json& body);
  Result<json> rotate_webhook_secret(const Actor& actor, std::string_view workflow_id);
  Result<json> list_versions(const Actor& actor, std::string_view workflow_id);
  Result<json> get_version(const Actor& actor, std::string_view version_id);
  Result<json> activate(const Actor& actor, std::string_view version_id);
  Result<json> deactivate(const Actor& actor, std::string_view version_id);
  Result<json> archive(const Actor& actor, std::string_view version_id);
  Result<json> run_manually(const Actor& actor, std::string_view workflow_id, const json& body);
  Result<json> list_runs(const Actor& actor, const std::vector<std::pair<std::string, std::string>>& query);
  Result<json> get_run(const Actor& actor, std::string_view run_id);
  Result<json> retry_run(const Actor& actor, std::string_view run_id);
  Result<json> set_time_zone(const Actor& actor, const json& body);

  // POST /rest/{object}/{id}/{action}: a lifecycle action, through the workspace's active
  // ACTION workflows for it (WF-001 and WF-005 finalize through Stripe). The action is
  // checked first (a refused one starts no run); each workflow then runs in this request
  // until it ends or waits, acting as the person who asked; a failed run answers its
  // failing step's error. When no workflow moved the record, the plain action follows
  // (finalize is then the CRM's own; accept, cancel, void and mark-uncollectible keep
  // their Stripe side). The answer is the record, or for an order's invoice the invoice.
  Result<json> act(const Actor& actor, const crm::ObjectDef& object, std::string_view id, std::string_view action,
                   const json& body);

  // POST /webhooks/workflows/{id}: `key_actor` when the caller sent a valid API key;
  // otherwise `signature` (the Settle-Signature header) is checked against the secret.
  Result<json> receive_webhook(std::string_view workflow_id, const std::optional<Actor>& key_actor,
                               std::string_view signature, std::string_view body);

  // The built-in workflows, installed ACTIVE once per workspace (idempotent).
  Status install_builtins(const std::string& workspace_id);
  Status install_builtins_everywhere();

  // --- the runner ---------------------------------------------------------------------------
  // One turn of the background thread: fire due schedules, run due runs (up to `limit`),
  // and now and then install built-ins in new workspaces and forget old runs.
  void turn();
  Result<int> fire_due_schedules();
  Result<int> process_due(int limit = 20);
  // Ends this instance's leases left by a crash (call at start).
  Status release_stale_leases();
  // Told when a run was queued (wakes the background thread); set before serving.
  void set_on_queued(std::function<void()> wake) { on_queued_ = std::move(wake); }

  // --- triggers -----------------------------------------------------------------------------
  bool watches(const std::string& workspace_id, const crm::ObjectDef& object, crm::RecordChange change) override;
  void on_change(store::Tx& tx, const Actor& actor, const crm::ObjectDef& object, crm::RecordChange change,
                 const json& before, const json& after) override;
  // crm::StripeEvents' settled hook: queues the runs of the STRIPE_EVENT workflows that
  // want the event, once per event and workflow, never throttled (a dropped run would be
  // a lost payment). Answers which it handed the event to ("" for none).
  std::string on_stripe_event(store::Tx& tx, const std::string& workspace_id, const std::string& event_id);

  // The signature header a sender computes (for tests and docs): "t=<unix>,v1=<hex>".
  static std::string sign_webhook(std::string_view secret, std::int64_t unix_time, std::string_view body);

  struct Run;  // a claimed run (engine.cpp)

 private:
  friend class StepRunner;
  void execute(Run& run);
  // Queues a run in `tx` unless a limit stops it; answers the run id, or nullopt when it
  // was throttled or deduplicated.
  // `claim_token`: the run is inserted claimed by this caller (an ACTION run executed in
  // the request); such runs and Stripe-event runs are not rate limited.
  std::optional<std::string> queue_run(store::Tx& tx, const std::string& workspace_id, const std::string& workflow_id,
                                       const std::string& version_id, std::string_view trigger_type,
                                       const json& trigger_data, int depth, std::optional<std::string> dedup_key,
                                       bool limited = true, const std::string& claim_token = "");
  void invalidate_watch_cache();

  std::shared_ptr<crm::Records> records_;
  std::shared_ptr<crm::StripeSync> sync_;
  EngineOptions options_;
  std::function<void()> on_queued_;

  // The (workspace, object, change) of every active record trigger, so that watches() costs
  // no query; reloaded when this instance changes a version and every few seconds for the
  // changes of other instances. Guarded by watch_mutex_.
  std::mutex watch_mutex_;
  std::set<std::tuple<std::string, std::string, int>> watched_;
  std::chrono::steady_clock::time_point watched_loaded_{};
  bool watched_valid_ = false;

  // Housekeeping times, used only by the background thread.
  std::chrono::steady_clock::time_point next_housekeeping_{};
};

}  // namespace settle::workflow
