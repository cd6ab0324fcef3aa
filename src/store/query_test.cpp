// Tests of the REST list-query language: parsing, typed values, errors on hostile input,
// the SQL it compiles to, and keyset paging run for real on SQLite (and on PostgreSQL when
// the test harness provides one in SETTLE_TEST_PG).
#include "store/query.hpp"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

namespace settle::store {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;
using Values = std::vector<SqlValue>;

const ObjectSpec& deals() {
  static const ObjectSpec spec{
      "deals",
      {
          {"id", "id", FieldType::Id, {}, true, true, /*nullable=*/false},
          {"name", "name", FieldType::Text, {}},
          {"amount", "amount", FieldType::Integer, {}},
          {"closed", "is_closed", FieldType::Boolean, {}},
          {"closesAt", "closes_at", FieldType::Timestamp, {}},
          {"dueOn", "due_on", FieldType::Date, {}},
      {"openedAt", "opened_at", FieldType::Timestamp, {}, true, true, /*nullable=*/false},
          {"stage", "stage", FieldType::Enum, {"Open", "Won", "Lost"}},
          {"secret", "secret", FieldType::Text, {}, /*filterable=*/false, /*sortable=*/false},
      }};
  return spec;
}

SqlValue text(std::string s) { return SqlValue{std::move(s)}; }
SqlValue integer(std::int64_t v) { return SqlValue{v}; }

// Parses `filter` and compiles it alone; fails the test on a parse error.
SqlFragment compiled(std::string_view filter, Dialect dialect = Dialect::Sqlite, int first = 1) {
  auto node = parse_filter(deals(), filter);
  EXPECT_TRUE(node.has_value()) << filter << ": " << (node ? "" : node.error().message);
  if (!node) return {};
  return compile_filter(*node, dialect, first);
}

// ---------------------------------------------------------------------------------------
// Operators on every type
// ---------------------------------------------------------------------------------------

struct CompileCase {
  std::string filter;
  std::string sql;
  Values params;
};

TEST(FilterCompile, EveryOperatorOnEveryType) {
  const std::vector<CompileCase> cases = {
      // Text
      {"name[eq]:Acme", "name = :p1", {text("Acme")}},
      {"name[neq]:Acme", "name <> :p1", {text("Acme")}},
      {"name[in]:[Acme,Zeta]", "name IN (:p1, :p2)", {text("Acme"), text("Zeta")}},
      {"name[containsAny]:[cme,eta]", "(instr(name, :p1) > 0 OR instr(name, :p2) > 0)", {text("cme"), text("eta")}},
      {"name[is]:NULL", "name IS NULL", {}},
      {"name[is]:NOT_NULL", "name IS NOT NULL", {}},
      {"name[gt]:M", "name > :p1", {text("M")}},
      {"name[gte]:M", "name >= :p1", {text("M")}},
      {"name[lt]:M", "name < :p1", {text("M")}},
      {"name[lte]:M", "name <= :p1", {text("M")}},
      {"name[startsWith]:50%_x", "name LIKE :p1 ESCAPE '\\'", {text("50\\%\\_x%")}},
      {"name[endsWith]:a\\b", "name LIKE :p1 ESCAPE '\\'", {text("%a\\\\b")}},
      {"name[like]:Ac%e_", "name LIKE :p1 ESCAPE '\\'", {text("Ac%e_")}},
      {"name[ilike]:ac%", "lower(name) LIKE lower(:p1) ESCAPE '\\'", {text("ac%")}},
      // Integer
      {"amount[eq]:1000", "amount = :p1", {integer(1000)}},
      {"amount[neq]:-5", "amount <> :p1", {integer(-5)}},
      {"amount[in]:[1,2,3]", "amount IN (:p1, :p2, :p3)", {integer(1), integer(2), integer(3)}},
      {"amount[is]:NULL", "amount IS NULL", {}},
      {"amount[gt]:9223372036854775807", "amount > :p1", {integer(INT64_MAX)}},
      {"amount[gte]:0", "amount >= :p1", {integer(0)}},
      {"amount[lt]:10", "amount < :p1", {integer(10)}},
      {"amount[lte]:10", "amount <= :p1", {integer(10)}},
      // Boolean
      {"closed[eq]:true", "is_closed = :p1", {integer(1)}},
      {"closed[neq]:false", "is_closed <> :p1", {integer(0)}},
      {"closed[in]:[true,false]", "is_closed IN (:p1, :p2)", {integer(1), integer(0)}},
      {"closed[is]:NOT_NULL", "is_closed IS NOT NULL", {}},
      // Timestamp: normalised to the canonical UTC text form
      {"closesAt[eq]:2026-01-01", "closes_at = :p1", {text("2026-01-01T00:00:00.000Z")}},
      {"closesAt[gt]:2026-01-01T00:00:00Z", "closes_at > :p1", {text("2026-01-01T00:00:00.000Z")}},
      {"closesAt[gte]:2026-01-01T10:30:00+02:00", "closes_at >= :p1", {text("2026-01-01T08:30:00.000Z")}},
      {"closesAt[lt]:2026-01-01T00:00:00.5Z", "closes_at < :p1", {text("2026-01-01T00:00:00.500Z")}},
      {"closesAt[lte]:2026-03-01T00:00-01:00", "closes_at <= :p1", {text("2026-03-01T01:00:00.000Z")}},
      {"closesAt[neq]:2026-01-01", "closes_at <> :p1", {text("2026-01-01T00:00:00.000Z")}},
      {"closesAt[in]:[2026-01-01,2026-01-02]", "closes_at IN (:p1, :p2)",
       {text("2026-01-01T00:00:00.000Z"), text("2026-01-02T00:00:00.000Z")}},
      {"closesAt[is]:NULL", "closes_at IS NULL", {}},
      // Date
      {"dueOn[eq]:2026-02-28", "due_on = :p1", {text("2026-02-28")}},
      {"dueOn[gte]:2024-02-29", "due_on >= :p1", {text("2024-02-29")}},
      {"dueOn[in]:[2026-01-01]", "due_on IN (:p1)", {text("2026-01-01")}},
      {"dueOn[is]:null", "due_on IS NULL", {}},
      // Id
      {"id[eq]:d01", "id = :p1", {text("d01")}},
      {"id[in]:[d01,d02]", "id IN (:p1, :p2)", {text("d01"), text("d02")}},
      {"id[gt]:d10", "id > :p1", {text("d10")}},
      {"id[is]:NOT_NULL", "id IS NOT NULL", {}},
      // Enum
      {"stage[eq]:Open", "stage = :p1", {text("Open")}},
      {"stage[neq]:Lost", "stage <> :p1", {text("Lost")}},
      {"stage[in]:[Open,Won]", "stage IN (:p1, :p2)", {text("Open"), text("Won")}},
      {"stage[is]:NULL", "stage IS NULL", {}},
  };
  for (const CompileCase& c : cases) {
    SCOPED_TRACE(c.filter);
    const SqlFragment out = compiled(c.filter);
    EXPECT_EQ(out.sql, c.sql);
    EXPECT_EQ(out.params, c.params);
  }
}

TEST(FilterCompile, PostgresDialect) {
  const std::vector<CompileCase> cases = {
      {"name[ilike]:ac%", "name ILIKE :p1 ESCAPE '\\'", {text("ac%")}},
      {"name[containsAny]:[a,b]", "(strpos(name, :p1) > 0 OR strpos(name, :p2) > 0)", {text("a"), text("b")}},
      {"name[like]:A%", "name LIKE :p1 ESCAPE '\\'", {text("A%")}},
      {"name[startsWith]:A", "name LIKE :p1 ESCAPE '\\'", {text("A%")}},
      {"amount[gt]:5", "amount > :p1", {integer(5)}},
  };
  for (const CompileCase& c : cases) {
    SCOPED_TRACE(c.filter);
    const SqlFragment out = compiled(c.filter, Dialect::Postgres);
    EXPECT_EQ(out.sql, c.sql);
    EXPECT_EQ(out.params, c.params);
  }
}

TEST(FilterCompile, NestingAndOrNot) {
  const std::vector<CompileCase> cases = {
      {"or(stage[eq]:Open,and(amount[gte]:1000,name[eq]:USD)),closesAt[is]:NULL",
       "((stage = :p1 OR (amount >= :p2 AND name = :p3)) AND closes_at IS NULL)",
       {text("Open"), integer(1000), text("USD")}},
      {"not(stage[eq]:Won)", "NOT (stage = :p1)", {text("Won")}},
      {"not(or(stage[eq]:Won,stage[eq]:Lost))", "NOT ((stage = :p1 OR stage = :p2))", {text("Won"), text("Lost")}},
      {"and(amount[gt]:1)", "amount > :p1", {integer(1)}},
      {"amount[gt]:1,amount[lt]:9,not(closed[eq]:true)", "(amount > :p1 AND amount < :p2 AND NOT (is_closed = :p3))",
       {integer(1), integer(9), integer(1)}},
  };
  for (const CompileCase& c : cases) {
    SCOPED_TRACE(c.filter);
    const SqlFragment out = compiled(c.filter);
    EXPECT_EQ(out.sql, c.sql);
    EXPECT_EQ(out.params, c.params);
  }
}

TEST(FilterParse, AstShape) {
  auto node = parse_filter(deals(), "or(stage[eq]:Open,not(amount[is]:NULL))");
  ASSERT_TRUE(node.has_value());
  ASSERT_EQ(node->kind, FilterNode::Kind::Or);
  ASSERT_EQ(node->children.size(), 2u);
  EXPECT_EQ(node->children[0].kind, FilterNode::Kind::Condition);
  EXPECT_EQ(node->children[0].condition.field, deals().find("stage"));
  EXPECT_EQ(node->children[0].condition.op, FilterOp::Eq);
  ASSERT_EQ(node->children[1].kind, FilterNode::Kind::Not);
  ASSERT_EQ(node->children[1].children.size(), 1u);
  EXPECT_EQ(node->children[1].children[0].condition.op, FilterOp::Is);
  EXPECT_TRUE(node->children[1].children[0].condition.is_null);
}

TEST(FilterParse, QuotedValues) {
  const std::vector<CompileCase> cases = {
      {R"q(name[eq]:"Acme, Inc.")q", "name = :p1", {text("Acme, Inc.")}},
      {R"q(name[eq]:"a\"b")q", "name = :p1", {text("a\"b")}},
      {R"q(name[eq]:"back\\slash")q", "name = :p1", {text("back\\slash")}},
      {R"q(name[eq]:"f(x) [y]")q", "name = :p1", {text("f(x) [y]")}},
      {R"q(name[eq]:"")q", "name = :p1", {text("")}},
      {R"q(name[eq]:"NULL")q", "name = :p1", {text("NULL")}},
      {R"q(name[in]:["a,b", c ,"d)"])q", "name IN (:p1, :p2, :p3)", {text("a,b"), text("c"), text("d)")}},
      {R"q(or(name[eq]:"x)",name[eq]:"y,z"))q", "(name = :p1 OR name = :p2)", {text("x)"), text("y,z")}},
      {R"q(amount[eq]:"42")q", "amount = :p1", {integer(42)}},
      {"name[eq]:Acme Inc", "name = :p1", {text("Acme Inc")}},
      {"name[eq]:caf\xC3\xA9", "name = :p1", {text("caf\xC3\xA9")}},
  };
  for (const CompileCase& c : cases) {
    SCOPED_TRACE(c.filter);
    const SqlFragment out = compiled(c.filter);
    EXPECT_EQ(out.sql, c.sql);
    EXPECT_EQ(out.params, c.params);
  }
}

