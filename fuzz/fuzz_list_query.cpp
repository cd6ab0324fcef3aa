// The REST list-query language (store/query.hpp) against the real object catalog.
//
// Input: lines "key=value" — the query parameters filter, order_by, limit, starting_after,
// ending_before (others are ignored, as by the API), and "object=<name>" to pick the
// catalog object (quotes by default: it has every field type).
//
// Beyond "does not crash", it checks that
//  * a refusal is BadRequest naming the parameter at fault;
//  * compiled SQL (filter, where with cursors, order by; both dialects, two first indices)
//    is made only of catalog columns, the SQL words query.cpp writes, punctuation and
//    placeholders — so no value the client sent is ever spliced into the text;
//  * the placeholders are :p<first>, :p<first+1>, ... in textual order, one per parameter;
//  * the parsed tree keeps the limits (depth, conditions), each condition has the number of
//    values its operator takes, and each value is in its field's storage form (canonical
//    timestamps and dates, enum members, 0/1 for booleans, no unpaired trailing backslash
//    in a pattern);
//  * a decoded cursor re-encodes (encode_cursor) into one that decodes to the same values.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "crm/objects.hpp"
#include "store/query.hpp"

namespace {

using namespace settle;
using store::Dialect;

[[noreturn]] void violation(const char* what, std::string_view detail) {
  std::fprintf(stderr, "fuzz_list_query: %s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  __builtin_trap();
}

std::vector<std::pair<std::string, std::string>> split_parameters(std::string_view input) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!input.empty()) {
    const std::size_t newline = input.find('\n');
    const std::string_view line = input.substr(0, newline);
    input = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) params.emplace_back(std::string(line), std::string());
    else params.emplace_back(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
  return params;
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The whole vocabulary query.cpp may write besides column names.
const std::set<std::string_view> kSqlWords = {"AND", "OR",  "NOT",   "IS",   "NULL",  "IN",    "LIKE",
                                              "ILIKE", "ESCAPE", "lower", "instr", "strpos", "ORDER", "BY",
                                              "ASC", "DESC", "NULLS", "FIRST", "LAST", "0",     "1"};
bool is_column(const store::ObjectSpec& spec, std::string_view word) {
  for (const auto& field : spec.fields)
    if (field.column == word) return true;
  return false;
}

constexpr std::string_view kEscapeLiteral = "'\\'";  // ESCAPE '\' — the only literal written

// Checks the shape of compiled SQL and answers how many placeholders it holds, which must
// count up from `first` in textual order.
std::size_t check_sql(std::string_view sql, const store::ObjectSpec& spec, int first) {
  std::size_t placeholders = 0;
  std::string_view previous_word;
  for (std::size_t i = 0; i < sql.size();) {
    const char c = sql[i];
    if (c == ':') {
      std::size_t end = i + 1;
      if (end >= sql.size() || sql[end] != 'p') violation("':' not starting a placeholder", sql);
      ++end;
      const std::size_t digits = end;
      while (end < sql.size() && sql[end] >= '0' && sql[end] <= '9') ++end;
      const std::string expected = std::to_string(first + static_cast<int>(placeholders));
      if (sql.substr(digits, end - digits) != expected) violation("placeholders out of order", sql);
      ++placeholders;
      i = end;
    } else if (is_word_char(c)) {
      std::size_t end = i;
      while (end < sql.size() && is_word_char(sql[end])) ++end;
      const std::string_view word = sql.substr(i, end - i);
      if (!kSqlWords.count(word) && !is_column(spec, word)) violation("unexpected word in SQL", sql);
      previous_word = word;
      i = end;
    } else if (c == '\'') {
      if (previous_word != "ESCAPE" || sql.substr(i, kEscapeLiteral.size()) != kEscapeLiteral)
        violation("a literal other than ESCAPE '\\'", sql);
      i += kEscapeLiteral.size();
    } else if (std::string_view(" (),=<>").find(c) != std::string_view::npos) {
      ++i;
    } else {
      violation("unexpected character in SQL", sql);
    }
  }
  return placeholders;
}

void check_fragment(const store::SqlFragment& fragment, const store::ObjectSpec& spec, int first) {
  if (check_sql(fragment.sql, spec, first) != fragment.params.size())
    violation("placeholder count differs from the parameter count", fragment.sql);
}

void check_cursor_round_trip(const store::ListQuery& query, const store::Cursor& cursor, const char* param) {
  const std::string encoded = store::encode_cursor(query, cursor.values);
  auto decoded = store::decode_cursor(query.order, encoded, param);
  if (!decoded) violation("a re-encoded cursor does not decode", decoded.error().message);
  if (decoded->values != cursor.values) violation("a re-encoded cursor decodes to other values", encoded);
}

bool is_text(const store::SqlValue& value) { return std::holds_alternative<std::string>(value); }

bool ends_in_unpaired_backslash(const std::string& text) {
  std::size_t trailing = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '\\'; ++it) ++trailing;
  return trailing % 2 == 1;
}

// A parsed value is in the field's storage form: what the database compares it with.
bool in_storage_form(const store::FieldSpec& field, store::FilterOp op, const store::SqlValue& value) {
  switch (field.type) {
    case store::FieldType::Integer: return std::holds_alternative<std::int64_t>(value);
    case store::FieldType::Boolean: {
      auto* flag = std::get_if<std::int64_t>(&value);
      return flag && (*flag == 0 || *flag == 1);
    }
    case store::FieldType::Timestamp:
      return is_text(value) && store::normalize_timestamp(std::get<std::string>(value)) == std::get<std::string>(value);
    case store::FieldType::Date:
      return is_text(value) && store::normalize_date(std::get<std::string>(value)) == std::get<std::string>(value);
    case store::FieldType::Enum:
      return is_text(value) && std::find(field.enum_values.begin(), field.enum_values.end(),
                                         std::get<std::string>(value)) != field.enum_values.end();
    case store::FieldType::Text:
      return is_text(value) && !((op == store::FilterOp::Like || op == store::FilterOp::Ilike) &&
                                 ends_in_unpaired_backslash(std::get<std::string>(value)));
    case store::FieldType::Id: return is_text(value);
  }
  return false;
}

// The parsed tree keeps the grammar's and the limits' promises; answers its conditions.
int check_filter_tree(const store::FilterNode& node, int depth) {
  using Kind = store::FilterNode::Kind;
  using store::FilterOp;
  if (depth > store::kMaxFilterDepth) violation("filter tree deeper than the limit", "");
  if (node.kind == Kind::Condition) {
    const auto& condition = node.condition;
    const std::size_t count = condition.values.size();
    const bool list = condition.op == FilterOp::In || condition.op == FilterOp::ContainsAny;
    if (condition.op == FilterOp::Is ? count != 0 : list ? count == 0 : count != 1)
      violation("condition with the wrong number of values", store::to_string(condition.op));
    for (const auto& value : condition.values)
      if (!in_storage_form(*condition.field, condition.op, value))
        violation("value not in the field's storage form", condition.field->name);
    return 1;
  }
  if (node.children.empty() || (node.kind == Kind::Not && node.children.size() != 1))
    violation("group with the wrong number of children", "");
  int conditions = 0;
  for (const auto& child : node.children) conditions += check_filter_tree(child, depth + 1);
  return conditions;
}

const std::set<std::string_view> kParameterNames = {"filter", "order_by", "limit", "starting_after",
                                                    "ending_before"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto params = split_parameters(std::string_view(reinterpret_cast<const char*>(data), size));
  const crm::ObjectDef* object = crm::find_object("quotes");
  for (const auto& [key, value] : params)
    if (key == "object")
      if (const crm::ObjectDef* named = crm::find_object(value)) object = named;
  const store::ObjectSpec& spec = object->spec;

  auto query = store::parse_list_query(spec, params);
  if (!query) {
    if (query.error().code != ErrorCode::BadRequest) violation("refusal is not BadRequest", query.error().message);
    if (!kParameterNames.count(query.error().field)) violation("refusal names no parameter", query.error().message);
    return 0;
  }
  if (query->limit < 1 || query->limit > store::kMaxLimit) violation("limit out of range", std::to_string(query->limit));
  bool has_id = false;
  for (const auto& key : query->order) has_id = has_id || key.field->name == "id";
  if (!has_id) violation("ordering without the id tie-breaker", "");

  // The implicit top-level AND is not a nesting level of its own.
  if (query->filter && check_filter_tree(*query->filter, query->filter->kind == store::FilterNode::Kind::And ? -1 : 0) >
                           store::kMaxFilterConditions)
    violation("more conditions than the limit", "");
  for (Dialect dialect : {Dialect::Sqlite, Dialect::Postgres}) {
    for (int first : {1, 7}) {
      if (query->filter) check_fragment(store::compile_filter(*query->filter, dialect, first), spec, first);
      check_fragment(store::compile_where(*query, dialect, first), spec, first);
    }
    const std::string order_by = store::compile_order_by(*query, dialect);
    if (order_by.rfind("ORDER BY ", 0) != 0) violation("ORDER BY clause malformed", order_by);
    if (check_sql(order_by, spec, 1) != 0) violation("placeholder in ORDER BY", order_by);
  }
  if (query->after) check_cursor_round_trip(*query, *query->after, "starting_after");
  if (query->before) check_cursor_round_trip(*query, *query->before, "ending_before");
  return 0;
}
