// Asynchronous webhook delivery, as Stripe does it: every delivery is a POST of the
// event's JSON with a `Stripe-Signature` header, on a thread of its own so that API
// calls never wait for it. A delivery that does not get a 2xx answer is retried with
// exponential back-off (1 s, 2 s, 4 s, ... — Stripe's schedule compressed from days to
// seconds) up to kMaxAttempts, then kept as failed until redelivered.
//
// Fault injection (for testing Settle's webhook handling) rewrites what happens to the
// next deliveries: duplicate them, deliver a batch in reverse order, delay them, or drop
// them (kept as "dropped" until POST /_sandbox/webhooks/redeliver).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/resources.hpp"

namespace settle::sandbox {

struct WebhookFaults {
  int duplicate = 0;          // the next N deliveries are each sent twice
  int reorder = 0;            // the next N deliveries are held, then sent in reverse order
  int drop = 0;               // the next N deliveries are not sent until redelivered
  std::int64_t delay_ms = 0;  // every new delivery waits this long first (0 = none)

  // Reads {"duplicate":N,"reorder":N,"drop":N,"delay_seconds":S}; throws std::invalid_argument.
  static WebhookFaults from_json(const nlohmann::json& j, WebhookFaults base);
  nlohmann::json to_json() const;
};

class WebhookDispatcher {
 public:
  static constexpr int kMaxAttempts = 6;
  static constexpr long kTimeoutMs = 10000;
  // A reorder batch that does not fill up is released after this long.
  static constexpr std::chrono::milliseconds kReorderWindow{2000};

  // on_delivered runs on the delivery thread after a 2xx answer, without the
  // dispatcher's lock held (it may take other locks).
  explicit WebhookDispatcher(std::function<void(const Delivery&)> on_delivered);
  ~WebhookDispatcher();
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  void start();
  void stop();  // idempotent; abandons what is queued

  void enqueue(std::vector<Delivery> deliveries);
  // Queues dropped and failed deliveries again (of one event, or all when empty);
  // returns how many.
  int redeliver(const std::string& event_id);
  void set_faults(WebhookFaults faults);
  WebhookFaults faults() const;
  // The delivery log, newest first, and counts per status.
  nlohmann::json snapshot(std::size_t limit) const;
  // Forgets queued deliveries and the log (used by /_sandbox/reset).
  void reset();

 private:
  enum class Status { Pending, Held, Succeeded, Failed, Dropped };
  struct Record {
    std::uint64_t id = 0;
    Delivery delivery;
    Status status = Status::Pending;
    int attempts = 0;
    std::chrono::steady_clock::time_point due;
    std::uint64_t order = 0;  // ties on `due` go in this order
    int last_status = 0;      // HTTP status of the last attempt, 0 = none
    std::string last_error;
    std::int64_t delivered_at = 0;  // unix seconds
  };
  static const char* to_string(Status s);
  void run();
  void release_held_locked();
  Record* next_due_locked(std::chrono::steady_clock::time_point now);
  void add_locked(Delivery d, Status status, std::chrono::steady_clock::time_point due);

  std::function<void(const Delivery&)> on_delivered_;
  std::thread thread_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::deque<Record> records_;  // the log, oldest first; bounded
  std::uint64_t next_id_ = 1;
  std::uint64_t next_order_ = 1;
  WebhookFaults faults_;
  std::vector<std::uint64_t> held_;  // a reorder batch being collected
  std::chrono::steady_clock::time_point held_since_;
  bool stopping_ = false;
  bool started_ = false;
};

}  // namespace settle::sandbox
