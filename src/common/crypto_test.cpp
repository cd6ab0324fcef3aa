// Tests for common/crypto.hpp: passwords, randomness, encodings, HMAC/SHA-256 test
// vectors, constant-time comparison and SecretBox.
#include "common/crypto.hpp"

#include <set>

#include <gtest/gtest.h>

namespace settle {
namespace {

class CryptoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { crypto_init(); }
};

// ---- Passwords ----------------------------------------------------------------------

TEST_F(CryptoTest, PasswordHashVerifiesOnlyTheRightPassword) {
  const std::string hash = hash_password("correct horse battery staple", PasswordHashCost::MinimalForTests);
  EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
  EXPECT_TRUE(verify_password(hash, "correct horse battery staple"));
  EXPECT_FALSE(verify_password(hash, "correct horse battery stapl"));
  EXPECT_FALSE(verify_password(hash, "Correct horse battery staple"));
  EXPECT_FALSE(verify_password(hash, ""));
  // Salted: the same password never hashes the same twice.
  EXPECT_NE(hash, hash_password("correct horse battery staple", PasswordHashCost::MinimalForTests));
}

TEST_F(CryptoTest, PasswordWithEmbeddedNulAndUnicode) {
  const std::string password("p\0ss\xC3\xA9", 6);
  const std::string hash = hash_password(password, PasswordHashCost::MinimalForTests);
  EXPECT_TRUE(verify_password(hash, password));
  EXPECT_FALSE(verify_password(hash, "p"));  // not truncated at the NUL
}

TEST_F(CryptoTest, InteractiveCostHashVerifies) {
  // One real production-cost hash (~0.1 s) so that setting is exercised too.
  const std::string hash = hash_password("s3cret!");
  EXPECT_TRUE(verify_password(hash, "s3cret!"));
  EXPECT_FALSE(password_needs_rehash(hash));
  EXPECT_FALSE(password_needs_rehash(hash, PasswordHashCost::Interactive));
  EXPECT_TRUE(password_needs_rehash(hash, PasswordHashCost::MinimalForTests));
}

TEST_F(CryptoTest, MalformedHashesNeverVerify) {
  for (std::string_view bad : {"", "not a hash", "$argon2id$v=19$m=8,t=1,p=1$AAAA$AAAA",
                               "$2y$10$abcdefghijklmnopqrstuv"}) {
    EXPECT_FALSE(verify_password(bad, "")) << bad;
    EXPECT_FALSE(verify_password(bad, "password")) << bad;
    EXPECT_TRUE(password_needs_rehash(bad)) << bad;
  }
  EXPECT_FALSE(verify_password(std::string(1000, '$'), "password"));
  const std::string minimal = hash_password("pw", PasswordHashCost::MinimalForTests);
  EXPECT_TRUE(password_needs_rehash(minimal));  // minimal-cost hashes must be upgraded
  EXPECT_FALSE(password_needs_rehash(minimal, PasswordHashCost::MinimalForTests));
}

// ---- Randomness and encodings -------------------------------------------------------

TEST_F(CryptoTest, RandomTokenLengthAlphabetAndUniqueness) {
  const std::pair<std::size_t, std::size_t> lengths[] = {{0, 0}, {1, 2}, {16, 22}, {32, 43}, {33, 44}};
  for (auto [bytes, chars] : lengths) {
    const std::string token = random_token(bytes);
    EXPECT_EQ(token.size(), chars) << bytes;
    EXPECT_EQ(token.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos)
        << token;
    EXPECT_EQ(base64url_decode(token)->size(), bytes);
  }
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(random_token(32));
  EXPECT_EQ(seen.size(), 1000u);
}

TEST_F(CryptoTest, RandomIdShapeAndUniqueness) {
  const std::string id = random_id("quo");
  ASSERT_EQ(id.size(), 4u + 26u) << id;
  EXPECT_TRUE(id.starts_with("quo_"));
  EXPECT_EQ(id.substr(4).find_first_not_of("0123456789abcdefghjkmnpqrstvwxyz"), std::string::npos)
      << id;
  // 128 bits in 26 base32 chars: the last char carries 3 random bits followed by 2 zero
  // bits, so its alphabet index is a multiple of 4.
  EXPECT_NE(std::string_view("048cgmrw").find(id.back()), std::string_view::npos) << id;

  EXPECT_EQ(random_id("").size(), 26u);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(random_id("inv"));
  EXPECT_EQ(seen.size(), 1000u);
}

TEST_F(CryptoTest, Base64UrlRoundTripAndKnownValues) {
  // RFC 4648 section 10 vectors, in the URL-safe alphabet without padding.
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},         {"f", "Zg"},          {"fo", "Zm8"},      {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
      {"\xfb\xff", "-_8"},  // the two characters that differ from standard base64
  };
  for (auto [raw, encoded] : vectors) {
    EXPECT_EQ(base64url_encode(raw), encoded);
    EXPECT_EQ(base64url_decode(encoded).value(), raw) << encoded;
  }
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  EXPECT_EQ(base64url_decode(base64url_encode(all_bytes)).value(), all_bytes);
}

