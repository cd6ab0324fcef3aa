#include "common/dates.hpp"

#include <gtest/gtest.h>

namespace settle {
namespace {

TEST(Dates, DaysRoundTripAndRefuseNonDates) {
  struct Case {
    const char* text;
    const char* day;  // nullptr: refused
  };
  const Case cases[] = {{"2026-11-23", "2026-11-23"},
                        {"2026-11-23T10:00:00.000Z", "2026-11-23"},
                        {"2028-02-29", "2028-02-29"},
                        {"2026-02-29", nullptr},
                        {"2026-13-01", nullptr},
                        {"yesterday", nullptr},
                        {"", nullptr}};
  for (const auto& c : cases) {
    auto day = parse_day(c.text);
    if (!c.day) {
      EXPECT_FALSE(day) << c.text;
      continue;
    }
    ASSERT_TRUE(day) << c.text;
    EXPECT_EQ(format_day(*day), c.day);
  }
  EXPECT_EQ(format_day(*parse_day("2026-12-31") + std::chrono::days(1)), "2027-01-01");
}

TEST(Dates, UnixSeconds) {
  EXPECT_EQ(unix_seconds("1970-01-01"), 0);
  EXPECT_EQ(unix_seconds("2026-11-23T10:20:30.000Z"), 1795429230);
  EXPECT_FALSE(unix_seconds("not a date"));
  EXPECT_GT(unix_seconds_now(), *unix_seconds("2026-01-01"));
}

}  // namespace
}  // namespace settle
