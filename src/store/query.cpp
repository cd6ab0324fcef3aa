// The REST list-query language: a recursive-descent parser for `filter` and `order_by`,
// opaque keyset cursors, and the compiler to parameterised SQL. See query.hpp for the
// grammar and the caveats the caller must honour.
#include "store/query.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace settle::store {

// ---------------------------------------------------------------------------------------
// Specs and names
// ---------------------------------------------------------------------------------------

const FieldSpec* ObjectSpec::find(std::string_view name) const {
  for (const FieldSpec& field : fields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

namespace {

struct OpName {
  std::string_view name;
  FilterOp op;
};
constexpr std::array<OpName, 13> kOps{{
    {"eq", FilterOp::Eq},
    {"neq", FilterOp::Neq},
    {"in", FilterOp::In},
    {"containsAny", FilterOp::ContainsAny},
    {"is", FilterOp::Is},
    {"gt", FilterOp::Gt},
    {"gte", FilterOp::Gte},
    {"lt", FilterOp::Lt},
    {"lte", FilterOp::Lte},
    {"startsWith", FilterOp::StartsWith},
    {"endsWith", FilterOp::EndsWith},
    {"like", FilterOp::Like},
    {"ilike", FilterOp::Ilike},
}};

std::optional<FilterOp> op_from_name(std::string_view name) {
  for (const OpName& entry : kOps) {
    if (entry.name == name) return entry.op;
  }
  return std::nullopt;
}

std::string_view type_name(FieldType type) {
  switch (type) {
    case FieldType::Text: return "text";
    case FieldType::Integer: return "integer";
    case FieldType::Boolean: return "boolean";
    case FieldType::Timestamp: return "timestamp";
    case FieldType::Date: return "date";
    case FieldType::Id: return "id";
    case FieldType::Enum: return "enum";
  }
  return "unknown";
}

// Which operators make sense for which field types. Ordering an enum or a boolean is not
// meaningful, and the substring/pattern operators are for free text only.
bool op_supported(FilterOp op, FieldType type) {
  switch (op) {
    case FilterOp::Eq:
    case FilterOp::Neq:
    case FilterOp::In:
    case FilterOp::Is:
      return true;
    case FilterOp::Gt:
    case FilterOp::Gte:
    case FilterOp::Lt:
    case FilterOp::Lte:
      return type != FieldType::Boolean && type != FieldType::Enum;
    case FilterOp::ContainsAny:
    case FilterOp::StartsWith:
    case FilterOp::EndsWith:
    case FilterOp::Like:
    case FilterOp::Ilike:
      return type == FieldType::Text;
  }
  return false;
}

// Client input echoed back in an error message is cut short so errors stay readable.
std::string quote_for_message(std::string_view text) {
  constexpr std::size_t kMax = 40;
  if (text.size() <= kMax) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, kMax)) + "...'";
}

bool is_identifier_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
// Dots are accepted so that composite names such as "name.firstName" are reported as
// unknown fields rather than as a confusing syntax error.
bool is_identifier_char(char c) {
  return is_identifier_start(c) || (c >= '0' && c <= '9') || c == '.';
}
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Position of the first byte that is not part of well-formed UTF-8 (or is NUL, which
// PostgreSQL text cannot hold), or npos. Refusing these up front keeps them from failing
// later inside the database as an internal error.
std::size_t first_bad_byte(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 == 0) return i;
    if (b0 < 0x80) { ++i; continue; }
    std::size_t len;
    std::uint32_t min_code;
    std::uint32_t code;
    if ((b0 & 0xE0) == 0xC0) { len = 2; min_code = 0x80; code = b0 & 0x1F; }
    else if ((b0 & 0xF0) == 0xE0) { len = 3; min_code = 0x800; code = b0 & 0x0F; }
    else if ((b0 & 0xF8) == 0xF0) { len = 4; min_code = 0x10000; code = b0 & 0x07; }
    else return i;
    if (i + len > text.size()) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) return i;
      code = (code << 6) | (b & 0x3F);
    }
    if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

Error positioned(std::string message, std::size_t offset, std::string_view param) {
  const std::size_t position = offset + 1;  // 1-based for humans
  Error error = Error::bad_request(std::move(message) + " at position " + std::to_string(position),
                                   std::string(param));
  error.details = {{"position", position}};
  return error;
}

// ---------------------------------------------------------------------------------------
// ISO 8601 timestamps and dates
// ---------------------------------------------------------------------------------------

// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `count` ASCII digits at `pos`.
bool read_digits(std::string_view text, std::size_t& pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += count;
  out = value;
  return true;
}

bool read_char(std::string_view text, std::size_t& pos, char expected) {
  if (pos < text.size() && text[pos] == expected) {
    ++pos;
    return true;
  }
  return false;
}

// YYYY-MM-DD at `pos`, validated against the calendar.
bool read_date(std::string_view text, std::size_t& pos, CivilDate& out) {
  int y = 0, m = 0, d = 0;
  if (!read_digits(text, pos, 4, y) || !read_char(text, pos, '-') || !read_digits(text, pos, 2, m) ||
      !read_char(text, pos, '-') || !read_digits(text, pos, 2, d)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || static_cast<unsigned>(d) > days_in_month(y, static_cast<unsigned>(m))) {
    return false;
  }
  out = {y, static_cast<unsigned>(m), static_cast<unsigned>(d)};
  return true;
}

