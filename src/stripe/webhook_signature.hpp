// Verification of the `Stripe-Signature` header of incoming webhooks, exactly as Stripe
// specifies it (https://docs.stripe.com/webhooks#verify-manually), and signing for tests
// and benchmarks.
//
//   Stripe-Signature: t=1700000000,v1=5257a8...,v1=9f1c03...,v0=...
//
// The expected signature is hex(HMAC-SHA256(endpoint secret, "<t>.<raw body>")), keyed
// with the whole "whsec_..." string. A payload is accepted when ANY v1 signature in the
// header matches under ANY of the active secrets (during a secret rotation Stripe signs
// with both the old and the new secret, and Settle may hold both), compared in constant
// time, and the timestamp lies within the tolerance of the current time in either
// direction (replay protection). v0 and unknown schemes are ignored.
//
// The payload must be the raw request body, byte for byte: re-serialised JSON does not
// verify.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "common/error.hpp"

namespace settle::stripe {

// Stripe's default tolerance (the official SDKs' DEFAULT_TOLERANCE).
inline constexpr std::chrono::seconds kDefaultSignatureTolerance{300};

enum class SignatureFailure {
  NoSecret,             // no secret configured to verify with
  MissingHeader,        // no Stripe-Signature header, or an empty one
  MalformedHeader,      // not a list of key=value, no timestamp, non-numeric or repeated t
  NoV1Signature,        // well-formed, but no v1 signature to check
  TimestampTooOld,      // t is more than the tolerance in the past
  TimestampInFuture,    // t is more than the tolerance in the future
  NoMatchingSignature,  // no v1 matches under any secret (wrong secret, tampered body)
};

// A stable machine name: "missing_header", "timestamp_too_old", ...
std::string_view to_string(SignatureFailure failure);
// A sentence for the 400 answer and the log ("webhook timestamp is too old (replay?)").
std::string_view describe(SignatureFailure failure);

struct SignatureCheckOptions {
  std::chrono::seconds tolerance = kDefaultSignatureTolerance;
  // The current unix time; 0 means the system clock. Set by tests.
  std::int64_t now = 0;
};

struct VerifiedSignature {
  std::int64_t timestamp = 0;    // the header's t
  std::size_t secret_index = 0;  // which of the secrets matched
};

tl::expected<VerifiedSignature, SignatureFailure> check_signature(std::string_view payload,
                                                                  std::string_view signature_header,
                                                                  std::span<const std::string> secrets,
                                                                  const SignatureCheckOptions& options = {});

// The same as a Status: Error::bad_request(describe(failure), "Stripe-Signature") with
// details {"reason": to_string(failure)}, ready to become a 400 answer.
Status verify_signature(std::string_view payload, std::string_view signature_header,
                        std::span<const std::string> secrets, const SignatureCheckOptions& options = {});

// hex(HMAC-SHA256(secret, "<timestamp>.<payload>")), the v1 signature.
std::string compute_v1_signature(std::string_view secret, std::int64_t timestamp, std::string_view payload);

// A header as Stripe would send it: "t=<timestamp>,v1=<signature>".
std::string sign_payload(std::string_view payload, std::string_view secret, std::int64_t timestamp);

}  // namespace settle::stripe
