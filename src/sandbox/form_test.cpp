// Bracket-syntax form decoding and the typed parameter readers.
#include <gtest/gtest.h>

#include "sandbox/api_error.hpp"
#include "sandbox/form.hpp"

namespace settle::sandbox {
namespace {

TEST(DecodeForm, BracketSyntaxBecomesNestedJson) {
  struct Case {
    const char* body;
    const char* expected;
  } cases[] = {
      {"", "{}"},
      {"email=a%40b.c&name=Ada+L", R"({"email":"a@b.c","name":"Ada L"})"},
      {"metadata[crmId]=42&metadata[tier]=gold", R"({"metadata":{"crmId":"42","tier":"gold"}})"},
      {"lines[0][price_data][unit_amount]=500&lines[0][quantity]=2&lines[1][amount]=7",
       R"({"lines":[{"price_data":{"unit_amount":"500"},"quantity":"2"},{"amount":"7"}]})"},
      {"payment_settings[payment_method_types][]=card&payment_settings[payment_method_types][]=us_bank_account",
       R"({"payment_settings":{"payment_method_types":["card","us_bank_account"]}})"},
      {"expand[0]=lines&expand[1]=payments", R"({"expand":["lines","payments"]})"},
      {"expand[]=a&expand[]=b", R"({"expand":["a","b"]})"},
      // Indices are ordered numerically, not as strings, and need not be contiguous.
      {"a[10]=x&a[2]=y", R"({"a":["y","x"]})"},
      // Under metadata, "0" is an ordinary key.
      {"metadata[0]=zero", R"({"metadata":{"0":"zero"}})"},
      {"metadata[crmId]=", R"({"metadata":{"crmId":""}})"},
      {"lines%5B0%5D%5Bamount%5D=5", R"({"lines":[{"amount":"5"}]})"},
  };
  for (const auto& c : cases) EXPECT_EQ(decode_form(c.body), json::parse(c.expected)) << c.body;
}

TEST(DecodeForm, RefusesMalformedKeysAndClashes) {
  for (const char* body : {"a=1&a[b]=2", "a[b]=2&a=1", "a[b=1", "[x]=1", "a[b]c=1", "a[]=1&a[x]=2"}) {
    try {
      decode_form(body);
      ADD_FAILURE() << "accepted " << body;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status, 400) << body;
      EXPECT_EQ(e.type, "invalid_request_error");
    }
  }
}

TEST(Params, TypedReadersRefuseBadValuesWithStripeErrors) {
  json p = decode_form("amount=12&bad=1x&flag=true&no=false&weird=yes&empty=&kind=send_invoice&m[k]=v");
  EXPECT_EQ(get_integer(p, "amount"), 12);
  EXPECT_EQ(get_integer(p, "missing"), std::nullopt);
  EXPECT_EQ(get_integer(p, "empty"), std::nullopt);
  EXPECT_EQ(get_bool(p, "flag"), true);
  EXPECT_EQ(get_bool(p, "no"), false);
  EXPECT_EQ(get_enum(p, "kind", {"charge_automatically", "send_invoice"}), "send_invoice");
  EXPECT_NE(get_object(p, "m"), nullptr);

  auto expect_error = [](auto fn, const std::string& code, const std::string& param) {
    try {
      fn();
      ADD_FAILURE() << "no error for " << param;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.code, code);
      EXPECT_EQ(e.param, param);
      EXPECT_EQ(e.status, 400);
    }
  };
  expect_error([&] { get_integer(p, "bad"); }, "parameter_invalid_integer", "bad");
  expect_error([&] { get_integer(p, "bad", "lines[0][bad]"); }, "parameter_invalid_integer", "lines[0][bad]");
  expect_error([&] { require_string(p, "customer"); }, "parameter_missing", "customer");
  expect_error([&] { require_integer(p, "empty"); }, "parameter_missing", "empty");
  expect_error([&] { get_bool(p, "weird"); }, "", "weird");
  expect_error([&] { get_enum(p, "flag", {"a", "b"}); }, "", "flag");
  expect_error([&] { get_object(p, "amount"); }, "parameter_invalid_empty", "amount");
  try {
    require_string(p, "customer");
  } catch (const ApiError& e) {
    EXPECT_STREQ(e.what(), "Missing required param: customer.");
  }
}

TEST(Params, MetadataUpdatesAsStripeDoes) {
  json metadata = {{"keep", "1"}, {"drop", "2"}};
  apply_metadata(metadata, decode_form("metadata[drop]=&metadata[add]=3"));
  EXPECT_EQ(metadata, (json{{"keep", "1"}, {"add", "3"}}));
  apply_metadata(metadata, decode_form("other=1"));
  EXPECT_EQ(metadata.size(), 2u);
  apply_metadata(metadata, decode_form("metadata="));
  EXPECT_TRUE(metadata.empty());
}

TEST(Params, Currency) {
  EXPECT_EQ(normalize_currency_param("USD", "currency"), "usd");
  EXPECT_THROW(normalize_currency_param("dollars", "currency"), ApiError);
  EXPECT_THROW(normalize_currency_param("u1d", "currency"), ApiError);
}

TEST(ApiErrorShape, OnlyTheMembersThatApply) {
  ApiError e(402, "card_error", "card_declined", "Your card was declined.");
  e.decline_code = "insufficient_funds";
  e.extra["charge"] = "ch_1";
  json j = e.to_json();
  EXPECT_EQ(j["error"]["type"], "card_error");
  EXPECT_EQ(j["error"]["code"], "card_declined");
  EXPECT_EQ(j["error"]["decline_code"], "insufficient_funds");
  EXPECT_EQ(j["error"]["charge"], "ch_1");
  EXPECT_EQ(j["error"]["doc_url"], "https://stripe.com/docs/error-codes/card-declined");
  EXPECT_FALSE(j["error"].contains("param"));
  json bare = ApiError(401, "invalid_request_error", "", "no key").to_json();
  EXPECT_EQ(bare["error"].size(), 2u);
}

}  // namespace
}  // namespace settle::sandbox
