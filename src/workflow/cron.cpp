#include "workflow/cron.hpp"

#include <date/tz.h>

#include <array>
#include <vector>

#include "common/text.hpp"

namespace settle::workflow {

namespace {

using namespace std::chrono;

struct FieldRule {
  const char* name;
  int low, high;
  const std::array<const char*, 12>* names;  // index 0 is the value `names_base`
  int names_base;
};

constexpr std::array<const char*, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                     "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<const char*, 12> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", "", "", "", "", ""};

const FieldRule kFields[5] = {{"minute", 0, 59, nullptr, 0},
                              {"hour", 0, 23, nullptr, 0},
                              {"day of month", 1, 31, nullptr, 0},
                              {"month", 1, 12, &kMonthNames, 1},
                              {"day of week", 0, 7, &kDayNames, 0}};

Error cron_error(const FieldRule& f, std::string_view value, const std::string& why) {
  return Error::validation("cron", std::string(f.name) + " '" + std::string(value) + "': " + why);
}

std::optional<int> parse_value(const FieldRule& f, std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (f.names) {
    std::string lower = ascii_lower(text);
    for (size_t i = 0; i < f.names->size(); ++i)
      if ((*f.names)[i][0] != '\0' && lower == (*f.names)[i]) return static_cast<int>(i) + f.names_base;
  }
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
    if (v > 1000) return std::nullopt;
  }
  return v;
}

// One field into `bits` (sized high + 1); answers whether it was '*'.
Result<bool> parse_field(const FieldRule& f, std::string_view text, std::vector<bool>& bits) {
  bits.assign(static_cast<size_t>(f.high + 1), false);
  if (text == "*") {
    for (int v = f.low; v <= f.high; ++v) bits[static_cast<size_t>(v)] = true;
    return true;
  }
  size_t pos = 0;
  while (true) {
    size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (item.empty()) return fail(cron_error(f, text, "an empty item in the list"));
    int step = 1;
    std::string_view range = item;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      auto s = parse_value({f.name, 0, 0, nullptr, 0}, item.substr(slash + 1));
      if (!s || *s == 0) return fail(cron_error(f, item, "the step after '/' must be a whole number above 0"));
      step = *s;
      range = item.substr(0, slash);
    }
    int from = f.low, to = f.high;
    if (range != "*") {
      auto dash = range.find('-');
      auto a = parse_value(f, range.substr(0, dash));
      if (!a) return fail(cron_error(f, item, "not a number or name"));
      from = *a;
      if (dash != std::string_view::npos) {
        auto b = parse_value(f, range.substr(dash + 1));
        if (!b) return fail(cron_error(f, item, "not a number or name"));
        to = *b;
      } else if (item.find('/') == std::string_view::npos) {
        to = from;
      }
      if (from < f.low || from > f.high || to < f.low || to > f.high)
        return fail(cron_error(f, item, "out of range " + std::to_string(f.low) + "-" + std::to_string(f.high)));
      if (from > to) return fail(cron_error(f, item, "the range is reversed"));
    }
    for (int v = from; v <= to; v += step) bits[static_cast<size_t>(v)] = true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

std::string_view expand_macro(std::string_view e) {
  if (e == "@yearly" || e == "@annually") return "0 0 1 1 *";
  if (e == "@monthly") return "0 0 1 * *";
  if (e == "@weekly") return "0 0 * * 0";
  if (e == "@daily" || e == "@midnight") return "0 0 * * *";
  if (e == "@hourly") return "0 * * * *";
  return e;
}

std::vector<std::string_view> split_fields(std::string_view e) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < e.size()) {
    while (i < e.size() && (e[i] == ' ' || e[i] == '\t')) ++i;
    size_t j = i;
    while (j < e.size() && e[j] != ' ' && e[j] != '\t') ++j;
    if (j > i) out.push_back(e.substr(i, j - i));
    i = j;
  }
  return out;
}

bool day_matches(const CronSchedule& s, date::year_month_day ymd, date::weekday wd) {
  if (!s.months[static_cast<unsigned>(ymd.month())]) return false;
  bool dom = s.days_of_month[static_cast<unsigned>(ymd.day())];
  bool dow = s.days_of_week[wd.c_encoding()];
  if (s.any_day_of_month && s.any_day_of_week) return true;
  if (s.any_day_of_month) return dow;
  if (s.any_day_of_week) return dom;
  return dom || dow;
}

}  // namespace

