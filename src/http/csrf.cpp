#include "http/csrf.hpp"

#include "common/crypto.hpp"

namespace settle::http {

namespace {
// Domain separation: the same session token keyed for another purpose gives another value.
constexpr std::string_view kCsrfPurpose = "settle csrf v1";
}  // namespace

std::string csrf_token_for(std::string_view session_token) { return hmac_sha256_hex(session_token, kCsrfPurpose); }

bool csrf_token_matches(std::string_view session_token, std::string_view sent) {
  if (session_token.empty() || sent.empty()) return false;
  return constant_time_equals(csrf_token_for(session_token), sent);
}

bool is_safe_method(std::string_view method) { return method == "GET" || method == "HEAD" || method == "OPTIONS"; }

}  // namespace settle::http
