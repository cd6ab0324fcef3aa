#include "common/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace settle {

RateLimiter::RateLimiter(int limit, std::chrono::seconds window, std::size_t max_keys)
    : capacity_(std::max(1, limit)),
      per_second_(static_cast<double>(std::max(1, limit)) / static_cast<double>(std::max<std::int64_t>(1, window.count()))),
      max_keys_(std::max<std::size_t>(1, max_keys)) {}

std::optional<std::chrono::seconds> RateLimiter::hit(std::string_view key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) forget_full_buckets(now);
    if (buckets_.size() >= max_keys_) buckets_.clear();  // a flood of distinct keys: start over
    it = buckets_.emplace(std::string(key), Bucket{capacity_, now}).first;
  }
  Bucket& b = it->second;
  double elapsed = std::chrono::duration<double>(now - b.refilled).count();
  if (elapsed > 0) {
    b.tokens = std::min(capacity_, b.tokens + elapsed * per_second_);
    b.refilled = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  double wait = (1.0 - b.tokens) / per_second_;
  return std::chrono::seconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait))));
}

// A bucket that has refilled completely holds no information: dropping it changes nothing.
void RateLimiter::forget_full_buckets(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    double elapsed = std::chrono::duration<double>(now - it->second.refilled).count();
    if (it->second.tokens + elapsed * per_second_ >= capacity_)
      it = buckets_.erase(it);
    else
      ++it;
  }
}

}  // namespace settle
