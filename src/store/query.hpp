// The REST list-query language (Twenty CRM conventions: `filter`, `order_by`, `limit`,
// `starting_after`, `ending_before`), parsed against a whitelist of fields and compiled to
// parameterised SQL fragments for SQLite 3.40 and PostgreSQL 15. Pure and I/O-free: nothing
// the client sends ever reaches SQL as text — field names are looked up in the ObjectSpec
// (whose table and column names come from code) and every value becomes a bound parameter.
//
// Filter grammar (query parameters arrive already URL-decoded):
//   filter     := expr ("," expr)*                  top level: all must hold (implicit AND)
//   expr       := ("and" | "or") "(" expr ("," expr)* ")"
//               | "not" "(" expr ")"
//               | field "[" op "]" ":" operand
//   operand    := value | "[" value ("," value)* "]"     (the list form only for in, containsAny)
//   value      := bare | '"' { char | '\"' | '\\' } '"'
//   bare       := any run of characters up to , ) ] (trimmed); may not contain ( [ "
// Values are typed by the field: Integer (int64), Boolean (true|false → 1|0), Timestamp
// (ISO 8601, normalised to UTC text "YYYY-MM-DDTHH:MM:SS.sssZ"; no offset means UTC),
// Date ("YYYY-MM-DD"), Enum (one of its values), Text and Id (any string). A bare NULL is
// refused outside `is` (write field[is]:NULL, or "NULL" in quotes for the literal text).
//
// Semantics the caller must know:
//  * SQLite's LIKE is ASCII-case-insensitive by default. `like`, `startsWith` and `endsWith`
//    are meant to be case-sensitive, so every SQLite connection must run
//    `PRAGMA case_sensitive_like = ON`. `ilike` on SQLite is `lower(col) LIKE lower(:p)`,
//    which folds ASCII only (no ICU).
//  * LIKE patterns (`like`, `ilike`) use `%` and `_` as wildcards and `\` as the escape
//    character on both backends (`\%` matches a literal percent); a pattern may not end in a
//    lone backslash. `startsWith`/`endsWith` escape the user's value so it matches literally.
//  * Comparisons follow SQL three-valued logic: `neq`, `not(...)` and ordering comparisons
//    never match rows whose column is NULL; use `is` for NULLs.
//  * Text ordering must be the same on both backends for cursors to behave identically: the
//    PostgreSQL database is created with the C locale (byte order, as SQLite).
//  * Keyset pagination: fetch `limit + 1` rows to learn whether another page exists. When
//    `ListQuery::before` is set, compile_order_by() returns the reversed ordering, so the
//    rows arrive last-first: take up to `limit` of them and reverse them back
//    (rows_come_reversed() tells). Cursors are made with encode_cursor() from a row's values.
//  * A ListQuery holds pointers into its ObjectSpec; the spec must outlive it (specs are
//    meant to be static tables).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/error.hpp"

