#include "workflow/cron.hpp"

#include <date/tz.h>

#include <array>
#include <cstdio>
#include <vector>

#include "common/text.hpp"

namespace settle::workflow {

namespace {

using std::chrono::sys_seconds;

struct FieldRule {
  const char* name;
  int low, high;
  std::array<std::string_view, 12> names;  // names[i] is the value names_base + i; "" for none
  int names_base;
};

const FieldRule kFields[5] = {
    {"minute", 0, 59, {}, 0},
    {"hour", 0, 23, {}, 0},
    {"day of month", 1, 31, {}, 1},
    {"month", 1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}, 1},
    {"day of week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}, 0},
};

Error field_error(const FieldRule& f, std::string_view value, const std::string& why) {
  return Error::validation("cron", std::string(f.name) + " '" + std::string(value) + "' " + why);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// A number or (where the field has them) a name; nullopt when it is neither. Numbers are
// capped rather than overflowing so that "99999" reads as out of range, not as garbage.
std::optional<int> parse_value(const FieldRule& f, std::string_view text) {
  if (text.empty()) return std::nullopt;
  const std::string lower = ascii_lower(text);
  for (size_t i = 0; i < f.names.size(); ++i)
    if (!f.names[i].empty() && lower == f.names[i]) return static_cast<int>(i) + f.names_base;
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = std::min(v * 10 + (c - '0'), 100000);
  }
  return v;
}

// One field into `bits` (indices low..high); answers whether the field starts with '*'.
Result<bool> parse_field(const FieldRule& f, std::string_view text, std::vector<bool>& bits) {
  bits.assign(static_cast<size_t>(f.high + 1), false);
  const std::string range_text = "out of range " + std::to_string(f.low) + "-" + std::to_string(f.high);
  size_t pos = 0;
  while (true) {
    const size_t comma = text.find(',', pos);
    const std::string_view item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (item.empty()) return fail(field_error(f, text, "has an empty item in its list"));
    int step = 1;
    std::string_view range = item;
    const size_t slash = item.find('/');
    if (slash != std::string_view::npos) {
      auto s = parse_value(FieldRule{f.name, 0, 0, {}, 0}, item.substr(slash + 1));
      if (!s || *s == 0) return fail(field_error(f, item, "needs a whole number above 0 after '/'"));
      if (*s > f.high) return fail(field_error(f, item, "has a step larger than " + std::to_string(f.high)));
      step = *s;
      range = item.substr(0, slash);
    }
    int from = f.low, to = f.high;
    if (range != "*") {
      const size_t dash = range.find('-');
      auto a = parse_value(f, range.substr(0, dash));
      std::optional<int> b = a;
      if (dash != std::string_view::npos) b = parse_value(f, range.substr(dash + 1));
      if (!a || !b) return fail(field_error(f, item, "is not a number, range or step"));
      from = *a;
      // "a/s" runs from a to the field's end.
      to = (dash == std::string_view::npos && slash != std::string_view::npos) ? f.high : *b;
      if (from < f.low || from > f.high || to < f.low || to > f.high) return fail(field_error(f, item, "is " + range_text));
      if (from > to) return fail(field_error(f, item, "is a reversed range"));
    }
    for (int v = from; v <= to; v += step) bits[static_cast<size_t>(v)] = true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return !text.empty() && text.front() == '*';
}

std::optional<std::string_view> expand_macro(std::string_view lower) {
  if (lower == "@yearly" || lower == "@annually") return "0 0 1 1 *";
  if (lower == "@monthly") return "0 0 1 * *";
  if (lower == "@weekly") return "0 0 * * 0";
  if (lower == "@daily" || lower == "@midnight") return "0 0 * * *";
  if (lower == "@hourly") return "0 * * * *";
  return std::nullopt;
}

std::vector<std::string_view> split_fields(std::string_view e) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < e.size()) {
    while (i < e.size() && is_space(e[i])) ++i;
    size_t j = i;
    while (j < e.size() && !is_space(e[j])) ++j;
    if (j > i) out.push_back(e.substr(i, j - i));
    i = j;
  }
  return out;
}

bool day_matches(const CronSchedule& s, date::year_month_day ymd) {
  const bool dom = s.days_of_month[static_cast<unsigned>(ymd.day())];
  const bool dow = s.days_of_week[date::weekday{date::sys_days{ymd}}.c_encoding()];
  if (s.any_day_of_month || s.any_day_of_week) return dom && dow;
  return dom || dow;
}

// The earliest fire time on local day `day` strictly after `after`, if any.
std::optional<sys_seconds> first_on_day(const CronSchedule& s, const date::time_zone& zone, date::local_days day,
                                        sys_seconds after) {
  using std::chrono::hours;
  using std::chrono::minutes;
  // The real instants of a local day lie within a day and a half of its midnight read as
  // UTC (offsets are at most ±14 h). If one offset holds over all of that, local order is
  // time order and the first candidate past `after` is the answer.
  const sys_seconds midnight_as_utc{day.time_since_epoch()};
  const auto around = zone.get_info(midnight_as_utc - date::days(1));
  if (around.end > midnight_as_utc + date::days(2)) {
    const date::local_seconds after_local{after.time_since_epoch() + around.offset};
    for (int h = 0; h < 24; ++h) {
      if (!s.hours[static_cast<size_t>(h)] || day + hours(h) + minutes(59) <= after_local) continue;
      for (int m = 0; m < 60; ++m) {
        const date::local_seconds t = day + hours(h) + minutes(m);
        if (s.minutes[static_cast<size_t>(m)] && t > after_local)
          return sys_seconds{t.time_since_epoch() - around.offset};
      }
    }
    return std::nullopt;
  }
  // A transition is near: a repeated hour puts candidates out of time order, so take the
  // earliest of all of them. Hours the transition does not touch keep one offset throughout
  // and need no per-minute look-up.
  std::optional<sys_seconds> best;
  auto consider = [&](sys_seconds c) {
    if (c > after && (!best || c < *best)) best = c;
  };
  for (int h = 0; h < 24; ++h) {
    if (!s.hours[static_cast<size_t>(h)]) continue;
    const date::local_seconds hour_start = day + hours(h);
    const auto at_start = zone.get_info(hour_start), at_end = zone.get_info(hour_start + minutes(59));
    const bool one_offset = at_start.result == date::local_info::unique && at_end.result == date::local_info::unique &&
                            at_start.first.begin == at_end.first.begin;
    for (int m = 0; m < 60; ++m) {
      if (!s.minutes[static_cast<size_t>(m)]) continue;
      const date::local_seconds t = hour_start + minutes(m);
      const auto li = one_offset ? at_start : zone.get_info(t);
      switch (li.result) {
        case date::local_info::unique:
          consider(sys_seconds{t.time_since_epoch() - li.first.offset});
          break;
        case date::local_info::nonexistent:
          if (!s.periodic_hours) consider(li.second.begin);  // the end of the gap
          break;
        case date::local_info::ambiguous:
          consider(sys_seconds{t.time_since_epoch() - li.first.offset});
          if (s.periodic_hours) consider(sys_seconds{t.time_since_epoch() - li.second.offset});
          break;
      }
    }
  }
  return best;
}

}  // namespace