TEST(FilterParse, WhitespaceTolerance) {
  const SqlFragment compact = compiled("or(stage[eq]:Open,and(amount[in]:[1,2],name[eq]:x)),closed[is]:NULL");
  for (const std::string spaced : {
           " or ( stage [ eq ] : Open , and ( amount[in]: [ 1 , 2 ] , name[eq]:x ) ) , closed[is]:NULL ",
           "or(\tstage[eq]:Open,\nand(amount[in]:[1,2],name[eq]:x\r\n)),closed[is]:NULL",
       }) {
    SCOPED_TRACE(spaced);
    const SqlFragment out = compiled(spaced);
    EXPECT_EQ(out.sql, compact.sql);
    EXPECT_EQ(out.params, compact.params);
  }
}

TEST(FilterCompile, ParameterNumberingContinuesFromStartIndex) {
  const SqlFragment out = compiled("amount[in]:[1,2],name[eq]:x", Dialect::Sqlite, 7);
  EXPECT_EQ(out.sql, "(amount IN (:p7, :p8) AND name = :p9)");
  EXPECT_EQ(out.params.size(), 3u);
}

TEST(FilterParse, TimestampNormalisation) {
  const std::vector<std::pair<std::string, std::string>> good = {
      {"2026-01-01", "2026-01-01T00:00:00.000Z"},
      {"2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z"},
      {"2026-01-01T00:00:00.123456789Z", "2026-01-01T00:00:00.123Z"},
      {"2026-01-01T12:34", "2026-01-01T12:34:00.000Z"},
      {"2026-01-01 12:34:56", "2026-01-01T12:34:56.000Z"},
      {"2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00.000Z"},
      {"2024-02-28T23:00:00-0200", "2024-02-29T01:00:00.000Z"},
      {"2026-12-31T23:59:59.9-05", "2027-01-01T04:59:59.900Z"},
  };
  for (const auto& [input, canonical] : good) {
    EXPECT_EQ(normalize_timestamp(input), std::optional<std::string>(canonical)) << input;
  }
  for (const std::string bad : {"", "2026", "2026-13-01", "2026-02-29", "2026-01-01T24:00:00Z", "2026-01-01T10:60",
                                "2026-01-01T10:00:60Z", "2026-01-01T10:00:00.Z", "2026-01-01T10:00:00+25:00",
                                "2026-01-01T10:00:00 UTC", "26-01-01", "2026-1-1", "yesterday",
                                "0000-01-01T00:00:00+01:00"}) {
    EXPECT_EQ(normalize_timestamp(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(normalize_date("2024-02-29"), std::optional<std::string>("2024-02-29"));
  EXPECT_EQ(normalize_date("2023-02-29"), std::nullopt);
  EXPECT_EQ(normalize_date("2023-02-01T00:00:00Z"), std::nullopt);
}

// ---------------------------------------------------------------------------------------
// Errors and hostile input
// ---------------------------------------------------------------------------------------

struct ErrorCase {
  std::string filter;
  std::string message_contains;
  int position = 0;  // expected details.position, 0 when not checked
};

TEST(FilterErrors, RefusedWithFieldAndPosition) {
  const std::vector<ErrorCase> cases = {
      // unknown / unusable fields
      {"nope[eq]:1", "unknown field 'nope' in filter", 1},
      {"name[eq]:a,nope[eq]:1", "unknown field 'nope' in filter", 12},
      {"name.first[eq]:x", "unknown field 'name.first' in filter", 1},
      {"secret[eq]:x", "field 'secret' cannot be used in filter", 1},
      // structure
      {"[eq]:x", "expected a field name or and( / or( / not(, found '[' at position 1", 1},
      {"name[eq]:x,", "expected a field name or and( / or( / not(, found end of filter at position 12", 12},
      {",name[eq]:x", "expected a field name", 1},
      {"name", "expected '[' after field name 'name', found end of filter", 5},
      {"name:x", "expected '[' after field name 'name', found ':'", 5},
      {"name[]:x", "expected an operator such as eq", 6},
      {"name[foo]:x", "unknown operator 'foo' for field 'name'", 6},
      {"name[EQ]:x", "unknown operator 'EQ'", 6},
      {"name[eq:x", "expected ']' after operator, found ':'", 8},
      {"name[eq]x", "expected ':' after '[eq]', found 'x'", 9},
      {"name[eq]:", "expected a value, found end of filter", 10},
      {"name[eq]:,", "expected a value", 10},
      {"name[eq]:a b(c)", "unexpected '(' in value; quote values", 13},
      {"name[eq]:x y\"z\"", "unexpected '\"' in value", 13},
      {"name[eq]:[a]", "unexpected '[' in value", 10},
      {"name[eq]:x name[eq]:y", "unexpected '[' in value", 16},
      {R"q(name[eq]:"abc)q", "unterminated quoted value", 10},
      {R"q(name[eq]:"a\nb")q", "unsupported escape '\\n'", 12},
      {R"q(name[eq]:"abc"def)q", "expected ',' or end of filter, found 'd'", 15},
      {"or(name[eq]:x", "expected ',' or ')', found end of filter", 14},
      {"or(name[eq]:x,and(amount[eq]:1)", "expected ',' or ')', found end of filter", 32},
      {"name[eq]:x)", "unbalanced ')'", 11},
      {"and()", "and() needs at least one condition", 5},
      {"or(,name[eq]:x)", "expected a field name", 4},
      {"xor(name[eq]:a)", "unknown group 'xor' (expected and, or, not)", 1},
      {"not(name[eq]:a,name[eq]:b)", "not(...) takes exactly one condition or group", 4},
      {"", "empty filter", 1},
      {"   ", "empty filter", 4},
      // lists
      {"amount[in]:5", "'in' takes a bracketed list such as [a,b]", 12},
      {"amount[in]:[]", "empty list", 12},
      {"amount[in]:[1,2", "unterminated list", 12},
      {R"q(name[in]:["a" "b"])q", "expected ',' or ']' in list, found '\"'", 15},
      {"amount[in]:[1 2]", "field 'amount' expects an integer, got '1 2'", 13},
      {"amount[in]:[1,]", "expected a value, found ']'", 15},
      // typed values
      {"amount[eq]:12.5", "field 'amount' expects an integer, got '12.5'", 12},
      {"amount[eq]:abc", "field 'amount' expects an integer, got 'abc'", 12},
      {"amount[eq]:+5", "field 'amount' expects an integer", 12},
      {"amount[in]:[1,x]", "field 'amount' expects an integer, got 'x'", 15},
      {"amount[gt]:99999999999999999999", "field 'amount' expects a 64-bit integer", 12},
      {"closed[eq]:yes", "field 'closed' expects true or false, got 'yes'", 12},
      {"closed[eq]:1", "field 'closed' expects true or false", 12},
      {"stage[eq]:Pending", "field 'stage' expects one of (Open, Won, Lost), got 'Pending'", 11},
      {"stage[eq]:open", "field 'stage' expects one of (Open, Won, Lost)", 11},
      {"closesAt[gt]:yesterday", "field 'closesAt' expects an ISO 8601 timestamp", 14},
      {"dueOn[eq]:2026-02-30", "field 'dueOn' expects a date such as 2026-01-01", 11},
      {"name[eq]:NULL", "NULL is not a value; use name[is]:NULL", 10},
      {"amount[neq]:null", "NULL is not a value; use amount[is]:NULL", 13},
      {"name[is]:maybe", "'is' takes NULL or NOT_NULL, got 'maybe'", 10},
      {"name[like]:abc\\", "pattern for 'name' ends with an unpaired backslash", 12},
      // operator not meaningful for the type
      {"closed[gt]:true", "operator 'gt' is not supported for boolean field 'closed'", 8},
      {"stage[lt]:Open", "operator 'lt' is not supported for enum field 'stage'", 7},
      {"amount[like]:1%", "operator 'like' is not supported for integer field 'amount'", 8},
      {"amount[containsAny]:[1]", "operator 'containsAny' is not supported", 8},
      {"closesAt[startsWith]:2026", "operator 'startsWith' is not supported for timestamp field", 10},
      {"id[ilike]:d%", "operator 'ilike' is not supported for id field 'id'", 4},
      // SQL smuggled into structure rather than values
      {"name;DROP TABLE deals[eq]:x", "expected '[' after field name 'name', found ';'", 5},
      {"name) OR 1=1 --[eq]:x", "expected '[' after field name 'name', found ')'", 5},
      {"name[eq]:x) OR (1=1", "unbalanced ')'", 11},
      {"name[eq/**/]:x", "expected ']' after operator, found '/'", 8},
      {"1=1[eq]:x", "expected a field name", 1},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.filter);
    auto result = parse_filter(deals(), c.filter);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::BadRequest);
    EXPECT_EQ(result.error().field, "filter");
    EXPECT_NE(result.error().message.find(c.message_contains), std::string::npos) << result.error().message;
    if (c.position > 0) {
      EXPECT_EQ(result.error().details.value("position", 0), c.position) << result.error().details;
    }
  }
}

TEST(FilterErrors, UnknownFieldMessageIsExact) {
  auto result = parse_filter(deals(), "x[eq]:1");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "unknown field 'x' in filter");
  EXPECT_EQ(result.error().field, "filter");
}

