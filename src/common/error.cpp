#include "common/error.hpp"

namespace settle {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::BadRequest: return "BAD_REQUEST";
    case ErrorCode::Unauthenticated: return "UNAUTHENTICATED";
    case ErrorCode::Forbidden: return "FORBIDDEN";
    case ErrorCode::NotFound: return "NOT_FOUND";
    case ErrorCode::Conflict: return "CONFLICT";
    case ErrorCode::Validation: return "VALIDATION_ERROR";
    case ErrorCode::TooLarge: return "PAYLOAD_TOO_LARGE";
    case ErrorCode::RateLimited: return "RATE_LIMITED";
    case ErrorCode::Upstream: return "UPSTREAM_ERROR";
    case ErrorCode::Unavailable: return "UNAVAILABLE";
    case ErrorCode::Internal: return "INTERNAL_ERROR";
  }
  return "INTERNAL_ERROR";
}

Error Error::bad_request(std::string message, std::string field) {
  return Error{ErrorCode::BadRequest, std::move(message), std::move(field), {}, nullptr};
}
Error Error::unauthenticated(std::string message) {
  return Error{ErrorCode::Unauthenticated, std::move(message), {}, {}, nullptr};
}
Error Error::forbidden(std::string message) {
  return Error{ErrorCode::Forbidden, std::move(message), {}, {}, nullptr};
}
Error Error::not_found(std::string what) {
  return Error{ErrorCode::NotFound, what + " not found", {}, {}, nullptr};
}
Error Error::conflict(std::string message, std::string field) {
  return Error{ErrorCode::Conflict, std::move(message), std::move(field), {}, nullptr};
}
Error Error::validation(std::string field, std::string message) {
  return Error{ErrorCode::Validation, std::move(message), std::move(field), {}, nullptr};
}
Error Error::internal(std::string log) {
  return Error{ErrorCode::Internal, "internal error", {}, std::move(log), nullptr};
}
Error Error::upstream(std::string message, std::string log) {
  return Error{ErrorCode::Upstream, std::move(message), {}, std::move(log), nullptr};
}

}  // namespace settle
