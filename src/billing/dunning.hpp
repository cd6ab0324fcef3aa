// Dunning: when an unpaid invoice is reminded, and what the reminder says about a late fee.
// Pure: the caller brings the workspace's rules, the invoice's dates and today's date in the
// workspace's time zone, and records what was sent.
//
// A workspace has up to three rules, each a day relative to the due date (-7: a week before,
// 0: on the day, +10: ten days after) with an optional late fee in basis points of the
// amount due, mentioned in that reminder's mail only (a finalized invoice never changes).
// On a given day an invoice gets at most the latest rule whose day has come, and only
//  - if that rule's day is on or after the invoice's issue day (an invoice issued three days
//    before it is due does not get the "a week before" reminder late),
//  - if it was not sent already, nor a later rule (each reminder goes once, in order),
//  - within kCatchUpDays of the rule's day, so that turning reminders on, or a server down
//    for a while, does not mail every old debt at once.
// Reminders go only to invoices that are still owed (Open, Partially Paid, Payment Failed).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace settle::billing {

struct ReminderRule {
  int position = 1;                 // 1..3, which names its mail template (invoice_reminder_N)
  int offset_days = 0;              // relative to the due date
  std::int64_t late_fee_basis_points = 0;  // 0: none; 150 = 1.5 % of the amount due
};

inline constexpr std::size_t kMaxReminderRules = 3;
inline constexpr int kMaxReminderOffsetDays = 365;
inline constexpr std::int64_t kMaxLateFeeBasisPoints = 10000;
inline constexpr int kCatchUpDays = 14;

// At most three rules, positions 1..3 each at most once, offsets within a year either side
// and all different, fees 0..100 %. The error names the field: "rules[1].offsetDays".
Status validate_reminder_rules(const std::vector<ReminderRule>& rules);

// Whether an invoice in this status is still reminded.
bool is_remindable_status(std::string_view invoice_status);

// The rule that falls due today for an invoice (see above), or none. `sent_offsets` are the
// offsets of the reminders this invoice already got.
std::optional<ReminderRule> reminder_due(const std::vector<ReminderRule>& rules, std::chrono::sys_days issue_day,
                                         std::chrono::sys_days due_day, std::chrono::sys_days today,
                                         const std::set<int>& sent_offsets);

// The fee on `amount_due` at `basis_points`, in the same minor units, rounded half up.
std::int64_t late_fee(std::int64_t amount_due, std::int64_t basis_points);

// How a reminder's mail puts the day: "is due in 3 days", "is due tomorrow", "is due today",
// "was due yesterday", "was due 12 days ago".
std::string reminder_when(std::chrono::sys_days due_day, std::chrono::sys_days today);

// How Settings puts a rule's day: "7 days before the due date", "on the due date", "1 day after".
std::string describe_offset(int offset_days);

}  // namespace settle::billing