std::string nested_nots(int depth) {
  std::string filter;
  for (int i = 0; i < depth; ++i) filter += "not(";
  filter += "amount[eq]:1";
  for (int i = 0; i < depth; ++i) filter += ")";
  return filter;
}

TEST(FilterErrors, NestingDepthIsLimited) {
  EXPECT_TRUE(parse_filter(deals(), nested_nots(kMaxFilterDepth)).has_value());
  auto too_deep = parse_filter(deals(), nested_nots(kMaxFilterDepth + 1));
  ASSERT_FALSE(too_deep.has_value());
  EXPECT_EQ(too_deep.error().field, "filter");
  EXPECT_NE(too_deep.error().message.find("deeper than 16 levels"), std::string::npos);
  // Far deeper than any stack allows if the check came too late: still a clean refusal.
  std::string hostile(kMaxFilterLength / 4, '(');
  for (std::size_t i = 0; i < hostile.size(); i += 4) hostile.replace(i, 4, "and(");
  auto deep = parse_filter(deals(), hostile);
  ASSERT_FALSE(deep.has_value());
  EXPECT_EQ(deep.error().field, "filter");
}

TEST(FilterErrors, ConditionCountIsLimited) {
  auto conditions = [](int n) {
    std::string filter;
    for (int i = 0; i < n; ++i) filter += (i ? "," : "") + std::string("amount[eq]:") + std::to_string(i);
    return filter;
  };
  EXPECT_TRUE(parse_filter(deals(), conditions(kMaxFilterConditions)).has_value());
  auto result = parse_filter(deals(), conditions(kMaxFilterConditions + 1));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().field, "filter");
  EXPECT_NE(result.error().message.find("more than 100 conditions"), std::string::npos);
}

