// Tests for billing/dunning.hpp: which reminder an invoice gets on which day, table-driven
// over the default rules (a week before, on the day, ten days after).
#include "billing/dunning.hpp"

#include <gtest/gtest.h>

namespace settle::billing {
namespace {

using namespace std::chrono;

constexpr sys_days kDue = sys_days{year{2026} / 12 / 31};
constexpr sys_days kIssued = kDue - days{30};
const std::vector<ReminderRule> kRules = {{1, -7, 0}, {2, 0, 0}, {3, 10, 250}};

struct DueCase {
  const char* name;
  int today_from_due;
  std::set<int> sent;
  std::optional<int> expected_offset;
  sys_days issued = kIssued;
};

TEST(ReminderDueTest, OnEachDayTheLatestRuleNotYetSent) {
  const DueCase cases[] = {
      {"long before the first rule", -20, {}, std::nullopt},
      {"the day before the first rule", -8, {}, std::nullopt},
      {"the first rule's day", -7, {}, -7},
      {"after it, before the due date, first not sent", -3, {}, -7},
      {"after it, first sent", -3, {-7}, std::nullopt},
      {"the due date, first sent", 0, {-7}, 0},
      {"the due date, first never sent (it is skipped)", 0, {}, 0},
      {"the due date, sent", 0, {-7, 0}, std::nullopt},
      {"after the due date, before the third", 5, {-7, 0}, std::nullopt},
      {"the third rule's day", 10, {-7, 0}, 10},
      {"the third, sent", 11, {-7, 0, 10}, std::nullopt},
      {"long after: nothing more", 200, {-7, 0, 10}, std::nullopt},
      {"the third rule, 14 days late: still sent", 24, {}, 10},
      {"the third rule, 15 days late: too old to send now", 25, {}, std::nullopt},
      {"a later rule was sent (rules changed): nothing goes back", -7, {0}, std::nullopt},
      {"issued after the first rule's day: not sent late", -3, {}, std::nullopt, kDue - days{5}},
      {"issued after the first rule's day: the due date's still is", 0, {}, 0, kDue - days{5}},
      {"issued on the first rule's day: sent", -7, {}, -7, kDue - days{7}},
  };
  for (const auto& c : cases) {
    auto got = reminder_due(kRules, c.issued, kDue, kDue + days{c.today_from_due}, c.sent);
    if (!c.expected_offset) {
      EXPECT_FALSE(got.has_value()) << c.name << ": got " << got->offset_days;
    } else {
      ASSERT_TRUE(got.has_value()) << c.name;
      EXPECT_EQ(got->offset_days, *c.expected_offset) << c.name;
    }
  }
}

TEST(ReminderDueTest, NoRulesNoReminder) {
  EXPECT_FALSE(reminder_due({}, kIssued, kDue, kDue + days{3}, {}).has_value());
}

TEST(ReminderDueTest, RulesInAnyOrder) {
  std::vector<ReminderRule> shuffled = {{3, 10, 0}, {1, -7, 0}, {2, 0, 0}};
  auto got = reminder_due(shuffled, kIssued, kDue, kDue + days{1}, {-7});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->position, 2);
}

TEST(ReminderRulesTest, Validation) {
  struct Case {
    const char* name;
    std::vector<ReminderRule> rules;
    const char* field;  // nullptr: valid
  };
  const Case cases[] = {
      {"none", {}, nullptr},
      {"the defaults", kRules, nullptr},
      {"four rules", {{1, -7}, {2, 0}, {3, 7}, {3, 9}}, "rules"},
      {"position 0", {{0, 1}}, "rules[0].position"},
      {"position 4", {{4, 1}}, "rules[0].position"},
      {"a position twice", {{1, 1}, {1, 2}}, "rules[1].position"},
      {"two rules on one day", {{1, 3}, {2, 3}}, "rules[1].offsetDays"},
      {"more than a year after", {{1, 366}}, "rules[0].offsetDays"},
      {"more than a year before", {{1, -366}}, "rules[0].offsetDays"},
      {"a negative fee", {{1, 3, -1}}, "rules[0].lateFeeBasisPoints"},
      {"a fee over 100 %", {{1, 3, 10001}}, "rules[0].lateFeeBasisPoints"},
      {"a fee of 100 %", {{1, 3, 10000}}, nullptr},
  };
  for (const auto& c : cases) {
    auto st = validate_reminder_rules(c.rules);
    if (!c.field) {
      EXPECT_TRUE(st) << c.name << ": " << st.error().message;
    } else {
      ASSERT_FALSE(st) << c.name;
      EXPECT_EQ(st.error().field, c.field) << c.name;
    }
  }
}

TEST(LateFeeTest, BasisPointsRoundedHalfUp) {
  struct Case {
    std::int64_t due, bp, fee;
  };
  const Case cases[] = {
      {100000, 250, 2500},  // 2.5 % of 1,000.00
      {199, 250, 5},        // 4.975 -> 5
      {180, 250, 5},        // 4.5 -> 5 (half up)
      {170, 250, 4},        // 4.25 -> 4
      {100000, 0, 0},       {0, 250, 0}, {-500, 250, 0},
      {123456, 10000, 123456},  // 100 %
      {INT64_MAX / 2, 100, INT64_MAX / 2 / 10000 * 100},
  };
  for (const auto& c : cases) EXPECT_EQ(late_fee(c.due, c.bp), c.fee) << c.due << " at " << c.bp;
}

TEST(ReminderWordsTest, WhenAndOffsets) {
  EXPECT_EQ(reminder_when(kDue, kDue - days{3}), "is due in 3 days");
  EXPECT_EQ(reminder_when(kDue, kDue - days{1}), "is due tomorrow");
  EXPECT_EQ(reminder_when(kDue, kDue), "is due today");
  EXPECT_EQ(reminder_when(kDue, kDue + days{1}), "was due yesterday");
  EXPECT_EQ(reminder_when(kDue, kDue + days{12}), "was due 12 days ago");
  EXPECT_EQ(describe_offset(-7), "7 days before the due date");
  EXPECT_EQ(describe_offset(0), "on the due date");
  EXPECT_EQ(describe_offset(1), "1 day after the due date");
}

TEST(ReminderStatusTest, OnlyWhatIsStillOwed) {
  for (const char* s : {"Open", "Partially Paid", "Payment Failed"}) EXPECT_TRUE(is_remindable_status(s)) << s;
  for (const char* s : {"Draft", "Paid", "Void", "Uncollectible", "Refunded", "Partially Refunded"})
    EXPECT_FALSE(is_remindable_status(s)) << s;
}

}  // namespace
}  // namespace settle::billing
