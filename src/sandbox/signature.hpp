// Webhook signing exactly as Stripe does it: the `Stripe-Signature` header is
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the endpoint
// secret (the whole "whsec_..." string)>". Verified by the official SDKs'
// webhooks.constructEvent, so the exact bytes signed are the bytes sent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace settle::sandbox {

// Lower-case hex of HMAC-SHA256(key, message).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// The value of the Stripe-Signature header for `payload` signed at `timestamp`.
std::string stripe_signature_header(std::string_view secret, std::int64_t timestamp, std::string_view payload);

}  // namespace settle::sandbox
