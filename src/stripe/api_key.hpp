// Stripe API keys as Settle handles them: which mode a key is for, format validation
// before a key is stored, masking for display and logs, and scrubbing a key out of any
// text that might end up in a message or a log line.
//
// A key Settle accepts is "sk_test_", "sk_live_", "rk_test_" or "rk_live_" (secret or
// restricted, test or live) followed by at least 10 characters of [A-Za-z0-9] (real
// keys have ~99), at most 255 characters in all.
#pragma once

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace settle::stripe {

enum class KeyMode { Test, Live, Invalid };

std::string_view to_string(KeyMode mode);  // "test", "live", "invalid"

// Test or Live for a key of the accepted format; Invalid otherwise.
KeyMode key_mode(std::string_view key);

// Error::validation(field, ...) when `key` is not of the accepted format. The message
// never repeats the key (it is a secret even when mistyped).
Status validate_api_key(std::string_view key, std::string_view field = "stripeSecretKey");

// A key for display: its prefix and its last 4 characters, "sk_test_…1234". Nothing
// more is shown, so that a masked key identifies which key is configured without being
// usable. An invalid key shows at most its last 4 characters ("…1234", or "…" when it
// is shorter than 12 characters).
std::string mask_key(std::string_view key);

// `text` with every occurrence of `key` replaced by mask_key(key). Applied to every
// message and log the Stripe client produces, as a second line of defence (the first
// being that the key is only ever put into the Authorization header).
std::string redact_key(std::string text, std::string_view key);

}  // namespace settle::stripe
