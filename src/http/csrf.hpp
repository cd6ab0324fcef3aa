// Cross-site request forgery defence for cookie-authenticated requests. A session's CSRF
// token is derived from its session token (HMAC-SHA256 keyed by the session token), so it
// needs no storage and ends with the session: a page on another site can neither read the
// HttpOnly session cookie nor compute the token from it. The web UI reads the token from
// the `settle_csrf` cookie (not HttpOnly) or from the sign-in answer, and sends it as the
// X-CSRF-Token header on every request that changes something. API-key requests carry no
// ambient credential and are exempt.
#pragma once

#include <string>
#include <string_view>

namespace settle::http {

inline constexpr const char* kCsrfHeader = "x-csrf-token";
inline constexpr const char* kCsrfCookie = "settle_csrf";

// The token of the session whose cookie value is `session_token`.
std::string csrf_token_for(std::string_view session_token);

// Whether `sent` (the header's value) is the token of `session_token`, in constant time.
bool csrf_token_matches(std::string_view session_token, std::string_view sent);

// Methods that never change anything and so need no token.
bool is_safe_method(std::string_view method);

}  // namespace settle::http
