#include "billing/dunning.hpp"

#include <algorithm>
#include <array>

namespace settle::billing {

namespace {

std::string days(long n) { return std::to_string(n) + (n == 1 ? " day" : " days"); }

std::string rule_field(std::size_t i, const char* name) { return "rules[" + std::to_string(i) + "]." + name; }

}  // namespace

Status validate_reminder_rules(const std::vector<ReminderRule>& rules) {
  if (rules.size() > kMaxReminderRules) return fail(Error::validation("rules", "at most three reminder rules"));
  std::set<int> positions, offsets;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const ReminderRule& r = rules[i];
    if (r.position < 1 || r.position > static_cast<int>(kMaxReminderRules) || !positions.insert(r.position).second)
      return fail(Error::validation(rule_field(i, "position"), "1, 2 or 3, each once"));
    if (r.offset_days < -kMaxReminderOffsetDays || r.offset_days > kMaxReminderOffsetDays)
      return fail(Error::validation(rule_field(i, "offsetDays"),
                                    "days from the due date, -365 (before) to 365 (after)"));
    if (!offsets.insert(r.offset_days).second)
      return fail(Error::validation(rule_field(i, "offsetDays"), "two rules on the same day"));
    if (r.late_fee_basis_points < 0 || r.late_fee_basis_points > kMaxLateFeeBasisPoints)
      return fail(Error::validation(rule_field(i, "lateFeeBasisPoints"),
                                    "0 to 10000 (basis points of the amount due: 150 is 1.5 %)"));
  }
  return {};
}

bool is_remindable_status(std::string_view status) {
  return status == "Open" || status == "Partially Paid" || status == "Payment Failed";
}

std::optional<ReminderRule> reminder_due(const std::vector<ReminderRule>& rules, std::chrono::sys_days issue_day,
                                         std::chrono::sys_days due_day, std::chrono::sys_days today,
                                         const std::set<int>& sent_offsets) {
  const ReminderRule* latest = nullptr;
  for (const ReminderRule& r : rules) {
    auto day = due_day + std::chrono::days{r.offset_days};
    if (day > today) continue;
    if (!latest || r.offset_days > latest->offset_days) latest = &r;
  }
  if (!latest) return std::nullopt;
  auto day = due_day + std::chrono::days{latest->offset_days};
  if (day < issue_day) return std::nullopt;
  if (today - day > std::chrono::days{kCatchUpDays}) return std::nullopt;
  // Sent already, or a later one was (the rules changed since): nothing goes backwards.
  if (!sent_offsets.empty() && *sent_offsets.rbegin() >= latest->offset_days) return std::nullopt;
  return *latest;
}

std::int64_t late_fee(std::int64_t amount_due, std::int64_t basis_points) {
  if (amount_due <= 0 || basis_points <= 0) return 0;
  // amount_due is at most ~9.2e18 / 10000 in any real invoice; beyond that, divide first.
  if (amount_due > INT64_MAX / kMaxLateFeeBasisPoints) return amount_due / 10000 * basis_points;
  return (amount_due * basis_points + 5000) / 10000;
}

std::string reminder_when(std::chrono::sys_days due_day, std::chrono::sys_days today) {
  long d = (due_day - today).count();
  if (d == 0) return "is due today";
  if (d == 1) return "is due tomorrow";
  if (d == -1) return "was due yesterday";
  if (d > 0) return "is due in " + days(d);
  return "was due " + days(-d) + " ago";
}

std::string describe_offset(int offset_days) {
  if (offset_days == 0) return "on the due date";
  if (offset_days < 0) return days(-offset_days) + " before the due date";
  return days(offset_days) + " after the due date";
}

}  // namespace settle::billing