TEST(FilterErrors, OverlongAndMalformedBytesRefused) {
  const std::string prefix = "name[eq]:";
  std::string fits = prefix + std::string(kMaxFilterLength - prefix.size(), 'a');
  EXPECT_TRUE(parse_filter(deals(), fits).has_value());
  auto overlong = parse_filter(deals(), fits + "a");
  ASSERT_FALSE(overlong.has_value());
  EXPECT_EQ(overlong.error().field, "filter");
  EXPECT_NE(overlong.error().message.find("longer than 8192 bytes"), std::string::npos);

  for (const std::string& bad : {std::string("name[eq]:a\xFF"), std::string("name[eq]:a\xC3"),
                                std::string("name[eq]:\xC0\xAF"), std::string("name[eq]:a\0b", 12)}) {
    auto result = parse_filter(deals(), bad);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().field, "filter");
    EXPECT_NE(result.error().message.find("invalid UTF-8 or a NUL"), std::string::npos);
  }
}

TEST(FilterCompile, SqlLookingValuesOnlyEverBecomeParameters) {
  const std::string payload = "'; DROP TABLE deals; --";
  const std::vector<std::string> filters = {
      "name[eq]:" + payload,
      "name[eq]:\"" + payload + "\"",
      "name[in]:[\"" + payload + "\",\") OR 1=1 --\"]",
      "name[like]:%" + payload,
      "name[startsWith]:" + payload,
      "name[containsAny]:[\"" + payload + "\"]",
      "or(name[eq]:\"x') OR ('1'='1\",id[eq]:\"1; DELETE FROM deals\")",
  };
  for (const std::string& filter : filters) {
    SCOPED_TRACE(filter);
    const SqlFragment out = compiled(filter);
    for (const std::string_view forbidden : {"DROP", "DELETE", "--", "1=1", "'1'"}) {
      EXPECT_EQ(out.sql.find(forbidden), std::string::npos) << out.sql;
    }
    ASSERT_FALSE(out.params.empty());
  }
  EXPECT_EQ(compiled("name[eq]:" + payload).params, Values{text(payload)});
}

// ---------------------------------------------------------------------------------------
// order_by, limit and the other query parameters
// ---------------------------------------------------------------------------------------

TEST(OrderByParse, DirectionsAndIdTieBreaker) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "ORDER BY id ASC"},
      {"amount", "ORDER BY amount ASC NULLS FIRST, id ASC"},
      {"amount[AscNullsFirst]", "ORDER BY amount ASC NULLS FIRST, id ASC"},
      {"amount[AscNullsLast]", "ORDER BY amount ASC NULLS LAST, id ASC"},
      {"amount[DescNullsFirst]", "ORDER BY amount DESC NULLS FIRST, id DESC"},
      {"amount[DescNullsLast]", "ORDER BY amount DESC NULLS LAST, id DESC"},
      // A NOT NULL column has no NULLS clause (an index on (key, id) then serves either direction).
      {"openedAt[DescNullsLast]", "ORDER BY opened_at DESC, id DESC"},
      {"openedAt[AscNullsLast]", "ORDER BY opened_at ASC, id ASC"},
      {"closesAt[DescNullsLast],name", "ORDER BY closes_at DESC NULLS LAST, name ASC NULLS FIRST, id ASC"},
      {" closesAt [ DescNullsLast ] , name ", "ORDER BY closes_at DESC NULLS LAST, name ASC NULLS FIRST, id ASC"},
      {"  closesAt[DescNullsLast] ,  name  ", "ORDER BY closes_at DESC NULLS LAST, name ASC NULLS FIRST, id ASC"},
      {"id[DescNullsFirst]", "ORDER BY id DESC"},
      {"id,amount[DescNullsLast]", "ORDER BY id ASC, amount DESC NULLS LAST"},
      {"closed[DescNullsLast],dueOn,stage", "ORDER BY is_closed DESC NULLS LAST, due_on ASC NULLS FIRST, stage ASC "
                                           "NULLS FIRST, id ASC"},
  };
  for (const auto& [order_by, sql] : cases) {
    SCOPED_TRACE(order_by);
    auto query = parse_list_query(deals(), {{"order_by", order_by}});
    ASSERT_TRUE(query.has_value()) << query.error().message;
    EXPECT_EQ(compile_order_by(*query, Dialect::Sqlite), sql);
    EXPECT_EQ(compile_order_by(*query, Dialect::Postgres), sql);
    EXPECT_EQ(std::count_if(query->order.begin(), query->order.end(),
                            [](const SortKey& key) { return key.field->name == "id"; }),
              1);
  }
}

TEST(OrderByParse, SortKeysCarryDirection) {
  auto order = parse_order_by(deals(), "amount[DescNullsLast]");
  ASSERT_TRUE(order.has_value());
  ASSERT_EQ(order->size(), 2u);
  EXPECT_EQ((*order)[0].field, deals().find("amount"));
  EXPECT_TRUE((*order)[0].descending);
  EXPECT_FALSE((*order)[0].nulls_first);
  EXPECT_EQ((*order)[1].field, deals().find("id"));
  EXPECT_TRUE((*order)[1].descending);  // the tie-breaker follows the key before it
}

TEST(OrderByParse, ErrorsNameTheParameter) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"nope", "unknown field 'nope' in order_by"},
      {"secret", "field 'secret' cannot be sorted"},
      {"amount[Descending]", "unknown direction 'Descending'"},
      {"amount[descNullsLast]", "unknown direction"},
      {"amount[DescNullsLast", "unterminated '['"},
      {"amount,amount[DescNullsLast]", "field 'amount' appears twice in order_by"},
      {"amount,", "expected a field name after ','"},
      {",amount", "expected a field name, found ','"},
      {"amount name", "expected ',' or '[', found 'n'"},
      {"amount; DROP TABLE deals", "expected ',' or '[', found ';'"},
      {std::string(kMaxOrderByLength + 1, 'a'), "order_by is longer than"},
  };
  for (const auto& [order_by, message] : cases) {
    SCOPED_TRACE(order_by);
    auto query = parse_list_query(deals(), {{"order_by", order_by}});
    ASSERT_FALSE(query.has_value());
    EXPECT_EQ(query.error().code, ErrorCode::BadRequest);
    EXPECT_EQ(query.error().field, "order_by");
    EXPECT_NE(query.error().message.find(message), std::string::npos) << query.error().message;
  }
}