Result<CronSchedule> parse_cron(std::string_view expression) {
  std::string_view e = expression;
  while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.remove_prefix(1);
  while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.remove_suffix(1);
  std::string lower_macro = ascii_lower(e);
  if (!e.empty() && e.front() == '@') {
    std::string_view expanded = expand_macro(lower_macro);
    if (expanded == std::string_view(lower_macro))
      return fail(Error::validation("cron", "unknown macro '" + std::string(e) + "'"));
    e = expanded;
  }
  auto fields = split_fields(e);
  if (fields.size() != 5)
    return fail(Error::validation("cron", "a schedule has 5 fields (minute hour day-of-month month day-of-week), got " +
                                              std::to_string(fields.size())));
  CronSchedule s;
  std::vector<bool> bits;
  for (int i = 0; i < 5; ++i) {
    auto any = parse_field(kFields[i], fields[static_cast<size_t>(i)], bits);
    if (!any) return fail(any.error());
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
    if (i == 2) s.any_day_of_month = *any;
    if (i == 4) s.any_day_of_week = *any;
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
  const bool every_hour = s.hours.all();
  const auto after_info = zone->get_info(after);
  const date::local_seconds after_local{after.time_since_epoch() + after_info.offset};
  date::local_days day = floor<days>(after_local);
  constexpr int kDays = 366 * 5 + 2;
  for (int i = 0; i < kDays; ++i, day += days(1)) {
    date::year_month_day ymd{day};
    if (!day_matches(s, ymd, date::weekday{day})) continue;
    // Offsets hold all day unless a transition is near: then the day's candidates are not
    // in time order (a repeated hour) and the earliest of all of them is the answer.
    sys_seconds day_sys{duration_cast<seconds>(day.time_since_epoch())};
    auto around = zone->get_info(day_sys - days(1));
    const bool stable = around.end > day_sys + days(2);
    std::optional<sys_seconds> best;
    auto consider = [&](sys_seconds c) {
      if (c > after && (!best || c < *best)) best = c;
    };
    for (int h = 0; h < 24; ++h) {
      if (!s.hours[static_cast<size_t>(h)]) continue;
      // Hours long before `after` on its own day cannot be the answer.
      if (i == 0 && day + hours(h + 1) < after_local - hours(3)) continue;
      for (int m = 0; m < 60; ++m) {
        if (!s.minutes[static_cast<size_t>(m)]) continue;
        date::local_seconds lt = day + hours(h) + minutes(m);
        if (stable) {
          consider(sys_seconds{lt.time_since_epoch() - around.offset});
        } else {
          auto li = zone->get_info(lt);
          if (li.result == date::local_info::unique) {
            consider(sys_seconds{lt.time_since_epoch() - li.first.offset});
          } else if (li.result == date::local_info::nonexistent) {
            if (!every_hour) consider(li.second.begin);
          } else {  // ambiguous: the first occurrence, and the second for every-hour schedules
            consider(sys_seconds{lt.time_since_epoch() - li.first.offset});
            if (every_hour) consider(sys_seconds{lt.time_since_epoch() - li.second.offset});
          }
        }
        if (best && stable) return best;  // candidates come in time order on a stable day
      }
    }
    if (best) return best;
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
  int minute = single(s->minutes), hour = single(s->hours);
  bool every_month = s->months.count() == 12;
  if (minute >= 0 && s->hours.all() && s->any_day_of_month && s->any_day_of_week && every_month)
    return "every hour at minute " + std::to_string(minute);
  if (minute < 0 || hour < 0 || !every_month) return std::string(expression);
  char at[16];
  std::snprintf(at, sizeof at, "%02d:%02d", hour, minute);
  std::string text = std::string("at ") + at;
  if (s->any_day_of_month && s->any_day_of_week) return text + " every day";
  int dom = single(s->days_of_month);
  if (!s->any_day_of_month && s->any_day_of_week && dom >= 0) return text + " on day " + std::to_string(dom) + " of the month";
  if (s->any_day_of_month && !s->any_day_of_week) {
    static const char* kNames[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    if (s->days_of_week == std::bitset<7>("0111110")) return text + " on weekdays";
    std::string days;
    for (int d = 0; d < 7; ++d)
      if (s->days_of_week[static_cast<size_t>(d)]) days += (days.empty() ? "" : ", ") + std::string(kNames[d]);
    return text + " on " + days;
  }
  return std::string(expression);
}

}  // namespace settle::workflow
