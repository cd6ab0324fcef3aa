// The Stripe webhook inbox: every event Stripe sends to /api/webhooks/stripe[/{subdomain}]
// is verified against the workspace's active signing secrets and stored raw in
// stripe_events, durably, before Stripe is answered 200; nothing is stored for a request
// that does not verify. A redelivered event (same id) is recognised and stored once.
//
// Stored events are `pending` until the processor (stripe_events.hpp) applies them
// (status processed | ignored | failed, attempts, outcome, last_error, next_attempt_at).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "crm/records.hpp"
#include "crm/stripe_settings.hpp"
#include "store/database.hpp"
#include "stripe/webhook_signature.hpp"

namespace settle::crm {

inline constexpr int kDefaultInboxListLimit = 50;
inline constexpr int kMaxInboxListLimit = 200;

class WebhookInbox {
 public:
  WebhookInbox(std::shared_ptr<store::Database> db, std::shared_ptr<StripeSettings> settings,
               stripe::SignatureCheckOptions signature_options = {});

  // Verifies and stores one delivery. `subdomain` names the workspace; without it the one
  // workspace that has webhook secrets is meant. Answers {"received":true,"duplicate":b};
  // a bad signature (or an unknown workspace, which has no secret) is a 400 BadRequest
  // naming Stripe-Signature, a verified body that is not a Stripe event a 400 too.
  Result<nlohmann::json> receive(const std::optional<std::string>& subdomain, std::string_view payload,
                                 std::string_view signature_header);

  // Called after a new event is stored (the processor's wake-up). Set before serving.
  void set_on_stored(std::function<void()> callback) { on_stored_ = std::move(callback); }

  // GET /rest/stripe/events (ADMIN): newest first, at most `limit` entries.
  Result<nlohmann::json> list(const Actor& actor, std::optional<std::string_view> limit);

 private:
  // Group commit: the inserts of deliveries that arrive while another delivery's insert is
  // being committed wait, then share one transaction (at most kMaxInsertBatch), so that
  // a commit (and on PostgreSQL its round trips) is paid once per batch, not per event.
  // Each delivery is still answered only after the commit that holds its event.
  struct PendingInsert;
  static constexpr size_t kMaxInsertBatch = 64;
  // 1 when the event was stored, 0 when it already was (ON CONFLICT DO NOTHING).
  Result<long long> insert_event(PendingInsert& insert);
  void commit_batch(const std::vector<PendingInsert*>& batch);

  std::shared_ptr<store::Database> db_;
  std::shared_ptr<StripeSettings> settings_;
  stripe::SignatureCheckOptions signature_options_;
  std::function<void()> on_stored_;

  std::mutex batch_mutex_;  // guards the three members below and PendingInsert::done
  std::condition_variable batch_committed_;
  std::vector<PendingInsert*> batch_queue_;
  bool batch_leader_ = false;  // a thread is committing a batch
};

}  // namespace settle::crm
