// Webhook signatures (see signature.hpp), on libsodium's HMAC-SHA256.
#include "sandbox/signature.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>

namespace settle::sandbox {

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  // The multi-part API takes keys of any length (HMAC hashes long keys, pads short ones).
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_final(&state, mac.data());
  std::array<char, crypto_auth_hmacsha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), mac.data(), mac.size());
  return std::string(hex.data(), mac.size() * 2);
}

std::string stripe_signature_header(std::string_view secret, std::int64_t timestamp, std::string_view payload) {
  std::string t = std::to_string(timestamp);
  std::string signed_payload = t + "." + std::string(payload);
  return "t=" + t + ",v1=" + hmac_sha256_hex(secret, signed_payload);
}

}  // namespace settle::sandbox
