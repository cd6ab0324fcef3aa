// Tests for common/money.hpp: currency table, checked arithmetic, decimal text,
// percentage rounding and allocation.
#include "common/money.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include <gtest/gtest.h>

namespace settle {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

// ---- Currencies ---------------------------------------------------------------------

TEST(Currency, TableIsSortedUniqueUpperCaseAndLargeEnough) {
  const auto table = supported_currencies();
  EXPECT_GE(table.size(), 40u);
  for (std::size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(table[i].code.size(), 3u) << table[i].code;
    EXPECT_TRUE(std::all_of(table[i].code.begin(), table[i].code.end(),
                            [](char c) { return c >= 'A' && c <= 'Z'; }))
        << table[i].code;
    EXPECT_TRUE(table[i].exponent == 0 || table[i].exponent == 2 || table[i].exponent == 3)
        << table[i].code;
    if (i > 0) {
      EXPECT_LT(table[i - 1].code, table[i].code) << "table must stay sorted for lookup";
    }
  }
}

struct ExponentCase {
  std::string_view code;
  std::optional<int> exponent;
};

TEST(Currency, ExponentsFollowIso4217) {
  const ExponentCase cases[] = {
      {"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"CAD", 2}, {"AUD", 2}, {"CHF", 2}, {"SEK", 2},
      {"INR", 2}, {"BRL", 2}, {"MXN", 2}, {"CNY", 2}, {"HUF", 2}, {"JPY", 0}, {"KRW", 0},
      {"VND", 0}, {"CLP", 0}, {"ISK", 0}, {"XOF", 0}, {"BHD", 3}, {"KWD", 3}, {"OMR", 3},
      {"JOD", 3}, {"TND", 3},
      // Case-insensitive lookup.
      {"usd", 2}, {"Jpy", 0}, {"kwd", 3},
      // Not currencies (or not supported).
      {"", std::nullopt}, {"US", std::nullopt}, {"USDD", std::nullopt}, {"XXX", std::nullopt},
      {"BTC", std::nullopt}, {"U$D", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(currency_exponent(c.code), c.exponent) << c.code;
    EXPECT_EQ(is_valid_currency(c.code), c.exponent.has_value()) << c.code;
  }
}

TEST(Currency, NormalizeUpperCasesKnownCodesAndRejectsUnknown) {
  EXPECT_EQ(normalize_currency("usd").value(), "USD");
  EXPECT_EQ(normalize_currency("EuR").value(), "EUR");
  auto bad = normalize_currency("abc");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::Validation);
  EXPECT_EQ(bad.error().field, "currency");
  EXPECT_EQ(normalize_currency("zzz", "lines[0].currency").error().field, "lines[0].currency");
}

TEST(Money, MakeAddSubtract) {
  auto ten_usd = make_money(1000, "usd");
  ASSERT_TRUE(ten_usd);
  EXPECT_EQ(*ten_usd, (Money{1000, "USD"}));
  EXPECT_EQ(add(*ten_usd, Money{250, "USD"}).value(), (Money{1250, "USD"}));
  EXPECT_EQ(subtract(*ten_usd, Money{1250, "USD"}).value(), (Money{-250, "USD"}));

  auto mixed = add(*ten_usd, Money{1, "EUR"});
  ASSERT_FALSE(mixed);
  EXPECT_EQ(mixed.error().field, "currency");
  EXPECT_FALSE(subtract(*ten_usd, Money{1, "EUR"}));
  EXPECT_EQ(make_money(1, "nope").error().field, "currency");
  EXPECT_EQ(make_money(kMaxAmount + 1, "USD").error().message, "amount too large");
  EXPECT_EQ(add(Money{kMaxAmount, "USD"}, Money{1, "USD"}).error().message, "amount too large");
}

// ---- Checked arithmetic -------------------------------------------------------------

enum class Op { Add, Subtract, Multiply };

struct ArithmeticCase {
  Op op;
  std::int64_t a, b;
  std::optional<std::int64_t> expected;  // nullopt = "amount too large"
};

TEST(CheckedArithmetic, Table) {
  const ArithmeticCase cases[] = {
      {Op::Add, 1, 2, 3},
      {Op::Add, -5, 3, -2},
      {Op::Add, kMaxAmount - 1, 1, kMaxAmount},
      {Op::Add, kMaxAmount, 1, std::nullopt},
      {Op::Add, -kMaxAmount, -1, std::nullopt},
      {Op::Add, kMaxAmount, -kMaxAmount, 0},
      {Op::Add, kInt64Max, 0, std::nullopt},  // operand beyond the cap
      {Op::Add, kInt64Max, kInt64Max, std::nullopt},
      {Op::Subtract, 10, 25, -15},
      {Op::Subtract, -kMaxAmount, 1, std::nullopt},
      {Op::Subtract, kMaxAmount, -kMaxAmount, std::nullopt},
      {Op::Subtract, kInt64Min, 0, std::nullopt},
      {Op::Multiply, 1999, 3, 5997},
      {Op::Multiply, 0, 1'000'000, 0},
      {Op::Multiply, -250, 4, -1000},
      {Op::Multiply, 1'000'000'000, 1'000'000, kMaxAmount},
      {Op::Multiply, 1'000'000'000, 1'000'001, std::nullopt},
      {Op::Multiply, kMaxAmount, 10'000, std::nullopt},
      {Op::Multiply, kMaxAmount, kInt64Max, std::nullopt},  // int64 overflow itself
      {Op::Multiply, -kMaxAmount, kInt64Min, std::nullopt},
      {Op::Multiply, kInt64Max, 1, std::nullopt},
  };
  for (const auto& c : cases) {
    Result<std::int64_t> got;
    switch (c.op) {
      case Op::Add: got = checked_add(c.a, c.b, "total"); break;
      case Op::Subtract: got = checked_subtract(c.a, c.b, "total"); break;
      case Op::Multiply: got = checked_multiply(c.a, c.b, "total"); break;
    }
    const auto label = ::testing::Message() << "op " << static_cast<int>(c.op) << " a=" << c.a
                                            << " b=" << c.b;
    if (c.expected) {
      ASSERT_TRUE(got) << label << ": " << got.error().message;
      EXPECT_EQ(*got, *c.expected) << label;
    } else {
      ASSERT_FALSE(got) << label << " gave " << *got;
      EXPECT_EQ(got.error().code, ErrorCode::Validation) << label;
      EXPECT_EQ(got.error().field, "total") << label;
      EXPECT_EQ(got.error().message, "amount too large") << label;
    }
  }
}

TEST(CheckedArithmetic, CheckAmountBoundaries) {
  EXPECT_TRUE(check_amount(kMaxAmount));
  EXPECT_TRUE(check_amount(-kMaxAmount));
  EXPECT_TRUE(check_amount(0));
  EXPECT_FALSE(check_amount(kMaxAmount + 1));
  EXPECT_FALSE(check_amount(-kMaxAmount - 1));
  EXPECT_EQ(check_amount(kInt64Min, "x").error().field, "x");
  // The cap exists so that doubles represent every amount exactly.
  EXPECT_LT(kMaxAmount, std::int64_t{1} << 53);
}

TEST(CheckedArithmetic, Sum) {
  const std::vector<std::int64_t> empty;
  EXPECT_EQ(checked_sum(empty).value(), 0);
  const std::vector<std::int64_t> lines = {1999, 500, -250, 1};
  EXPECT_EQ(checked_sum(lines).value(), 2250);
  // The running total may leave the cap as long as the result is back inside it.
  const std::vector<std::int64_t> excursion = {kMaxAmount, 1, -1};
  EXPECT_EQ(checked_sum(excursion).value(), kMaxAmount);
  const std::vector<std::int64_t> too_big = {kMaxAmount, 1};
  EXPECT_EQ(checked_sum(too_big, "subtotal").error().field, "subtotal");
  const std::vector<std::int64_t> bad_operand = {kInt64Max, -kInt64Max};
  EXPECT_FALSE(checked_sum(bad_operand));
  // Many maximal operands: the running total overflows int64 without the builtin check.
  const std::vector<std::int64_t> many(20'000, kMaxAmount);
  EXPECT_FALSE(checked_sum(many));
}

// ---- Decimal text -------------------------------------------------------------------

struct FormatCase {
  std::int64_t amount;
  std::string_view currency;
  std::string_view text;
};

TEST(DecimalText, Format) {
  const FormatCase cases[] = {
      {123456, "USD", "1234.56"},
      {-5, "USD", "-0.05"},
      {-100, "EUR", "-1.00"},
      {0, "USD", "0.00"},
      {7, "GBP", "0.07"},
      {1234, "JPY", "1234"},
      {-1234, "JPY", "-1234"},
      {0, "KRW", "0"},
      {1234, "KWD", "1.234"},
      {5, "BHD", "0.005"},
      {-1001, "OMR", "-1.001"},
      {kMaxAmount, "USD", "10000000000000.00"},
      {kInt64Max, "USD", "92233720368547758.07"},
      {kInt64Min, "USD", "-92233720368547758.08"},
      {1234, "usd", "12.34"},
  };
  for (const auto& c : cases) EXPECT_EQ(to_decimal_string(c.amount, c.currency), c.text) << c.amount;
  EXPECT_THROW(to_decimal_string(1, "XXX"), std::invalid_argument);
  EXPECT_THROW(to_decimal_string(1, 4), std::invalid_argument);
}

struct ParseCase {
  std::string_view text;
  std::string_view currency;
  std::optional<std::int64_t> expected;  // nullopt = validation error on "amount"
};

TEST(DecimalText, Parse) {
  const ParseCase cases[] = {
      {"1234.56", "USD", 123456},
      {"1234.5", "USD", 123450},
      {"1234", "USD", 123400},
      {"0", "USD", 0},
      {"0.00", "USD", 0},
      {"-0.05", "USD", -5},
      {"-0", "USD", 0},
      {"007.10", "EUR", 710},
      {"  12.30\t", "USD", 1230},  // surrounding whitespace is trimmed
      {"1234", "JPY", 1234},
      {"-15", "KRW", -15},
      {"1.234", "KWD", 1234},
      {"1.2", "KWD", 1200},
      {"10000000000000.00", "USD", kMaxAmount},
      {"-10000000000000", "USD", -kMaxAmount},
      {"1000000000000000", "JPY", kMaxAmount},
      // Too many fraction digits: refused, never rounded (even trailing zeros).
      {"1.234", "USD", std::nullopt},
      {"1.230", "USD", std::nullopt},
      {"100.0", "JPY", std::nullopt},
      {"1.2345", "KWD", std::nullopt},
      // Garbage and near-misses.
      {"", "USD", std::nullopt},
      {"   ", "USD", std::nullopt},
      {"-", "USD", std::nullopt},
      {"abc", "USD", std::nullopt},
      {"12a", "USD", std::nullopt},
      {"1,234.56", "USD", std::nullopt},
      {"1 234", "USD", std::nullopt},
      {"+5", "USD", std::nullopt},
      {"--5", "USD", std::nullopt},
      {".5", "USD", std::nullopt},
      {"5.", "USD", std::nullopt},
      {"1.2.3", "USD", std::nullopt},
      {"1e3", "USD", std::nullopt},
      {"0x10", "USD", std::nullopt},
      {"12.-3", "USD", std::nullopt},
      // Beyond the cap, including inputs that would overflow int64 if parsed naively.
      {"10000000000000.01", "USD", std::nullopt},
      {"99999999999999999999999999", "USD", std::nullopt},
      {"-10000000000000.01", "USD", std::nullopt},
  };
  for (const auto& c : cases) {
    auto got = parse_decimal(c.text, c.currency);
    if (c.expected) {
      ASSERT_TRUE(got) << "'" << c.text << "' " << c.currency << ": " << got.error().message;
      EXPECT_EQ(*got, *c.expected) << c.text;
    } else {
      ASSERT_FALSE(got) << "'" << c.text << "' " << c.currency << " parsed as " << *got;
      EXPECT_EQ(got.error().code, ErrorCode::Validation) << c.text;
      EXPECT_EQ(got.error().field, "amount") << c.text;
      EXPECT_FALSE(got.error().message.empty());
    }
  }
}

TEST(DecimalText, ParseErrorsExplainThemselves) {
  EXPECT_EQ(parse_decimal("1.234", "USD", "unitAmount").error().message,
            "USD allows at most 2 decimal places; '1.234' has 3");
  EXPECT_EQ(parse_decimal("5.5", "jpy").error().message,
            "JPY has no minor unit; '5.5' must be a whole number");
  EXPECT_EQ(parse_decimal("1,5", "USD").error().message,
            "'1,5' is not a decimal amount like 1234.00");
  EXPECT_EQ(parse_decimal("1.234", "USD", "unitAmount").error().field, "unitAmount");
  auto unknown = parse_decimal("1", "QQQ");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().field, "currency");
}

TEST(DecimalText, FormatThenParseRoundTrips) {
  const std::int64_t samples[] = {0, 1, -1, 9, 10, 99, 100, 101, 123456, -987654321,
                                  kMaxAmount, -kMaxAmount};
  for (std::string_view currency : {"USD", "JPY", "KWD"})
    for (std::int64_t amount : samples)
      EXPECT_EQ(parse_decimal(to_decimal_string(amount, currency), currency).value(), amount)
          << amount << " " << currency;
}

// ---- Percentages --------------------------------------------------------------------

struct PercentCase {
  std::int64_t amount;
  std::int64_t basis_points;
  std::int64_t half_even;
  std::int64_t half_away;
};

TEST(PercentOf, RoundingTable) {
  const PercentCase cases[] = {
      // Exact results: both modes agree.
      {10000, 825, 825, 825},
      {0, 2000, 0, 0},
      {12345, 0, 0, 0},
      {12345, 10000, 12345, 12345},
      // Not a tie: both round to nearest.
      {1001, 825, 83, 83},    // 82.5825 -> 83
      {1003, 2000, 201, 201}, // 200.6 -> 201
      {1001, 2000, 200, 200}, // 200.2 -> 200
      // Ties: half-even goes to the even neighbour, half-away goes up in magnitude.
      {1000, 825, 82, 83},   // 82.5
      {1000, 835, 84, 84},   // 83.5 -> both 84
      {5, 5000, 2, 3},       // 2.5
      {7, 5000, 4, 4},       // 3.5
      {1, 5000, 0, 1},       // 0.5
      {3, 5000, 2, 2},       // 1.5
      {25, 1000, 2, 3},      // 2.5
      // Negative amounts and negative basis points are symmetric.
      {-1000, 825, -82, -83},
      {-7, 5000, -4, -4},
      {-1001, 825, -83, -83},
      {1000, -825, -82, -83},
      {-1000, -825, 82, 83},
      // Large values stay exact thanks to 128-bit intermediates.
      {kMaxAmount, 10000, kMaxAmount, kMaxAmount},
      {kMaxAmount, 1, 100'000'000'000, 100'000'000'000},
      {999'999'999'999'999, 5000, 500'000'000'000'000, 500'000'000'000'000},  // ...99.5 tie
      {999'999'999'999'997, 5000, 499'999'999'999'998, 499'999'999'999'999},  // ...98.5 tie
  };
  for (const auto& c : cases) {
    EXPECT_EQ(percent_of(c.amount, c.basis_points).value(), c.half_even)
        << c.amount << " @ " << c.basis_points << " bp (default is half-even)";
    EXPECT_EQ(percent_of(c.amount, c.basis_points, Rounding::HalfEven).value(), c.half_even)
        << c.amount << " @ " << c.basis_points;
    EXPECT_EQ(percent_of(c.amount, c.basis_points, Rounding::HalfAwayFromZero).value(), c.half_away)
        << c.amount << " @ " << c.basis_points;
  }
}

TEST(PercentOf, ResultAndOperandCapped) {
  EXPECT_EQ(percent_of(kMaxAmount, 10001).error().message, "amount too large");
  EXPECT_TRUE(percent_of(kMaxAmount, 10000));
  EXPECT_FALSE(percent_of(kMaxAmount + 1, 1));
  EXPECT_FALSE(percent_of(kMaxAmount, std::numeric_limits<std::int64_t>::max()));
}

// ---- Allocation ---------------------------------------------------------------------

struct EqualAllocationCase {
  std::int64_t amount;
  std::size_t parts;
  std::vector<std::int64_t> expected;
};

TEST(Allocate, EqualParts) {
  const EqualAllocationCase cases[] = {
      {100, 3, {34, 33, 33}},
      {100, 4, {25, 25, 25, 25}},
      {5, 3, {2, 2, 1}},
      {2, 5, {1, 1, 0, 0, 0}},
      {0, 3, {0, 0, 0}},
      {-100, 3, {-34, -33, -33}},
      {-1, 2, {-1, 0}},
      {7, 1, {7}},
  };
  for (const auto& c : cases) EXPECT_EQ(allocate(c.amount, c.parts).value(), c.expected) << c.amount;
}

struct WeightedAllocationCase {
  std::int64_t amount;
  std::vector<std::int64_t> weights;
  std::vector<std::int64_t> expected;
};

TEST(Allocate, WeightedLargestRemainder) {
  const WeightedAllocationCase cases[] = {
      {100, {1, 1, 1}, {34, 33, 33}},        // ties go to the earliest part
      {100, {50, 30, 20}, {50, 30, 20}},     // exact
      {10, {1, 2}, {3, 7}},                  // 3.33 / 6.67: remainder .67 wins
      {1000, {1, 1, 1, 3}, {167, 167, 166, 500}},
      {5, {3, 0, 7}, {2, 0, 3}},             // 1.5 / 0 / 3.5: tie, earlier wins
      {1, {1, 1000}, {0, 1}},
      {-10, {1, 2}, {-3, -7}},
      {0, {1, 2, 3}, {0, 0, 0}},
      {kMaxAmount, {1, 1, 1}, {333'333'333'333'334, 333'333'333'333'333, 333'333'333'333'333}},
  };
  for (const auto& c : cases)
    EXPECT_EQ(allocate(c.amount, std::span<const std::int64_t>(c.weights)).value(), c.expected)
        << c.amount;
}

TEST(Allocate, PartsAlwaysSumExactly) {
  std::mt19937_64 rng(20260101);  // fixed seed: deterministic
  std::uniform_int_distribution<std::int64_t> amount_dist(-kMaxAmount, kMaxAmount);
  std::uniform_int_distribution<std::int64_t> weight_dist(0, 1'000'000);
  std::uniform_int_distribution<std::size_t> count_dist(1, 40);
  for (int trial = 0; trial < 2000; ++trial) {
    const std::int64_t amount = trial % 3 == 0 ? amount_dist(rng) % 10'000 : amount_dist(rng);
    const std::size_t count = count_dist(rng);
    std::vector<std::int64_t> weights(count);
    for (auto& w : weights) w = weight_dist(rng);
    weights[count / 2] += 1;  // at least one positive weight

    auto equal = allocate(amount, count);
    ASSERT_TRUE(equal);
    EXPECT_EQ(std::accumulate(equal->begin(), equal->end(), std::int64_t{0}), amount);
    const auto [lo, hi] = std::minmax_element(equal->begin(), equal->end());
    EXPECT_LE(*hi - *lo, 1) << "equal parts differ by at most one unit";

    auto weighted = allocate(amount, std::span<const std::int64_t>(weights));
    ASSERT_TRUE(weighted);
    EXPECT_EQ(std::accumulate(weighted->begin(), weighted->end(), std::int64_t{0}), amount);
    for (std::size_t i = 0; i < count; ++i)
      if (weights[i] == 0) {
        EXPECT_EQ((*weighted)[i], 0) << "zero weight gets nothing";
      }
  }
}

TEST(Allocate, RefusesBadInput) {
  EXPECT_EQ(allocate(100, std::size_t{0}).error().field, "parts");
  EXPECT_EQ(allocate(100, kMaxAllocationParts + 1).error().field, "parts");
  EXPECT_TRUE(allocate(100, kMaxAllocationParts));
  EXPECT_EQ(allocate(kMaxAmount + 1, 2).error().message, "amount too large");

  const std::vector<std::int64_t> none;
  const std::vector<std::int64_t> zeros = {0, 0};
  const std::vector<std::int64_t> negative = {3, -1};
  EXPECT_EQ(allocate(100, std::span<const std::int64_t>(none)).error().field, "weights");
  EXPECT_EQ(allocate(100, std::span<const std::int64_t>(zeros)).error().field, "weights");
  EXPECT_EQ(allocate(100, std::span<const std::int64_t>(negative)).error().field, "weights");
}

}  // namespace
}  // namespace settle
