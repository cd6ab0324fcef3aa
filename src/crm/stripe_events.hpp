// Processing of the Stripe webhook inbox (stripe_events), and the reconciliation that
// heals lost webhooks.
//
// An event is due while next_attempt_at is set and has passed. A processor claims an event
// by compare-and-set on its attempt count, which also sets a lease (next_attempt_at a
// minute ahead): two processors (two Settle instances on one PostgreSQL) never apply one
// event at once, and an event whose processor died is taken up again when the lease ends.
// Outcomes: processed (with what it did), ignored (it concerns nothing Settle keeps), or
// failed — retried with exponential back-off (2 s doubling to 1 h) up to kMaxEventAttempts,
// then kept failed for an ADMIN to retry. Every event stays in the table for audit.
//
// Processing an event hands it to the workspace's Stripe-event workflows (the built-in
// WF-002 and WF-006 apply it through StripeSync::apply_event, a STRIPE_SYNC step with the
// inbox's own retries): their runs are queued in the transaction that records the outcome,
// which names them, or says "ignored: no active workflow handles <type>". Events are
// handed over oldest (Stripe's `created`) first; correctness does not depend on the order,
// since apply_event converges records on Stripe's current state.
//
// Reconciliation pages through GET /v1/events from a little before the newest event the
// workspace has (or 30 days, Stripe's retention, on the first run) and stores every event
// the inbox lacks, as if its webhook had arrived; the processor then applies it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "crm/records.hpp"
#include "crm/stripe_settings.hpp"
#include "store/database.hpp"

namespace settle::crm {

inline constexpr int kMaxEventAttempts = 12;

class StripeEvents {
 public:
  // `instance` names this Settle process stably across restarts (host and port): the
  // leases it holds carry the name, so that after a crash it ends them at once.
  StripeEvents(std::shared_ptr<store::Database> db, std::shared_ptr<StripeSettings> settings,
               std::string instance = "settle");

  // Hands over up to `limit` due events (a batch: Stripe calls make each take up to seconds,
  // and the batch must end well within its lease). Answers how many it handled.
  Result<int> process_due(int limit = 20);

  // An event this processor has claimed, with the lease it got.
  struct Claimed {
    std::string workspace_id, event_id, type, payload, lease;
    std::int64_t attempts = 0;  // before this claim
  };
  // What applying a claimed event came to.
  struct Outcome {
    std::string workspace_id, event_id, type, lease;
    std::string status;  // processed | ignored | failed
    std::string text;    // what it did, or why it failed
    std::optional<std::string> next_attempt_at;  // a failed event's retry
  };
  // The three steps of process_due (public so that a test can interleave two processors):
  // claim up to `limit` due events in one transaction; apply one; record outcomes in one
  // transaction. An outcome is recorded only while this processor still holds the lease it
  // got: once the lease has run out and another processor has claimed the event, that
  // one's outcome is the one that counts. finish answers how many outcomes it recorded.
  Result<std::vector<Claimed>> claim_due(int limit);
  Outcome apply(const Claimed& event);
  Result<int> finish(const std::vector<Outcome>& outcomes);

  // Called inside finish()'s transaction for each event that was processed or ignored (the
  // workflow engine's Stripe-event trigger); answers what it handed the event to, "" for
  // nothing (the event is then recorded as ignored). Set once before processing starts.
  using SettledHook =
      std::function<std::string(store::Tx&, const std::string& workspace_id, const std::string& event_id)>;
  void set_on_settled(SettledHook hook) { on_settled_ = std::move(hook); }

  // Ends the leases this instance left when it stopped (crashed) with events claimed but
  // not finished, so they are applied now instead of when their lease ends. Call at start,
  // before processing: another instance's leases are left alone.
  Status release_stale_leases();

  // Reconciliation of one workspace: {"fetched": n, "stored": m}.
  Result<nlohmann::json> reconcile(const std::string& workspace_id);
  // POST /rest/stripe/reconcile (ADMIN): reconcile, then process what it stored.
  Result<nlohmann::json> reconcile(const Actor& actor);
  // POST /rest/stripe/events/{id}/retry (ADMIN): makes a failed or ignored event due now.
  Result<nlohmann::json> retry(const Actor& actor, std::string_view event_id);

 private:
  std::shared_ptr<store::Database> db_;
  std::shared_ptr<StripeSettings> settings_;
  std::string instance_;
  SettledHook on_settled_;
};

// The wait before attempt `attempts + 1` of a failed event.
std::chrono::seconds event_retry_delay(int attempts);

}  // namespace settle::crm
