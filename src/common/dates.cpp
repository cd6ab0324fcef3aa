#include "common/dates.hpp"

#include <cstdio>

namespace settle {

std::optional<std::chrono::sys_days> parse_day(std::string_view text) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (text.size() < 10 || std::sscanf(std::string(text.substr(0, 10)).c_str(), "%d-%u-%u", &y, &m, &d) != 3)
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd);
}

std::string format_day(std::chrono::sys_days day) {
  std::chrono::year_month_day ymd(day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

std::optional<std::int64_t> unix_seconds(std::string_view timestamp) {
  auto day = parse_day(timestamp);
  if (!day) return std::nullopt;
  int h = 0, mi = 0, s = 0;
  if (timestamp.size() >= 19) std::sscanf(std::string(timestamp.substr(11, 8)).c_str(), "%d:%d:%d", &h, &mi, &s);
  return std::chrono::duration_cast<std::chrono::seconds>(day->time_since_epoch()).count() + h * 3600 + mi * 60 + s;
}

std::int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace settle