namespace settle::store {

enum class FieldType { Text, Integer, Boolean, Timestamp, Date, Id, Enum };

struct FieldSpec {
  std::string name;     // camelCase API name, e.g. "totalAmount"
  std::string column;   // SQL column, e.g. "total_amount" (trusted, from code)
  FieldType type;
  std::vector<std::string> enum_values;  // for Enum
  bool filterable = true;
  bool sortable = true;
  // False for NOT NULL columns: their ORDER BY needs no NULLS clause and their keyset no
  // IS NULL branches, which is what lets both planners walk an index for the page.
  bool nullable = true;
  // SQLite only: the FTS5 trigram table (store/schema.cpp) that indexes this column by the
  // record's rowid. `like`/`ilike` then find their candidates there and check them with the
  // plain LIKE, so a search among a million rows reads the few that can match.
  std::string sqlite_trigram_table;
};

struct ObjectSpec {               // one REST object, e.g. "invoices"
  std::string table;              // SQL table, trusted
  std::vector<FieldSpec> fields;  // must include "id" (Id)
  const FieldSpec* find(std::string_view name) const;
};

enum class Dialect { Sqlite, Postgres };

// Booleans travel as 0/1 integers; timestamps, dates, enums and ids as text.
using SqlValue = std::variant<std::nullptr_t, std::int64_t, std::string>;

// Placeholders are written :p1, :p2, ... (SOCI style); `params[i]` binds :p(first + i).
struct SqlFragment {
  std::string sql;
  std::vector<SqlValue> params;
};

// ---- Filter AST -------------------------------------------------------------------------

enum class FilterOp {
  Eq, Neq, In, ContainsAny, Is, Gt, Gte, Lt, Lte, StartsWith, EndsWith, Like, Ilike
};
std::string_view to_string(FilterOp op);  // the API spelling, e.g. "startsWith"

struct FilterCondition {
  const FieldSpec* field = nullptr;
  FilterOp op = FilterOp::Eq;
  // Typed, canonical values: one for scalar ops, one or more for In/ContainsAny, none for
  // Is. For Like/Ilike the pattern as given; for StartsWith/EndsWith the literal text.
  std::vector<SqlValue> values;
  bool is_null = true;  // Is only: true for NULL, false for NOT_NULL
};

struct FilterNode {
  enum class Kind { Condition, And, Or, Not };
  Kind kind = Kind::Condition;
  FilterCondition condition;        // Kind::Condition
  std::vector<FilterNode> children; // And/Or: one or more; Not: exactly one
};

// ---- List query -------------------------------------------------------------------------

struct SortKey {
  const FieldSpec* field;
  bool descending;
  bool nulls_first;
};

// A decoded pagination cursor: the sort-key values of one row, in ListQuery::order order
// (id last). Validated against the ordering's fields and their types when decoded.
struct Cursor {
  std::vector<SqlValue> values;
};

struct ListQuery {
  std::optional<FilterNode> filter;
  std::vector<SortKey> order;           // the requested keys, then id unless already there
  int limit = 60;
  std::optional<Cursor> after, before;  // from starting_after / ending_before
};

// Limits on hostile input.
inline constexpr std::size_t kMaxFilterLength = 8 * 1024;  // characters of `filter`
inline constexpr int kMaxFilterDepth = 16;                  // nested and/or/not groups
inline constexpr int kMaxFilterConditions = 100;            // field[op]:value leaves
inline constexpr std::size_t kMaxOrderByLength = 1024;
inline constexpr std::size_t kMaxCursorLength = 4 * 1024;
inline constexpr int kDefaultLimit = 60;
inline constexpr int kMaxLimit = 200;

// Reads filter, order_by, limit, starting_after and ending_before; ignores other parameters
// (e.g. "depth"). A parameter given twice is refused. Errors are BadRequest with `field`
// naming the parameter.
Result<ListQuery> parse_list_query(
    const ObjectSpec& spec, const std::vector<std::pair<std::string, std::string>>& query_params);

// Parses one `filter` value. Errors are BadRequest with field "filter"; syntax errors say
// where ("at position N", 1-based) and carry details {"position": N}.
Result<FilterNode> parse_filter(const ObjectSpec& spec, std::string_view text);

// Parses one `order_by` value and appends the id tie-breaker unless present, in the
// direction of the last key (ascending when there is none), so that an index on
// (workspace_id, key, id) yields the whole ordering in one scan, forwards or backwards.
Result<std::vector<SortKey>> parse_order_by(const ObjectSpec& spec, std::string_view text);

// Decodes a cursor made by encode_cursor() for the same ordering fields. `param` names the
// query parameter for the error ("starting_after" or "ending_before").
Result<Cursor> decode_cursor(const std::vector<SortKey>& order, std::string_view text,
                             std::string_view param);

// WHERE body for the filter (no "WHERE" keyword), AND-ed with the cursor predicate if any;
// "1=1" when empty.
SqlFragment compile_where(const ListQuery& query, Dialect dialect, int first_param_index = 1);

// Just the filter (no cursor); "1=1" when there is none.
SqlFragment compile_filter(const FilterNode& filter, Dialect dialect, int first_param_index = 1);

// "ORDER BY ..." in the query's order, reversed when paging with ending_before.
std::string compile_order_by(const ListQuery& query, Dialect dialect);

// True when compile_order_by() reversed the ordering (ending_before): the caller must
// reverse the fetched rows before returning them.
bool rows_come_reversed(const ListQuery& query);

// Cursor for a row given its sort-key values in `order` order (values as SqlValue, id
// last). Throws std::invalid_argument if the count does not match the ordering (a bug in
// the caller, not a client error).
std::string encode_cursor(const ListQuery& query, const std::vector<SqlValue>& sort_values);

// Canonical forms used for stored values; nullopt when the input is not valid ISO 8601.
std::optional<std::string> normalize_timestamp(std::string_view text);  // ...T..:..:..sssZ
std::optional<std::string> normalize_date(std::string_view text);       // YYYY-MM-DD

}  // namespace settle::store
