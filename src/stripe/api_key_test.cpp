// Tests of API key format, mode, masking and redaction (api_key.hpp).
#include "stripe/api_key.hpp"

#include <gtest/gtest.h>

namespace settle::stripe {
namespace {

struct ModeCase {
  const char* key;
  KeyMode mode;
};

class KeyModeTest : public ::testing::TestWithParam<ModeCase> {};

TEST_P(KeyModeTest, ClassifiesKey) {
  EXPECT_EQ(key_mode(GetParam().key), GetParam().mode) << GetParam().key;
  EXPECT_EQ(static_cast<bool>(validate_api_key(GetParam().key)), GetParam().mode != KeyMode::Invalid);
}

INSTANTIATE_TEST_SUITE_P(Table, KeyModeTest,
                         ::testing::Values(ModeCase{"sk_test_0123456789", KeyMode::Test},
                                           ModeCase{"rk_test_abcdefGHIJ", KeyMode::Test},
                                           ModeCase{"sk_live_51HxYzAbCdEfGhIjKlMnOp", KeyMode::Live},
                                           ModeCase{"rk_live_ABCDEFGHIJ12", KeyMode::Live},
                                           ModeCase{"sk_test_012345678", KeyMode::Invalid},   // 9 characters
                                           ModeCase{"sk_test_01234_6789", KeyMode::Invalid},  // '_' in the body
                                           ModeCase{"sk_test_0123456789 ", KeyMode::Invalid},
                                           ModeCase{"pk_test_0123456789", KeyMode::Invalid},  // publishable
                                           ModeCase{"whsec_0123456789abc", KeyMode::Invalid},
                                           ModeCase{"SK_TEST_0123456789", KeyMode::Invalid},
                                           ModeCase{"sk_test_", KeyMode::Invalid},
                                           ModeCase{"", KeyMode::Invalid}));

TEST(KeyMode, RefusesOverlongKey) {
  EXPECT_EQ(key_mode("sk_test_" + std::string(300, 'a')), KeyMode::Invalid);
  EXPECT_EQ(key_mode("sk_test_" + std::string(200, 'a')), KeyMode::Test);
}

TEST(KeyMode, Names) {
  EXPECT_EQ(to_string(KeyMode::Test), "test");
  EXPECT_EQ(to_string(KeyMode::Live), "live");
  EXPECT_EQ(to_string(KeyMode::Invalid), "invalid");
}

TEST(ValidateApiKey, MessageNeverRepeatsTheKey) {
  const std::string almost = "sk_live_secret_with_underscore";
  auto st = validate_api_key(almost, "stripeKey");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::Validation);
  EXPECT_EQ(st.error().field, "stripeKey");
  EXPECT_EQ(st.error().message.find("secret_with"), std::string::npos);
  EXPECT_EQ(validate_api_key("").error().message, "a Stripe secret key is required");
}

struct MaskCase {
  const char* key;
  const char* masked;
};

class MaskKeyTest : public ::testing::TestWithParam<MaskCase> {};

TEST_P(MaskKeyTest, ShowsPrefixAndLastFourOnly) { EXPECT_EQ(mask_key(GetParam().key), GetParam().masked); }

INSTANTIATE_TEST_SUITE_P(Table, MaskKeyTest,
                         ::testing::Values(MaskCase{"sk_test_51HxYzAbCdEf1234", "sk_test_\u20261234"},
                                           MaskCase{"rk_live_ABCDEFGHIJwxyz", "rk_live_\u2026wxyz"},
                                           MaskCase{"not-a-key-but-long-9876", "\u20269876"},
                                           MaskCase{"short", "\u2026"},
                                           MaskCase{"", "\u2026"}));

TEST(RedactKey, ReplacesEveryOccurrence) {
  const std::string key = "sk_test_ABCDEFGHIJ1234";
  EXPECT_EQ(redact_key("a " + key + " b " + key, key), "a sk_test_\u20261234 b sk_test_\u20261234");
  EXPECT_EQ(redact_key("nothing here", key), "nothing here");
  EXPECT_EQ(redact_key("x", ""), "x");
}

}  // namespace
}  // namespace settle::stripe
