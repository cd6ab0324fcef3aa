// Tests of Stripe's bracket-syntax form encoding (form.hpp), table-driven.
#include "stripe/form.hpp"

#include <gtest/gtest.h>

namespace settle::stripe {
namespace {

struct EncodeCase {
  const char* name;
  FormParams params;
  const char* expected;
};

class EncodeFormTest : public ::testing::TestWithParam<EncodeCase> {};

TEST_P(EncodeFormTest, EncodesAsStripeExpects) {
  const auto& c = GetParam();
  auto encoded = encode_form(c.params);
  ASSERT_TRUE(encoded) << encoded.error().log;
  EXPECT_EQ(*encoded, c.expected);
}

FormParams ordered(std::initializer_list<std::pair<const char*, FormParams>> items) {
  FormParams out = FormParams::object();
  for (const auto& [k, v] : items) out[k] = v;
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Table, EncodeFormTest,
    ::testing::Values(
        EncodeCase{"null_is_empty", nullptr, ""},
        EncodeCase{"empty_object", FormParams::object(), ""},
        EncodeCase{"flat", ordered({{"customer", "cus_123"}, {"currency", "usd"}}), "customer=cus_123&currency=usd"},
        EncodeCase{"insertion_order_kept", ordered({{"z", "1"}, {"a", "2"}, {"m", "3"}}), "z=1&a=2&m=3"},
        EncodeCase{"integers_and_booleans", ordered({{"amount", 1999}, {"negative", -5}, {"auto_advance", false}, {"confirm", true}}),
                   "amount=1999&negative=-5&auto_advance=false&confirm=true"},
        EncodeCase{"nested_metadata", ordered({{"metadata", ordered({{"settleInvoiceId", "inv_1"}, {"workspace", "ws 2"}})}}),
                   "metadata[settleInvoiceId]=inv_1&metadata[workspace]=ws%202"},
        EncodeCase{"array_of_objects_uses_indices",
                   ordered({{"lines", FormParams::array({ordered({{"price_data", ordered({{"unit_amount", 500}, {"currency", "eur"}})},
                                                                  {"quantity", 2}}),
                                                         ordered({{"price", "price_1"}})})}}),
                   "lines[0][price_data][unit_amount]=500&lines[0][price_data][currency]=eur&lines[0][quantity]=2&"
                   "lines[1][price]=price_1"},
        EncodeCase{"array_of_scalars_uses_empty_brackets",
                   ordered({{"payment_settings", ordered({{"payment_method_types", FormParams::array({"card", "us_bank_account"})}})}}),
                   "payment_settings[payment_method_types][]=card&payment_settings[payment_method_types][]=us_bank_account"},
        EncodeCase{"expand", ordered({{"expand", FormParams::array({"payments", "customer.invoice_settings"})}}),
                   "expand[]=payments&expand[]=customer.invoice_settings"},
        EncodeCase{"special_characters_percent_encoded",
                   ordered({{"description", "50% off & more = a+b / c?d#e"}, {"email", "a.b@example.com"}}),
                   "description=50%25%20off%20%26%20more%20%3D%20a%2Bb%20%2F%20c%3Fd%23e&email=a.b%40example.com"},
        EncodeCase{"unicode_is_utf8_percent_encoded", ordered({{"name", "Zoë €"}}), "name=Zo%C3%AB%20%E2%82%AC"},
        EncodeCase{"unreserved_characters_stay", ordered({{"k", "AZaz09-._~"}}), "k=AZaz09-._~"},
        EncodeCase{"key_with_special_characters", ordered({{"metadata", ordered({{"a b&c", "v"}})}}), "metadata[a%20b%26c]=v"},
        EncodeCase{"null_clears_a_field", ordered({{"metadata", ordered({{"old", nullptr}})}, {"description", nullptr}}),
                   "metadata[old]=&description="},
        EncodeCase{"empty_array_clears_a_field", ordered({{"default_tax_rates", FormParams::array()}}), "default_tax_rates="},
        EncodeCase{"empty_nested_object_contributes_nothing", ordered({{"a", "1"}, {"metadata", FormParams::object()}}), "a=1"},
        EncodeCase{"search_query", ordered({{"query", "metadata['settleCompanyId']:'co_1'"}}),
                   "query=metadata%5B%27settleCompanyId%27%5D%3A%27co_1%27"},
        EncodeCase{"nested_arrays_of_arrays_use_indices",
                   ordered({{"m", FormParams::array({FormParams::array({"x", "y"})})}}), "m[0][]=x&m[0][]=y"},
        EncodeCase{"created_range", ordered({{"created", ordered({{"gte", 1700000000}})}, {"limit", 100}}),
                   "created[gte]=1700000000&limit=100"}),
    [](const ::testing::TestParamInfo<EncodeCase>& info) { return info.param.name; });

struct RefusedCase {
  const char* name;
  FormParams params;
};

class EncodeFormRefusesTest : public ::testing::TestWithParam<RefusedCase> {};

TEST_P(EncodeFormRefusesTest, RefusesWithInternalError) {
  auto encoded = encode_form(GetParam().params);
  ASSERT_FALSE(encoded) << "encoded as " << *encoded;
  EXPECT_EQ(encoded.error().code, ErrorCode::Internal);
  EXPECT_FALSE(encoded.error().log.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Table, EncodeFormRefusesTest,
    ::testing::Values(RefusedCase{"root_not_object", FormParams::array({"a"})},
                      RefusedCase{"root_string", FormParams("a=b")},
                      RefusedCase{"float_amount", ordered({{"amount", 19.99}})},
                      RefusedCase{"float_deep_inside", ordered({{"lines", FormParams::array({ordered({{"q", 1.5}})})}})},
                      RefusedCase{"bracket_in_key", ordered({{"metadata", ordered({{"a[b]", "v"}})}})},
                      RefusedCase{"bracket_in_top_key", ordered({{"a[0]", "v"}})},
                      RefusedCase{"empty_key", ordered({{"metadata", ordered({{"", "v"}})}})}),
    [](const ::testing::TestParamInfo<RefusedCase>& info) { return info.param.name; });

TEST(EncodeForm, SameParametersEncodeToTheSameBytes) {
  // Idempotent replays depend on this: Stripe compares a replay's parameters with the first request's.
  auto build = [] {
    FormParams p = FormParams::object();
    p["customer"] = "cus_1";
    p["metadata"]["settleInvoiceId"] = "inv_9";
    p["metadata"]["a"] = "b";
    return p;
  };
  EXPECT_EQ(*encode_form(build()), *encode_form(build()));
  EXPECT_EQ(*encode_form(build()), "customer=cus_1&metadata[settleInvoiceId]=inv_9&metadata[a]=b");
}

}  // namespace
}  // namespace settle::stripe
