// The one error vocabulary of Settle: every failure a domain function can report is an
// Error with a code (what kind of failure), a message safe to show the client, the field
// it concerns (if any) and a log message that may carry detail the client must not see.
// The mapping from code to HTTP status lives in one place: http/errors.cpp.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

namespace settle {

enum class ErrorCode {
  BadRequest,       // malformed JSON, bad filter syntax, unknown parameter
  Unauthenticated,  // no or invalid credentials
  Forbidden,        // authenticated, but the role does not allow it
  NotFound,         // no such record in this workspace
  Conflict,         // state machine refused the move, unique clash
  Validation,       // well-formed but invalid field value
  TooLarge,         // body over the limit
  RateLimited,      // too many attempts
  Upstream,         // Stripe or SMTP failed
  Unavailable,      // overloaded, try again
  Internal,         // a bug or an unexpected storage failure
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;   // shown to the client
  std::string field;     // the offending field, empty if none
  std::string log;       // for the server log only; empty means "same as message"
  nlohmann::json details = nullptr;  // extra machine-readable data (e.g. allowed moves)

  static Error bad_request(std::string message, std::string field = {});
  static Error unauthenticated(std::string message = "authentication required");
  static Error forbidden(std::string message = "your role does not allow this");
  static Error not_found(std::string what);
  static Error conflict(std::string message, std::string field = {});
  static Error validation(std::string field, std::string message);
  static Error internal(std::string log);
  static Error upstream(std::string message, std::string log = {});
};

template <class T>
using Result = tl::expected<T, Error>;

using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

}  // namespace settle