TEST(QueryParams, LimitBounds) {
  auto defaults = parse_list_query(deals(), {});
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->limit, 60);
  for (const auto& [given, expected] : std::vector<std::pair<std::string, int>>{{"1", 1}, {"200", 200}, {"60", 60}}) {
    auto query = parse_list_query(deals(), {{"limit", given}});
    ASSERT_TRUE(query.has_value()) << given;
    EXPECT_EQ(query->limit, expected);
  }
  for (const std::string bad : {"0", "201", "abc", "", "-5", "5x", " 5", "1e2", "99999999999"}) {
    SCOPED_TRACE(bad);
    auto query = parse_list_query(deals(), {{"limit", bad}});
    ASSERT_FALSE(query.has_value());
    EXPECT_EQ(query.error().field, "limit");
    EXPECT_EQ(query.error().message, "limit must be an integer between 1 and 200");
  }
}

TEST(QueryParams, UnknownParametersIgnoredRepeatsRefused) {
  auto query = parse_list_query(deals(), {{"depth", "2"}, {"filter", "amount[gt]:5"}, {"whatever", "x"}});
  ASSERT_TRUE(query.has_value());
  ASSERT_TRUE(query->filter.has_value());
  EXPECT_EQ(query->order.size(), 1u);
  EXPECT_EQ(query->limit, 60);
  EXPECT_EQ(compile_where(*query, Dialect::Sqlite).sql, "amount > :p1");

  auto empty = parse_list_query(deals(), {{"filter", "  "}});
  ASSERT_TRUE(empty.has_value());
  EXPECT_FALSE(empty->filter.has_value());
  EXPECT_EQ(compile_where(*empty, Dialect::Sqlite).sql, "1=1");
  EXPECT_TRUE(compile_where(*empty, Dialect::Sqlite).params.empty());

  auto twice = parse_list_query(deals(), {{"filter", "amount[gt]:5"}, {"filter", "amount[lt]:1"}});
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().field, "filter");

  auto bad_filter = parse_list_query(deals(), {{"filter", "nope[eq]:1"}});
  ASSERT_FALSE(bad_filter.has_value());
  EXPECT_EQ(bad_filter.error().message, "unknown field 'nope' in filter");
}

// ---------------------------------------------------------------------------------------
// Cursors and the keyset predicate
// ---------------------------------------------------------------------------------------

TEST(CursorCodec, RoundTripsEveryValueKind) {
  auto query = parse_list_query(deals(), {{"order_by", "amount[DescNullsLast],name,closed,closesAt"}});
  ASSERT_TRUE(query.has_value());
  const std::vector<Values> rows = {
      {integer(1200), text("Acme, \"Inc.\" \xC3\xA9"), integer(1), text("2026-01-01T00:00:00.000Z"), text("d01")},
      {nullptr, nullptr, nullptr, nullptr, text("d02")},
      {integer(INT64_MIN), text(""), integer(0), text("x"), text("id/with+odd=chars")},
  };
  for (const Values& row : rows) {
    const std::string cursor = encode_cursor(*query, row);
    EXPECT_EQ(cursor.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos)
        << cursor;
    auto after = parse_list_query(deals(), {{"order_by", "amount[DescNullsLast],name,closed,closesAt"},
                                            {"starting_after", cursor}});
    ASSERT_TRUE(after.has_value()) << after.error().message;
    ASSERT_TRUE(after->after.has_value());
    EXPECT_EQ(after->after->values, row);
    // Directions may change between pages: the cursor is a position over the same fields.
    auto before = parse_list_query(deals(), {{"order_by", "amount,name[DescNullsFirst],closed,closesAt"},
                                             {"ending_before", cursor}});
    ASSERT_TRUE(before.has_value()) << before.error().message;
    EXPECT_EQ(before->before->values, row);
  }
  EXPECT_THROW(encode_cursor(*query, {text("d01")}), std::invalid_argument);
}

TEST(CursorCodec, RejectsForgedOrMismatchedCursors) {
  auto query = parse_list_query(deals(), {{"order_by", "amount"}});
  ASSERT_TRUE(query.has_value());
  const std::string good = encode_cursor(*query, {integer(5), text("d01")});
  // Hand-encodes forged cursor documents (base64url, no padding).
  auto b64 = [](const std::string& json) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const unsigned char c : json) {
      buffer = (buffer << 8) | c;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out += kAlphabet[(buffer >> bits) & 63];
      }
    }
    if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 63];
    return out;
  };
  ASSERT_EQ(b64(R"q({"f":["amount","id"],"v":[5,"d01"]})q"), good);  // the format is what we think

  struct Case {
    std::string param;
    std::string cursor;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"starting_after", "!!!", "starting_after is not a valid cursor"},
      {"starting_after", "a", "starting_after is not a valid cursor"},
      {"ending_before", b64("not json"), "ending_before is not a valid cursor"},
      {"starting_after", b64("[5,\"d01\"]"), "not a valid cursor"},
      {"starting_after", b64(R"q({"f":["name","id"],"v":["x","d01"]})q"), "was made for a different order_by"},
      {"starting_after", b64(R"q({"f":["id"],"v":["d01"]})q"), "was made for a different order_by"},
      {"starting_after", b64(R"q({"f":["amount","id"],"v":["5","d01"]})q"), "not a valid cursor"},
      {"starting_after", b64(R"q({"f":["amount","id"],"v":[5.5,"d01"]})q"), "not a valid cursor"},
      {"starting_after", b64(R"q({"f":["amount","id"],"v":[18446744073709551615,"d01"]})q"), "not a valid cursor"},
      {"starting_after", b64(R"q({"f":["amount","id"],"v":[5,null]})q"), "not a valid cursor"},
      {"starting_after", b64(R"q({"f":["amount","id"],"v":[5]})q"), "not a valid cursor"},
      {"starting_after", b64(R"q({"f":["amount","id"],"v":[5,"a\u0000b"]})q"), "not a valid cursor"},
      {"ending_before", std::string(kMaxCursorLength + 1, 'A'), "ending_before is too long"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.cursor);
    auto result = parse_list_query(deals(), {{"order_by", "amount"}, {c.param, c.cursor}});
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::BadRequest);
    EXPECT_EQ(result.error().field, c.param);
    EXPECT_NE(result.error().message.find(c.message), std::string::npos) << result.error().message;
  }
}

struct KeysetCase {
  std::string order_by;
  Values cursor;
  std::string after_sql;
  Values params;
};

