// Calendar days and Unix seconds, for the places that turn the API's ISO text
// ("2026-11-23", "2026-11-23T10:00:00.000Z", always UTC) into arithmetic and back.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace settle {

// The day of a "YYYY-MM-DD..." text (its first ten characters); nullopt when that is not a
// valid calendar date.
std::optional<std::chrono::sys_days> parse_day(std::string_view text);
// "YYYY-MM-DD".
std::string format_day(std::chrono::sys_days day);
// Seconds since the epoch of an ISO timestamp ("YYYY-MM-DDTHH:MM:SS...", UTC; a bare date is
// its midnight); nullopt when the date is not valid.
std::optional<std::int64_t> unix_seconds(std::string_view timestamp);
std::int64_t unix_seconds_now();

}  // namespace settle
