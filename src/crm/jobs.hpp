// Settle's background jobs, on one thread of their own:
//  - the Stripe inbox processor, woken at once when a webhook is stored (wake()) and
//    otherwise every `inbox_poll` (retries fall due with time);
//  - the reconciliation of every workspace connected to Stripe (`reconcile_every`,
//    hourly by default, and once shortly after start);
//  - the quote expiry, WF-003 (`expire_every`): Open quotes past expiresAt become Expired
//    with one follow-up Task each. It is run hourly, so that a quote expires within the
//    hour of its expiresAt instead of up to a day late; it is idempotent.
// A job that fails is logged and tried again at its next turn; none can stop the others.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "crm/records.hpp"
#include "crm/stripe_events.hpp"
#include "crm/stripe_settings.hpp"

namespace settle::crm {

struct JobOptions {
  std::chrono::milliseconds inbox_poll{1000};
  std::chrono::seconds reconcile_every{3600};
  std::chrono::seconds first_reconcile_after{30};
  std::chrono::seconds expire_every{3600};  // zero: off (the WF-003 workflow does it)
};

class BackgroundJobs {
 public:
  BackgroundJobs(std::shared_ptr<Records> records, std::shared_ptr<StripeSettings> settings,
                 std::shared_ptr<StripeEvents> events, JobOptions options = {});
  ~BackgroundJobs();  // stops

  void start();
  void stop();
  // Runs the inbox processor now (a webhook was stored).
  void wake();
  // A job run on every turn of this thread, after the inbox (the workflow engine's runs and
  // schedules). Add before start().
  void add_turn(std::function<void()> turn) { turns_.push_back(std::move(turn)); }

  // One turn of each job, in the caller's thread (tests, CLI).
  void process_inbox();
  void reconcile_all();
  void expire_quotes();

 private:
  void run();

  std::shared_ptr<Records> records_;
  std::shared_ptr<StripeSettings> settings_;
  std::shared_ptr<StripeEvents> events_;
  JobOptions options_;
  std::vector<std::function<void()>> turns_;  // fixed once started

  // Guarded by mutex_.
  std::mutex mutex_;
  std::condition_variable wakeup_;
  bool stopping_ = false;
  bool woken_ = false;

  std::thread thread_;  // started and joined by start()/stop() on the owner's thread
};

}  // namespace settle::crm
