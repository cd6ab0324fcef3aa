// Stripe API key format, masking and redaction (see api_key.hpp).
#include "stripe/api_key.hpp"

#include <array>

namespace settle::stripe {
namespace {

constexpr std::size_t kMinBodyLength = 10;
constexpr std::size_t kMaxKeyLength = 255;
constexpr std::size_t kPrefixLength = 8;  // "sk_test_" and the others all have 8 characters

struct Prefix {
  std::string_view text;
  KeyMode mode;
};
constexpr std::array<Prefix, 4> kPrefixes{{{"sk_test_", KeyMode::Test},
                                           {"rk_test_", KeyMode::Test},
                                           {"sk_live_", KeyMode::Live},
                                           {"rk_live_", KeyMode::Live}}};

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace

std::string_view to_string(KeyMode mode) {
  switch (mode) {
    case KeyMode::Test: return "test";
    case KeyMode::Live: return "live";
    case KeyMode::Invalid: return "invalid";
  }
  return "invalid";
}

KeyMode key_mode(std::string_view key) {
  if (key.size() > kMaxKeyLength) return KeyMode::Invalid;
  for (const auto& prefix : kPrefixes) {
    if (key.substr(0, prefix.text.size()) != prefix.text) continue;
    std::string_view body = key.substr(prefix.text.size());
    if (body.size() < kMinBodyLength) return KeyMode::Invalid;
    for (char c : body)
      if (!is_alnum(c)) return KeyMode::Invalid;
    return prefix.mode;
  }
  return KeyMode::Invalid;
}

Status validate_api_key(std::string_view key, std::string_view field) {
  if (key_mode(key) != KeyMode::Invalid) return {};
  if (key.empty()) return fail(Error::validation(std::string(field), "a Stripe secret key is required"));
  return fail(Error::validation(std::string(field),
                                "not a Stripe secret key: expected sk_test_, sk_live_, rk_test_ or rk_live_ followed "
                                "by at least 10 letters or digits"));
}

std::string mask_key(std::string_view key) {
  static constexpr std::string_view kEllipsis = "\u2026";
  if (key_mode(key) != KeyMode::Invalid)
    return std::string(key.substr(0, kPrefixLength)) + std::string(kEllipsis) + std::string(key.substr(key.size() - 4));
  // Showing 4 characters of a short string would give away too much of it.
  if (key.size() < 12) return std::string(kEllipsis);
  return std::string(kEllipsis) + std::string(key.substr(key.size() - 4));
}

std::string redact_key(std::string text, std::string_view key) {
  if (key.empty()) return text;
  const std::string masked = mask_key(key);
  for (auto pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos + masked.size()))
    text.replace(pos, key.size(), masked);
  return text;
}

}  // namespace settle::stripe
