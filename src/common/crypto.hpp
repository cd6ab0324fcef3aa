// Cryptographic primitives for Settle, all on libsodium: password hashing (argon2id),
// random tokens and ids, encodings, HMAC-SHA256 (webhook signatures), SHA-256 (API keys
// at rest), constant-time comparison, and SecretBox for encrypting secrets stored in the
// database (Stripe keys, SMTP passwords) under a master key. No file or network I/O:
// loading the master key from disk or the environment is the caller's job.
//
// crypto_init() must have been called once (at startup, before any thread uses these
// functions); every other function assumes it has.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace settle {

// Initialises libsodium. Idempotent; throws std::runtime_error if libsodium cannot
// initialise (no usable randomness source), since nothing secure can run then.
void crypto_init();

// ---- Passwords ----------------------------------------------------------------------
// How expensive hash_password makes each hash.
enum class PasswordHashCost {
  // libsodium's INTERACTIVE argon2id limits (2 passes, 64 MiB): the production setting.
  Interactive,
  // argon2id's minimum limits (1 pass, 8 KiB): microseconds per hash. Only for tests and
  // fixtures; never for real users. verify_password reads the cost from the hash itself,
  // so hashes of either cost verify the same way.
  MinimalForTests,
};

// argon2id hash in libsodium's self-describing string format ("$argon2id$v=19$m=...").
// Throws std::runtime_error only if hashing fails (out of memory).
std::string hash_password(std::string_view password,
                          PasswordHashCost cost = PasswordHashCost::Interactive);
// True iff `password` matches `hash`. A malformed hash is simply false.
bool verify_password(std::string_view hash, std::string_view password);
// True if `hash` was made with different limits than `cost` (or is not a valid argon2id
// hash): re-hash on the next successful login to upgrade old hashes.
bool password_needs_rehash(std::string_view hash,
                           PasswordHashCost cost = PasswordHashCost::Interactive);

// ---- Randomness and encodings -------------------------------------------------------
// `bytes` random bytes as base64url without padding (32 bytes -> 43 chars). For session
// tokens, API keys, invitation and password-reset tokens.
std::string random_token(std::size_t bytes);

// A record id: 16 random bytes (128 bits, collision-free in practice) as 26 lowercase
// base32 characters in Crockford's alphabet (0-9 a-z without i l o u), prefixed by
// `prefix` and '_' unless the prefix is empty: random_id("quo") -> "quo_3f9k...".
// Base32 lowercase because ids end up in URLs, file names and case-insensitive contexts,
// and a double-click selects the whole id (no '-' or '_' inside the random part).
std::string random_id(std::string_view prefix);

std::string base64url_encode(std::string_view bytes);  // no padding
// Decodes unpadded base64url; std::nullopt on any other input (padding, '+', '/', junk).
std::optional<std::string> base64url_decode(std::string_view text);
// Standard base64 with padding (what a browser's data: URL holds); std::nullopt on junk.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
std::string hex_encode(std::string_view bytes);  // lowercase
// Decodes hex (either case); std::nullopt on odd length or a non-hex character.
std::optional<std::string> hex_decode(std::string_view text);

// ---- MACs and hashes ----------------------------------------------------------------
// HMAC-SHA256 of `message` under a key of any length, lowercase hex (64 chars). Used to
// verify webhook signatures (Stripe's v1 scheme) and to sign our own outgoing webhooks.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// Compares two strings in time independent of their contents (sodium_memcmp). The length
// is compared first and leaks through timing; that is fine for what this is used for —
// MACs, token hashes, hex digests — whose length is fixed and public anyway.
bool constant_time_equals(std::string_view a, std::string_view b);

// SHA-256 of `data`, lowercase hex. This is how API keys are stored at rest. A fast hash
// is the right tool there, unlike for passwords: an API key is 32 random bytes (256 bits
// of entropy), so there is nothing to brute-force, and every API request looks its key up
// by hash, which must be cheap. Never use this for human-chosen passwords.
std::string sha256_hex(std::string_view data);

// ---- Secrets at rest ----------------------------------------------------------------
// A fresh random 32-byte master key as base64url (43 chars) for SecretBox.
std::string generate_master_key();

// Authenticated encryption of secrets stored in the database, under the server's 32-byte
// master key, with XChaCha20-Poly1305 (IETF AEAD). Each seal uses a fresh random 24-byte
// nonce (192 bits: random nonces never collide in practice, no counter to persist). Sealed
// format: "v1:" + base64url(nonce || ciphertext+tag). The "v1:" prefix names the format so
// the algorithm or key can be rotated later while old rows still open.
//
// `associated_data` is authenticated but not stored: bind a sealed value to where it lives
// (e.g. "workspace:42:stripe_secret_key") so a ciphertext copied to another row or
// workspace fails to open. open() must be given the same associated data as seal().
class SecretBox {
 public:
  static constexpr std::size_t kKeyBytes = 32;

  // From the raw 32-byte key; validation error on "masterKey" for any other length.
  static Result<SecretBox> from_key(std::string_view key32_raw);
  // From the base64url text produced by generate_master_key() (what a key file or the
  // environment variable holds; surrounding whitespace is ignored).
  static Result<SecretBox> from_base64url_key(std::string_view key_base64url);

  SecretBox(const SecretBox&) = default;
  SecretBox& operator=(const SecretBox&) = default;
  ~SecretBox();  // wipes the key from memory

  std::string seal(std::string_view plaintext, std::string_view associated_data = {}) const;
  // The plaintext, or Error::internal (client sees "internal error"; the log says why) if
  // the value is malformed, has an unknown version, was tampered with, was sealed under a
  // different key, or with different associated data.
  Result<std::string> open(std::string_view sealed, std::string_view associated_data = {}) const;

 private:
  SecretBox() = default;
  std::array<unsigned char, kKeyBytes> key_{};
};

}  // namespace settle