TEST(CursorKeyset, ExactPredicateForEachDirectionAndNullPlacement) {
  const std::vector<KeysetCase> cases = {
      // non-NULL cursor value
      {"amount[AscNullsFirst]", {integer(100), text("d1")}, "(amount > :p1 OR (amount = :p2 AND id > :p3))",
       {integer(100), integer(100), text("d1")}},
      {"amount[AscNullsLast]", {integer(100), text("d1")},
       "((amount > :p1 OR amount IS NULL) OR (amount = :p2 AND id > :p3))", {integer(100), integer(100), text("d1")}},
      {"amount[DescNullsFirst]", {integer(100), text("d1")}, "(amount < :p1 OR (amount = :p2 AND id < :p3))",
       {integer(100), integer(100), text("d1")}},
      {"amount[DescNullsLast]", {integer(100), text("d1")},
       "((amount < :p1 OR amount IS NULL) OR (amount = :p2 AND id < :p3))", {integer(100), integer(100), text("d1")}},
      // NULL cursor value
      {"amount[AscNullsFirst]", {nullptr, text("d1")}, "(amount IS NOT NULL OR (amount IS NULL AND id > :p1))",
       {text("d1")}},
      {"amount[AscNullsLast]", {nullptr, text("d1")}, "(amount IS NULL AND id > :p1)", {text("d1")}},
      {"amount[DescNullsFirst]", {nullptr, text("d1")}, "(amount IS NOT NULL OR (amount IS NULL AND id < :p1))",
       {text("d1")}},
      {"amount[DescNullsLast]", {nullptr, text("d1")}, "(amount IS NULL AND id < :p1)", {text("d1")}},
      // mixed directions over two keys, and id alone
      {"amount[DescNullsLast],name[AscNullsFirst]",
       {integer(7), text("b"), text("d1")},
       "((amount < :p1 OR amount IS NULL) OR (amount = :p2 AND (name > :p3 OR (name = :p4 AND id > :p5))))",
       {integer(7), integer(7), text("b"), text("b"), text("d1")}},
      {"id[DescNullsLast]", {text("d1")}, "id < :p1", {text("d1")}},
      // a NOT NULL first key: the range that lets an index scan start at the cursor, then
      // the exact predicate
      {"openedAt[DescNullsLast]",
       {text("2026-01-02T00:00:00.000Z"), text("d1")},
       "opened_at <= :p1 AND (opened_at < :p2 OR (opened_at = :p3 AND id < :p4))",
       {text("2026-01-02T00:00:00.000Z"), text("2026-01-02T00:00:00.000Z"), text("2026-01-02T00:00:00.000Z"),
        text("d1")}},
      {"openedAt[AscNullsFirst]",
       {text("2026-01-02T00:00:00.000Z"), text("d1")},
       "opened_at >= :p1 AND (opened_at > :p2 OR (opened_at = :p3 AND id > :p4))",
       {text("2026-01-02T00:00:00.000Z"), text("2026-01-02T00:00:00.000Z"), text("2026-01-02T00:00:00.000Z"),
        text("d1")}},
  };
  for (const KeysetCase& c : cases) {
    SCOPED_TRACE(c.order_by);
    auto base = parse_list_query(deals(), {{"order_by", c.order_by}});
    ASSERT_TRUE(base.has_value());
    const std::string cursor = encode_cursor(*base, c.cursor);

    auto after = parse_list_query(deals(), {{"order_by", c.order_by}, {"starting_after", cursor}});
    ASSERT_TRUE(after.has_value()) << after.error().message;
    const SqlFragment where = compile_where(*after, Dialect::Sqlite);
    EXPECT_EQ(where.sql, c.after_sql);
    EXPECT_EQ(where.params, c.params);
    EXPECT_FALSE(rows_come_reversed(*after));
    EXPECT_EQ(compile_order_by(*after, Dialect::Sqlite), compile_order_by(*base, Dialect::Sqlite));
  }
}

TEST(CursorKeyset, EndingBeforeReversesOrderAndPredicate) {
  auto base = parse_list_query(deals(), {{"order_by", "amount[AscNullsLast]"}});
  ASSERT_TRUE(base.has_value());
  const std::string cursor = encode_cursor(*base, {integer(100), text("d1")});
  auto before = parse_list_query(deals(), {{"order_by", "amount[AscNullsLast]"},
                                           {"ending_before", cursor},
                                           {"filter", "stage[eq]:Open"}});
  ASSERT_TRUE(before.has_value());
  EXPECT_TRUE(rows_come_reversed(*before));
  EXPECT_EQ(compile_order_by(*before, Dialect::Sqlite), "ORDER BY amount DESC NULLS FIRST, id DESC");
  const SqlFragment where = compile_where(*before, Dialect::Postgres, 3);
  // Before (100, d1) in "amount ASC NULLS LAST" = after it in "amount DESC NULLS FIRST".
  EXPECT_EQ(where.sql, "stage = :p3 AND (amount < :p4 OR (amount = :p5 AND id < :p6))");
  EXPECT_EQ(where.params, (Values{text("Open"), integer(100), integer(100), text("d1")}));
}

// ---------------------------------------------------------------------------------------
// Running compiled queries for real
// ---------------------------------------------------------------------------------------

// A row by column name, as read back from the database.
using Row = std::map<std::string, SqlValue>;
// Runs a SELECT of all columns with the fragment's :pN parameters bound.
using Runner = std::function<std::vector<Row>(const std::string& sql, const Values& params)>;

const std::vector<std::string> kColumns = {"id", "name", "amount", "is_closed", "closes_at", "due_on", "stage"};

// 30 deals with NULLs and ties in every sortable column, and names that trip up naive
// LIKE handling (wildcards in data, case variants, commas).
std::vector<Row> sample_rows() {
  const std::vector<std::string> names = {"Acme", "acme", "Acme, Inc.", "50% off", "500 club", "a_b", "axb", "Zeta"};
  const std::vector<std::string> stages = {"Open", "Won", "Lost"};
  std::vector<Row> rows;
  for (int i = 1; i <= 30; ++i) {
    Row row;
    row["id"] = text((i < 10 ? "d0" : "d") + std::to_string(i));
    row["name"] = i % 6 == 0 ? SqlValue{nullptr} : text(names[i % names.size()]);
    row["amount"] = i % 5 == 0 ? SqlValue{nullptr} : integer((i * 37) % 7 * 100);
    row["is_closed"] = integer(i % 2);
    row["closes_at"] =
        i % 4 == 0 ? SqlValue{nullptr} : text("2026-01-0" + std::to_string(i % 9 + 1) + "T00:00:00.000Z");
    row["due_on"] = i % 3 == 0 ? SqlValue{nullptr} : text("2026-02-" + std::to_string(10 + i % 4));
    row["stage"] = text(stages[i % stages.size()]);
    rows.push_back(std::move(row));
  }
  return rows;
}

bool is_null(const SqlValue& v) { return std::holds_alternative<std::nullptr_t>(v); }

// The ordering computed independently of SQL: NULL placement per key, then direction.
bool row_less(const std::vector<SortKey>& order, const Row& a, const Row& b) {
  for (const SortKey& key : order) {
    const SqlValue& x = a.at(key.field->column);
    const SqlValue& y = b.at(key.field->column);
    if (is_null(x) && is_null(y)) continue;
    if (is_null(x)) return key.nulls_first;
    if (is_null(y)) return !key.nulls_first;
    if (x == y) continue;
    // Same column, so both hold the same alternative: compare integers or bytes.
    const bool x_before_y = std::holds_alternative<std::int64_t>(x)
                                ? std::get<std::int64_t>(x) < std::get<std::int64_t>(y)
                                : std::get<std::string>(x) < std::get<std::string>(y);
    return key.descending ? !x_before_y : x_before_y;
  }
  return false;
}

std::vector<std::string> ids_of(const std::vector<Row>& rows) {
  std::vector<std::string> ids;
  for (const Row& row : rows) ids.push_back(std::get<std::string>(row.at("id")));
  return ids;
}

Values sort_values(const ListQuery& query, const Row& row) {
  Values values;
  for (const SortKey& key : query.order) values.push_back(row.at(key.field->column));
  return values;
}

