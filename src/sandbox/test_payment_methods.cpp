// The table of Stripe's test payment methods (see test_payment_methods.hpp).
#include "sandbox/test_payment_methods.hpp"

#include <array>
#include <cctype>

namespace settle::sandbox {
namespace {

constexpr std::string_view kDeclined = "Your card was declined.";

constexpr std::array<TestPaymentMethod, 10> kMethods{{
    {"pm_card_visa", "4242424242424242", "card", "visa", "4242", "credit", PaymentOutcome::Succeeds, "", "", ""},
    {"pm_card_visa_debit", "4000056655665556", "card", "visa", "5556", "debit", PaymentOutcome::Succeeds, "", "", ""},
    {"pm_card_mastercard", "5555555555554444", "card", "mastercard", "4444", "credit", PaymentOutcome::Succeeds, "", "", ""},
    {"pm_card_amex", "378282246310005", "card", "amex", "0005", "credit", PaymentOutcome::Succeeds, "", "", ""},
    {"pm_card_chargeDeclined", "4000000000000002", "card", "visa", "0002", "credit", PaymentOutcome::Declined,
     "card_declined", "generic_decline", kDeclined},
    {"pm_card_chargeDeclinedInsufficientFunds", "4000000000009995", "card", "visa", "9995", "credit",
     PaymentOutcome::Declined, "card_declined", "insufficient_funds", "Your card has insufficient funds."},
    {"pm_card_chargeDeclinedExpiredCard", "4000000000000069", "card", "visa", "0069", "credit",
     PaymentOutcome::Declined, "expired_card", "expired_card", "Your card has expired."},
    {"pm_card_chargeDeclinedIncorrectCvc", "4000000000000127", "card", "visa", "0127", "credit",
     PaymentOutcome::Declined, "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."},
    {"pm_card_chargeDeclinedFraudulent", "4100000000000019", "card", "visa", "0019", "credit",
     PaymentOutcome::Declined, "card_declined", "fraudulent", kDeclined},
    {"pm_usBankAccount", "", "us_bank_account", "STRIPE TEST BANK", "6789", "checking", PaymentOutcome::Processing,
     "", "", ""},
}};

}  // namespace

std::string digits_only(std::string_view number) {
  std::string out;
  for (char c : number)
    if (std::isdigit(static_cast<unsigned char>(c))) out.push_back(c);
    else if (c != ' ' && c != '-') return {};
  return out;
}

const TestPaymentMethod* test_payment_method_by_token(std::string_view token) {
  for (const auto& m : kMethods)
    if (m.token == token) return &m;
  return nullptr;
}

const TestPaymentMethod* test_card_by_number(std::string_view number) {
  std::string digits = digits_only(number);
  if (digits.empty()) return nullptr;
  for (const auto& m : kMethods)
    if (!m.card_number.empty() && m.card_number == digits) return &m;
  return nullptr;
}

const TestPaymentMethod& test_bank_account() { return *test_payment_method_by_token("pm_usBankAccount"); }

bool luhn_valid(std::string_view number) {
  std::string digits = digits_only(number);
  if (digits.size() < 12) return false;
  int sum = 0;
  bool double_it = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

}  // namespace settle::sandbox
