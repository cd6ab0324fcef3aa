#include "crm/stripe_events.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "stripe/objects.hpp"

namespace settle::crm {

using nlohmann::json;
using store::Rows;
using store::RowView;
using store::SqlValue;
using store::Tx;

namespace {

constexpr const char* kSelectDue =
    "SELECT workspace_id, event_id, type, attempts, payload FROM stripe_events "
    "WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= :now ORDER BY created, received_at, event_id LIMIT :limit";
constexpr const char* kClaim =
    "UPDATE stripe_events SET attempts = attempts + 1, next_attempt_at = :lease, claimed_by = :me "
    "WHERE workspace_id = :ws AND event_id = :id AND attempts = :attempts AND next_attempt_at IS NOT NULL "
    "AND next_attempt_at <= :now";
constexpr const char* kFinish =
    "UPDATE stripe_events SET status = :status, outcome = :outcome, last_error = :error, next_attempt_at = :next, "
    "processed_at = :now, claimed_by = NULL WHERE workspace_id = :ws AND event_id = :id "
    "AND claimed_by = :me AND next_attempt_at = :lease";
constexpr const char* kSetOutcome =
    "UPDATE stripe_events SET status = :status, outcome = :outcome WHERE workspace_id = :ws AND event_id = :id";
// An event claimed and not finished has claimed_by set and next_attempt_at in the future.
constexpr const char* kReleaseLeases =
    "UPDATE stripe_events SET next_attempt_at = :now, claimed_by = NULL WHERE claimed_by = :me "
    "AND next_attempt_at > :now";
constexpr const char* kNewestEventCreated =
    "SELECT MAX(created) AS newest FROM stripe_events WHERE workspace_id = :ws";
constexpr const char* kInsertEvent =
    "INSERT INTO stripe_events (workspace_id, event_id, type, created, livemode, payload, received_at, status, "
    "attempts, next_attempt_at, source) VALUES (:ws, :id, :type, :created, :livemode, :payload, :at, 'pending', 0, "
    ":at, 'reconcile') ON CONFLICT (workspace_id, event_id) DO NOTHING";
constexpr const char* kSetReconciledAt = "UPDATE stripe_settings SET reconciled_at = :at WHERE workspace_id = :ws";
constexpr const char* kRetry =
    "UPDATE stripe_events SET status = 'pending', attempts = 0, next_attempt_at = :now "
    "WHERE workspace_id = :ws AND event_id = :id AND status IN ('failed', 'ignored')";
constexpr const char* kSelectEvent =
    "SELECT event_id, status, attempts FROM stripe_events WHERE workspace_id = :ws AND event_id = :id";

constexpr std::chrono::seconds kLease{60};
// Reconciliation starts this long before the newest event stored: webhooks of one moment
// arrive in any order, so the newest one says little about those just before it.
constexpr std::int64_t kReconcileOverlapSeconds = 600;
constexpr std::int64_t kStripeEventRetentionSeconds = 30 * 86400;
constexpr int kReconcileMaxPages = 100;  // 10,000 events a run

std::string error_text(const Error& e) { return e.message; }  // never the log text: it may name internals

}  // namespace

std::chrono::seconds event_retry_delay(int attempts) {
  std::int64_t s = 2;
  for (int i = 1; i < attempts && s < 3600; ++i) s *= 2;
  return std::chrono::seconds(std::min<std::int64_t>(s, 3600));
}

StripeEvents::StripeEvents(std::shared_ptr<store::Database> db, std::shared_ptr<StripeSettings> settings,
                           std::string instance)
    : db_(std::move(db)), settings_(std::move(settings)), instance_(std::move(instance)) {}

Result<int> StripeEvents::process_due(int limit) {
  auto claimed = claim_due(limit);
  if (!claimed) return fail(claimed.error());
  if (claimed->empty()) return 0;
  std::vector<Outcome> outcomes;
  for (const auto& event : *claimed) outcomes.push_back(apply(event));
  if (auto finished = finish(outcomes); !finished) return fail(finished.error());
  return static_cast<int>(outcomes.size());
}

// Claimed together in one transaction, finished together in another: two transactions a
// batch, not three an event (the apply step writes only when the event changes a record).
Result<std::vector<StripeEvents::Claimed>> StripeEvents::claim_due(int limit) {
  auto due = db_->read<Rows>([&](Tx& tx) -> Result<Rows> {
    return tx.query(kSelectDue, {{"now", store::now_timestamp()}, {"limit", std::int64_t{limit}}});
  });
  if (!due) return fail(due.error());
  if (due->empty()) return std::vector<Claimed>{};
  return db_->write<std::vector<Claimed>>([&](Tx& tx) -> Result<std::vector<Claimed>> {
    std::vector<Claimed> mine;
    std::string lease = store::timestamp_from_now(kLease), now = store::now_timestamp();
    for (size_t i = 0; i < due->size(); ++i) {
      RowView r(*due, i);
      if (tx.exec(kClaim, {{"lease", lease},
                           {"ws", r.text("workspace_id")},
                           {"id", r.text("event_id")},
                           {"attempts", r.integer("attempts")},
                           {"now", now},
                           {"me", instance_}}) == 1)  // else another processor has it
        mine.push_back({r.text("workspace_id"), r.text("event_id"), r.text("type"), r.text("payload"), lease,
                        r.integer("attempts")});
    }
    return mine;
  });
}

StripeEvents::Outcome StripeEvents::apply(const Claimed& c) {
  json event = json::parse(c.payload, nullptr, false);
  Result<std::string> outcome = fail(Error::internal("stored event is not JSON"));
  bool ignored = false;
  if (event.is_object()) {
    if (auto parsed = stripe::parse_event(event); !parsed) {
      outcome = fail(parsed.error());
    } else if (auto client = settings_->client(c.workspace_id); !client) {
      outcome = fail(client.error());
    } else if (!*client) {
      ignored = true;
      outcome = std::string("the workspace has no Stripe key");
    } else {
      // Applied by the workflows that want it (WF-002, WF-006 and the workspace's own),
      // whose runs start in the transaction that records this outcome.
      outcome = std::string("stored for the Stripe-event workflows");
    }
  }
  if (outcome) {
    spdlog::info("stripe event {} {} {}: {}", c.event_id, c.type, ignored ? "ignored" : "processed", *outcome);
    return {c.workspace_id, c.event_id, c.type, c.lease, ignored ? "ignored" : "processed", *outcome, std::nullopt};
  }
  int tried = static_cast<int>(c.attempts) + 1;
  std::optional<std::string> next;
  if (tried < kMaxEventAttempts) next = store::timestamp_from_now(event_retry_delay(tried));
  spdlog::warn("stripe event {} {} failed (attempt {}{}): {}", c.event_id, c.type, tried,
               next ? ", will retry" : ", giving up",
               outcome.error().log.empty() ? outcome.error().message : outcome.error().log);
  return {c.workspace_id, c.event_id, c.type, c.lease, "failed", error_text(outcome.error()), next};
}

Result<int> StripeEvents::finish(const std::vector<Outcome>& outcomes) {
  return db_->write<int>([&](Tx& tx) -> Result<int> {
    std::string now = store::now_timestamp();
    int recorded = 0;
    for (const auto& o : outcomes) {
      bool failed = o.status == "failed";
      long long n = tx.exec(kFinish, {{"status", o.status},
                                      {"outcome", failed ? SqlValue(nullptr) : SqlValue(o.text)},
                                      {"error", failed ? SqlValue(o.text) : SqlValue(nullptr)},
                                      {"next", o.next_attempt_at ? SqlValue(*o.next_attempt_at) : SqlValue(nullptr)},
                                      {"now", now},
                                      {"ws", o.workspace_id},
                                      {"id", o.event_id},
                                      {"me", instance_},
                                      {"lease", o.lease}});
      if (n == 1) {
        ++recorded;
        // Stripe-event workflows start in the transaction that records the outcome: once
        // per event, however often it is delivered; a failed event waits for its retry.
        if (on_settled_ && !failed) {
          std::string handed = on_settled_(tx, o.workspace_id, o.event_id);
          if (o.status == "processed")
            tx.exec(kSetOutcome, {{"status", std::string(handed.empty() ? "ignored" : "processed")},
                                  {"outcome", handed.empty() ? "no active workflow handles " + o.type : handed},
                                  {"ws", o.workspace_id},
                                  {"id", o.event_id}});
        }
      } else
        spdlog::info("stripe event {}: its lease ran out and another processor claimed it; outcome '{}' not recorded",
                     o.event_id, o.status);
    }
    return recorded;
  });
}

Status StripeEvents::release_stale_leases() {
  auto released = db_->write<long long>([&](Tx& tx) -> Result<long long> {
    return tx.exec(kReleaseLeases, {{"now", store::now_timestamp()}, {"me", instance_}});
  });
  if (!released) return fail(released.error());
  if (*released > 0) spdlog::info("released {} stripe event(s) left claimed by a previous run", *released);
  return {};
}

Result<json> StripeEvents::reconcile(const std::string& ws) {
  auto client = settings_->client(ws);
  if (!client) return fail(client.error());
  if (!*client) return fail(Error::validation("secretKey", "the workspace has no Stripe secret key"));
  auto newest = db_->read<std::int64_t>([&](Tx& tx) -> Result<std::int64_t> {
    auto row = tx.query_one(kNewestEventCreated, {{"ws", ws}});
    return row ? RowView(*row, 0).integer("newest") : std::int64_t{0};
  });
  if (!newest) return fail(newest.error());
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  std::int64_t since = *newest > 0 ? *newest - kReconcileOverlapSeconds : now - kStripeEventRetentionSeconds;

  int fetched = 0, stored = 0;
  std::string starting_after;
  for (int page = 0; page < kReconcileMaxPages; ++page) {
    stripe::FormParams params = stripe::FormParams::object();
    params["created"] = {{"gte", since}};
    params["limit"] = 100;  // all types: Stripe filters at most 20, Settle subscribes to more
    if (!starting_after.empty()) params["starting_after"] = starting_after;
    auto list = (*client)->request("GET", "/v1/events", params);
    if (!list) return fail(list.error());
    const json& data = (*list)["data"];
    if (!data.is_array()) return fail(Error::upstream("Stripe's event list has no data"));
    for (const auto& e : data) {
      if (!e.is_object() || !e["id"].is_string() || !e["type"].is_string()) continue;
      const auto& wanted = stripe_webhook_events();
      if (std::find(wanted.begin(), wanted.end(), e["type"].get<std::string>()) == wanted.end()) continue;
      ++fetched;
      auto inserted = db_->write<long long>([&](Tx& tx) -> Result<long long> {
        return tx.exec(kInsertEvent, {{"ws", ws},
                                      {"id", e["id"].get<std::string>()},
                                      {"type", e["type"].get<std::string>()},
                                      {"created", e.value("created", std::int64_t{0})},
                                      {"livemode", std::int64_t{e.value("livemode", false) ? 1 : 0}},
                                      {"payload", e.dump()},
                                      {"at", store::now_timestamp()}});
      });
      if (!inserted) return fail(inserted.error());
      if (*inserted == 1) {
        ++stored;
        spdlog::info("reconciliation found missed stripe event {} {} for workspace {}", e["id"].get<std::string>(),
                     e["type"].get<std::string>(), ws);
      }
    }
    if (!(*list).value("has_more", false) || data.empty()) break;
    starting_after = data.back()["id"].get<std::string>();
  }
  auto marked = db_->write<long long>([&](Tx& tx) -> Result<long long> {
    return tx.exec(kSetReconciledAt, {{"at", store::now_timestamp()}, {"ws", ws}});
  });
  if (!marked) return fail(marked.error());
  return json{{"fetched", fetched}, {"stored", stored}};
}

Result<json> StripeEvents::reconcile(const Actor& actor) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  auto result = reconcile(actor.workspace_id);
  if (!result) return result;
  auto processed = process_due();
  if (!processed) return fail(processed.error());
  (*result)["processed"] = *processed;
  return result;
}

Result<json> StripeEvents::retry(const Actor& actor, std::string_view event_id) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  auto changed = db_->write<json>([&](Tx& tx) -> Result<json> {
    auto row = tx.query_one(kSelectEvent, {{"ws", actor.workspace_id}, {"id", std::string(event_id)}});
    if (!row) return fail(Error::not_found("event"));
    std::string status = RowView(*row, 0).text("status");
    if (tx.exec(kRetry, {{"now", store::now_timestamp()}, {"ws", actor.workspace_id}, {"id", std::string(event_id)}}) != 1)
      return fail(Error::conflict("the event is " + status + "; only a failed or ignored event can be retried", "status"));
    return json{{"id", std::string(event_id)}, {"status", "pending"}};
  });
  if (!changed) return changed;
  if (auto processed = process_due(); !processed) return fail(processed.error());
  return changed;
}

}  // namespace settle::crm
