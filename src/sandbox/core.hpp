// The running sandbox's shared parts, used by the Stripe API routes (api.cpp), the
// control API (control.cpp) and the hosted pages (pages.cpp): the state and its lock,
// the webhook dispatcher, API fault injection and persistence. Internal to src/sandbox.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "net/router.hpp"
#include "sandbox/resources.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/state.hpp"
#include "sandbox/webhooks.hpp"

namespace settle::sandbox {

// Faults the API itself shows (POST /_sandbox/faults {"api": {...}}): the next `count`
// requests whose path starts with `path` fail at once with `status` (500, 502, 503 or
// 429; nothing is executed), or are executed and answered only after `seconds` (so a
// client with a shorter timeout gives up and retries).
struct ApiFaults {
  struct Failure {
    int status = 500;
    int count = 0;
    std::string path = "/v1/";
  };
  struct Timeout {
    double seconds = 0;
    int count = 0;
    std::string path = "/v1/";
  };
  Failure fail;
  Timeout timeout;

  // Merges {"fail": {...}, "timeout": {...}} into `base`; throws std::invalid_argument.
  static ApiFaults from_json(const nlohmann::json& j, ApiFaults base);
  nlohmann::json to_json() const;
};

// Who a Ctx is for: the request ids stamped on the events it emits.
struct RequestInfo {
  std::string request_id;
  std::string idempotency_key;
  std::string api_version;
};

class Core {
 public:
  explicit Core(Options options);

  const Options options;

  // Runs `fn` on one account under the state lock, after letting the clock catch up
  // with it. `select` picks the account (nullptr: nothing runs, returns false). The
  // state is saved when `mutating` or when events were emitted; the webhook deliveries
  // are handed to the dispatcher after the lock is released. An exception from `fn`
  // propagates after that.
  bool transact(const std::function<Account*(State&)>& select, const RequestInfo& info, bool mutating,
                const std::function<void(Ctx&)>& fn);
  // Runs the clock for every account (the ticker thread and /_sandbox/clock/advance).
  void run_clock_everywhere(std::int64_t advance_seconds = 0);
  // Reads or changes what is guarded by the state lock (settings, state summary).
  void with_state(const std::function<void(State&, Settings&)>& fn, bool mutating);
  void reset();
  // Sets the URL hosted pages live under, loads the state file (if any) and lets
  // requests in: until then every call above waits.
  void open(const std::string& base_url);

  ApiFaults api_faults() const;
  void set_api_faults(ApiFaults faults);
  // Consumes one API fault for `path`, if one applies: the failure status, or the delay.
  std::optional<int> take_failure(const std::string& path);
  std::optional<double> take_timeout(const std::string& path);

  // Sleeps up to `seconds`, waking early when the sandbox stops.
  void interruptible_sleep(double seconds);
  void begin_stop();

  WebhookDispatcher dispatcher;

 private:
  void save_locked();
  void load_locked();

  std::mutex mu_;  // guards the members below up to the next blank line
  std::condition_variable ready_cv_;
  bool ready_ = false;
  std::string base_url_;  // "http://127.0.0.1:12111"
  State state_;
  Settings settings_;

  mutable std::mutex faults_mu_;  // guards api_faults_
  ApiFaults api_faults_;

  std::mutex stop_mu_;  // guards stopping_
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

void add_api_routes(net::Router& router, Core& core);
void add_control_routes(net::Router& router, Core& core);
void add_hosted_pages(net::Router& router, Core& core);
// Stripe's answer to a URL it does not know.
net::Response unrecognized_url(const net::Request& request);

}  // namespace settle::sandbox
