// Per-key request budgets for the public endpoints that create work (sign-in, sign-up,
// payment-link renewal): a token bucket per key (an address, a token, an email), refilled
// continuously, so a burst up to the limit passes and a steady flood is held to the rate.
// In memory and per instance: the limits protect this process's CPU and the mail queue;
// the durable limit on password guessing stays in the database (login_failures).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace settle {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // `limit` requests per `window` per key; at most `max_keys` keys are remembered (the
  // least recently refilled are forgotten first, which can only let a request through).
  RateLimiter(int limit, std::chrono::seconds window, std::size_t max_keys = 100000);

  // Counts one request of `key`. nullopt when it is allowed; otherwise how long until the
  // next one would be (at least one second), for a Retry-After header.
  std::optional<std::chrono::seconds> hit(std::string_view key, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens;
    Clock::time_point refilled;
  };
  void forget_full_buckets(Clock::time_point now);

  const double capacity_;
  const double per_second_;
  const std::size_t max_keys_;

  std::mutex mutex_;  // guards buckets_
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace settle
