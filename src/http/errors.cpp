#include "http/errors.hpp"

#include <spdlog/spdlog.h>

namespace settle::http {

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::BadRequest: return 400;
    case ErrorCode::Unauthenticated: return 401;
    case ErrorCode::Forbidden: return 403;
    case ErrorCode::NotFound: return 404;
    case ErrorCode::Conflict: return 409;
    case ErrorCode::TooLarge: return 413;
    case ErrorCode::Validation: return 422;
    case ErrorCode::RateLimited: return 429;
    case ErrorCode::Upstream: return 502;
    case ErrorCode::Unavailable: return 503;
    case ErrorCode::Internal: return 500;
  }
  return 500;
}

net::Response error_response(const Error& error) {
  int status = http_status(error.code);
  if (status >= 500) spdlog::error("{}: {}", to_string(error.code), error.log.empty() ? error.message : error.log);
  nlohmann::json body = {{"error",
                          {{"code", to_string(error.code)},
                           {"message", error.message},
                           {"field", error.field.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.field)}}}};
  if (!error.details.is_null()) body["error"]["details"] = error.details;
  // Messages may quote client input (a JSON parse error does), which need not be UTF-8.
  auto r = net::Response::json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (status == 429) {
    // A limiter says how long; the sign-in lockout's window is 15 minutes.
    const auto& wait = error.details.is_object() ? error.details.value("retryAfterSeconds", nlohmann::json()) : nullptr;
    r.set_header("Retry-After", wait.is_number_integer() ? std::to_string(wait.get<std::int64_t>()) : "900");
  }
  if (status == 503) r.set_header("Retry-After", "1");
  return r;
}

}  // namespace settle::http
