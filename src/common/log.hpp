// The server's log format. Log lines quote values that came from requests (an email, an
// event type, a path); a value holding a newline or a terminal escape could forge a log
// line or rewrite the operator's terminal, so every control character of the message is
// written escaped (\n, \r, \t, \xHH). Printable UTF-8 is kept as it is.
#pragma once

#include <string>
#include <string_view>

namespace settle {

std::string escape_control_characters(std::string_view text);

// Sets the format of every logger: "2026-11-23T09:20:00.000 info message", with the
// message's control characters escaped.
void install_log_format();

}  // namespace settle
