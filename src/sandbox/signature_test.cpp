// Webhook signatures against known HMAC-SHA256 values (computed independently with
// Python's hmac module), and the test payment method table.
#include <gtest/gtest.h>

#include "sandbox/signature.hpp"
#include "sandbox/test_payment_methods.hpp"

namespace settle::sandbox {
namespace {

TEST(Signature, HmacSha256HexMatchesKnownValues) {
  struct Case {
    std::string key, message, hex;
  } cases[] = {
      {"key", "The quick brown fox jumps over the lazy dog",
       "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"},
      {std::string(100, 'k'), "msg", "bd56a1782c2830e8abc6ed866a57a1230661e650b84c62f7ee3accc5fa5af491"},
  };
  for (const auto& c : cases) EXPECT_EQ(hmac_sha256_hex(c.key, c.message), c.hex) << c.message;
}

TEST(Signature, StripeSignatureHeaderSignsTimestampDotPayload) {
  EXPECT_EQ(stripe_signature_header("whsec_test_secret", 1700000000, R"({"id":"evt_1"})"),
            "t=1700000000,v1=248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a");
}

TEST(TestPaymentMethods, TokensAndCardNumbersHaveStripesOutcomes) {
  struct Case {
    const char* token;
    const char* number;
    PaymentOutcome outcome;
    const char* decline_code;
  } cases[] = {
      {"pm_card_visa", "4242 4242 4242 4242", PaymentOutcome::Succeeds, ""},
      {"pm_card_chargeDeclined", "4000-0000-0000-0002", PaymentOutcome::Declined, "generic_decline"},
      {"pm_card_chargeDeclinedInsufficientFunds", "4000000000009995", PaymentOutcome::Declined, "insufficient_funds"},
      {"pm_card_mastercard", "5555555555554444", PaymentOutcome::Succeeds, ""},
  };
  for (const auto& c : cases) {
    const TestPaymentMethod* by_token = test_payment_method_by_token(c.token);
    const TestPaymentMethod* by_number = test_card_by_number(c.number);
    ASSERT_NE(by_token, nullptr) << c.token;
    EXPECT_EQ(by_token, by_number) << c.number;
    EXPECT_EQ(by_token->outcome, c.outcome);
    EXPECT_EQ(by_token->decline_code, c.decline_code);
    EXPECT_TRUE(luhn_valid(c.number)) << c.number;
  }
  EXPECT_EQ(test_payment_method_by_token("pm_usBankAccount")->outcome, PaymentOutcome::Processing);
  EXPECT_EQ(test_payment_method_by_token("pm_card_unknown"), nullptr);
  EXPECT_EQ(test_card_by_number("4111 1111 1111 1111"), nullptr);
  EXPECT_FALSE(luhn_valid("4242 4242 4242 4241"));
  EXPECT_FALSE(luhn_valid("4242x4242"));
}

}  // namespace
}  // namespace settle::sandbox
