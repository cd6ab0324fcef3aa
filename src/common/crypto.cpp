// Implementation of common/crypto.hpp on libsodium.
#include "common/crypto.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <sodium.h>

namespace settle {

namespace {

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

std::string_view as_chars(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

struct PwhashLimits {
  unsigned long long opslimit;
  std::size_t memlimit;
};

PwhashLimits limits_for(PasswordHashCost cost) {
  switch (cost) {
    case PasswordHashCost::Interactive:
      return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
    case PasswordHashCost::MinimalForTests:
      return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
  }
  return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

constexpr std::string_view kArgon2idPrefix = "$argon2id$";
constexpr std::string_view kSealedV1Prefix = "v1:";
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == SecretBox::kKeyBytes);

// Crockford's base32 alphabet, lower-cased: no i, l, o, u (easily confused or profane).
constexpr std::string_view kBase32Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
constexpr std::size_t kIdRandomBytes = 16;

}  // namespace

void crypto_init() {
  // 0 = initialised now, 1 = already initialised, -1 = failure.
  if (sodium_init() < 0) throw std::runtime_error("libsodium initialisation failed");
}

std::string hash_password(std::string_view password, PasswordHashCost cost) {
  const PwhashLimits limits = limits_for(cost);
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), limits.opslimit,
                            limits.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("password hashing failed (out of memory?)");
  return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) {
  // libsodium wants a NUL-terminated hash no longer than its fixed buffer size.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

bool password_needs_rehash(std::string_view hash, PasswordHashCost cost) {
  if (!hash.starts_with(kArgon2idPrefix) || hash.size() >= crypto_pwhash_STRBYTES) return true;
  const PwhashLimits limits = limits_for(cost);
  const std::string terminated(hash);
  // 0 = matches the limits, 1 = different limits, -1 = not a valid hash.
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), limits.opslimit, limits.memlimit) != 0;
}

std::string random_token(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string token = base64url_encode(raw);
  sodium_memzero(raw.data(), raw.size());
  return token;
}

std::string random_id(std::string_view prefix) {
  unsigned char raw[kIdRandomBytes];
  randombytes_buf(raw, sizeof raw);
  std::string id(prefix);
  if (!id.empty()) id += '_';
  // Emit 5 bits at a time, most significant first; the final 3 bits are padded with zeros
  // to make the 26th character.
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char byte : raw) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      id += kBase32Alphabet[(buffer >> (bits - 5)) & 31U];
      bits -= 5;
    }
  }
  if (bits > 0) id += kBase32Alphabet[(buffer << (5 - bits)) & 31U];
  return id;
}

std::string base64url_encode(std::string_view bytes) {
  constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes_of(bytes), bytes.size(), variant);
  out.resize(out.size() - 1);  // drop the NUL terminator sodium writes
  return out;
}

namespace {
std::optional<std::string> base64_decode_variant(std::string_view text, int variant) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t decoded_len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &decoded_len, &end, variant) != 0)
    return std::nullopt;
  // sodium stops at the first character outside the alphabet; require it consumed all.
  if (end != text.data() + text.size()) return std::nullopt;
  out.resize(decoded_len);
  return out;
}
}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) {
  return base64_decode_variant(text, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::optional<std::string> base64_decode(std::string_view text) {
  return base64_decode_variant(text, sodium_base64_VARIANT_ORIGINAL);
}

std::string base64_encode(std::string_view bytes) {
  constexpr int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes_of(bytes), bytes.size(), variant);
  out.resize(out.size() - 1);
  return out;
}

std::string hex_encode(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes_of(bytes), bytes.size());
  out.resize(bytes.size() * 2);
  return out;
}

std::optional<std::string> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out(text.size() / 2, '\0');
  std::size_t decoded_len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                     text.size(), nullptr, &decoded_len, &end) != 0)
    return std::nullopt;
  if (end != text.data() + text.size() || decoded_len != out.size()) return std::nullopt;
  return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  crypto_auth_hmacsha256_state state;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  // The _init/_update/_final API accepts keys of any length (crypto_auth_hmacsha256()
  // alone requires exactly 32 bytes); webhook secrets are arbitrary strings.
  crypto_auth_hmacsha256_init(&state, bytes_of(key), key.size());
  crypto_auth_hmacsha256_update(&state, bytes_of(message), message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  return hex_encode(as_chars(mac, sizeof mac));
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, bytes_of(data), data.size());
  return hex_encode(as_chars(digest, sizeof digest));
}

std::string generate_master_key() {
  unsigned char key[SecretBox::kKeyBytes];
  crypto_aead_xchacha20poly1305_ietf_keygen(key);
  std::string encoded = base64url_encode(as_chars(key, sizeof key));
  sodium_memzero(key, sizeof key);
  return encoded;
}

Result<SecretBox> SecretBox::from_key(std::string_view key32_raw) {
  if (key32_raw.size() != kKeyBytes)
    return fail(Error::validation(
        "masterKey", "master key must be exactly 32 bytes (" + std::to_string(key32_raw.size()) +
                         " given)"));
  SecretBox box;
  std::copy(key32_raw.begin(), key32_raw.end(), box.key_.begin());
  return box;
}

Result<SecretBox> SecretBox::from_base64url_key(std::string_view key_base64url) {
  while (!key_base64url.empty() && std::isspace(static_cast<unsigned char>(key_base64url.back())))
    key_base64url.remove_suffix(1);
  while (!key_base64url.empty() && std::isspace(static_cast<unsigned char>(key_base64url.front())))
    key_base64url.remove_prefix(1);
  auto raw = base64url_decode(key_base64url);
  if (!raw)
    return fail(Error::validation("masterKey", "master key is not valid unpadded base64url"));
  auto box = from_key(*raw);
  sodium_memzero(raw->data(), raw->size());
  return box;
}

SecretBox::~SecretBox() { sodium_memzero(key_.data(), key_.size()); }

std::string SecretBox::seal(std::string_view plaintext, std::string_view associated_data) const {
  std::string payload(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(payload.data());
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long ciphertext_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonceBytes, &ciphertext_len, bytes_of(plaintext), plaintext.size(),
      bytes_of(associated_data), associated_data.size(), nullptr, nonce, key_.data());
  payload.resize(kNonceBytes + ciphertext_len);
  return std::string(kSealedV1Prefix) + base64url_encode(payload);
}

Result<std::string> SecretBox::open(std::string_view sealed, std::string_view associated_data) const {
  if (!sealed.starts_with(kSealedV1Prefix))
    return fail(Error::internal("sealed secret has no known version prefix"));
  auto payload = base64url_decode(sealed.substr(kSealedV1Prefix.size()));
  if (!payload || payload->size() < kNonceBytes + kTagBytes)
    return fail(Error::internal("sealed secret is malformed"));
  const auto* nonce = bytes_of(*payload);
  const std::size_t ciphertext_len = payload->size() - kNonceBytes;
  std::string plaintext(ciphertext_len - kTagBytes, '\0');
  unsigned long long plaintext_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plaintext.data()), &plaintext_len, nullptr,
          nonce + kNonceBytes, ciphertext_len, bytes_of(associated_data), associated_data.size(),
          nonce, key_.data()) != 0)
    return fail(Error::internal(
        "sealed secret failed authentication: tampered, wrong master key or wrong context"));
  plaintext.resize(plaintext_len);
  return plaintext;
}

}  // namespace settle
