// Stripe's answers that are not a success, turned into Settle's error vocabulary, and
// the retry policy that decides which of them are worth another attempt.
//
// Stripe's error object: {"error": {"type", "code", "decline_code", "message", "param",
// "doc_url", ...}} with an HTTP status. The mapping (error_from_answer) and the reasons:
//
//   401                      Upstream  "Stripe rejected the API key" (the user must fix the
//                                      key in the settings; Stripe's wording echoes part of it)
//   403                      Upstream  the key lacks a permission (restricted keys)
//   402 / type card_error    Validation on `param` or "payment_method", message = Stripe's
//                                      message ("Your card was declined."): shown as is
//   404                      NotFound  Stripe's message ("No such customer: 'cus_123'")
//   type idempotency_error   Conflict  an Idempotency-Key reused with other parameters: a
//                                      Settle bug or a changed record; details say which
//   409 (lock_timeout, idempotency_key_in_use), 429, 5xx
//                            Upstream  transient; reported only once retries are exhausted
//   400 with a param         Validation on that param ("Stripe: <message>")
//   400 without a param      Conflict  Stripe refused the move ("This invoice is already paid")
//   anything else            Upstream
//
// Every error carries details {"stripe": {"status", "type", "code", "decline_code",
// "param", "request_id"}} (members present only when known) for the caller and the log.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace settle::stripe {

// The members of Stripe's error object Settle uses; empty when absent.
struct StripeErrorObject {
  std::string type;
  std::string code;
  std::string decline_code;
  std::string message;
  std::string param;
};

// The error object of an answer body, if the body is one.
std::optional<StripeErrorObject> parse_error_object(const nlohmann::json& body);

// The Error for an HTTP answer with a non-2xx `status` and its parsed body (null when
// the body was not JSON). Does not know the API key: the client redacts on top.
Error error_from_answer(int status, const nlohmann::json& body, std::string_view request_id);

// ---- Retries ----------------------------------------------------------------------

struct RetryPolicy {
  // Attempts after the first; 0 disables retrying.
  int max_retries = 3;
  // Back-off before retry n (1-based): min(initial_delay * 2^(n-1), max_delay), of which
  // a random half is taken away ("equal jitter") so that clients that failed together do
  // not retry together.
  std::chrono::milliseconds initial_delay{500};
  std::chrono::milliseconds max_delay{8000};
  // A Retry-After up to this long is honoured (the wait is at least that); a longer one
  // ends the retrying, since waiting minutes inside a request helps nobody: the caller
  // gets the error and its own job queue tries later.
  std::chrono::seconds max_retry_after{60};
};

// Whether an HTTP answer is worth retrying. Stripe's `Stripe-Should-Retry` header
// decides when present ("true"/"false"); otherwise 409 (lock_timeout: another request
// holds the object), 429 and 5xx are retried, and other statuses are final. Safe for
// POSTs because every POST carries an Idempotency-Key.
bool should_retry_status(int status, std::string_view should_retry_header);

// Retry-After in delta-seconds; nullopt when absent or not a plain number (an HTTP date
// is not something Stripe sends).
std::optional<std::chrono::seconds> parse_retry_after(std::string_view header);

// The wait before retry `retry_number` (1-based); `jitter` in [0, 1) picks the point in
// the jitter range (the client passes a random number). `retry_after`, when given and
// within policy.max_retry_after, is a lower bound.
std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int retry_number,
                                      std::optional<std::chrono::seconds> retry_after, double jitter);

}  // namespace settle::stripe
