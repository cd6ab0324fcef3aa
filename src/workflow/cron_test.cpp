#include "workflow/cron.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <vector>

namespace settle::workflow {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

// "2026-03-08T07:00:00Z" as an instant; the tables read better in ISO text than in counts.
sys_seconds utc(const char* iso) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(iso, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s) != 6) ADD_FAILURE() << "bad ISO text " << iso;
  using namespace std::chrono;
  return sys_days{year{y} / mo / d} + hours{h} + minutes{mi} + seconds{s};
}

std::string iso(std::optional<sys_seconds> t) {
  if (!t) return "none";
  using namespace std::chrono;
  const auto day = floor<days>(*t);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> time{*t - day};
  char out[48];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<long>(time.hours().count()),
                static_cast<long>(time.minutes().count()), static_cast<long>(time.seconds().count()));
  return out;
}

// The fire sets only; the flags have a table of their own.
bool same_schedule(const CronSchedule& a, const CronSchedule& b) {
  return a.minutes == b.minutes && a.hours == b.hours && a.days_of_month == b.days_of_month && a.months == b.months &&
         a.days_of_week == b.days_of_week;
}

struct AcceptCase {
  const char* expression;
  const char* same_as;  // an equivalent spelling; nullptr: only that it parses
};

TEST(CronParse, Accepts) {
  const std::vector<AcceptCase> cases = {
      {"* * * * *", nullptr},
      {"0 8 1 * *", nullptr},
      {"  0   8\t1 * *  ", "0 8 1 * *"},
      {"*/15 * * * *", "0,15,30,45 * * * *"},
      {"10-20/5 * * * *", "10,15,20 * * * *"},
      {"50/3 * * * *", "50,53,56,59 * * * *"},
      {"0 9-17 * * *", "0 9,10,11,12,13,14,15,16,17 * * *"},
      {"0 0 * * MON-FRI", "0 0 * * 1-5"},
      {"0 0 * * mon,Wed,FRI", "0 0 * * 1,3,5"},
      {"0 0 * * 7", "0 0 * * 0"},
      {"0 0 * * SUN", "0 0 * * 7"},
      {"0 0 * * 5-7", "0 0 * * 0,5,6"},
      {"0 0 * * */2", "0 0 * * 0,2,4,6"},
      {"0 0 1 JAN-MAR *", "0 0 1 1-3 *"},
      {"0 0 1 jan,Dec *", "0 0 1 1,12 *"},
      {"0 0 1 */3 *", "0 0 1 1,4,7,10 *"},
      {"00 08 01 01 *", "0 8 1 1 *"},
      {"59 23 31 12 6", nullptr},
      {"0-59 0-23 1-31 1-12 0-7", nullptr},
      {"1,2,3-5,*/20 * * * *", "0,1,2,3,4,5,20,40 * * * *"},
      {"@yearly", "0 0 1 1 *"},
      {"@annually", "0 0 1 1 *"},
      {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"},
      {"@daily", "0 0 * * *"},
      {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"},
      {"@DAILY", "0 0 * * *"},
  };
  for (const auto& c : cases) {
    auto s = parse_cron(c.expression);
    ASSERT_TRUE(s) << c.expression << ": " << s.error().message;
    if (c.same_as) {
      auto expected = parse_cron(c.same_as);
      ASSERT_TRUE(expected) << c.same_as;
      EXPECT_TRUE(same_schedule(*s, *expected)) << c.expression << " differs from " << c.same_as;
    }
  }
}

TEST(CronParse, Flags) {
  struct Case {
    const char* expression;
    bool any_day_of_month, any_day_of_week, periodic_hours;
  };
  const std::vector<Case> cases = {
      {"* * * * *", true, true, true},
      {"0 0 * * *", true, true, false},
      {"0 0 13 * FRI", false, false, false},
      {"0 0 */2 * MON", true, false, false},  // Vixie: a field starting with '*' is not "restricted"
      {"0 */2 * * *", true, true, true},
      {"0 0-23 * * *", true, true, true},
      {"30 2 * * *", true, true, false},
  };
  for (const auto& c : cases) {
    auto s = parse_cron(c.expression);
    ASSERT_TRUE(s) << c.expression;
    EXPECT_EQ(s->any_day_of_month, c.any_day_of_month) << c.expression;
    EXPECT_EQ(s->any_day_of_week, c.any_day_of_week) << c.expression;
    EXPECT_EQ(s->periodic_hours, c.periodic_hours) << c.expression;
  }
}

struct RejectCase {
  const char* expression;
  const char* message_start;  // the field named first
  const char* value;          // the bad value quoted in the message
};

TEST(CronParse, Rejects) {
  const std::vector<RejectCase> cases = {
      {"", "a schedule has 5 fields", ""},
      {"* * * *", "a schedule has 5 fields", "not 4"},
      {"0 0 * * * *", "a schedule has 5 fields", "not 6"},
      {"0 0 * * * 2026", "a schedule has 5 fields", ""},
      {"60 * * * *", "minute ", "'60'"},
      {"-1 * * * *", "minute ", "'-1'"},
      {"99999 * * * *", "minute ", "out of range"},
      {"5-1 * * * *", "minute ", "reversed"},
      {"*/0 * * * *", "minute ", "'*/0'"},
      {"*/ * * * *", "minute ", "'*/'"},
      {"*/60 * * * *", "minute ", "step"},
      {"1,,2 * * * *", "minute ", "empty item"},
      {"1, * * * *", "minute ", "empty item"},
      {",1 * * * *", "minute ", "empty item"},
      {"1-2-3 * * * *", "minute ", "'1-2-3'"},
      {"1/2/3 * * * *", "minute ", "'1/2/3'"},
      {"5x * * * *", "minute ", "'5x'"},
      {"jan * * * *", "minute ", "'jan'"},
      {"0 24 * * *", "hour ", "'24'"},
      {"0 0 0 * *", "day of month ", "'0'"},
      {"0 0 32 * *", "day of month ", "'32'"},
      {"0 0 MON * *", "day of month ", "'MON'"},
      {"0 0 1 13 *", "month ", "'13'"},
      {"0 0 1 0 *", "month ", "'0'"},
      {"0 0 1 JANUARY *", "month ", "'JANUARY'"},
      {"0 0 1 DEC-JAN *", "month ", "reversed"},
      {"0 0 * * 8", "day of week ", "'8'"},
      {"0 0 * * FRI-MON", "day of week ", "reversed"},
      {"0 0 * * JAN", "day of week ", "'JAN'"},
      {"0 0 * * *x", "day of week ", "'*x'"},
      {"0 0 * * MON-", "day of week ", "'MON-'"},
      {"@reboot", "unknown macro", "'@reboot'"},
      {"@daily 0", "unknown macro", ""},
  };
  for (const auto& c : cases) {
    auto s = parse_cron(c.expression);
    ASSERT_FALSE(s) << "accepted '" << c.expression << "'";
    EXPECT_EQ(s.error().code, ErrorCode::Validation) << c.expression;
    EXPECT_EQ(s.error().field, "cron") << c.expression;
    EXPECT_EQ(s.error().message.rfind(c.message_start, 0), 0u) << c.expression << ": " << s.error().message;
    EXPECT_NE(s.error().message.find(c.value), std::string::npos) << c.expression << ": " << s.error().message;
  }
}

struct FireCase {
  const char* expression;
  const char* tz;
  const char* after;
  const char* expected;  // "none": no fire time within five years
};

void expect_fires(const std::vector<FireCase>& cases) {
  for (const auto& c : cases) {
    auto s = parse_cron(c.expression);
    ASSERT_TRUE(s) << c.expression;
    EXPECT_EQ(iso(next_fire(*s, c.tz, utc(c.after))), c.expected)
        << "'" << c.expression << "' in " << c.tz << " after " << c.after;
  }
}

TEST(CronNextFire, Utc) {
  expect_fires({
      {"* * * * *", "UTC", "2026-03-10T10:15:30Z", "2026-03-10T10:16:00Z"},
      {"* * * * *", "UTC", "2026-03-10T10:15:00Z", "2026-03-10T10:16:00Z"},  // strictly after
      {"* * * * *", "UTC", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z"},
      {"0 * * * *", "UTC", "2026-03-10T10:15:00Z", "2026-03-10T11:00:00Z"},
      {"0 * * * *", "UTC", "2026-12-31T23:30:00Z", "2027-01-01T00:00:00Z"},
      {"@hourly", "UTC", "2026-03-10T10:59:59Z", "2026-03-10T11:00:00Z"},
      {"*/15 * * * *", "UTC", "2026-03-10T10:46:00Z", "2026-03-10T11:00:00Z"},
      {"0 8 * * *", "UTC", "2026-03-10T07:59:59Z", "2026-03-10T08:00:00Z"},
      {"0 8 * * *", "UTC", "2026-03-10T08:00:00Z", "2026-03-11T08:00:00Z"},
      {"30 23 * * *", "UTC", "2026-02-28T23:30:00Z", "2026-03-01T23:30:00Z"},
      {"0 8 1 * *", "UTC", "2026-01-15T00:00:00Z", "2026-02-01T08:00:00Z"},
      {"0 8 1 * *", "UTC", "2026-12-01T08:00:00Z", "2027-01-01T08:00:00Z"},
      {"0 9 * * 1-5", "UTC", "2026-03-13T09:00:00Z", "2026-03-16T09:00:00Z"},  // Friday to Monday
      {"0 9 * * MON-FRI", "UTC", "2026-03-10T08:00:00Z", "2026-03-10T09:00:00Z"},
      {"0 0 * * 7", "UTC", "2026-03-10T00:00:00Z", "2026-03-15T00:00:00Z"},
      {"@weekly", "UTC", "2026-03-15T00:00:00Z", "2026-03-22T00:00:00Z"},
      {"0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z"},
      {"0 0 31 * *", "UTC", "2026-04-01T00:00:00Z", "2026-05-31T00:00:00Z"},
      {"59 23 31 12 *", "UTC", "2026-06-01T00:00:00Z", "2026-12-31T23:59:00Z"},
      {"@yearly", "UTC", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"},
      {"0 12 * 2 *", "UTC", "2026-03-01T00:00:00Z", "2027-02-01T12:00:00Z"},
      // Both day fields restricted: the 13th or a Friday, whichever comes first.
      {"0 0 13 * FRI", "UTC", "2026-04-10T00:00:00Z", "2026-04-13T00:00:00Z"},  // a Monday the 13th
      {"0 0 13 * FRI", "UTC", "2026-04-13T00:00:00Z", "2026-04-17T00:00:00Z"},  // a Friday the 17th
      // A day field starting with '*' is not restricted: both must match (odd-numbered Mondays).
      {"0 0 */2 * MON", "UTC", "2026-03-01T00:00:00Z", "2026-03-09T00:00:00Z"},
      {"0 0 30 2 *", "UTC", "2026-01-01T00:00:00Z", "none"},
      {"0 0 31 4,6,9,11 *", "UTC", "2026-01-01T00:00:00Z", "none"},
  });
}

TEST(CronNextFire, TimeZones) {
  expect_fires({
      // The 1st at 08:00 local, winter and summer.
      {"0 8 1 * *", "Europe/Berlin", "2026-01-15T00:00:00Z", "2026-02-01T07:00:00Z"},
      {"0 8 1 * *", "Europe/Berlin", "2026-03-15T00:00:00Z", "2026-04-01T06:00:00Z"},
      {"0 8 1 * *", "Europe/Berlin", "2026-10-15T00:00:00Z", "2026-11-01T07:00:00Z"},
      {"0 8 1 * *", "America/New_York", "2026-02-15T00:00:00Z", "2026-03-01T13:00:00Z"},
      {"0 8 1 * *", "America/New_York", "2026-03-02T00:00:00Z", "2026-04-01T12:00:00Z"},
      {"0 8 1 * *", "America/New_York", "2026-10-15T00:00:00Z", "2026-11-01T13:00:00Z"},  // the fall-back day
      {"0 8 * * *", "Asia/Kolkata", "2026-06-01T00:00:00Z", "2026-06-01T02:30:00Z"},
      {"0 0 * * *", "America/New_York", "2026-06-01T03:59:59Z", "2026-06-01T04:00:00Z"},
      // The local day decides the weekday: Monday 00:30 in Berlin is still Sunday in UTC.
      {"30 0 * * MON", "Europe/Berlin", "2026-06-01T00:00:00Z", "2026-06-07T22:30:00Z"},
      // Spring forward in New York, 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00Z).
      {"30 2 * * *", "America/New_York", "2026-03-08T00:00:00Z", "2026-03-08T07:00:00Z"},  // the gap end
      {"30 2 * * *", "America/New_York", "2026-03-07T08:00:00Z", "2026-03-08T07:00:00Z"},
      {"30 2 * * *", "America/New_York", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"},
      {"0,30 2 * * *", "America/New_York", "2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z"},  // once, not twice
      {"0 3 * * *", "America/New_York", "2026-03-08T00:00:00Z", "2026-03-08T07:00:00Z"},
      {"0 * * * *", "America/New_York", "2026-03-08T05:30:00Z", "2026-03-08T06:00:00Z"},
      {"0 * * * *", "America/New_York", "2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z"},  // no 02:00 tick
      {"*/15 * * * *", "America/New_York", "2026-03-08T06:45:00Z", "2026-03-08T07:00:00Z"},
      {"0 */2 * * *", "America/New_York", "2026-03-08T05:30:00Z", "2026-03-08T08:00:00Z"},  // 04:00 EDT
      {"30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z"},
      // Fall back in New York, 2026-11-01: 02:00 EDT becomes 01:00 EST (06:00Z).
      {"30 1 * * *", "America/New_York", "2026-11-01T00:00:00Z", "2026-11-01T05:30:00Z"},  // first occurrence
      {"30 1 * * *", "America/New_York", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"},
      {"0 * * * *", "America/New_York", "2026-11-01T04:30:00Z", "2026-11-01T05:00:00Z"},
      {"0 * * * *", "America/New_York", "2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z"},  // 01:00 again
      {"0 * * * *", "America/New_York", "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"},
      {"*/30 * * * *", "America/New_York", "2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z"},
      {"*/30 * * * *", "America/New_York", "2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z"},
      {"0 2 * * *", "America/New_York", "2026-11-01T00:00:00Z", "2026-11-01T07:00:00Z"},
      // Fall back at local midnight in Santiago, 2026-04-05T03:00Z: 23:xx on the 4th happens twice.
      {"30 23 * * *", "America/Santiago", "2026-04-04T12:00:00Z", "2026-04-05T02:30:00Z"},
      {"30 23 * * *", "America/Santiago", "2026-04-05T02:30:00Z", "2026-04-06T03:30:00Z"},
      {"30 * * * *", "America/Santiago", "2026-04-05T02:30:00Z", "2026-04-05T03:30:00Z"},
      {"0 0 30 2 *", "Europe/Berlin", "2026-01-01T00:00:00Z", "none"},
      {"* * * * *", "Mars/Olympus", "2026-01-01T00:00:00Z", "none"},
  });
}

TEST(CronTimeZone, Check) {
  for (const char* good : {"UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe"})
    EXPECT_TRUE(check_time_zone(good)) << good;
  for (const char* bad : {"Mars/Olympus", "", "america/new_york", "../etc/passwd", "Europe/"}) {
    auto st = check_time_zone(bad);
    ASSERT_FALSE(st) << bad;
    EXPECT_EQ(st.error().code, ErrorCode::Validation);
    EXPECT_EQ(st.error().field, "timezone");
    EXPECT_NE(st.error().message.find(bad), std::string::npos);
  }
}

TEST(CronDescribe, CommonShapes) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"0 8 1 * *", "at 08:00 on day 1 of the month"},
      {"0 0 * * *", "at 00:00 every day"},
      {"@daily", "at 00:00 every day"},
      {"30 6 * * *", "at 06:30 every day"},
      {"0 9 * * MON-FRI", "at 09:00 on weekdays"},
      {"0 10 * * SAT,SUN", "at 10:00 at weekends"},
      {"0 9 * * 1,5", "at 09:00 on Monday, Friday"},
      {"0 0 * * 7", "at 00:00 on Sunday"},
      {"@yearly", "at 00:00 on 1 January"},
      {"* * * * *", "every minute"},
      {"*/15 * * * *", "every 15 minutes"},
      {"@hourly", "every hour at minute 0"},
      {"0 0 13 * FRI", "0 0 13 * FRI"},      // no simple words: the expression itself
      {"0 9-17 * * *", "0 9-17 * * *"},
      {"not a cron", "not a cron"},
  };
  for (const auto& [expression, text] : cases) EXPECT_EQ(describe_cron(expression), text) << expression;
}

// A deterministic generator, so a failure names an expression that can be replayed.
struct Lcg {
  std::uint64_t state;
  std::uint32_t next() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::uint32_t>(state >> 33);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint32_t>(n)); }
};

std::string random_field(Lcg& g, int low, int high) {
  auto value = [&] { return low + g.below(high - low + 1); };
  switch (g.below(6)) {
    case 0: return "*";
    case 1: return std::to_string(value());
    case 2: {
      int a = value(), b = value();
      if (a > b) std::swap(a, b);
      return std::to_string(a) + "-" + std::to_string(b);
    }
    case 3: return "*/" + std::to_string(1 + g.below(std::min(high, 12)));
    case 4: return std::to_string(value()) + "," + std::to_string(value());
    default: {
      int a = value();
      return std::to_string(a) + "/" + std::to_string(1 + g.below(std::min(high, 10)));
    }
  }
}

TEST(CronNextFire, PropertyFeedingBackIsStable) {
  const char* zones[] = {"UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu",
                         "America/Santiago"};
  // Instants around the 2026 transitions of those zones, and ordinary ones.
  const char* anchors[] = {"2026-03-08T06:00:00Z", "2026-11-01T05:00:00Z", "2026-03-29T00:30:00Z",
                           "2026-10-25T00:30:00Z", "2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z",
                           "2026-04-05T03:00:00Z", "2027-12-31T23:00:00Z"};
  Lcg g{20260308};
  int fired = 0;
  for (int i = 0; i < 200; ++i) {
    std::string expression = random_field(g, 0, 59) + " " + random_field(g, 0, 23) + " " + random_field(g, 1, 31) +
                             " " + random_field(g, 1, 12) + " " + random_field(g, 0, 7);
    auto s = parse_cron(expression);
    ASSERT_TRUE(s) << expression << ": " << s.error().message;
    const char* tz = zones[i % std::size(zones)];
    sys_seconds after = utc(anchors[g.below(static_cast<int>(std::size(anchors)))]) + seconds(g.below(3 * 86400)) -
                        seconds(86400);
    // Follow a few fire times in a row, as the scheduler does.
    for (int k = 0; k < 3; ++k) {
      auto next = next_fire(*s, tz, after);
      if (!next) break;
      ++fired;
      ASSERT_GT(*next, after) << expression << " in " << tz << " after " << iso(after);
      EXPECT_EQ(next_fire(*s, tz, *next - seconds(1)), next) << expression << " in " << tz << " at " << iso(next);
      after = *next;
    }
  }
  EXPECT_GT(fired, 300);  // the generator must make mostly satisfiable schedules to prove anything
}

}  // namespace
}  // namespace settle::workflow
