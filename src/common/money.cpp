// Implementation of common/money.hpp: the currency table, checked arithmetic, decimal
// conversion, percentage rounding and largest-remainder allocation.
#include "common/money.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

namespace settle {

namespace {

// ISO 4217 minor-unit exponents. Sorted by code (binary search; a test checks the order).
// Exponents follow ISO 4217, not any payment processor's quirks.
constexpr std::array kCurrencies = {
    CurrencyInfo{"AED", 2}, CurrencyInfo{"ARS", 2}, CurrencyInfo{"AUD", 2},
    CurrencyInfo{"BDT", 2}, CurrencyInfo{"BGN", 2}, CurrencyInfo{"BHD", 3},
    CurrencyInfo{"BIF", 0}, CurrencyInfo{"BRL", 2}, CurrencyInfo{"CAD", 2},
    CurrencyInfo{"CHF", 2}, CurrencyInfo{"CLP", 0}, CurrencyInfo{"CNY", 2},
    CurrencyInfo{"COP", 2}, CurrencyInfo{"CRC", 2}, CurrencyInfo{"CZK", 2},
    CurrencyInfo{"DJF", 0}, CurrencyInfo{"DKK", 2}, CurrencyInfo{"DOP", 2},
    CurrencyInfo{"EGP", 2}, CurrencyInfo{"EUR", 2}, CurrencyInfo{"GBP", 2},
    CurrencyInfo{"GNF", 0}, CurrencyInfo{"GTQ", 2}, CurrencyInfo{"HKD", 2},
    CurrencyInfo{"HUF", 2}, CurrencyInfo{"IDR", 2}, CurrencyInfo{"ILS", 2},
    CurrencyInfo{"INR", 2}, CurrencyInfo{"IQD", 3}, CurrencyInfo{"ISK", 0},
    CurrencyInfo{"JOD", 3}, CurrencyInfo{"JPY", 0}, CurrencyInfo{"KES", 2},
    CurrencyInfo{"KMF", 0}, CurrencyInfo{"KRW", 0}, CurrencyInfo{"KWD", 3},
    CurrencyInfo{"KZT", 2}, CurrencyInfo{"LKR", 2}, CurrencyInfo{"LYD", 3},
    CurrencyInfo{"MAD", 2}, CurrencyInfo{"MXN", 2}, CurrencyInfo{"MYR", 2},
    CurrencyInfo{"NGN", 2}, CurrencyInfo{"NOK", 2}, CurrencyInfo{"NZD", 2},
    CurrencyInfo{"OMR", 3}, CurrencyInfo{"PEN", 2}, CurrencyInfo{"PHP", 2},
    CurrencyInfo{"PKR", 2}, CurrencyInfo{"PLN", 2}, CurrencyInfo{"PYG", 0},
    CurrencyInfo{"QAR", 2}, CurrencyInfo{"RON", 2}, CurrencyInfo{"RSD", 2},
    CurrencyInfo{"RWF", 0}, CurrencyInfo{"SAR", 2}, CurrencyInfo{"SEK", 2},
    CurrencyInfo{"SGD", 2}, CurrencyInfo{"THB", 2}, CurrencyInfo{"TND", 3},
    CurrencyInfo{"TRY", 2}, CurrencyInfo{"TWD", 2}, CurrencyInfo{"UAH", 2},
    CurrencyInfo{"UGX", 0}, CurrencyInfo{"USD", 2}, CurrencyInfo{"UYU", 2},
    CurrencyInfo{"VND", 0}, CurrencyInfo{"VUV", 0}, CurrencyInfo{"XAF", 0},
    CurrencyInfo{"XOF", 0}, CurrencyInfo{"XPF", 0}, CurrencyInfo{"ZAR", 2},
};

constexpr std::int64_t kPow10[] = {1, 10, 100, 1000};

std::string to_upper_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

const CurrencyInfo* find_currency(std::string_view code) {
  if (code.size() != 3) return nullptr;
  const std::string upper = to_upper_ascii(code);
  auto it = std::lower_bound(kCurrencies.begin(), kCurrencies.end(), upper,
                             [](const CurrencyInfo& c, const std::string& key) { return c.code < key; });
  if (it == kCurrencies.end() || it->code != upper) return nullptr;
  return &*it;
}

bool within_cap(std::int64_t amount) { return amount >= -kMaxAmount && amount <= kMaxAmount; }
bool within_cap(__int128 amount) { return amount >= -kMaxAmount && amount <= kMaxAmount; }

Error too_large(std::string_view field) {
  return Error::validation(std::string(field), "amount too large");
}

// Rounds numerator / denominator (denominator > 0) to an integer under `rounding`.
__int128 divide_rounded(__int128 numerator, __int128 denominator, Rounding rounding) {
  __int128 quotient = numerator / denominator;  // truncates toward zero
  __int128 remainder = numerator % denominator;  // same sign as numerator
  if (remainder == 0) return quotient;
  const __int128 sign = numerator < 0 ? -1 : 1;
  const __int128 twice_remainder = (remainder < 0 ? -remainder : remainder) * 2;
  if (twice_remainder > denominator) return quotient + sign;
  if (twice_remainder < denominator) return quotient;
  // Exactly half-way.
  if (rounding == Rounding::HalfAwayFromZero) return quotient + sign;
  return (quotient % 2 == 0) ? quotient : quotient + sign;
}

std::string_view trim_ascii(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::span<const CurrencyInfo> supported_currencies() { return kCurrencies; }

std::optional<int> currency_exponent(std::string_view code) {
  if (const CurrencyInfo* c = find_currency(code)) return c->exponent;
  return std::nullopt;
}

bool is_valid_currency(std::string_view code) { return find_currency(code) != nullptr; }

Result<std::string> normalize_currency(std::string_view code, std::string_view field) {
  if (const CurrencyInfo* c = find_currency(code)) return std::string(c->code);
  return fail(Error::validation(std::string(field),
                                fmt::format("unknown or unsupported currency code '{}'", code)));
}

Result<Money> make_money(std::int64_t amount, std::string_view currency) {
  auto code = normalize_currency(currency);
  if (!code) return fail(code.error());
  if (auto ok = check_amount(amount); !ok) return fail(ok.error());
  return Money{amount, std::move(*code)};
}

namespace {
Status check_same_currency(const Money& a, const Money& b) {
  if (a.currency == b.currency) return {};
  return fail(Error::validation(
      "currency", fmt::format("cannot combine amounts in {} and {}", a.currency, b.currency)));
}
}  // namespace

Result<Money> add(const Money& a, const Money& b) {
  if (auto ok = check_same_currency(a, b); !ok) return fail(ok.error());
  auto sum = checked_add(a.amount, b.amount);
  if (!sum) return fail(sum.error());
  return Money{*sum, a.currency};
}

Result<Money> subtract(const Money& a, const Money& b) {
  if (auto ok = check_same_currency(a, b); !ok) return fail(ok.error());
  auto difference = checked_subtract(a.amount, b.amount);
  if (!difference) return fail(difference.error());
  return Money{*difference, a.currency};
}

Status check_amount(std::int64_t amount, std::string_view field) {
  if (within_cap(amount)) return {};
  return fail(too_large(field));
}

Result<std::int64_t> checked_add(std::int64_t a, std::int64_t b, std::string_view field) {
  std::int64_t sum = 0;
  if (!within_cap(a) || !within_cap(b) || __builtin_add_overflow(a, b, &sum) || !within_cap(sum))
    return fail(too_large(field));
  return sum;
}

Result<std::int64_t> checked_subtract(std::int64_t a, std::int64_t b, std::string_view field) {
  std::int64_t difference = 0;
  if (!within_cap(a) || !within_cap(b) || __builtin_sub_overflow(a, b, &difference) ||
      !within_cap(difference))
    return fail(too_large(field));
  return difference;
}

Result<std::int64_t> checked_multiply(std::int64_t amount, std::int64_t quantity,
                                      std::string_view field) {
  // Only the amount is capped on the way in: a quantity is a count, not money.
  std::int64_t product = 0;
  if (!within_cap(amount) || __builtin_mul_overflow(amount, quantity, &product) ||
      !within_cap(product))
    return fail(too_large(field));
  return product;
}

Result<std::int64_t> checked_sum(std::span<const std::int64_t> amounts, std::string_view field) {
  std::int64_t total = 0;
  for (std::int64_t amount : amounts) {
    // Operands are capped at 10^15, so the running total could only overflow int64 after
    // ~9000 maximal operands; the builtin makes even that impossible to miss.
    if (!within_cap(amount) || __builtin_add_overflow(total, amount, &total))
      return fail(too_large(field));
  }
  if (!within_cap(total)) return fail(too_large(field));
  return total;
}

std::string to_decimal_string(std::int64_t amount, int exponent) {
  if (exponent < 0 || exponent > 3)
    throw std::invalid_argument(fmt::format("unsupported minor-unit exponent {}", exponent));
  // Work on the unsigned magnitude so that INT64_MIN needs no special case.
  const bool negative = amount < 0;
  const std::uint64_t magnitude =
      negative ? std::uint64_t{0} - static_cast<std::uint64_t>(amount) : static_cast<std::uint64_t>(amount);
  const auto scale = static_cast<std::uint64_t>(kPow10[exponent]);
  std::string out = negative ? "-" : "";
  out += std::to_string(magnitude / scale);
  if (exponent > 0) out += fmt::format(".{:0{}}", magnitude % scale, exponent);
  return out;
}

std::string to_decimal_string(std::int64_t amount, std::string_view currency) {
  const auto exponent = currency_exponent(currency);
  if (!exponent)
    throw std::invalid_argument(fmt::format("unknown currency code '{}'", currency));
  return to_decimal_string(amount, *exponent);
}

Result<std::int64_t> parse_decimal(std::string_view text, std::string_view currency,
                                   std::string_view field) {
  const auto exponent = currency_exponent(currency);
  if (!exponent)
    return fail(Error::validation("currency",
                                  fmt::format("unknown or unsupported currency code '{}'", currency)));
  const std::string field_name(field);
  auto malformed = [&] {
    return fail(Error::validation(
        field_name, *exponent == 0
                        ? fmt::format("'{}' is not a whole amount of {}", text, to_upper_ascii(currency))
                        : fmt::format("'{}' is not a decimal amount like 1234.{:0>{}}", text, "",
                                      *exponent)));
  };

  std::string_view rest = trim_ascii(text);
  const bool negative = !rest.empty() && rest.front() == '-';
  if (negative) rest.remove_prefix(1);

  std::string_view whole = rest;
  std::string_view fraction;
  if (const auto dot = rest.find('.'); dot != std::string_view::npos) {
    whole = rest.substr(0, dot);
    fraction = rest.substr(dot + 1);
    if (fraction.empty()) return malformed();
  }
  if (whole.empty() || !all_digits(whole) || !all_digits(fraction)) return malformed();
  if (fraction.size() > static_cast<std::size_t>(*exponent)) {
    return fail(Error::validation(
        field_name, *exponent == 0
                        ? fmt::format("{} has no minor unit; '{}' must be a whole number",
                                      to_upper_ascii(currency), text)
                        : fmt::format("{} allows at most {} decimal places; '{}' has {}",
                                      to_upper_ascii(currency), *exponent, text, fraction.size())));
  }

  // Accumulate the magnitude in minor units, bailing out as soon as it passes the cap so
  // that no input length can overflow.
  std::int64_t magnitude = 0;
  auto push_digit = [&](char digit) {
    magnitude = magnitude * 10 + (digit - '0');
    return magnitude <= kMaxAmount;
  };
  for (char c : whole)
    if (!push_digit(c)) return fail(too_large(field));
  for (int i = 0; i < *exponent; ++i) {
    const char digit = i < static_cast<int>(fraction.size()) ? fraction[i] : '0';
    if (!push_digit(digit)) return fail(too_large(field));
  }
  return negative ? -magnitude : magnitude;
}

Result<std::int64_t> percent_of(std::int64_t amount, std::int64_t basis_points, Rounding rounding) {
  if (!within_cap(amount)) return fail(too_large("amount"));
  // |amount| <= 10^15 and |basis_points| < 2^63, so the product fits easily in 128 bits.
  const __int128 result =
      divide_rounded(static_cast<__int128>(amount) * basis_points, 10'000, rounding);
  if (!within_cap(result)) return fail(too_large("amount"));
  return static_cast<std::int64_t>(result);
}

Result<std::vector<std::int64_t>> allocate(std::int64_t amount, std::size_t parts) {
  if (parts == 0 || parts > kMaxAllocationParts)
    return fail(Error::validation(
        "parts", fmt::format("must be between 1 and {}", kMaxAllocationParts)));
  if (!within_cap(amount)) return fail(too_large("amount"));
  const auto count = static_cast<std::int64_t>(parts);
  const std::int64_t base = amount / count;       // truncates toward zero
  const std::int64_t leftover = amount % count;   // same sign as amount
  const std::int64_t step = amount < 0 ? -1 : 1;
  std::vector<std::int64_t> out(parts, base);
  const auto extra_parts = static_cast<std::size_t>(leftover < 0 ? -leftover : leftover);
  for (std::size_t i = 0; i < extra_parts; ++i) out[i] += step;
  return out;
}

Result<std::vector<std::int64_t>> allocate(std::int64_t amount,
                                           std::span<const std::int64_t> weights) {
  if (weights.empty() || weights.size() > kMaxAllocationParts)
    return fail(Error::validation(
        "weights", fmt::format("must have between 1 and {} entries", kMaxAllocationParts)));
  if (!within_cap(amount)) return fail(too_large("amount"));
  __int128 total_weight = 0;
  for (std::int64_t weight : weights) {
    if (weight < 0) return fail(Error::validation("weights", "weights must not be negative"));
    total_weight += weight;
  }
  if (total_weight == 0)
    return fail(Error::validation("weights", "at least one weight must be positive"));

  // Allocate the magnitude and restore the sign at the end so negative amounts split
  // symmetrically. |amount| * weight < 2^50 * 2^63 fits in 128 bits.
  const __int128 magnitude = amount < 0 ? -static_cast<__int128>(amount) : amount;
  const std::int64_t sign = amount < 0 ? -1 : 1;
  std::vector<std::int64_t> out(weights.size());
  std::vector<__int128> remainders(weights.size());
  __int128 allocated = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const __int128 exact = magnitude * weights[i];
    out[i] = static_cast<std::int64_t>(exact / total_weight);
    remainders[i] = exact % total_weight;
    allocated += out[i];
  }
  // Fewer than weights.size() units are left over; hand them out by largest remainder,
  // earlier index first on ties (stable sort keeps index order).
  std::vector<std::size_t> order(weights.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return remainders[a] > remainders[b]; });
  auto leftover = static_cast<std::size_t>(magnitude - allocated);
  for (std::size_t k = 0; k < leftover; ++k) out[order[k]] += 1;
  for (std::int64_t& part : out) part *= sign;
  return out;
}

std::string display_money(std::int64_t amount, std::string_view currency) {
  std::string decimal = to_decimal_string(amount, currency);
  std::size_t start = decimal[0] == '-' ? 1 : 0;
  std::size_t dot = decimal.find('.');
  std::size_t end = dot == std::string::npos ? decimal.size() : dot;
  for (std::size_t k = end; k > start + 3; k -= 3) decimal.insert(k - 3, 1, ',');
  return std::string(currency) + " " + decimal;
}

}  // namespace settle
