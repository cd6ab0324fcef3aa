// Tests of Stripe-Signature verification and signing (webhook_signature.hpp). The
// expected signatures are computed here independently: with libsodium's HMAC directly,
// and a fixed vector computed with Python's hmac module.
#include "stripe/webhook_signature.hpp"

#include <sodium.h>

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <vector>

#include "common/crypto.hpp"

namespace settle::stripe {
namespace {

constexpr std::int64_t kNow = 1700000000;
const std::string kPayload = R"({"id":"evt_test_webhook","object":"event"})";
const std::string kSecret = "whsec_test_secret";
const std::string kOtherSecret = "whsec_other_secret";

// HMAC-SHA256 straight from libsodium, not through settle's crypto helpers.
std::string independent_v1(const std::string& secret, std::int64_t t, const std::string& payload) {
  std::string message = std::to_string(t) + "." + payload;
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

std::string header(std::int64_t t, const std::vector<std::string>& v1s) {
  std::string h = "t=" + std::to_string(t);
  for (const auto& s : v1s) h += ",v1=" + s;
  return h;
}

class SignatureTest : public ::testing::Test {
 protected:
  void SetUp() override { crypto_init(); }
};

TEST_F(SignatureTest, FixedVectorMatchesPythonHmac) {
  // python3: hmac.new(b'whsec_test_secret', b'1700000000.' + payload, sha256).hexdigest()
  EXPECT_EQ(compute_v1_signature(kSecret, kNow, kPayload),
            "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990");
  EXPECT_EQ(compute_v1_signature(kSecret, kNow, kPayload), independent_v1(kSecret, kNow, kPayload));
}

TEST_F(SignatureTest, SignProducesStripesHeaderFormat) {
  EXPECT_EQ(sign_payload(kPayload, kSecret, kNow), "t=1700000000,v1=" + independent_v1(kSecret, kNow, kPayload));
}

struct VerifyCase {
  const char* name;
  std::string header;
  std::vector<std::string> secrets;
  std::string payload;
  std::int64_t now;
  std::optional<SignatureFailure> failure;  // nullopt = accepted
  std::size_t secret_index = 0;
};

class VerifyTableTest : public SignatureTest, public ::testing::WithParamInterface<VerifyCase> {};

TEST_P(VerifyTableTest, Verifies) {
  const auto& c = GetParam();
  SignatureCheckOptions options;
  options.now = c.now;
  auto result = check_signature(c.payload, c.header, c.secrets, options);
  auto status = verify_signature(c.payload, c.header, c.secrets, options);
  if (!c.failure) {
    ASSERT_TRUE(result) << to_string(result.error());
    EXPECT_EQ(result->secret_index, c.secret_index);
    EXPECT_TRUE(status);
    return;
  }
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), *c.failure) << "got " << to_string(result.error());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(status.error().field, "Stripe-Signature");
  EXPECT_EQ(status.error().details["reason"], std::string(to_string(*c.failure)));
  EXPECT_NE(status.error().message.find(describe(*c.failure)), std::string::npos);
}

std::vector<VerifyCase> verify_cases() {
  const std::string good = independent_v1(kSecret, kNow, kPayload);
  const std::string good_other = independent_v1(kOtherSecret, kNow, kPayload);
  const std::string bogus(64, 'a');
  using F = SignatureFailure;
  return {
      {"valid", header(kNow, {good}), {kSecret}, kPayload, kNow, std::nullopt},
      {"valid_under_second_secret", header(kNow, {good}), {kOtherSecret, kSecret}, kPayload, kNow, std::nullopt, 1},
      {"rotation_header_with_two_signatures", header(kNow, {good_other, good}), {kSecret}, kPayload, kNow, std::nullopt},
      {"multiple_v1_one_valid", header(kNow, {bogus, good, bogus}), {kSecret}, kPayload, kNow, std::nullopt},
      {"v0_and_unknown_schemes_ignored", "t=1700000000,v0=" + bogus + ",v1=" + good + ",foo=bar", {kSecret}, kPayload,
       kNow, std::nullopt},
      {"spaces_around_items", " t=1700000000 , v1=" + good + " ", {kSecret}, kPayload, kNow, std::nullopt},
      {"empty_secret_skipped", header(kNow, {good}), {"", kSecret}, kPayload, kNow, std::nullopt, 1},
      {"within_tolerance_past", header(kNow, {good}), {kSecret}, kPayload, kNow + 300, std::nullopt},
      {"within_tolerance_future", header(kNow, {good}), {kSecret}, kPayload, kNow - 300, std::nullopt},
      {"wrong_secret", header(kNow, {good}), {kOtherSecret}, kPayload, kNow, F::NoMatchingSignature},
      {"tampered_body", header(kNow, {good}), {kSecret}, kPayload + " ", kNow, F::NoMatchingSignature},
      {"tampered_timestamp", header(kNow + 1, {good}), {kSecret}, kPayload, kNow, F::NoMatchingSignature},
      {"uppercase_hex_is_not_stripes", header(kNow, {[&] {
                                                  std::string s = good;
                                                  for (auto& ch : s) ch = static_cast<char>(std::toupper(ch));
                                                  return s;
                                                }()}),
       {kSecret}, kPayload, kNow, F::NoMatchingSignature},
      {"truncated_signature", header(kNow, {good.substr(0, 63)}), {kSecret}, kPayload, kNow, F::NoMatchingSignature},
      {"stale_timestamp", header(kNow, {good}), {kSecret}, kPayload, kNow + 301, F::TimestampTooOld},
      {"future_timestamp", header(kNow, {good}), {kSecret}, kPayload, kNow - 301, F::TimestampInFuture},
      {"huge_timestamp", header(9223372036854775807LL, {good}), {kSecret}, kPayload, kNow, F::TimestampInFuture},
      {"missing_header", "", {kSecret}, kPayload, kNow, F::MissingHeader},
      {"blank_header", "   ", {kSecret}, kPayload, kNow, F::MissingHeader},
      {"no_timestamp", "v1=" + good, {kSecret}, kPayload, kNow, F::MalformedHeader},
      {"no_v1", "t=1700000000", {kSecret}, kPayload, kNow, F::NoV1Signature},
      {"only_v0", "t=1700000000,v0=" + good, {kSecret}, kPayload, kNow, F::NoV1Signature},
      {"non_numeric_timestamp", "t=17000x0000,v1=" + good, {kSecret}, kPayload, kNow, F::MalformedHeader},
      {"negative_timestamp", "t=-1700000000,v1=" + good, {kSecret}, kPayload, kNow, F::MalformedHeader},
      {"empty_timestamp", "t=,v1=" + good, {kSecret}, kPayload, kNow, F::MalformedHeader},
      {"timestamp_overflow", "t=99999999999999999999999,v1=" + good, {kSecret}, kPayload, kNow, F::MalformedHeader},
      {"repeated_timestamp", "t=1700000000,t=1700000000,v1=" + good, {kSecret}, kPayload, kNow, F::MalformedHeader},
      {"garbage", "garbage", {kSecret}, kPayload, kNow, F::MalformedHeader},
      {"garbage_item", "t=1700000000,v1=" + good + ",garbage", {kSecret}, kPayload, kNow, F::MalformedHeader},
      {"trailing_comma", "t=1700000000,v1=" + good + ",", {kSecret}, kPayload, kNow, F::MalformedHeader},
      {"no_secrets", header(kNow, {good}), {}, kPayload, kNow, F::NoSecret},
      {"only_empty_secrets", header(kNow, {good}), {""}, kPayload, kNow, F::NoSecret},
  };
}

INSTANTIATE_TEST_SUITE_P(Table, VerifyTableTest, ::testing::ValuesIn(verify_cases()),
                         [](const ::testing::TestParamInfo<VerifyCase>& info) { return info.param.name; });

TEST_F(SignatureTest, ToleranceIsConfigurable) {
  const std::string h = sign_payload(kPayload, kSecret, kNow);
  const std::vector<std::string> secrets{kSecret};
  SignatureCheckOptions strict{std::chrono::seconds(10), kNow + 11};
  EXPECT_EQ(check_signature(kPayload, h, secrets, strict).error(), SignatureFailure::TimestampTooOld);
  SignatureCheckOptions loose{std::chrono::seconds(3600), kNow + 3000};
  EXPECT_TRUE(check_signature(kPayload, h, secrets, loose));
}

TEST_F(SignatureTest, DefaultClockAcceptsAFreshSignature) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::vector<std::string> secrets{kSecret};
  EXPECT_TRUE(check_signature(kPayload, sign_payload(kPayload, kSecret, now), secrets));
  EXPECT_EQ(check_signature(kPayload, sign_payload(kPayload, kSecret, now - 3600), secrets).error(),
            SignatureFailure::TimestampTooOld);
}

TEST_F(SignatureTest, FailureNamesAreDistinct) {
  using F = SignatureFailure;
  std::set<std::string_view> names;
  for (F f : {F::NoSecret, F::MissingHeader, F::MalformedHeader, F::NoV1Signature, F::TimestampTooOld,
              F::TimestampInFuture, F::NoMatchingSignature}) {
    names.insert(to_string(f));
    EXPECT_FALSE(describe(f).empty());
  }
  EXPECT_EQ(names.size(), 7u);
}

}  // namespace
}  // namespace settle::stripe
