// Stripe's test payment methods: the `pm_card_*` / `pm_usBankAccount` tokens an API
// client passes and the card numbers a person types on a hosted page, each with the
// outcome Stripe gives it (succeeds, is declined with a given decline code, or is a bank
// debit that stays `processing` until it settles).
#pragma once

#include <string>
#include <string_view>

namespace settle::sandbox {

enum class PaymentOutcome { Succeeds, Declined, Processing };

struct TestPaymentMethod {
  std::string_view token;        // "pm_card_visa"
  std::string_view card_number;  // "4242424242424242"; empty for a bank account
  std::string_view type;         // "card" or "us_bank_account"
  std::string_view brand;        // "visa", "mastercard", "amex"; the bank name for a bank account
  std::string_view last4;
  std::string_view funding;      // "credit", "debit"; "checking" for a bank account
  PaymentOutcome outcome;
  // For declines: Stripe's error code, decline code and the message shown to the payer.
  std::string_view error_code;
  std::string_view decline_code;
  std::string_view message;
};

// By API token ("pm_card_chargeDeclined"); nullptr if the token is not a test method.
const TestPaymentMethod* test_payment_method_by_token(std::string_view token);
// By card number (spaces and dashes ignored); nullptr for an unknown number.
const TestPaymentMethod* test_card_by_number(std::string_view number);
// The test bank account a hosted page offers.
const TestPaymentMethod& test_bank_account();
// Luhn checksum of a digit string (spaces and dashes ignored).
bool luhn_valid(std::string_view number);
std::string digits_only(std::string_view number);

}  // namespace settle::sandbox
