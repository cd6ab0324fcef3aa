#include "common/rate_limit.hpp"

#include <gtest/gtest.h>

namespace settle {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

TEST(RateLimiter, BurstUpToTheLimitThenRetryAfterTheRefill) {
  RateLimiter limiter(3, 60s);  // one request per 20 s once the burst is spent
  auto t0 = Clock::time_point{} + 1000s;
  EXPECT_FALSE(limiter.hit("a", t0));
  EXPECT_FALSE(limiter.hit("a", t0));
  EXPECT_FALSE(limiter.hit("a", t0));
  auto refused = limiter.hit("a", t0);
  ASSERT_TRUE(refused);
  EXPECT_EQ(*refused, 20s);
  EXPECT_EQ(*limiter.hit("a", t0 + 5s), 15s);  // a refused request costs nothing
  EXPECT_FALSE(limiter.hit("a", t0 + 20s));
  EXPECT_TRUE(limiter.hit("a", t0 + 21s));
}

TEST(RateLimiter, KeysHaveTheirOwnBudgets) {
  RateLimiter limiter(1, 3600s);
  auto t0 = Clock::time_point{} + 1000s;
  EXPECT_FALSE(limiter.hit("203.0.113.7", t0));
  EXPECT_TRUE(limiter.hit("203.0.113.7", t0));
  EXPECT_FALSE(limiter.hit("203.0.113.8", t0));
}

TEST(RateLimiter, RetryAfterIsAtLeastOneSecond) {
  RateLimiter limiter(1000, 1s);
  auto t0 = Clock::time_point{} + 1000s;
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(limiter.hit("k", t0));
  auto refused = limiter.hit("k", t0);
  ASSERT_TRUE(refused);
  EXPECT_EQ(*refused, 1s);
}

TEST(RateLimiter, ForgettingKeysUnderAFloodNeverRefusesANewKey) {
  RateLimiter limiter(1, 3600s, 4);
  auto t0 = Clock::time_point{} + 1000s;
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(limiter.hit("key" + std::to_string(i), t0)) << i;
}

}  // namespace
}  // namespace settle
