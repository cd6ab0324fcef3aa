// 5-field cron schedules (minute hour day-of-month month day-of-week) evaluated in an IANA
// time zone, for the SCHEDULE trigger. A business wants "the 1st at 08:00" to mean 08:00
// where it is, summer and winter, so schedules are read in local time, not UTC.
//
// Grammar: fields separated by white space, exactly five. Each field is a comma list of
// `*`, n, a-b, */s, a-b/s and a/s (a to the field's end); month names JAN–DEC and day
// names SUN–SAT (any case, also in ranges: MON-FRI); day of week 0–7, 0 and 7 both Sunday.
// A step may not exceed the field's largest value (as in cronie: "*/60" is a mistake, not
// "every hour"). The macros @yearly @annually @monthly @weekly @daily @midnight @hourly
// stand for their usual five fields.
//
// Days, as in Vixie cron and cronie: when both day of month and day of week are
// restricted, a day matches if either does; when either field starts with '*' (`*`, `*/2`)
// both must. So "0 0 13 * FRI" is every 13th and every Friday, while "0 0 */2 * MON" is
// the Mondays with an odd day number.
//
// Daylight saving time (what cronie does for fixed-time jobs, and what users expect). A
// schedule whose hour field names hours ("30 2 * * *", "0 9,17 * * *") is a fixed-time
// job; one whose hour field starts with '*' or covers all 24 hours ("*/15 * * * *",
// "0 */2 * * *") is periodic:
//  - spring forward: a local time that does not exist (02:30 on 2026-03-08 in New York)
//    fires a fixed-time job once, at the end of the gap (03:00 local, 07:00 UTC), so the
//    job is not lost for the day; a periodic job simply has no ticks in the missing hour;
//  - fall back: a local time that happens twice (01:30 on 2026-11-01 in New York) fires a
//    fixed-time job once, at its first occurrence (EDT); a periodic job fires in both
//    occurrences, as it does in every real hour.
// Every fire time is a distinct UTC instant, and next_fire answers the earliest one
// strictly after the instant given, so a scheduler that feeds each answer back in never
// fires twice nor skips one.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace settle::workflow {

struct CronSchedule {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  // 1..31
  std::bitset<13> months;         // 1..12
  std::bitset<7> days_of_week;    // 0..6, Sunday 0
  bool any_day_of_month = true;   // the field started with '*': days combine with AND
  bool any_day_of_week = true;
  bool periodic_hours = true;     // the hour field started with '*' or named all 24 hours
};

// A validation error on "cron" whose message starts with the field ("minute", "hour",
// "day of month", "month", "day of week") and quotes the bad value.
Result<CronSchedule> parse_cron(std::string_view expression);
// The first fire time strictly after `after`, with the schedule read in zone `tz`; nullopt
// when none falls within five years ("0 0 30 2 *") or the zone is unknown.
std::optional<std::chrono::sys_seconds> next_fire(const CronSchedule& s, std::string_view tz,
                                                  std::chrono::sys_seconds after);
// A validation error on "timezone" for a name the zone database does not know.
Status check_time_zone(std::string_view tz);
// Words for the UI ("at 08:00 on day 1 of the month"); the expression itself when the
// schedule is not one of the common shapes (or not valid).
std::string describe_cron(std::string_view expression);

}  // namespace settle::workflow
