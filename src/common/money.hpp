// Money arithmetic for Settle. An amount is an integer count of minor units (cents, yen,
// fils) plus an ISO 4217 currency code; floating point never touches money. This file
// holds the currency table, overflow-checked arithmetic, exact decimal conversion for
// imports/exports, percentage rounding and exact allocation of an amount into parts.
// Everything here is pure: no I/O, no global state beyond a constant table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace settle {

// Every amount Settle stores or returns lies within ±kMaxAmount minor units (10^15, i.e.
// ten trillion dollars). The cap sits far below int64 on purpose: API consumers in
// JavaScript and many JSON libraries parse numbers as IEEE doubles, which are exact only
// up to 2^53 (~9.007e15). Keeping every amount, and every sum we return, under 10^15
// guarantees such clients never see a silently rounded amount.
inline constexpr std::int64_t kMaxAmount = 1'000'000'000'000'000;

// One row of the currency table: the ISO 4217 code and how many decimal digits its minor
// unit has (USD 2, JPY 0, KWD 3).
struct CurrencyInfo {
  std::string_view code;
  int exponent;
};

// The supported currencies, sorted by code.
std::span<const CurrencyInfo> supported_currencies();

// Minor-unit exponent of a currency; the code is matched case-insensitively.
// std::nullopt for a code not in the table.
std::optional<int> currency_exponent(std::string_view code);
bool is_valid_currency(std::string_view code);

// Upper-cases and checks a client-supplied currency code: "usd" -> "USD".
// Unknown code -> Error::validation(field, ...).
Result<std::string> normalize_currency(std::string_view code, std::string_view field = "currency");

// An amount together with its (upper-case, known) currency.
struct Money {
  std::int64_t amount = 0;
  std::string currency;
  friend bool operator==(const Money&, const Money&) = default;
};

// Validates range and currency; the currency is normalised to upper case.
Result<Money> make_money(std::int64_t amount, std::string_view currency);
// Money + Money / Money - Money; refuses mixing currencies (validation on "currency").
Result<Money> add(const Money& a, const Money& b);
Result<Money> subtract(const Money& a, const Money& b);

// ---- Checked arithmetic -------------------------------------------------------------
// Each function refuses operands and results outside ±kMaxAmount, and int64 overflow,
// with Error::validation(field, "amount too large").
Status check_amount(std::int64_t amount, std::string_view field = "amount");
Result<std::int64_t> checked_add(std::int64_t a, std::int64_t b, std::string_view field = "amount");
Result<std::int64_t> checked_subtract(std::int64_t a, std::int64_t b,
                                      std::string_view field = "amount");
// amount × quantity, e.g. unit price × number of seats.
Result<std::int64_t> checked_multiply(std::int64_t amount, std::int64_t quantity,
                                      std::string_view field = "amount");
// Sum of many amounts; only the operands and the final total must be within the cap
// (a running total may dip outside it when negative lines follow positive ones).
Result<std::int64_t> checked_sum(std::span<const std::int64_t> amounts,
                                 std::string_view field = "amount");

// ---- Decimal text -------------------------------------------------------------------
// Minor units to a plain decimal string with exactly `exponent` fraction digits and no
// grouping: (123456, 2) -> "1234.56", (-5, 2) -> "-0.05", (1234, 0) -> "1234",
// (1234, 3) -> "1.234". Works for the whole int64 range.
std::string to_decimal_string(std::int64_t amount, int exponent);
// Same, looking the exponent up in the currency table. An unknown currency is a
// programming error (currencies are validated on the way in) and throws
// std::invalid_argument.
std::string to_decimal_string(std::int64_t amount, std::string_view currency);
// For people to read: the currency code and the amount with thousands grouped,
// (125000, "USD") -> "USD 1,250.00", (-5000, "JPY") -> "JPY -5,000". Throws as above.
std::string display_money(std::int64_t amount, std::string_view currency);

// Parses "1234.56" in the given currency into minor units (123456). Accepted grammar,
// after trimming surrounding ASCII whitespace: optional '-', one or more digits,
// optionally '.' followed by 1..exponent digits. No '+', no grouping separators, no
// exponent notation, no ".5" or "5.". More fraction digits than the currency has are
// refused, even if they are zeros ("1.230" for USD, "100.0" for JPY): an import that
// carries more precision than the currency is a sign of a wrong column or currency, and
// silently rounding money is never acceptable. Result must lie within ±kMaxAmount.
Result<std::int64_t> parse_decimal(std::string_view text, std::string_view currency,
                                   std::string_view field = "amount");

// ---- Percentages and rounding -------------------------------------------------------
enum class Rounding {
  // Ties go to the even neighbour (banker's rounding): 2.5 -> 2, 3.5 -> 4, -2.5 -> -2.
  // Unbiased over many roundings; the default.
  HalfEven,
  // Ties go away from zero ("commercial" rounding): 2.5 -> 3, -2.5 -> -3. What most tax
  // authorities (e.g. EU VAT) prescribe for a tax amount on an invoice.
  HalfAwayFromZero,
};

// amount × basis_points / 10'000 rounded to a whole minor unit: 1 bp = 0.01 %, so
// percent_of(1000, 825) is 8.25 % of 10.00 = 82.5 -> 82 (HalfEven) or 83 (HalfAwayFromZero).
// Computed in 128-bit so only the result is range-checked. Negative amounts and basis
// points are allowed and round symmetrically.
Result<std::int64_t> percent_of(std::int64_t amount, std::int64_t basis_points,
                                Rounding rounding = Rounding::HalfEven);

// ---- Allocation ---------------------------------------------------------------------
// Upper bound on the number of parts of one allocation. Instalment plans and split lines
// never come near it; it keeps a hostile request from allocating gigabytes.
inline constexpr std::size_t kMaxAllocationParts = 10'000;

// Splits `amount` into `parts` near-equal parts that sum exactly to `amount`; the units
// that do not divide evenly go one each to the first parts: allocate(100, 3) ->
// {34, 33, 33}. A negative amount splits symmetrically: allocate(-100, 3) -> {-34, -33, -33}.
Result<std::vector<std::int64_t>> allocate(std::int64_t amount, std::size_t parts);

// Splits `amount` in proportion to non-negative `weights` (at least one positive) with the
// largest-remainder method: every part gets the floor of its exact share, then the units
// left over go one each to the parts with the largest fractional remainders (earlier parts
// win ties). The parts always sum exactly to `amount`; zero weights get zero.
Result<std::vector<std::int64_t>> allocate(std::int64_t amount,
                                           std::span<const std::int64_t> weights);

}  // namespace settle
