// Tests of the mapping from Stripe's error object to settle::Error and of the retry
// policy (api_error.hpp).
#include "stripe/api_error.hpp"

#include <gtest/gtest.h>

namespace settle::stripe {
namespace {

using json = nlohmann::json;

json error_body(json members) { return {{"error", std::move(members)}}; }

struct MapCase {
  const char* name;
  int status;
  json body;
  ErrorCode code;
  const char* message;  // expected message exactly
  const char* field;
};

class ErrorMappingTest : public ::testing::TestWithParam<MapCase> {};

TEST_P(ErrorMappingTest, MapsToSettleError) {
  const auto& c = GetParam();
  Error e = error_from_answer(c.status, c.body, "req_abc");
  EXPECT_EQ(e.code, c.code) << to_string(e.code);
  EXPECT_EQ(e.message, c.message);
  EXPECT_EQ(e.field, c.field);
  EXPECT_EQ(e.details["stripe"]["status"], c.status);
  EXPECT_EQ(e.details["stripe"]["request_id"], "req_abc");
  EXPECT_NE(e.log.find("HTTP " + std::to_string(c.status)), std::string::npos) << e.log;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ErrorMappingTest,
    ::testing::Values(
        MapCase{"card_declined", 402,
                error_body({{"type", "card_error"}, {"code", "card_declined"}, {"decline_code", "generic_decline"},
                            {"message", "Your card was declined."}}),
                ErrorCode::Validation, "Your card was declined.", "payment_method"},
        MapCase{"card_error_with_param", 402,
                error_body({{"type", "card_error"}, {"code", "incorrect_cvc"}, {"message", "Your card's security code is incorrect."},
                            {"param", "cvc"}}),
                ErrorCode::Validation, "Your card's security code is incorrect.", "cvc"},
        MapCase{"bad_key", 401,
                error_body({{"type", "invalid_request_error"}, {"message", "Invalid API Key provided: sk_test_****1234"}}),
                ErrorCode::Upstream, "Stripe rejected the API key", ""},
        MapCase{"restricted_key", 403, error_body({{"type", "invalid_request_error"}, {"message", "permission"}}),
                ErrorCode::Upstream, "Stripe refused the request: the API key does not have permission for it", ""},
        MapCase{"missing_object", 404,
                error_body({{"type", "invalid_request_error"}, {"code", "resource_missing"}, {"param", "id"},
                            {"message", "No such customer: 'cus_x'"}}),
                ErrorCode::NotFound, "Stripe: No such customer: 'cus_x'", ""},
        MapCase{"parameter_invalid", 400,
                error_body({{"type", "invalid_request_error"}, {"code", "email_invalid"}, {"param", "email"},
                            {"message", "Invalid email address: x"}}),
                ErrorCode::Validation, "Stripe: Invalid email address: x", "email"},
        MapCase{"state_refusal", 400,
                error_body({{"type", "invalid_request_error"}, {"code", "invoice_not_editable"},
                            {"message", "This invoice is already paid."}}),
                ErrorCode::Conflict, "Stripe: This invoice is already paid.", ""},
        MapCase{"idempotency_error", 400,
                error_body({{"type", "idempotency_error"}, {"message", "Keys for idempotent requests can only be used with the same parameters"}}),
                ErrorCode::Conflict, "Stripe refused a repeated request: Keys for idempotent requests can only be used with the same parameters", ""},
        MapCase{"lock_timeout", 409, error_body({{"type", "invalid_request_error"}, {"code", "lock_timeout"}, {"message", "busy"}}),
                ErrorCode::Upstream, "Stripe is busy with another request on the same object; try again", ""},
        MapCase{"rate_limited", 429, error_body({{"type", "invalid_request_error"}, {"code", "rate_limit"}, {"message", "slow down"}}),
                ErrorCode::Upstream, "Stripe is rate-limiting requests; try again in a moment", ""},
        MapCase{"server_error", 500, error_body({{"type", "api_error"}, {"message", "oops"}}), ErrorCode::Upstream,
                "Stripe is having problems (HTTP 500); try again later", ""},
        MapCase{"bad_gateway_html", 502, json(nullptr), ErrorCode::Upstream,
                "Stripe is having problems (HTTP 502); try again later", ""},
        MapCase{"unexpected_status_no_body", 418, json(nullptr), ErrorCode::Upstream,
                "Stripe refused the request: HTTP 418", ""}),
    [](const ::testing::TestParamInfo<MapCase>& info) { return info.param.name; });

TEST(ErrorMapping, DetailsCarryStripesCodes) {
  Error e = error_from_answer(402,
                              error_body({{"type", "card_error"}, {"code", "card_declined"},
                                          {"decline_code", "insufficient_funds"}, {"message", "Your card has insufficient funds."}}),
                              "req_1");
  EXPECT_EQ(e.details["stripe"]["type"], "card_error");
  EXPECT_EQ(e.details["stripe"]["code"], "card_declined");
  EXPECT_EQ(e.details["stripe"]["decline_code"], "insufficient_funds");
  EXPECT_FALSE(e.details["stripe"].contains("param"));
  EXPECT_NE(e.log.find("card_error/card_declined/insufficient_funds"), std::string::npos) << e.log;
}

TEST(ErrorObject, ParsesOnlyErrorShapes) {
  EXPECT_FALSE(parse_error_object(json(nullptr)));
  EXPECT_FALSE(parse_error_object(json::array()));
  EXPECT_FALSE(parse_error_object(json{{"error", "text"}}));
  auto e = parse_error_object(error_body({{"type", "api_error"}, {"message", 5}}));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "api_error");
  EXPECT_EQ(e->message, "");  // a non-string member is treated as absent
}

struct RetryCase {
  int status;
  const char* header;
  bool retry;
};

class ShouldRetryTest : public ::testing::TestWithParam<RetryCase> {};

TEST_P(ShouldRetryTest, Decides) {
  EXPECT_EQ(should_retry_status(GetParam().status, GetParam().header), GetParam().retry)
      << GetParam().status << " / '" << GetParam().header << "'";
}

INSTANTIATE_TEST_SUITE_P(Table, ShouldRetryTest,
                         ::testing::Values(RetryCase{500, "", true}, RetryCase{502, "", true}, RetryCase{503, "", true},
                                           RetryCase{429, "", true}, RetryCase{409, "", true}, RetryCase{400, "", false},
                                           RetryCase{401, "", false}, RetryCase{402, "", false}, RetryCase{404, "", false},
                                           RetryCase{400, "true", true},   // Stripe says so
                                           RetryCase{500, "false", false},  // Stripe says no
                                           RetryCase{409, "false", false}));

TEST(RetryAfter, ParsesDeltaSeconds) {
  EXPECT_EQ(parse_retry_after("1"), std::chrono::seconds(1));
  EXPECT_EQ(parse_retry_after(" 30 "), std::chrono::seconds(30));
  EXPECT_EQ(parse_retry_after(""), std::nullopt);
  EXPECT_EQ(parse_retry_after("-1"), std::nullopt);
  EXPECT_EQ(parse_retry_after("1.5"), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
}

TEST(RetryDelay, ExponentialCappedWithEqualJitter) {
  RetryPolicy p;
  p.initial_delay = std::chrono::milliseconds(100);
  p.max_delay = std::chrono::milliseconds(1000);
  using ms = std::chrono::milliseconds;
  // jitter 0: the full exponential delay; jitter -> 1: half of it.
  EXPECT_EQ(retry_delay(p, 1, std::nullopt, 0.0), ms(100));
  EXPECT_EQ(retry_delay(p, 2, std::nullopt, 0.0), ms(200));
  EXPECT_EQ(retry_delay(p, 3, std::nullopt, 0.0), ms(400));
  EXPECT_EQ(retry_delay(p, 5, std::nullopt, 0.0), ms(1000));   // capped
  EXPECT_EQ(retry_delay(p, 60, std::nullopt, 0.0), ms(1000));  // no overflow
  EXPECT_EQ(retry_delay(p, 1, std::nullopt, 0.5), ms(75));
  EXPECT_EQ(retry_delay(p, 1, std::nullopt, 1.0), ms(50));
  EXPECT_EQ(retry_delay(p, 5, std::nullopt, 0.5), ms(750));
  for (int n = 1; n <= 8; ++n)
    for (double j : {0.0, 0.25, 0.5, 0.75, 0.99}) {
      auto d = retry_delay(p, n, std::nullopt, j);
      EXPECT_GE(d, ms(50));
      EXPECT_LE(d, ms(1000));
    }
}

TEST(RetryDelay, RetryAfterIsALowerBoundWithinTheCap) {
  RetryPolicy p;
  p.initial_delay = std::chrono::milliseconds(10);
  p.max_retry_after = std::chrono::seconds(5);
  EXPECT_EQ(retry_delay(p, 1, std::chrono::seconds(2), 0.0), std::chrono::milliseconds(2000));
  // Beyond the cap the client does not retry at all (tested with the client); the delay
  // itself falls back to the back-off.
  EXPECT_EQ(retry_delay(p, 1, std::chrono::seconds(60), 0.0), std::chrono::milliseconds(10));
}

}  // namespace
}  // namespace settle::stripe
