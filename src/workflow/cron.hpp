// 5-field cron schedules (minute hour day-of-month month day-of-week) evaluated in an IANA
// time zone, for the SCHEDULE trigger. Twenty runs cron in UTC only; a business wants "the
// 1st at 08:00" to mean 08:00 where it is, summer and winter.
//
// Grammar: `*`, n, a-b, */s, a-b/s, a/s (a to the field's end) and comma lists of them;
// month names JAN–DEC and day names SUN–SAT (any case, also in ranges: MON-FRI); day of week
// 0–7 with 0 and 7 both Sunday; the macros @yearly @annually @monthly @weekly @daily
// @midnight @hourly. As in Vixie cron, when both day of month and day of week are
// restricted a day matches if either does; otherwise both must.
//
// Daylight saving time (what cronie does, and what users expect):
//  - spring forward: a local time that does not exist (02:30 on 2026-03-08 in New York)
//    fires once at the end of the gap (03:00 local) when the hour field names hours;
//    a schedule for every hour has no ticks in the missing hour;
//  - fall back: a local time that happens twice (01:30 on 2026-11-01 in New York) fires
//    once, at its first occurrence, when the hour field names hours; a schedule for every
//    hour fires in both occurrences (every real hour).
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
  bool any_day_of_month = true;   // the field was '*'
  bool any_day_of_week = true;
};

// A validation error on "cron" naming the field and the value when the text is not valid.
Result<CronSchedule> parse_cron(std::string_view expression);
// The first fire time strictly after `after`, with the schedule read in zone `tz`; nullopt
// when none falls within five years ("0 0 30 2 *"). `tz` must be a valid zone.
std::optional<std::chrono::sys_seconds> next_fire(const CronSchedule& s, std::string_view tz,
                                                  std::chrono::sys_seconds after);
// A validation error on "timezone" for a name the zone database does not know.
Status check_time_zone(std::string_view tz);
// Words for the UI ("at 08:00 on day 1 of the month"); the expression itself when the
// schedule is not one of the common shapes.
std::string describe_cron(std::string_view expression);

}  // namespace settle::workflow