std::string two_digits(unsigned v) {
  return std::string{static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10)};
}

std::string format_date(const CivilDate& date) {
  std::string year = std::to_string(date.year);
  year.insert(0, 4 - std::min<std::size_t>(4, year.size()), '0');
  return year + "-" + two_digits(date.month) + "-" + two_digits(date.day);
}

}  // namespace

std::string_view to_string(FilterOp op) {
  for (const OpName& entry : kOps) {
    if (entry.op == op) return entry.name;
  }
  return "?";
}

std::optional<std::string> normalize_date(std::string_view text) {
  std::size_t pos = 0;
  CivilDate date{};
  if (!read_date(text, pos, date) || pos != text.size()) return std::nullopt;
  return format_date(date);
}

// Accepts YYYY-MM-DD, or YYYY-MM-DD(T|t|space)HH:MM[:SS[.fraction]] followed by nothing
// (taken as UTC), Z, or an offset ±HH[:MM] / ±HHMM. The result is UTC with milliseconds,
// so that comparing the stored text orders chronologically.
std::optional<std::string> normalize_timestamp(std::string_view text) {
  std::size_t pos = 0;
  CivilDate date{};
  if (!read_date(text, pos, date)) return std::nullopt;
  int hour = 0, minute = 0, second = 0, millis = 0, offset_seconds = 0;
  if (pos < text.size()) {
    const char sep = text[pos];
    if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
    ++pos;
    if (!read_digits(text, pos, 2, hour) || !read_char(text, pos, ':') || !read_digits(text, pos, 2, minute)) {
      return std::nullopt;
    }
    if (read_char(text, pos, ':')) {
      if (!read_digits(text, pos, 2, second)) return std::nullopt;
      if (read_char(text, pos, '.') || read_char(text, pos, ',')) {
        // Up to nanoseconds accepted; digits beyond milliseconds are truncated.
        std::size_t digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 9) {
          if (digits < 3) millis = millis * 10 + (text[pos] - '0');
          ++digits;
          ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (std::size_t d = digits; d < 3; ++d) millis *= 10;
      }
    }
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
    if (pos < text.size()) {
      const char zone = text[pos++];
      if (zone == 'Z' || zone == 'z') {
        // UTC
      } else if (zone == '+' || zone == '-') {
        int off_h = 0, off_m = 0;
        if (!read_digits(text, pos, 2, off_h)) return std::nullopt;
        if (pos < text.size()) {
          read_char(text, pos, ':');
          if (!read_digits(text, pos, 2, off_m)) return std::nullopt;
        }
        if (off_h > 23 || off_m > 59) return std::nullopt;
        offset_seconds = (off_h * 3600 + off_m * 60) * (zone == '-' ? -1 : 1);
      } else {
        return std::nullopt;
      }
    }
    if (pos != text.size()) return std::nullopt;
  }
  // Local time minus its offset is UTC.
  std::int64_t total = days_from_civil(date.year, date.month, date.day) * 86400 + hour * 3600 +
                       minute * 60 + second - offset_seconds;
  std::int64_t days = total / 86400;
  std::int64_t secs = total % 86400;
  if (secs < 0) {
    secs += 86400;
    days -= 1;
  }
  const CivilDate utc = civil_from_days(days);
  if (utc.year < 0 || utc.year > 9999) return std::nullopt;
  const auto s = static_cast<unsigned>(secs);
  std::string ms = std::to_string(millis);
  ms.insert(0, 3 - ms.size(), '0');
  return format_date(utc) + "T" + two_digits(s / 3600) + ":" + two_digits(s / 60 % 60) + ":" +
         two_digits(s % 60) + "." + ms + "Z";
}

namespace {

// ---------------------------------------------------------------------------------------
// Filter parser
// ---------------------------------------------------------------------------------------

// A value as written: its text after unquoting, whether it was quoted, where it began.
struct RawValue {
  std::string text;
  bool quoted = false;
  std::size_t pos = 0;
};

class FilterParser {
 public:
  FilterParser(const ObjectSpec& spec, std::string_view text) : spec_(spec), text_(text) {}

  Result<FilterNode> parse() {
    skip_space();
    if (at_end()) return fail(positioned("empty filter", pos_, "filter"));
    auto conditions = parse_sequence(0, /*inside_group=*/false);
    if (!conditions) return fail(conditions.error());
    if (conditions->size() == 1) return std::move(conditions->front());
    FilterNode all;
    all.kind = FilterNode::Kind::And;
    all.children = std::move(*conditions);
    return all;
  }

 private:
  // expr ("," expr)* — ended by ")" inside a group, by the end of input at the top level.
  Result<std::vector<FilterNode>> parse_sequence(int depth, bool inside_group) {
    std::vector<FilterNode> nodes;
    while (true) {
      auto node = parse_expression(depth);
      if (!node) return fail(node.error());
      nodes.push_back(std::move(*node));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (inside_group && peek() == ')') return nodes;
      if (!inside_group && at_end()) return nodes;
      if (!inside_group && peek() == ')') return fail(syntax_error("unbalanced ')'"));
      return fail(syntax_error(inside_group ? "expected ',' or ')'" : "expected ',' or end of filter"));
    }
  }