Result<CronSchedule> parse_cron(std::string_view expression) {
  std::string_view e = expression;
  while (!e.empty() && is_space(e.front())) e.remove_prefix(1);
  while (!e.empty() && is_space(e.back())) e.remove_suffix(1);
  const std::string lower = ascii_lower(e);
  if (!e.empty() && e.front() == '@') {
    auto expanded = expand_macro(lower);
    if (!expanded)
      return fail(Error::validation("cron", "unknown macro '" + std::string(e) +
                                                "'; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"));
    e = *expanded;
  }
  const auto fields = split_fields(e);
  if (fields.size() != 5)
    return fail(Error::validation("cron", "a schedule has 5 fields (minute hour day-of-month month day-of-week), not " +
                                              std::to_string(fields.size())));
  CronSchedule s;
  std::vector<bool> bits;
  for (size_t i = 0; i < 5; ++i) {
    auto starts_with_star = parse_field(kFields[i], fields[i], bits);
    if (!starts_with_star) return fail(starts_with_star.error());
    for (size_t v = 0; v < bits.size(); ++v) {
      if (!bits[v]) continue;
      switch (i) {
        case 0: s.minutes.set(v); break;
        case 1: s.hours.set(v); break;
        case 2: s.days_of_month.set(v); break;
        case 3: s.months.set(v); break;
        case 4: s.days_of_week.set(v % 7); break;  // 7 is Sunday too
      }
    }
    if (i == 1) s.periodic_hours = *starts_with_star || s.hours.all();
    if (i == 2) s.any_day_of_month = *starts_with_star;
    if (i == 4) s.any_day_of_week = *starts_with_star;
  }
  return s;
}