std::string select_sql(const ListQuery& query, const SqlFragment& where, Dialect dialect) {
  std::string columns;
  for (const std::string& c : kColumns) columns += (columns.empty() ? "" : ", ") + c;
  return "SELECT " + columns + " FROM deals WHERE " + where.sql + " " + compile_order_by(query, dialect) + " LIMIT " +
         std::to_string(query.limit + 1);
}

// Pages through the whole result with starting_after (forward) or ending_before
// (backward, starting before `start_before`), the way an API client would, and returns
// the ids in display order.
std::vector<std::string> page_through(const Runner& run, Dialect dialect, const Params& base, bool backward,
                                      const Values& start_before = {}) {
  std::vector<std::string> seen;
  std::optional<std::string> cursor;
  if (backward) {
    auto query = parse_list_query(deals(), base);
    EXPECT_TRUE(query.has_value());
    cursor = encode_cursor(*query, start_before);
  }
  for (int page = 0; page < 100; ++page) {
    Params params = base;
    if (cursor) params.emplace_back(backward ? "ending_before" : "starting_after", *cursor);
    auto query = parse_list_query(deals(), params);
    EXPECT_TRUE(query.has_value()) << (query ? "" : query.error().message);
    if (!query) return seen;
    const SqlFragment where = compile_where(*query, dialect);
    std::vector<Row> rows = run(select_sql(*query, where, dialect), where.params);
    const bool more = rows.size() > static_cast<std::size_t>(query->limit);
    if (more) rows.resize(query->limit);
    EXPECT_EQ(rows_come_reversed(*query), backward);
    if (rows_come_reversed(*query)) std::reverse(rows.begin(), rows.end());
    const std::vector<std::string> ids = ids_of(rows);
    seen.insert(backward ? seen.begin() : seen.end(), ids.begin(), ids.end());
    if (!more) return seen;
    cursor = encode_cursor(*query, sort_values(*query, backward ? rows.front() : rows.back()));
  }
  ADD_FAILURE() << "paging did not terminate";
  return seen;
}

const std::vector<std::string> kOrderModes = {
    "",
    "amount",
    "amount[AscNullsLast]",
    "amount[DescNullsFirst]",
    "amount[DescNullsLast]",
    "name[AscNullsFirst]",
    "name[DescNullsLast]",
    "closesAt[AscNullsLast]",
    "closesAt[DescNullsFirst]",
    "dueOn[DescNullsLast]",
    "closed[DescNullsFirst]",
    "stage,amount[DescNullsLast]",
    "amount[DescNullsLast],closesAt[AscNullsFirst]",
    "closesAt[DescNullsFirst],name[AscNullsLast],amount[AscNullsFirst]",
    "name[AscNullsLast],id[DescNullsFirst]",
    "id[DescNullsLast]",
};

// For each ordering and page size: forward and backward paging each visit every row
// exactly once, in the order the database itself gives and an independent sort agrees on.
void check_paging(const Runner& run, Dialect dialect) {
  const std::vector<Row> rows = sample_rows();
  for (const std::string& order_by : kOrderModes) {
    for (const std::string filter : {"", "stage[neq]:Lost"}) {
      for (const int page_size : {1, 7, 30}) {
        SCOPED_TRACE("order_by=" + order_by + " filter=" + filter + " limit=" + std::to_string(page_size));
        Params base = {{"order_by", order_by}, {"limit", std::to_string(page_size)}};
        if (!filter.empty()) base.emplace_back("filter", filter);
        auto query = parse_list_query(deals(), base);
        ASSERT_TRUE(query.has_value());

        std::vector<Row> expected_rows;
        for (const Row& row : rows) {
          if (filter.empty() || std::get<std::string>(row.at("stage")) != "Lost") expected_rows.push_back(row);
        }
        std::stable_sort(expected_rows.begin(), expected_rows.end(),
                         [&](const Row& a, const Row& b) { return row_less(query->order, a, b); });
        const std::vector<std::string> expected = ids_of(expected_rows);

        // The database's own full ordering agrees with the reference sort.
        ListQuery everything = *query;
        everything.limit = 1000;
        const SqlFragment where = compile_where(everything, dialect);
        ASSERT_EQ(ids_of(run(select_sql(everything, where, dialect), where.params)), expected);

        EXPECT_EQ(page_through(run, dialect, base, /*backward=*/false), expected);

        std::vector<std::string> all_but_last(expected.begin(), expected.end() - 1);
        EXPECT_EQ(page_through(run, dialect, base, /*backward=*/true, sort_values(*query, expected_rows.back())),
                  all_but_last);
      }
    }
  }
}

struct FilterRun {
  std::string filter;
  std::function<bool(const Row&)> matches;
};

std::optional<std::string> str(const Row& row, const std::string& column) {
  const SqlValue& v = row.at(column);
  if (is_null(v)) return std::nullopt;
  return std::get<std::string>(v);
}
std::optional<std::int64_t> num(const Row& row, const std::string& column) {
  const SqlValue& v = row.at(column);
  if (is_null(v)) return std::nullopt;
  return std::get<std::int64_t>(v);
}

const std::vector<FilterRun>& filter_runs() {
  static const std::vector<FilterRun> runs = {
      {"name[startsWith]:50%", [](const Row& r) { return str(r, "name") == "50% off"; }},
      {"name[endsWith]:_b", [](const Row& r) { return str(r, "name") == "a_b"; }},
      {"name[like]:Acme%",
       [](const Row& r) { return str(r, "name") == "Acme" || str(r, "name") == "Acme, Inc."; }},
      {"name[like]:a\\_b", [](const Row& r) { return str(r, "name") == "a_b"; }},
      {"name[like]:a_b", [](const Row& r) { return str(r, "name") == "a_b" || str(r, "name") == "axb"; }},
      {"name[ilike]:ACME%",
       [](const Row& r) { auto n = str(r, "name"); return n && (n == "Acme" || n == "acme" || n == "Acme, Inc."); }},
      {R"q(name[containsAny]:[", ",ze,"% "])q",
       [](const Row& r) { return str(r, "name") == "Acme, Inc." || str(r, "name") == "50% off"; }},
      {"name[eq]:\"Acme, Inc.\"", [](const Row& r) { return str(r, "name") == "Acme, Inc."; }},
      {"name[gte]:a", [](const Row& r) { auto n = str(r, "name"); return n && *n >= "a"; }},
      {"amount[in]:[100,200]", [](const Row& r) { return num(r, "amount") == 100 || num(r, "amount") == 200; }},
      {"amount[gte]:300", [](const Row& r) { auto a = num(r, "amount"); return a && *a >= 300; }},
      {"not(amount[gte]:300)", [](const Row& r) { auto a = num(r, "amount"); return a && *a < 300; }},
      {"amount[neq]:0", [](const Row& r) { auto a = num(r, "amount"); return a && *a != 0; }},
      {"amount[is]:NULL", [](const Row& r) { return !num(r, "amount"); }},
      {"closesAt[gte]:2026-01-05,closesAt[lt]:2026-01-07T00:00:00+00:00",
       [](const Row& r) {
         auto t = str(r, "closes_at");
         return t && *t >= "2026-01-05T00:00:00.000Z" && *t < "2026-01-07T00:00:00.000Z";
       }},
      {"dueOn[eq]:2026-02-11", [](const Row& r) { return str(r, "due_on") == "2026-02-11"; }},
      {"or(stage[eq]:Won,and(closed[eq]:true,amount[lt]:200))",
       [](const Row& r) {
         auto a = num(r, "amount");
         return str(r, "stage") == "Won" || (num(r, "is_closed") == 1 && a && *a < 200);
       }},
      {"id[in]:[d01,d30],closed[eq]:false", [](const Row& r) { return str(r, "id") == "d30"; }},
      {"name[eq]:\"'; DROP TABLE deals; --\"", [](const Row&) { return false; }},
      {"name[like]:\"%'; DROP TABLE deals; --\"", [](const Row&) { return false; }},
  };
  return runs;
}