  Result<FilterNode> parse_expression(int depth) {
    skip_space();
    const std::size_t name_pos = pos_;
    const std::string_view name = read_identifier();
    if (name.empty()) return fail(syntax_error("expected a field name or and( / or( / not("));
    skip_space();
    if (peek() == '(') return parse_group(name, name_pos, depth);
    if (peek() == '[') return parse_condition(name, name_pos);
    return fail(syntax_error("expected '[' after field name '" + std::string(name) + "'"));
  }

  Result<FilterNode> parse_group(std::string_view name, std::size_t name_pos, int depth) {
    FilterNode group;
    if (name == "and") group.kind = FilterNode::Kind::And;
    else if (name == "or") group.kind = FilterNode::Kind::Or;
    else if (name == "not") group.kind = FilterNode::Kind::Not;
    else {
      return fail(positioned("unknown group " + quote_for_message(name) + " (expected and, or, not)",
                             name_pos, "filter"));
    }
    // Checked before descending, so hostile nesting cannot exhaust the stack.
    if (depth + 1 > kMaxFilterDepth) {
      return fail(positioned("filter nests deeper than " + std::to_string(kMaxFilterDepth) + " levels",
                             name_pos, "filter"));
    }
    const std::size_t open_pos = pos_;
    ++pos_;  // '('
    skip_space();
    if (peek() == ')') return fail(syntax_error(std::string(name) + "() needs at least one condition"));
    auto children = parse_sequence(depth + 1, /*inside_group=*/true);
    if (!children) return fail(children.error());
    ++pos_;  // ')'
    if (group.kind == FilterNode::Kind::Not && children->size() != 1) {
      return fail(positioned("not(...) takes exactly one condition or group", open_pos, "filter"));
    }
    group.children = std::move(*children);
    return group;
  }

  Result<FilterNode> parse_condition(std::string_view name, std::size_t name_pos) {
    const FieldSpec* field = spec_.find(name);
    if (field == nullptr) {
      Error error = Error::bad_request("unknown field '" + std::string(name) + "' in filter", "filter");
      error.details = {{"position", name_pos + 1}};
      return fail(std::move(error));
    }
    if (!field->filterable) {
      return fail(positioned("field '" + field->name + "' cannot be used in filter", name_pos, "filter"));
    }
    if (++condition_count_ > kMaxFilterConditions) {
      return fail(positioned("filter has more than " + std::to_string(kMaxFilterConditions) + " conditions",
                             name_pos, "filter"));
    }

    ++pos_;  // '['
    skip_space();
    const std::size_t op_pos = pos_;
    const std::string_view op_name = read_identifier();
    if (op_name.empty()) return fail(syntax_error("expected an operator such as eq"));
    const std::optional<FilterOp> op = op_from_name(op_name);
    if (!op) {
      return fail(positioned("unknown operator " + quote_for_message(op_name) + " for field '" + field->name +
                                 "' (expected eq, neq, in, containsAny, is, gt, gte, lt, lte, "
                                 "startsWith, endsWith, like or ilike)",
                             op_pos, "filter"));
    }
    if (!op_supported(*op, field->type)) {
      return fail(positioned("operator '" + std::string(op_name) + "' is not supported for " +
                                 std::string(type_name(field->type)) + " field '" + field->name + "'",
                             op_pos, "filter"));
    }
    skip_space();
    if (!consume(']')) return fail(syntax_error("expected ']' after operator"));
    skip_space();
    if (!consume(':')) return fail(syntax_error("expected ':' after '[" + std::string(op_name) + "]'"));
    skip_space();

    FilterNode node;
    node.kind = FilterNode::Kind::Condition;
    node.condition.field = field;
    node.condition.op = *op;

    if (*op == FilterOp::In || *op == FilterOp::ContainsAny) {
      if (peek() != '[') {
        return fail(syntax_error("'" + std::string(op_name) + "' takes a bracketed list such as [a,b]"));
      }
      auto items = parse_value_list();
      if (!items) return fail(items.error());
      for (const RawValue& item : *items) {
        auto value = typed_value(*field, *op, item);
        if (!value) return fail(value.error());
        node.condition.values.push_back(std::move(*value));
      }
      return node;
    }

    auto raw = parse_value();
    if (!raw) return fail(raw.error());
    if (*op == FilterOp::Is) {
      if (iequals(raw->text, "NULL")) node.condition.is_null = true;
      else if (iequals(raw->text, "NOT_NULL")) node.condition.is_null = false;
      else {
        return fail(positioned("'is' takes NULL or NOT_NULL, got " + quote_for_message(raw->text), raw->pos,
                               "filter"));
      }
      return node;
    }
    auto value = typed_value(*field, *op, *raw);
    if (!value) return fail(value.error());
    node.condition.values.push_back(std::move(*value));
    return node;
  }

  // "[" value ("," value)* "]"
  Result<std::vector<RawValue>> parse_value_list() {
    const std::size_t open_pos = pos_;
    ++pos_;  // '['
    std::vector<RawValue> items;
    skip_space();
    if (peek() == ']') return fail(positioned("empty list", open_pos, "filter"));
    while (true) {
      auto item = parse_value();
      if (!item) return fail(item.error());
      items.push_back(std::move(*item));
      skip_space();
      if (consume(',')) {
        skip_space();
        continue;
      }
      if (consume(']')) return items;
      if (at_end()) return fail(positioned("unterminated list", open_pos, "filter"));
      return fail(syntax_error("expected ',' or ']' in list"));
    }
  }