TEST_F(CryptoTest, Base64UrlRejectsNonCanonicalInput) {
  for (std::string_view bad : {"Zg==", "Zm9v+", "Zm9v/", "Zm9v!", "Z", "Zm9v YmFy", "Zh"})
    EXPECT_FALSE(base64url_decode(bad)) << bad;
}

TEST_F(CryptoTest, StandardBase64WithPaddingForDataUrls) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "+/8="},
  };
  for (auto [raw, encoded] : vectors) {
    EXPECT_EQ(base64_encode(raw), encoded);
    EXPECT_EQ(base64_decode(encoded).value(), raw) << encoded;
  }
  for (std::string_view bad : {"Zg", "-_8=", "Zm9v!", "Zm9v YmFy"}) EXPECT_FALSE(base64_decode(bad)) << bad;
}

TEST_F(CryptoTest, HexEncodeDecode) {
  EXPECT_EQ(hex_encode(""), "");
  EXPECT_EQ(hex_encode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(hex_decode("0001abff").value(), std::string("\x00\x01\xab\xff", 4));
  EXPECT_EQ(hex_decode("ABFF").value(), "\xab\xff");
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
  EXPECT_FALSE(hex_decode("ab:cd"));
}

// ---- MACs and hashes ----------------------------------------------------------------

TEST_F(CryptoTest, HmacSha256Rfc4231Vectors) {
  // Test case 2: short key.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 1: 20-byte 0x0b key.
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 6: 131-byte key, longer than the block size (hashed first).
  EXPECT_EQ(hmac_sha256_hex(std::string(131, '\xaa'),
                            "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_F(CryptoTest, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(constant_time_equals("", ""));
  EXPECT_TRUE(constant_time_equals("abc", "abc"));
  EXPECT_FALSE(constant_time_equals("abc", "abd"));
  EXPECT_FALSE(constant_time_equals("abc", "ab"));
  EXPECT_FALSE(constant_time_equals("", "a"));
  EXPECT_TRUE(constant_time_equals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(constant_time_equals(std::string("a\0b", 3), std::string("a\0c", 3)));
  const std::string mac = hmac_sha256_hex("key", "payload");
  EXPECT_TRUE(constant_time_equals(mac, hmac_sha256_hex("key", "payload")));
  EXPECT_FALSE(constant_time_equals(mac, hmac_sha256_hex("key", "payload!")));
}

// ---- SecretBox ----------------------------------------------------------------------

TEST_F(CryptoTest, MasterKeyParsing) {
  const std::string key = generate_master_key();
  EXPECT_EQ(key.size(), 43u);
  EXPECT_EQ(base64url_decode(key)->size(), 32u);
  EXPECT_NE(key, generate_master_key());
  EXPECT_TRUE(SecretBox::from_base64url_key(key));
  EXPECT_TRUE(SecretBox::from_base64url_key("  " + key + "\n"));  // as read from a file

  EXPECT_TRUE(SecretBox::from_key(std::string(32, 'k')));
  for (std::size_t size : {0, 16, 31, 33, 64}) {
    auto box = SecretBox::from_key(std::string(size, 'k'));
    ASSERT_FALSE(box) << size;
    EXPECT_EQ(box.error().field, "masterKey");
  }
  EXPECT_FALSE(SecretBox::from_base64url_key("not base64!"));
  EXPECT_FALSE(SecretBox::from_base64url_key(base64url_encode(std::string(16, 'k'))));
}

TEST_F(CryptoTest, SecretBoxRoundTrip) {
  auto box = SecretBox::from_base64url_key(generate_master_key());
  ASSERT_TRUE(box);
  for (std::string_view secret :
       {std::string_view("sk_live_51H..."), std::string_view(""), std::string_view("\0\xff", 2)}) {
    const std::string sealed = box->seal(secret);
    EXPECT_TRUE(sealed.starts_with("v1:")) << sealed;
    if (!secret.empty()) {
      EXPECT_EQ(sealed.find(secret), std::string::npos) << "not plaintext";
    }
    EXPECT_EQ(box->open(sealed).value(), secret);
  }
  const std::string long_secret(100'000, 'x');
  EXPECT_EQ(box->open(box->seal(long_secret)).value(), long_secret);
  // Random nonce: sealing twice gives different ciphertexts that both open.
  const std::string a = box->seal("same"), b = box->seal("same");
  EXPECT_NE(a, b);
  EXPECT_EQ(box->open(b).value(), "same");
  // Copies hold the same key.
  const SecretBox copy = *box;
  EXPECT_EQ(copy.open(a).value(), "same");
}

TEST_F(CryptoTest, SecretBoxRejectsTamperingWrongKeyAndWrongContext) {
  auto box = SecretBox::from_key(std::string(32, '\x01')).value();
  auto other = SecretBox::from_key(std::string(32, '\x02')).value();
  const std::string sealed = box.seal("smtp-password", "workspace:1:smtp");
  ASSERT_EQ(box.open(sealed, "workspace:1:smtp").value(), "smtp-password");

  auto expect_refused = [&](const SecretBox& b, std::string_view text, std::string_view ad) {
    auto opened = b.open(text, ad);
    ASSERT_FALSE(opened) << text;
    EXPECT_EQ(opened.error().code, ErrorCode::Internal);
    EXPECT_EQ(opened.error().message, "internal error");  // nothing leaks to clients
    EXPECT_FALSE(opened.error().log.empty());
  };
  expect_refused(other, sealed, "workspace:1:smtp");   // wrong key
  expect_refused(box, sealed, "workspace:2:smtp");     // moved to another row/workspace
  expect_refused(box, sealed, "");                      // context dropped

  // Flip each character of the payload in turn: every change must be detected.
  const std::string payload = sealed.substr(3);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    std::string tampered = payload;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    if (tampered == payload) continue;
    const std::string candidate = "v1:" + tampered;
    // A change in the last character may be caught by base64 decoding (non-zero padding
    // bits) rather than by authentication; either way it must not open.
    EXPECT_FALSE(box.open(candidate, "workspace:1:smtp")) << "position " << i;
  }
  expect_refused(box, sealed.substr(0, sealed.size() - 1), "workspace:1:smtp");  // truncated
  expect_refused(box, "v2:" + payload, "workspace:1:smtp");                      // unknown version
  expect_refused(box, payload, "workspace:1:smtp");                              // no version
  expect_refused(box, "v1:", "");
  expect_refused(box, "v1:" + base64url_encode(std::string(39, 'x')), "");       // too short
  expect_refused(box, "v1:!!!!", "");
}

}  // namespace
}  // namespace settle