void check_filters(const Runner& run, Dialect dialect) {
  const std::vector<Row> rows = sample_rows();
  for (const FilterRun& f : filter_runs()) {
    SCOPED_TRACE(f.filter);
    auto query = parse_list_query(deals(), {{"filter", f.filter}, {"limit", "200"}});
    ASSERT_TRUE(query.has_value()) << query.error().message;
    const SqlFragment where = compile_where(*query, dialect);
    std::vector<std::string> expected;
    for (const Row& row : rows) {
      if (f.matches(row)) expected.push_back(std::get<std::string>(row.at("id")));
    }
    EXPECT_EQ(ids_of(run(select_sql(*query, where, dialect), where.params)), expected);
  }
  // The hostile values above were only ever data: the table is intact.
  EXPECT_EQ(run("SELECT " + std::string("id, name, amount, is_closed, closes_at, due_on, stage") +
                    " FROM deals ORDER BY id",
                {})
                .size(),
            rows.size());
}

const std::string kCreateTable =
    "CREATE TABLE deals (id TEXT PRIMARY KEY, name TEXT, amount INTEGER, is_closed INTEGER NOT NULL, "
    "closes_at TEXT, due_on TEXT, stage TEXT NOT NULL)";
const std::string kInsert =
    "INSERT INTO deals (id, name, amount, is_closed, closes_at, due_on, stage) "
    "VALUES (:p1, :p2, :p3, :p4, :p5, :p6, :p7)";

class QuerySqlite : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    // Required by the query compiler: LIKE must be case-sensitive (see query.hpp).
    exec("PRAGMA case_sensitive_like = ON");
    exec(kCreateTable);
    for (const Row& row : sample_rows()) {
      Values values;
      for (const std::string& c : kColumns) values.push_back(row.at(c));
      run(kInsert, values);
    }
  }
  void TearDown() override { sqlite3_close(db_); }

  void exec(const std::string& sql) {
    char* message = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK) << message;
  }

  std::vector<Row> run(const std::string& sql, const Values& params) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sqlite3_errmsg(db_) << " in " << sql;
      return {};
    }
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, sqlite3_finalize);
    EXPECT_EQ(sqlite3_bind_parameter_count(raw), static_cast<int>(params.size())) << sql;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const std::string name = ":p" + std::to_string(i + 1);
      const int index = sqlite3_bind_parameter_index(raw, name.c_str());
      EXPECT_GT(index, 0) << name << " missing from " << sql;
      if (const auto* s = std::get_if<std::string>(&params[i])) {
        sqlite3_bind_text(raw, index, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
      } else if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
        sqlite3_bind_int64(raw, index, *n);
      } else {
        sqlite3_bind_null(raw, index);
      }
    }
    std::vector<Row> rows;
    int rc;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
      Row row;
      for (int c = 0; c < sqlite3_column_count(raw); ++c) {
        const std::string column = sqlite3_column_name(raw, c);
        switch (sqlite3_column_type(raw, c)) {
          case SQLITE_NULL: row[column] = nullptr; break;
          case SQLITE_INTEGER: row[column] = static_cast<std::int64_t>(sqlite3_column_int64(raw, c)); break;
          default:
            row[column] = std::string(reinterpret_cast<const char*>(sqlite3_column_text(raw, c)),
                                      static_cast<std::size_t>(sqlite3_column_bytes(raw, c)));
        }
      }
      rows.push_back(std::move(row));
    }
    EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db_);
    return rows;
  }

  Runner runner() {
    return [this](const std::string& sql, const Values& params) { return run(sql, params); };
  }

  sqlite3* db_ = nullptr;
};

TEST_F(QuerySqlite, PagingVisitsEveryRowOnceInEveryOrderMode) { check_paging(runner(), Dialect::Sqlite); }

TEST_F(QuerySqlite, FiltersSelectTheRightRows) { check_filters(runner(), Dialect::Sqlite); }

// PostgreSQL, when scripts/test.sh provides a throwaway server in SETTLE_TEST_PG.
class QueryPostgres : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("SETTLE_TEST_PG");
    if (url == nullptr || *url == '\0') GTEST_SKIP() << "SETTLE_TEST_PG not set";
    conn_ = PQconnectdb(url);
    ASSERT_EQ(PQstatus(conn_), CONNECTION_OK) << PQerrorMessage(conn_);
    // A temporary table lives and dies with this connection, so parallel runs cannot clash.
    run("CREATE TEMP TABLE " + kCreateTable.substr(std::string("CREATE TABLE ").size()), {});
    for (const Row& row : sample_rows()) {
      Values values;
      for (const std::string& c : kColumns) values.push_back(row.at(c));
      run(kInsert, values);
    }
  }
  void TearDown() override {
    if (conn_ != nullptr) PQfinish(conn_);
  }

  // libpq numbers its placeholders $N; the compiler writes :pN (SOCI's style).
  std::vector<Row> run(const std::string& sql, const Values& params) {
    const std::string pg_sql = std::regex_replace(sql, std::regex(":p([0-9]+)"), "$$$1");
    std::vector<std::string> texts;
    std::vector<const char*> pointers;
    for (const SqlValue& v : params) {
      if (const auto* s = std::get_if<std::string>(&v)) texts.push_back(*s);
      else if (const auto* n = std::get_if<std::int64_t>(&v)) texts.push_back(std::to_string(*n));
      else texts.emplace_back();
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      pointers.push_back(is_null(params[i]) ? nullptr : texts[i].c_str());
    }
    std::unique_ptr<PGresult, decltype(&PQclear)> result(
        PQexecParams(conn_, pg_sql.c_str(), static_cast<int>(params.size()), nullptr, pointers.data(), nullptr,
                     nullptr, 0),
        PQclear);
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      ADD_FAILURE() << PQresultErrorMessage(result.get()) << " in " << pg_sql;
      return {};
    }
    std::vector<Row> rows;
    for (int r = 0; r < PQntuples(result.get()); ++r) {
      Row row;
      for (int c = 0; c < PQnfields(result.get()); ++c) {
        const std::string column = PQfname(result.get(), c);
        if (PQgetisnull(result.get(), r, c)) row[column] = nullptr;
        else if (column == "amount" || column == "is_closed") row[column] = std::stoll(PQgetvalue(result.get(), r, c));
        else row[column] = std::string(PQgetvalue(result.get(), r, c));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Runner runner() {
    return [this](const std::string& sql, const Values& params) { return run(sql, params); };
  }

  PGconn* conn_ = nullptr;
};

TEST_F(QueryPostgres, PagingVisitsEveryRowOnceInEveryOrderMode) { check_paging(runner(), Dialect::Postgres); }

TEST_F(QueryPostgres, FiltersSelectTheRightRows) { check_filters(runner(), Dialect::Postgres); }

}  // namespace
}  // namespace settle::store