  Result<RawValue> parse_value() {
    RawValue value;
    value.pos = pos_;
    if (peek() == '"') return parse_quoted();
    // Bare: up to the next , ) ] (trailing spaces dropped). Characters that would make the
    // structure ambiguous must be quoted.
    const std::size_t start = pos_;
    while (!at_end()) {
      const char c = text_[pos_];
      if (c == ',' || c == ')' || c == ']') break;
      if (c == '(' || c == '[' || c == '"') {
        return fail(syntax_error("unexpected '" + std::string(1, c) +
                                 "' in value; quote values containing , ( ) [ ] or \""));
      }
      ++pos_;
    }
    std::string_view bare = text_.substr(start, pos_ - start);
    while (!bare.empty() && is_space(bare.back())) bare.remove_suffix(1);
    if (bare.empty()) return fail(syntax_error("expected a value"));
    value.text = std::string(bare);
    return value;
  }

  Result<RawValue> parse_quoted() {
    RawValue value;
    value.pos = pos_;
    value.quoted = true;
    ++pos_;  // opening quote
    while (!at_end()) {
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return value;
      }
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) break;
        const char escaped = text_[pos_ + 1];
        if (escaped != '"' && escaped != '\\') {
          return fail(syntax_error("unsupported escape '\\" + std::string(1, escaped) +
                                   "' (only \\\" and \\\\ are allowed)"));
        }
        value.text.push_back(escaped);
        pos_ += 2;
        continue;
      }
      value.text.push_back(c);
      ++pos_;
    }
    return fail(positioned("unterminated quoted value", value.pos, "filter"));
  }

  // Converts a written value to the field's storage type, refusing what does not fit.
  static Result<SqlValue> typed_value(const FieldSpec& field, FilterOp op, const RawValue& raw) {
    const std::string& text = raw.text;
    auto refuse = [&](const std::string& expectation) {
      return fail(positioned("field '" + field.name + "' expects " + expectation + ", got " +
                                 quote_for_message(text),
                             raw.pos, "filter"));
    };
    if (!raw.quoted && iequals(text, "NULL")) {
      return fail(positioned("NULL is not a value; use " + field.name + "[is]:NULL (or quote \"NULL\" "
                             "for the text)",
                             raw.pos, "filter"));
    }
    switch (field.type) {
      case FieldType::Integer: {
        std::int64_t number = 0;
        const char* last = text.data() + text.size();
        const auto [end, ec] = std::from_chars(text.data(), last, number);
        if (text.empty() || ec != std::errc() || end != last) {
          return refuse(ec == std::errc::result_out_of_range ? "a 64-bit integer" : "an integer");
        }
        return SqlValue{number};
      }
      case FieldType::Boolean:
        if (text == "true") return SqlValue{std::int64_t{1}};
        if (text == "false") return SqlValue{std::int64_t{0}};
        return refuse("true or false");
      case FieldType::Timestamp: {
        auto canonical = normalize_timestamp(text);
        if (!canonical) return refuse("an ISO 8601 timestamp such as 2026-01-01T00:00:00Z");
        return SqlValue{std::move(*canonical)};
      }
      case FieldType::Date: {
        auto canonical = normalize_date(text);
        if (!canonical) return refuse("a date such as 2026-01-01");
        return SqlValue{std::move(*canonical)};
      }
      case FieldType::Enum: {
        if (std::find(field.enum_values.begin(), field.enum_values.end(), text) != field.enum_values.end()) {
          return SqlValue{text};
        }
        std::string allowed;
        for (const std::string& option : field.enum_values) {
          allowed += (allowed.empty() ? "" : ", ") + option;
        }
        return refuse("one of (" + allowed + ")");
      }
      case FieldType::Text:
        if (op == FilterOp::Like || op == FilterOp::Ilike) {
          // PostgreSQL rejects a pattern ending in the escape character at run time.
          std::size_t trailing = 0;
          for (auto it = text.rbegin(); it != text.rend() && *it == '\\'; ++it) ++trailing;
          if (trailing % 2 == 1) {
            return fail(positioned("pattern for '" + field.name + "' ends with an unpaired backslash", raw.pos,
                                   "filter"));
          }
        }
        return SqlValue{text};
      case FieldType::Id:
        return SqlValue{text};
    }
    return refuse("a value");
  }

  std::string_view read_identifier() {
    const std::size_t start = pos_;
    if (at_end() || !is_identifier_start(text_[pos_])) return {};
    while (!at_end() && is_identifier_char(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  Error syntax_error(const std::string& message) const {
    const std::string found = at_end() ? "end of filter" : "'" + std::string(1, text_[pos_]) + "'";
    return positioned(message + ", found " + found, pos_, "filter");
  }

  void skip_space() {
    while (!at_end() && is_space(text_[pos_])) ++pos_;
  }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  bool consume(char c) {
    if (peek() != c || at_end()) return false;
    ++pos_;
    return true;
  }

  const ObjectSpec& spec_;
  std::string_view text_;
  std::size_t pos_ = 0;
  int condition_count_ = 0;
};

Status check_input(std::string_view text, std::size_t max_length, std::string_view param) {
  if (text.size() > max_length) {
    return fail(Error::bad_request(std::string(param) + " is longer than " + std::to_string(max_length) + " bytes",
                                   std::string(param)));
  }
  if (const std::size_t bad = first_bad_byte(text); bad != std::string_view::npos) {
    return fail(positioned(std::string(param) + " contains invalid UTF-8 or a NUL character", bad, param));
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// Cursors: base64url (no padding) of {"f": [field names], "v": [values]}
// ---------------------------------------------------------------------------------------

constexpr std::string_view kBase64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                            (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
    out += kBase64Url[(n >> 18) & 63];
    out += kBase64Url[(n >> 12) & 63];
    out += kBase64Url[(n >> 6) & 63];
    out += kBase64Url[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kBase64Url[(n >> 18) & 63];
    out += kBase64Url[(n >> 12) & 63];
    if (rest == 2) out += kBase64Url[(n >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const std::size_t index = kBase64Url.find(c);
    if (index == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(index);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// SQL compilation
// ---------------------------------------------------------------------------------------

// Appends bound parameters and hands out their placeholders (:p<N>) in textual order, so
// that positional binding (in order of appearance) and named binding agree.
class ParamWriter {
 public:
  explicit ParamWriter(int first_index) : next_index_(first_index) {}
  std::string bind(SqlValue value) {
    params_.push_back(std::move(value));
    return ":p" + std::to_string(next_index_++);
  }
  std::vector<SqlValue> take() { return std::move(params_); }

 private:
  int next_index_;
  std::vector<SqlValue> params_;
};

// Escapes LIKE's wildcards and the escape character itself so `text` matches literally
// under ESCAPE '\'.
std::string escape_like(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\' || c == '%' || c == '_') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Written as a plain SQL literal: a single backslash in both SQLite and PostgreSQL (whose
// standard_conforming_strings has been on by default since 9.1).
constexpr std::string_view kLikeEscape = " ESCAPE '\\'";

// The FTS5 query that finds the candidates of a LIKE pattern in a trigram table's column:
// each run of at least three literal characters between wildcards as a phrase, all of them
// required (`col : "run1" AND col : "run2"`). Trigram phrases match substrings without
// case, so every row the LIKE matches is among them. nullopt when no run is long enough
// (or the pattern escapes a character): then only the plain LIKE can answer.
std::optional<std::string> trigram_query(const std::string& column, const std::string& pattern) {
  if (pattern.find('\\') != std::string::npos) return std::nullopt;
  std::string query, run;
  auto take = [&] {
    // Characters, not bytes: a shorter phrase matches nothing in a trigram table.
    auto characters = std::count_if(run.begin(), run.end(), [](char ch) { return (ch & 0xC0) != 0x80; });
    if (characters >= 3) {
      std::string phrase;
      for (char ch : run) phrase += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      query += (query.empty() ? "" : " AND ") + column + " : \"" + phrase + "\"";
    }
    run.clear();
  };
  for (char ch : pattern) {
    if (ch == '%' || ch == '_') take();
    else run += ch;
  }
  take();
  if (query.empty()) return std::nullopt;
  return query;
}

// "rowid IN (<the FTS5 trigram table's candidates>) AND " before a SQLite LIKE on an
// indexed column, or "": the trigram table narrows, the plain LIKE after it decides, so the
// answer is the same with or without it.
std::string trigram_candidates(const FilterCondition& c, Dialect dialect, ParamWriter& params) {
  const std::string& table = c.field->sqlite_trigram_table;
  if (dialect != Dialect::Sqlite || table.empty()) return "";
  const auto* pattern = std::get_if<std::string>(&c.values.front());
  if (pattern == nullptr) return "";
  auto query = trigram_query(c.field->column, *pattern);
  if (!query) return "";
  return "rowid IN (SELECT rowid FROM " + table + " WHERE " + table + " MATCH " + params.bind(*query) + ") AND ";
}

std::string compile_condition(const FilterCondition& c, Dialect dialect, ParamWriter& params) {
  const std::string& col = c.field->column;
  auto scalar = [&](std::string_view sql_op) {
    return col + " " + std::string(sql_op) + " " + params.bind(c.values.front());
  };
  switch (c.op) {
    case FilterOp::Eq: return scalar("=");
    case FilterOp::Neq: return scalar("<>");
    case FilterOp::Gt: return scalar(">");
    case FilterOp::Gte: return scalar(">=");
    case FilterOp::Lt: return scalar("<");
    case FilterOp::Lte: return scalar("<=");
    case FilterOp::Is: return col + (c.is_null ? " IS NULL" : " IS NOT NULL");
    case FilterOp::In: {
      std::string sql = col + " IN (";
      for (std::size_t i = 0; i < c.values.size(); ++i) sql += (i ? ", " : "") + params.bind(c.values[i]);
      return sql + ")";
    }
    case FilterOp::ContainsAny: {
      // instr/strpos find a literal substring with no wildcard to escape, and are
      // case-sensitive regardless of SQLite's LIKE setting.
      const std::string_view function = dialect == Dialect::Sqlite ? "instr(" : "strpos(";
      std::string sql = "(";
      for (std::size_t i = 0; i < c.values.size(); ++i) {
        sql += (i ? " OR " : "") + std::string(function) + col + ", " + params.bind(c.values[i]) + ") > 0";
      }
      return sql + ")";
    }
    case FilterOp::StartsWith:
      return col + " LIKE " + params.bind(escape_like(std::get<std::string>(c.values.front())) + "%") +
             std::string(kLikeEscape);
    case FilterOp::EndsWith:
      return col + " LIKE " + params.bind("%" + escape_like(std::get<std::string>(c.values.front()))) +
             std::string(kLikeEscape);
    case FilterOp::Like: {
      std::string candidates = trigram_candidates(c, dialect, params);
      std::string like = col + " LIKE " + params.bind(c.values.front()) + std::string(kLikeEscape);
      return candidates.empty() ? like : "(" + candidates + like + ")";
    }
    case FilterOp::Ilike: {
      if (dialect == Dialect::Postgres) {
        // pg_trgm's GIN index (store/schema.cpp) serves ILIKE as it is.
        return col + " ILIKE " + params.bind(c.values.front()) + std::string(kLikeEscape);
      }
      std::string candidates = trigram_candidates(c, dialect, params);
      std::string like =
          "lower(" + col + ") LIKE lower(" + params.bind(c.values.front()) + ")" + std::string(kLikeEscape);
      return candidates.empty() ? like : "(" + candidates + like + ")";
    }
  }
  return "1=0";
}

std::string compile_node(const FilterNode& node, Dialect dialect, ParamWriter& params) {
  switch (node.kind) {
    case FilterNode::Kind::Condition:
      return compile_condition(node.condition, dialect, params);
    case FilterNode::Kind::Not:
      return "NOT (" + compile_node(node.children.front(), dialect, params) + ")";
    case FilterNode::Kind::And:
    case FilterNode::Kind::Or: {
      if (node.children.size() == 1) return compile_node(node.children.front(), dialect, params);
      const std::string_view joiner = node.kind == FilterNode::Kind::And ? " AND " : " OR ";
      std::string sql = "(";
      for (std::size_t i = 0; i < node.children.size(); ++i) {
        if (i) sql += joiner;
        sql += compile_node(node.children[i], dialect, params);
      }
      return sql + ")";
    }
  }
  return "1=0";
}

// NOT NULL columns (ids, timestamps of record, amounts) need no NULL handling in ORDER BY or
// in the keyset.
bool nullable(const SortKey& key) { return key.field->nullable; }

SortKey reversed(const SortKey& key) { return {key.field, !key.descending, !key.nulls_first}; }

// "Rows strictly after the cursor row" in `order`, as the usual nested keyset expansion
//   after(k1) OR (k1 = c1 AND (after(k2) OR (k2 = c2 AND ... after(id))))
// where after(k) places NULLs according to the key's Nulls-First/Last choice:
//   cursor value v non-NULL:  nulls first -> col > v          nulls last -> (col > v OR col IS NULL)
//   cursor value NULL:        nulls first -> col IS NOT NULL  nulls last -> nothing is after
// with < instead of > for descending keys, and "k = c" meaning "col IS NULL" for a NULL c.
std::string keyset_after(const std::vector<SortKey>& order, const Cursor& cursor, std::size_t i,
                         ParamWriter& params) {
  const SortKey& key = order[i];
  const std::string& col = key.field->column;
  const SqlValue& value = cursor.values[i];
  const bool value_is_null = std::holds_alternative<std::nullptr_t>(value);

  std::string after;  // empty when no row can follow on this key alone
  if (value_is_null) {
    if (key.nulls_first) after = col + " IS NOT NULL";
  } else {
    after = col + (key.descending ? " < " : " > ") + params.bind(value);
    if (!key.nulls_first && nullable(key)) after = "(" + after + " OR " + col + " IS NULL)";
  }
  if (i + 1 == order.size()) return after.empty() ? "1=0" : after;

  const std::string equal = value_is_null ? col + " IS NULL" : col + " = " + params.bind(value);
  const std::string tie_broken = "(" + equal + " AND " + keyset_after(order, cursor, i + 1, params) + ")";
  if (after.empty()) return tie_broken;
  return "(" + after + " OR " + tie_broken + ")";
}

// A redundant range on the first key (`col >= v` ascending, `col <= v` descending) AND-ed
// before the nested keyset: neither planner can start an index scan from the OR-expansion,
// but both can from this, so page N costs what page 1 does. Only for a NOT NULL first key
// (a nullable one's "after" includes the NULLs, which no single range holds).
std::optional<std::string> leading_bound(const std::vector<SortKey>& order, const Cursor& cursor,
                                         ParamWriter& params) {
  if (order.size() < 2 || nullable(order[0]) || std::holds_alternative<std::nullptr_t>(cursor.values[0]))
    return std::nullopt;
  return order[0].field->column + (order[0].descending ? " <= " : " >= ") + params.bind(cursor.values[0]);
}

std::string sort_key_sql(const SortKey& key) {
  std::string sql = key.field->column + (key.descending ? " DESC" : " ASC");
  if (nullable(key)) sql += key.nulls_first ? " NULLS FIRST" : " NULLS LAST";
  return sql;
}

bool value_fits(const FieldSpec& field, const nlohmann::json& value) {
  if (value.is_null()) return field.nullable;
  switch (field.type) {
    case FieldType::Integer:
      return value.is_number_integer() &&
             !(value.is_number_unsigned() &&
               value.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX));
    case FieldType::Boolean:
      return value.is_number_integer() && (value.get<std::int64_t>() == 0 || value.get<std::int64_t>() == 1);
    default:
      return value.is_string() && value.get_ref<const std::string&>().find('\0') == std::string::npos;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------------------

Result<FilterNode> parse_filter(const ObjectSpec& spec, std::string_view text) {
  if (auto ok = check_input(text, kMaxFilterLength, "filter"); !ok) return fail(ok.error());
  return FilterParser(spec, text).parse();
}

// order_by := item ("," item)*   item := field ["[" direction "]"]
Result<std::vector<SortKey>> parse_order_by(const ObjectSpec& spec, std::string_view text) {
  constexpr std::string_view kParam = "order_by";
  if (auto ok = check_input(text, kMaxOrderByLength, kParam); !ok) return fail(ok.error());
  const FieldSpec* id = spec.find("id");
  if (id == nullptr) return fail(Error::internal("object spec for '" + spec.table + "' has no id field"));

  std::vector<SortKey> order;
  std::size_t pos = 0;
  auto skip_space = [&] {
    while (pos < text.size() && is_space(text[pos])) ++pos;
  };
  auto found = [&] { return pos < text.size() ? ", found '" + std::string(1, text[pos]) + "'" : ", found end"; };
  skip_space();
  while (pos < text.size()) {
    const std::size_t name_pos = pos;
    while (pos < text.size() && is_identifier_char(text[pos])) ++pos;
    const std::string_view name = text.substr(name_pos, pos - name_pos);
    if (name.empty() || !is_identifier_start(name.front())) {
      return fail(positioned("expected a field name" + found(), name_pos, kParam));
    }
    const FieldSpec* field = spec.find(name);
    if (field == nullptr) {
      Error error = Error::bad_request("unknown field '" + std::string(name) + "' in order_by", std::string(kParam));
      error.details = {{"position", name_pos + 1}};
      return fail(std::move(error));
    }
    if (!field->sortable) return fail(positioned("field '" + field->name + "' cannot be sorted", name_pos, kParam));
    for (const SortKey& key : order) {
      if (key.field == field) {
        return fail(positioned("field '" + field->name + "' appears twice in order_by", name_pos, kParam));
      }
    }
    SortKey key{field, /*descending=*/false, /*nulls_first=*/true};
    skip_space();
    if (pos < text.size() && text[pos] == '[') {
      const std::size_t dir_pos = ++pos;
      while (pos < text.size() && text[pos] != ']') ++pos;
      if (pos >= text.size()) return fail(positioned("unterminated '['", dir_pos - 1, kParam));
      std::string_view direction = text.substr(dir_pos, pos - dir_pos);
      while (!direction.empty() && is_space(direction.front())) direction.remove_prefix(1);
      while (!direction.empty() && is_space(direction.back())) direction.remove_suffix(1);
      ++pos;  // ']'
      if (direction == "AscNullsFirst") key = {field, false, true};
      else if (direction == "AscNullsLast") key = {field, false, false};
      else if (direction == "DescNullsFirst") key = {field, true, true};
      else if (direction == "DescNullsLast") key = {field, true, false};
      else {
        return fail(positioned("unknown direction " + quote_for_message(direction) +
                                   " (expected AscNullsFirst, AscNullsLast, DescNullsFirst or DescNullsLast)",
                               dir_pos, kParam));
      }
    }
    order.push_back(key);
    skip_space();
    if (pos >= text.size()) break;
    if (text[pos] != ',') return fail(positioned("expected ',' or '['" + found(), pos, kParam));
    ++pos;
    skip_space();
    if (pos >= text.size()) return fail(positioned("expected a field name after ','", pos, kParam));
  }
  if (std::none_of(order.begin(), order.end(), [&](const SortKey& key) { return key.field == id; })) {
    const bool descending = !order.empty() && order.back().descending;
    order.push_back({id, descending, /*nulls_first=*/true});
  }
  return order;
}

Result<Cursor> decode_cursor(const std::vector<SortKey>& order, std::string_view text, std::string_view param) {
  const std::string name(param);
  if (text.size() > kMaxCursorLength) return fail(Error::bad_request(name + " is too long", name));
  const Error invalid = Error::bad_request(name + " is not a valid cursor", name);
  const std::optional<std::string> decoded = base64url_decode(text);
  if (!decoded) return fail(invalid);
  const nlohmann::json doc = nlohmann::json::parse(*decoded, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("f") || !doc.contains("v")) return fail(invalid);
  const nlohmann::json& fields = doc["f"];
  const nlohmann::json& values = doc["v"];
  if (!fields.is_array() || !values.is_array() || values.size() != fields.size()) return fail(invalid);

  // A cursor names the fields whose values it carries; it is a position in any ordering
  // over those same fields (directions may change between pages), but not in another.
  bool same_fields = fields.size() == order.size();
  for (std::size_t i = 0; same_fields && i < order.size(); ++i) {
    same_fields = fields[i].is_string() && fields[i].get_ref<const std::string&>() == order[i].field->name;
  }
  if (!same_fields) return fail(Error::bad_request(name + " was made for a different order_by", name));

  Cursor cursor;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const nlohmann::json& value = values[i];
    if (!value_fits(*order[i].field, value)) return fail(invalid);
    if (value.is_null()) cursor.values.emplace_back(nullptr);
    else if (value.is_string()) cursor.values.emplace_back(value.get<std::string>());
    else cursor.values.emplace_back(value.get<std::int64_t>());
  }
  return cursor;
}

Result<ListQuery> parse_list_query(const ObjectSpec& spec,
                                   const std::vector<std::pair<std::string, std::string>>& query_params) {
  std::optional<std::string_view> filter, order_by, limit, starting_after, ending_before;
  for (const auto& [key, value] : query_params) {
    std::optional<std::string_view>* slot = nullptr;
    if (key == "filter") slot = &filter;
    else if (key == "order_by") slot = &order_by;
    else if (key == "limit") slot = &limit;
    else if (key == "starting_after") slot = &starting_after;
    else if (key == "ending_before") slot = &ending_before;
    else continue;  // "depth" and friends belong to other layers
    // Repeated parameters are refused rather than resolved, so no layer in front of us can
    // disagree about which one counts.
    if (slot->has_value()) return fail(Error::bad_request(key + " is given more than once", key));
    *slot = value;
  }

  ListQuery query;
  auto order = parse_order_by(spec, order_by.value_or(""));
  if (!order) return fail(order.error());
  query.order = std::move(*order);

  if (filter && filter->find_first_not_of(" \t\r\n") != std::string_view::npos) {
    auto node = parse_filter(spec, *filter);
    if (!node) return fail(node.error());
    query.filter = std::move(*node);
  }

  if (limit) {
    int value = 0;
    const auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
    if (limit->empty() || ec != std::errc() || end != limit->data() + limit->size() || value < 1 ||
        value > kMaxLimit) {
      return fail(Error::bad_request("limit must be an integer between 1 and " + std::to_string(kMaxLimit), "limit"));
    }
    query.limit = value;
  }

  if (starting_after) {
    auto cursor = decode_cursor(query.order, *starting_after, "starting_after");
    if (!cursor) return fail(cursor.error());
    query.after = std::move(*cursor);
  }
  if (ending_before) {
    auto cursor = decode_cursor(query.order, *ending_before, "ending_before");
    if (!cursor) return fail(cursor.error());
    query.before = std::move(*cursor);
  }
  return query;
}

SqlFragment compile_filter(const FilterNode& filter, Dialect dialect, int first_param_index) {
  ParamWriter params(first_param_index);
  SqlFragment out;
  out.sql = compile_node(filter, dialect, params);
  out.params = params.take();
  return out;
}

SqlFragment compile_where(const ListQuery& query, Dialect dialect, int first_param_index) {
  ParamWriter params(first_param_index);
  std::vector<std::string> parts;
  if (query.filter) parts.push_back(compile_node(*query.filter, dialect, params));
  if (query.after) {
    if (auto bound = leading_bound(query.order, *query.after, params)) parts.push_back(*bound);
    parts.push_back(keyset_after(query.order, *query.after, 0, params));
  }
  if (query.before) {
    // "Before X in this ordering" is "after X in the reversed ordering".
    std::vector<SortKey> reversed_order;
    for (const SortKey& key : query.order) reversed_order.push_back(reversed(key));
    if (auto bound = leading_bound(reversed_order, *query.before, params)) parts.push_back(*bound);
    parts.push_back(keyset_after(reversed_order, *query.before, 0, params));
  }
  SqlFragment out;
  if (parts.empty()) out.sql = "1=1";
  for (std::size_t i = 0; i < parts.size(); ++i) out.sql += (i ? " AND " : "") + parts[i];
  out.params = params.take();
  return out;
}

std::string compile_order_by(const ListQuery& query, Dialect dialect) {
  // Both SQLite (since 3.30) and PostgreSQL accept NULLS FIRST/LAST, so the dialects agree.
  std::string sql = "ORDER BY ";
  for (std::size_t i = 0; i < query.order.size(); ++i) {
    if (i) sql += ", ";
    sql += sort_key_sql(query.before ? reversed(query.order[i]) : query.order[i]);
  }
  return sql;
}

bool rows_come_reversed(const ListQuery& query) { return query.before.has_value(); }

std::string encode_cursor(const ListQuery& query, const std::vector<SqlValue>& sort_values) {
  if (sort_values.size() != query.order.size()) {
    throw std::invalid_argument("encode_cursor: " + std::to_string(sort_values.size()) + " values for " +
                                std::to_string(query.order.size()) + " sort keys");
  }
  nlohmann::json fields = nlohmann::json::array();
  nlohmann::json values = nlohmann::json::array();
  for (std::size_t i = 0; i < sort_values.size(); ++i) {
    fields.push_back(query.order[i].field->name);
    std::visit([&](const auto& v) { values.push_back(v); }, sort_values[i]);
  }
  const nlohmann::json doc = {{"f", std::move(fields)}, {"v", std::move(values)}};
  // Stored text went through UTF-8 validation on the way in; `replace` only guards the
  // response path against throwing on a corrupt row.
  return base64url_encode(doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace settle::store