Status check_time_zone(std::string_view tz) {
  try {
    date::locate_zone(std::string(tz));
    return {};
  } catch (const std::exception&) {
    return fail(Error::validation("timezone", "unknown time zone '" + std::string(tz) +
                                                  "'; use an IANA name such as America/New_York or UTC"));
  }
}

std::optional<sys_seconds> next_fire(const CronSchedule& s, std::string_view tz, sys_seconds after) {
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(std::string(tz));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const date::local_seconds after_local{after.time_since_epoch() + zone->get_info(after).offset};
  // From the day before: across a fall back that straddles midnight, a time on the
  // previous local day can still be later than `after`.
  date::local_days day = std::chrono::floor<date::days>(after_local) - date::days(1);
  const date::local_days last_day = day + date::days(5 * 366 + 1);
  while (day <= last_day) {
    const date::year_month_day ymd{day};
    if (!s.months[static_cast<unsigned>(ymd.month())]) {
      day = date::local_days{date::year_month_day{ymd.year() / ymd.month() / 1} + date::months(1)};
      continue;
    }
    if (day_matches(s, ymd))
      if (auto t = first_on_day(s, *zone, day, after)) return t;
    day += date::days(1);
  }
  return std::nullopt;
}

std::string describe_cron(std::string_view expression) {
  auto s = parse_cron(expression);
  if (!s) return std::string(expression);
  auto single = [](const auto& bits) -> int {
    if (bits.count() != 1) return -1;
    for (size_t i = 0; i < bits.size(); ++i)
      if (bits[i]) return static_cast<int>(i);
    return -1;
  };
  const bool every_day = s->any_day_of_month && s->any_day_of_week && s->days_of_month.count() == 31 &&
                         s->days_of_week.all();
  const bool every_month = s->months.count() == 12;
  const int minute = single(s->minutes), hour = single(s->hours), month = single(s->months);
  if (s->hours.all() && every_day && every_month) {
    if (s->minutes.all()) return "every minute";
    if (minute >= 0) return "every hour at minute " + std::to_string(minute);
    for (int n = 2; n <= 30; ++n) {
      if (60 % n != 0) continue;
      std::bitset<60> multiples;
      for (int m = 0; m < 60; m += n) multiples.set(static_cast<size_t>(m));
      if (s->minutes == multiples) return "every " + std::to_string(n) + " minutes";
    }
    return std::string(expression);
  }
  if (minute < 0 || hour < 0) return std::string(expression);
  char at[16];
  std::snprintf(at, sizeof at, "%02d:%02d", hour, minute);
  const std::string text = std::string("at ") + at;
  const int dom = single(s->days_of_month);
  static const char* kMonths[] = {"", "January", "February", "March", "April", "May", "June",
                                  "July", "August", "September", "October", "November", "December"};
  if (!every_month) {
    if (month >= 0 && dom >= 0 && s->any_day_of_week && s->days_of_week.all())
      return text + " on " + std::to_string(dom) + " " + kMonths[month];
    return std::string(expression);
  }
  if (every_day) return text + " every day";
  if (dom >= 0 && !s->any_day_of_month && s->any_day_of_week && s->days_of_week.all())
    return text + " on day " + std::to_string(dom) + " of the month";
  if (s->any_day_of_month && s->days_of_month.count() == 31 && !s->any_day_of_week) {
    static const char* kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    if (s->days_of_week == std::bitset<7>("0111110")) return text + " on weekdays";
    if (s->days_of_week == std::bitset<7>("1000001")) return text + " at weekends";
    std::string days;
    for (size_t d = 0; d < 7; ++d)
      if (s->days_of_week[d]) days += (days.empty() ? "" : ", ") + std::string(kDays[d]);
    return text + " on " + days;
  }
  return std::string(expression);
}

}  // namespace settle::workflow
