#include "workflow/template.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

#include "common/dates.hpp"
#include "common/money.hpp"

namespace settle::workflow {

namespace {

// ---- Parsed form ------------------------------------------------------------------------

enum class FilterKind { Money, Date, Default, Upper, Lower, Json, Round, Percent, Plus, Minus, Days };

// What a filter's argument may be, checked while parsing so that `plus: "x"` or
// `money: "EURO"` is an activation error.
enum class ArgRule { None, Optional, Required };

struct FilterSpec {
  std::string_view name;
  FilterKind kind;
  ArgRule arg;
};

constexpr std::array<FilterSpec, 11> kFilters = {{
    {"money", FilterKind::Money, ArgRule::Required},
    {"date", FilterKind::Date, ArgRule::Optional},
    {"default", FilterKind::Default, ArgRule::Required},
    {"upper", FilterKind::Upper, ArgRule::None},
    {"lower", FilterKind::Lower, ArgRule::None},
    {"json", FilterKind::Json, ArgRule::None},
    {"round", FilterKind::Round, ArgRule::None},
    {"percent", FilterKind::Percent, ArgRule::None},
    {"plus", FilterKind::Plus, ArgRule::Required},
    {"minus", FilterKind::Minus, ArgRule::Required},
    {"days", FilterKind::Days, ArgRule::Required},
}};

struct Arg {
  enum Kind { None, Path, Literal } kind = None;
  std::string_view path;  // into the template text
  json literal;
};

struct FilterCall {
  const FilterSpec* spec = nullptr;
  Arg arg;
};

// One piece of a template: literal text, or an expression (path and filters).
struct Segment {
  std::string_view literal;
  bool is_expr = false;
  std::string_view path;
  std::vector<FilterCall> filters;
};

Error at_error(std::string_view field, std::string message) {
  return Error::validation(std::string(field), std::move(message));
}

std::string pos_text(std::size_t pos) { return std::to_string(pos + 1); }

bool name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool valid_date_format(std::string_view fmt, std::string& bad) {
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') continue;
    if (i + 1 >= fmt.size()) {
      bad = "%";
      return false;
    }
    char c = fmt[++i];
    if (std::string_view("YmdHMSbBaAe%").find(c) == std::string_view::npos) {
      bad = std::string("%") + c;
      return false;
    }
  }
  return true;
}

// Scans a path at `i` (name, then .name or [n] any number of times); answers its end, or
// npos when there is no name at `i`. A malformed index is reported through `error`.
std::size_t scan_path(std::string_view text, std::size_t i, std::string& error) {
  if (i >= text.size() || !name_start(text[i])) return std::string_view::npos;
  while (i < text.size() && name_char(text[i])) ++i;
  while (i < text.size()) {
    if (text[i] == '.') {
      if (i + 1 >= text.size() || !name_start(text[i + 1])) {
        error = "expected a name after '.' at " + pos_text(i);
        return std::string_view::npos;
      }
      ++i;
      while (i < text.size() && name_char(text[i])) ++i;
    } else if (text[i] == '[') {
      std::size_t j = i + 1;
      while (j < text.size() && digit(text[j])) ++j;
      if (j == i + 1 || j >= text.size() || text[j] != ']' || j - i - 1 > 9) {
        error = "expected an index like [0] at " + pos_text(i);
        return std::string_view::npos;
      }
      i = j + 1;
    } else {
      break;
    }
  }
  return i;
}

// Parses the whole template in one pass. `last_close` (the last "}}") lets an unclosed
// "{{" be named as such instead of as whatever character follows it.
Result<std::vector<Segment>> parse(std::string_view text, std::string_view field) {
  std::vector<Segment> out;
  const std::size_t last_close = text.rfind("}}");
  std::size_t lit = 0, i = 0;
  auto literal = [&](std::size_t from, std::size_t to) {
    if (to <= from) return;
    Segment seg;
    seg.literal = text.substr(from, to - from);
    out.push_back(std::move(seg));
  };
  while (true) {
    std::size_t open = text.find("{{", i);
    if (open == std::string_view::npos) break;
    if (open > 0 && text[open - 1] == '\\') {
      literal(lit, open - 1);
      literal(open, open + 2);
      lit = i = open + 2;
      continue;
    }
    literal(lit, open);
    if (last_close == std::string_view::npos || last_close < open + 2)
      return fail(at_error(field, "unclosed '{{' at " + pos_text(open)));

    Segment seg;
    seg.is_expr = true;
    std::size_t j = open + 2;
    auto skip = [&] {
      while (j < text.size() && space(text[j])) ++j;
    };
    auto unexpected = [&]() -> Error {
      if (j >= text.size()) return at_error(field, "unclosed '{{' at " + pos_text(open));
      return at_error(field, "unexpected '" + std::string(1, text[j]) + "' at " + pos_text(j));
    };
    skip();
    if (text.substr(j, 2) == "}}") return fail(at_error(field, "empty '{{ }}' at " + pos_text(open)));
    std::string path_error;
    std::size_t end = scan_path(text, j, path_error);
    if (end == std::string_view::npos) {
      if (!path_error.empty()) return fail(at_error(field, path_error));
      if (j < text.size()) return fail(at_error(field, "expected a variable name at " + pos_text(j)));
      return fail(unexpected());
    }
    seg.path = text.substr(j, end - j);
    j = end;
    while (true) {
      skip();
      if (text.substr(j, 2) == "}}") {
        j += 2;
        break;
      }
      if (j >= text.size() || text[j] != '|') return fail(unexpected());
      ++j;
      skip();
      std::size_t name_at = j;
      while (j < text.size() && name_char(text[j])) ++j;
      std::string_view name = text.substr(name_at, j - name_at);
      if (name.empty() || !name_start(name[0]))
        return fail(at_error(field, "expected a filter name after '|' at " + pos_text(name_at)));
      auto spec = std::find_if(kFilters.begin(), kFilters.end(), [&](const FilterSpec& f) { return f.name == name; });
      if (spec == kFilters.end())
        return fail(at_error(field, "unknown filter '" + std::string(name) + "' at " + pos_text(name_at)));
      FilterCall call{&*spec, {}};
      skip();
      if (j < text.size() && text[j] == ':') {
        if (spec->arg == ArgRule::None)
          return fail(at_error(field, "filter '" + std::string(name) + "' takes no argument at " + pos_text(j)));
        ++j;
        skip();
        std::size_t arg_at = j;
        char c = j < text.size() ? text[j] : '\0';
        if (c == '"' || c == '\'') {
          std::string value;
          ++j;
          while (j < text.size() && text[j] != c) {
            if (text[j] == '\\' && j + 1 < text.size()) ++j;
            value += text[j++];
          }
          if (j >= text.size()) return fail(at_error(field, "unclosed quote at " + pos_text(arg_at)));
          ++j;
          call.arg.kind = Arg::Literal;
          call.arg.literal = std::move(value);
        } else if (digit(c) || (c == '-' && j + 1 < text.size() && digit(text[j + 1]))) {
          std::size_t k = j + 1;
          while (k < text.size() && digit(text[k])) ++k;
          bool fraction = k + 1 < text.size() && text[k] == '.' && digit(text[k + 1]);
          if (fraction) {
            k += 2;
            while (k < text.size() && digit(text[k])) ++k;
          }
          if (k < text.size() && name_char(text[k])) {
            j = k;
            return fail(unexpected());
          }
          call.arg.kind = Arg::Literal;
          if (fraction) {
            double d = 0;
            std::from_chars(text.data() + j, text.data() + k, d);
            call.arg.literal = d;
          } else {
            std::int64_t n = 0;
            auto r = std::from_chars(text.data() + j, text.data() + k, n);
            if (r.ec != std::errc()) return fail(at_error(field, "number too large at " + pos_text(arg_at)));
            call.arg.literal = n;
          }
          j = k;
        } else {
          std::size_t arg_end = scan_path(text, j, path_error);
          if (arg_end == std::string_view::npos) {
            if (!path_error.empty()) return fail(at_error(field, path_error));
            return fail(at_error(field, "expected an argument for '" + std::string(name) + "' at " + pos_text(j)));
          }
          call.arg.kind = Arg::Path;
          call.arg.path = text.substr(j, arg_end - j);
          j = arg_end;
        }
        // A literal of the wrong kind can only ever fail, so say so now.
        if (call.arg.kind == Arg::Literal) {
          const json& v = call.arg.literal;
          FilterKind k = spec->kind;
          const auto what = [&] { return "filter '" + std::string(name) + "' "; };
          if ((k == FilterKind::Plus || k == FilterKind::Minus || k == FilterKind::Days) && !v.is_number_integer())
            return fail(at_error(field, what() + "needs a whole number at " + pos_text(arg_at)));
          if ((k == FilterKind::Money || k == FilterKind::Date) && !v.is_string())
            return fail(at_error(field, what() + "needs a quoted text or a variable at " + pos_text(arg_at)));
          if (k == FilterKind::Money && !is_valid_currency(v.get_ref<const std::string&>()))
            return fail(at_error(field, "unknown currency '" + v.get<std::string>() + "' at " + pos_text(arg_at)));
          std::string bad;
          if (k == FilterKind::Date && !valid_date_format(v.get_ref<const std::string&>(), bad))
            return fail(at_error(field, "unknown date format '" + bad + "' at " + pos_text(arg_at)));
        }
      } else if (spec->arg == ArgRule::Required) {
        return fail(at_error(field, "filter '" + std::string(name) + "' needs an argument at " + pos_text(name_at)));
      }
      seg.filters.push_back(std::move(call));
    }
    out.push_back(std::move(seg));
    lit = i = j;
  }
  literal(lit, text.size());
  return out;
}

void add_unique(std::vector<std::string>& refs, std::string_view path) {
  if (std::find(refs.begin(), refs.end(), path) == refs.end()) refs.emplace_back(path);
}

// ---- Values -----------------------------------------------------------------------------

const json* resolve(const json& context, std::string_view path) {
  const json* cur = &context;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') ++i;
    if (i < path.size() && path[i] == '[') {
      std::size_t close = path.find(']', i);
      if (close == std::string_view::npos) return nullptr;
      std::size_t n = 0;
      auto r = std::from_chars(path.data() + i + 1, path.data() + close, n);
      if (r.ec != std::errc() || r.ptr != path.data() + close || !cur->is_array() || n >= cur->size()) return nullptr;
      cur = &(*cur)[n];
      i = close + 1;
      continue;
    }
    std::size_t end = i;
    while (end < path.size() && name_char(path[end])) ++end;
    if (end == i || !name_start(path[i]) || !cur->is_object()) return nullptr;
    auto it = cur->find(path.substr(i, end - i));
    if (it == cur->end()) return nullptr;
    cur = &*it;
    i = end;
    if (i < path.size() && path[i] != '.' && path[i] != '[') return nullptr;
  }
  return i == 0 ? nullptr : cur;
}

std::string dump(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

void append_text(std::string& out, const json& v) {
  switch (v.type()) {
    case json::value_t::string: out += v.get_ref<const std::string&>(); break;
    case json::value_t::null: break;
    case json::value_t::number_integer: out += std::to_string(v.get<std::int64_t>()); break;
    case json::value_t::number_unsigned: out += std::to_string(v.get<std::uint64_t>()); break;
    default: out += dump(v);
  }
}

std::string text_of(const json& v) {
  std::string s;
  append_text(s, v);
  return s;
}

// A number, or a string that is one ("42", "-1.5"): what conditions and number filters
// accept. No leading '+', spaces, hex, "inf" or "nan".
std::optional<json> as_number(const json& v) {
  if (v.is_number()) return v;
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  const char* b = s.data();
  const char* e = b + s.size();
  if (s.empty() || !(digit(s[0]) || (s[0] == '-' && s.size() > 1 && digit(s[1])))) return std::nullopt;
  std::int64_t n = 0;
  if (auto r = std::from_chars(b, e, n); r.ec == std::errc() && r.ptr == e) return json(n);
  double d = 0;
  if (auto r = std::from_chars(b, e, d, std::chars_format::fixed); r.ec == std::errc() && r.ptr == e && std::isfinite(d))
    return json(d);
  return std::nullopt;
}

std::optional<std::int64_t> as_integer(const json& v) {
  auto n = as_number(v);
  if (!n) return std::nullopt;
  if (n->is_number_unsigned()) {  // nlohmann's type of every non-negative integer it parses
    std::uint64_t u = n->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (n->is_number_integer()) return n->get<std::int64_t>();
  double d = n->get<double>();
  if (d != std::floor(d) || std::fabs(d) > 9.0e15) return std::nullopt;
  return static_cast<std::int64_t>(d);
}

// ---- Dates ------------------------------------------------------------------------------

struct Instant {
  std::int64_t ms = 0;     // since the epoch, UTC
  bool date_only = false;  // the text was "YYYY-MM-DD"
};

bool digits(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return false;
  for (std::size_t k = at; k < at + n; ++k)
    if (!digit(s[k])) return false;
  return true;
}

int two(std::string_view s, std::size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

// "YYYY-MM-DD", or that with "THH:MM[:SS[.fff...]]" and an optional "Z" or "±HH[:MM]".
// Stricter than parse_day alone, which would take "2026-1-05T..."; parse_day still decides
// whether the day exists.
std::optional<Instant> parse_instant(std::string_view s) {
  if (!digits(s, 0, 4) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' || !digits(s, 8, 2))
    return std::nullopt;
  auto day = parse_day(s);
  if (!day) return std::nullopt;
  Instant out;
  out.ms = std::chrono::duration_cast<std::chrono::milliseconds>(day->time_since_epoch()).count();
  if (s.size() == 10) {
    out.date_only = true;
    return out;
  }
  if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2) || s.size() < 16 || s[13] != ':' ||
      !digits(s, 14, 2))
    return std::nullopt;
  int h = two(s, 11), mi = two(s, 14), sec = 0, ms = 0;
  std::size_t i = 16;
  if (i < s.size() && s[i] == ':') {
    if (!digits(s, i + 1, 2)) return std::nullopt;
    sec = two(s, i + 1);
    i += 3;
    if (i < s.size() && s[i] == '.') {
      std::size_t k = ++i;
      while (i < s.size() && digit(s[i])) {
        if (i - k < 3) ms = ms * 10 + (s[i] - '0');
        ++i;
      }
      if (i == k) return std::nullopt;
      for (std::size_t n = i - k; n < 3; ++n) ms *= 10;
    }
  }
  if (h > 23 || mi > 59 || sec > 59) return std::nullopt;
  std::int64_t offset_minutes = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '-' ? -1 : 1;
    if (!digits(s, i + 1, 2)) return std::nullopt;
    int oh = two(s, i + 1), om = 0;
    i += 3;
    if (i < s.size() && s[i] == ':') ++i;
    if (digits(s, i, 2)) {
      om = two(s, i);
      i += 2;
    }
    if (oh > 23 || om > 59) return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  }
  if (i != s.size()) return std::nullopt;
  out.ms += ((h * 60 + mi - offset_minutes) * 60 + sec) * 1000LL + ms;
  return out;
}

constexpr std::array<std::string_view, 12> kMonths = {"January", "February", "March",     "April",   "May",      "June",
                                                      "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> kWeekdays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};

std::string format_instant(std::int64_t ms, std::string_view fmt) {
  using namespace std::chrono;
  sys_time<milliseconds> t{milliseconds(ms)};
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss tod{t - day};
  unsigned wd = weekday{day}.c_encoding();
  unsigned mon = static_cast<unsigned>(ymd.month());
  std::string out;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%' || i + 1 >= fmt.size()) {
      out += fmt[i];
      continue;
    }
    switch (fmt[++i]) {
      case 'Y': out += fmt::format("{:04}", static_cast<int>(ymd.year())); break;
      case 'm': out += fmt::format("{:02}", mon); break;
      case 'd': out += fmt::format("{:02}", static_cast<unsigned>(ymd.day())); break;
      case 'e': out += fmt::format("{:2}", static_cast<unsigned>(ymd.day())); break;
      case 'H': out += fmt::format("{:02}", tod.hours().count()); break;
      case 'M': out += fmt::format("{:02}", tod.minutes().count()); break;
      case 'S': out += fmt::format("{:02}", tod.seconds().count()); break;
      case 'b': out += kMonths[mon - 1].substr(0, 3); break;
      case 'B': out += kMonths[mon - 1]; break;
      case 'a': out += kWeekdays[wd].substr(0, 3); break;
      case 'A': out += kWeekdays[wd]; break;
      case '%': out += '%'; break;
      default: out += '%'; out += fmt[i];  // refused at parse time when literal
    }
  }
  return out;
}

// ---- Filters ----------------------------------------------------------------------------

// The value flowing through an expression's filters: a pointer into the context while no
// filter has changed it (no copy of a big object just to print it), an owned value after.
struct Val {
  const json* ref = nullptr;
  json own;
  bool missing = false;
  const json& get() const { return ref ? *ref : own; }
  void set(json v) {
    own = std::move(v);
    ref = nullptr;
    missing = false;
  }
};

Error not_set(std::string_view field, std::string_view path) {
  return at_error(field, "variable '" + std::string(path) + "' is not set");
}


Status apply(const FilterCall& f, Val& v, const json& context, std::string_view field) {
  const FilterKind kind = f.spec->kind;
  if (v.missing && kind != FilterKind::Default) return {};  // only default can fill a gap
  static const json kNone;
  const json* arg_ptr = &kNone;
  if (f.arg.kind == Arg::Literal) {
    arg_ptr = &f.arg.literal;
  } else if (f.arg.kind == Arg::Path) {
    arg_ptr = resolve(context, f.arg.path);
    if (!arg_ptr) return fail(not_set(field, f.arg.path));
  }
  const json& arg = *arg_ptr;
  const json& in = v.get();
  if (kind == FilterKind::Default) {
    if (v.missing || in.is_null() || (in.is_string() && in.get_ref<const std::string&>().empty())) v.set(arg);
    return {};
  }
  if (kind == FilterKind::Json) {
    v.set(dump(in));
    return {};
  }
  if (in.is_null()) return {};
  // Built only on the error paths: rendering is per step per run.
  const auto what = [&] { return "filter '" + std::string(f.spec->name) + "' "; };
  auto shown = [&] {
    std::string s = dump(in);
    return s.size() > 40 ? s.substr(0, 40) + "..." : s;
  };
  switch (kind) {
    case FilterKind::Upper:
    case FilterKind::Lower: {
      std::string s = text_of(in);
      for (char& c : s) {
        if (kind == FilterKind::Upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (kind == FilterKind::Lower && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      v.set(std::move(s));
      return {};
    }
    case FilterKind::Money: {
      auto amount = as_integer(in);
      if (!amount) return fail(at_error(field, what() + "needs an amount in minor units, got " + shown()));
      if (!arg.is_string()) return fail(at_error(field, what() + "needs a currency code, got " + dump(arg)));
      const std::string& code = arg.get_ref<const std::string&>();
      auto exponent = currency_exponent(code);
      if (!exponent) return fail(at_error(field, "unknown currency '" + code + "'"));
      std::string upper = code;
      for (char& c : upper)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      v.set(display_money(*amount, upper));
      return {};
    }
    case FilterKind::Date:
    case FilterKind::Days: {
      std::optional<Instant> t = in.is_string() ? parse_instant(in.get_ref<const std::string&>()) : std::nullopt;
      if (!t) return fail(at_error(field, what() + "needs an ISO date or timestamp, got " + shown()));
      if (kind == FilterKind::Date) {
        std::string fmt = "%Y-%m-%d";
        if (f.arg.kind != Arg::None) {
          std::string bad;
          if (!arg.is_string() || !valid_date_format(arg.get_ref<const std::string&>(), bad))
            return fail(at_error(field, what() + "needs a format like \"%d %b %Y\", got " + dump(arg)));
          fmt = arg.get<std::string>();
        }
        v.set(format_instant(t->ms, fmt));
        return {};
      }
      auto n = as_integer(arg);
      // ±3.65 million days keeps years 0000-9999 reachable and the arithmetic far from overflow.
      if (!n || *n > 3'650'000 || *n < -3'650'000)
        return fail(at_error(field, what() + "needs a whole number of days, got " + dump(arg)));
      std::int64_t ms = t->ms + *n * 86'400'000LL;
      int year = static_cast<int>(std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(
                                                                  std::chrono::sys_time<std::chrono::milliseconds>(
                                                                      std::chrono::milliseconds(ms)))}
                                      .year());
      if (year < 0 || year > 9999) return fail(at_error(field, what() + "goes outside the years 0000-9999"));
      v.set(format_instant(ms, t->date_only ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%S") +
            (t->date_only ? "" : fmt::format(".{:03}Z", ((ms % 1000) + 1000) % 1000)));
      return {};
    }
    case FilterKind::Round:
    case FilterKind::Percent: {
      auto n = as_number(in);
      if (!n) return fail(at_error(field, what() + "needs a number, got " + shown()));
      if (kind == FilterKind::Round) {
        if (n->is_number_integer() || n->is_number_unsigned()) {
          v.set(std::move(*n));
          return {};
        }
        double r = std::round(n->get<double>());
        if (std::fabs(r) > 9.0e15) return fail(at_error(field, what() + "got a number too large"));
        v.set(static_cast<std::int64_t>(r));
        return {};
      }
      if (n->is_number_integer() || n->is_number_unsigned()) {
        v.set(text_of(*n) + "%");
        return {};
      }
      double r = std::round(n->get<double>() * 10.0) / 10.0;
      v.set(r == std::floor(r) ? fmt::format("{:.0f}%", r) : fmt::format("{:.1f}%", r));
      return {};
    }
    case FilterKind::Plus:
    case FilterKind::Minus: {
      auto a = as_integer(in);
      if (!a) return fail(at_error(field, what() + "needs a whole number, got " + shown()));
      auto b = as_integer(arg);
      if (!b) return fail(at_error(field, what() + "needs a whole number argument, got " + dump(arg)));
      std::int64_t r = 0;
      bool overflow = kind == FilterKind::Plus ? __builtin_add_overflow(*a, *b, &r) : __builtin_sub_overflow(*a, *b, &r);
      if (overflow) return fail(at_error(field, what() + "overflows"));
      v.set(r);
      return {};
    }
    default: return {};
  }
}

// The value of one expression: the variable through its filters.
Result<Val> evaluate(const Segment& seg, const json& context, std::string_view field) {
  Val v;
  v.ref = resolve(context, seg.path);
  v.missing = v.ref == nullptr;
  for (const auto& f : seg.filters)
    if (auto st = apply(f, v, context, field); !st) return fail(st.error());
  return v;
}

Result<std::string> render_segments(const std::vector<Segment>& segs, const json& context, std::string_view field) {
  std::string out;
  for (const auto& seg : segs) {
    if (!seg.is_expr) {
      out += seg.literal;
      continue;
    }
    auto v = evaluate(seg, context, field);
    if (!v) return fail(v.error());
    if (v->missing) return fail(not_set(field, seg.path));
    append_text(out, v->get());
  }
  return out;
}

bool sole_variable(const std::vector<Segment>& segs) {
  return segs.size() == 1 && segs[0].is_expr && segs[0].filters.empty();
}

// A string of render_value. `missing` (when given) is set instead of failing when the string
// is exactly one variable that is not set: isEmpty asks exactly that question.
Result<json> render_string(const std::string& text, const json& context, std::string_view field, bool* missing) {
  if (text.find("{{") == std::string::npos) return json(text);  // the common case: plain text
  auto segs = parse(text, field);
  if (!segs) return fail(segs.error());
  if (sole_variable(*segs)) {
    const json* v = resolve(context, (*segs)[0].path);
    if (v) return *v;
    if (missing) {
      *missing = true;
      return json();
    }
    return fail(not_set(field, (*segs)[0].path));
  }
  auto s = render_segments(*segs, context, field);
  if (!s) return fail(s.error());
  return json(std::move(*s));
}

constexpr int kMaxDepth = 32;

Result<json> render_json(const json& value, const json& context, const std::string& field, int depth) {
  if (depth > kMaxDepth) return fail(at_error(field, "nested too deeply (at most 32 levels)"));
  if (value.is_string()) return render_string(value.get_ref<const std::string&>(), context, field, nullptr);
  if (value.is_object()) {
    json out = json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      auto r = render_json(it.value(), context, field + "." + it.key(), depth + 1);
      if (!r) return fail(r.error());
      out[it.key()] = std::move(*r);
    }
    return out;
  }
  if (value.is_array()) {
    json out = json::array();
    for (std::size_t i = 0; i < value.size(); ++i) {
      auto r = render_json(value[i], context, field + "[" + std::to_string(i) + "]", depth + 1);
      if (!r) return fail(r.error());
      out.push_back(std::move(*r));
    }
    return out;
  }
  return value;
}

Status value_references(const json& value, const std::string& field, std::vector<std::string>& refs, int depth) {
  if (depth > kMaxDepth) return fail(at_error(field, "nested too deeply (at most 32 levels)"));
  if (value.is_string()) {
    auto r = template_references(value.get_ref<const std::string&>(), field);
    if (!r) return fail(r.error());
    for (const auto& p : *r) add_unique(refs, p);
  } else if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it)
      if (auto st = value_references(it.value(), field + "." + it.key(), refs, depth + 1); !st) return st;
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i)
      if (auto st = value_references(value[i], field + "[" + std::to_string(i) + "]", refs, depth + 1); !st) return st;
  }
  return {};
}

// ---- Conditions -------------------------------------------------------------------------

enum class Op { Eq, Neq, Gt, Gte, Lt, Lte, Contains, In, IsEmpty, IsNotEmpty };

constexpr std::array<std::pair<std::string_view, Op>, 10> kOps = {{{"eq", Op::Eq},
                                                                   {"neq", Op::Neq},
                                                                   {"gt", Op::Gt},
                                                                   {"gte", Op::Gte},
                                                                   {"lt", Op::Lt},
                                                                   {"lte", Op::Lte},
                                                                   {"contains", Op::Contains},
                                                                   {"in", Op::In},
                                                                   {"isEmpty", Op::IsEmpty},
                                                                   {"isNotEmpty", Op::IsNotEmpty}}};

bool unary(Op op) { return op == Op::IsEmpty || op == Op::IsNotEmpty; }

// Checks one node's shape (not its children) and answers its op for a comparison.
Result<std::optional<Op>> check_node(const json& c, const std::string& field, int depth) {
  if (depth > kMaxDepth) return fail(at_error(field, "conditions nest too deeply (at most 32 levels)"));
  if (!c.is_object())
    return fail(at_error(field, "a condition is an object: {left, op, right}, {all: [...]}, {any: [...]} or {not: ...}"));
  int forms = int(c.contains("op")) + int(c.contains("all")) + int(c.contains("any")) + int(c.contains("not"));
  if (forms != 1)
    return fail(at_error(field, forms == 0 ? "a condition needs op, all, any or not"
                                           : "a condition has only one of op, all, any and not"));
  if (!c.contains("op")) {
    const char* key = c.contains("all") ? "all" : c.contains("any") ? "any" : "not";
    if (c.size() != 1) return fail(at_error(field, std::string("a condition with '") + key + "' has no other keys"));
    const json& inner = *c.begin();
    if (key[0] != 'n' && !inner.is_array())
      return fail(at_error(field + "." + key, "a list of conditions"));
    return std::optional<Op>();
  }
  for (auto it = c.begin(); it != c.end(); ++it)
    if (it.key() != "left" && it.key() != "op" && it.key() != "right")
      return fail(at_error(field + "." + it.key(), "unknown key '" + it.key() + "' (left, op, right)"));
  const json& op_value = c["op"];
  std::string_view name = op_value.is_string() ? std::string_view(op_value.get_ref<const std::string&>()) : "";
  auto op = std::find_if(kOps.begin(), kOps.end(), [&](const auto& o) { return o.first == name; });
  if (op == kOps.end())
    return fail(at_error(field + ".op", "unknown op " + dump(op_value) +
                                            " (eq, neq, gt, gte, lt, lte, contains, in, isEmpty, isNotEmpty)"));
  if (!c.contains("left")) return fail(at_error(field + ".left", "left is required"));
  if (!unary(op->second) && !c.contains("right")) return fail(at_error(field + ".right", "right is required for " +
                                                                                             std::string(name)));
  return std::optional<Op>(op->second);
}

// Visits every node (shape only) — for activation, and before a run evaluates anything so
// that a bad branch fails even when short-circuiting would skip it.
Status walk(const json& c, const std::string& field, int depth, std::vector<std::string>* refs) {
  auto op = check_node(c, field, depth);
  if (!op) return fail(op.error());
  if (*op) {
    if (!refs) return {};
    if (auto st = value_references(c["left"], field + ".left", *refs, 0); !st) return st;
    if (!unary(**op))
      if (auto st = value_references(c["right"], field + ".right", *refs, 0); !st) return st;
    return {};
  }
  if (c.contains("not")) return walk(c["not"], field + ".not", depth + 1, refs);
  const char* key = c.contains("all") ? "all" : "any";
  const json& list = c[key];
  for (std::size_t i = 0; i < list.size(); ++i)
    if (auto st = walk(list[i], field + "." + key + "[" + std::to_string(i) + "]", depth + 1, refs); !st) return st;
  return {};
}

// A number when it is one or when it is a numeric string and the other side is a number.
void coerce(json& a, json& b) {
  if (a.is_number() && b.is_string()) {
    if (auto n = as_number(b)) b = std::move(*n);
  } else if (b.is_number() && a.is_string()) {
    if (auto n = as_number(a)) a = std::move(*n);
  }
}

bool equal(json a, json b) {
  coerce(a, b);
  return a == b;
}

bool is_empty(const json& v) {
  return v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()) ||
         ((v.is_array() || v.is_object()) && v.empty());
}

bool contains(const json& hay, const json& needle) {
  if (hay.is_string()) {
    if (!needle.is_string() && !needle.is_number() && !needle.is_boolean()) return false;
    return hay.get_ref<const std::string&>().find(text_of(needle)) != std::string::npos;
  }
  if (hay.is_array()) return std::any_of(hay.begin(), hay.end(), [&](const json& e) { return equal(e, needle); });
  if (hay.is_object()) return needle.is_string() && hay.contains(needle.get_ref<const std::string&>());
  return false;
}

Result<bool> eval(const json& c, const json& context, const std::string& field) {
  if (c.contains("not")) {
    auto r = eval(c["not"], context, field + ".not");
    if (!r) return r;
    return !*r;
  }
  if (c.contains("all") || c.contains("any")) {
    const bool all = c.contains("all");
    const char* key = all ? "all" : "any";
    const json& list = c[key];
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto r = eval(list[i], context, field + "." + key + "[" + std::to_string(i) + "]");
      if (!r) return r;
      if (*r != all) return *r;  // all: the first false decides; any: the first true
    }
    return all;
  }
  const std::string_view name = c["op"].get_ref<const std::string&>();
  const Op op = std::find_if(kOps.begin(), kOps.end(), [&](const auto& o) { return o.first == name; })->second;
  bool missing = false;
  const json& left_in = c["left"];
  Result<json> left = left_in.is_string()
                          ? render_string(left_in.get_ref<const std::string&>(), context, field + ".left",
                                          unary(op) ? &missing : nullptr)
                          : render_json(left_in, context, field + ".left", 0);
  if (!left) return fail(left.error());
  if (op == Op::IsEmpty) return missing || is_empty(*left);
  if (op == Op::IsNotEmpty) return !missing && !is_empty(*left);
  auto right = render_json(c["right"], context, field + ".right", 0);
  if (!right) return fail(right.error());
  json a = std::move(*left), b = std::move(*right);
  switch (op) {
    case Op::Eq: return equal(std::move(a), std::move(b));
    case Op::Neq: return !equal(std::move(a), std::move(b));
    case Op::Contains: return contains(a, b);
    case Op::In: return contains(b, a);
    default: break;
  }
  coerce(a, b);
  if (!((a.is_number() && b.is_number()) || (a.is_string() && b.is_string()))) return false;
  switch (op) {
    case Op::Gt: return b < a;
    case Op::Gte: return !(a < b);
    case Op::Lt: return a < b;
    case Op::Lte: return !(b < a);
    default: return false;
  }
}

}  // namespace

Result<std::vector<std::string>> template_references(std::string_view text, std::string_view field) {
  std::vector<std::string> refs;
  if (text.find("{{") == std::string_view::npos) return refs;
  auto segs = parse(text, field);
  if (!segs) return fail(segs.error());
  for (const auto& seg : *segs) {
    if (!seg.is_expr) continue;
    add_unique(refs, seg.path);
    for (const auto& f : seg.filters)
      if (f.arg.kind == Arg::Path) add_unique(refs, f.arg.path);
  }
  return refs;
}

Result<std::string> render_template(std::string_view text, const json& context, std::string_view field) {
  if (text.find("{{") == std::string_view::npos) return std::string(text);
  auto segs = parse(text, field);
  if (!segs) return fail(segs.error());
  return render_segments(*segs, context, field);
}

Result<json> render_value(const json& value, const json& context, std::string_view field) {
  return render_json(value, context, std::string(field), 0);
}

std::optional<json> resolve_path(const json& context, std::string_view path) {
  std::string error;
  if (scan_path(path, 0, error) != path.size()) return std::nullopt;
  const json* v = resolve(context, path);
  if (!v) return std::nullopt;
  return *v;
}

std::optional<std::string> first_unknown_reference(const std::vector<std::string>& paths,
                                                   const std::vector<std::string>& known) {
  auto accepted = [&](std::string_view path) {
    for (std::string_view k : known) {
      if (k.size() >= 2 && k.substr(k.size() - 2) == ".*") {
        std::string_view prefix = k.substr(0, k.size() - 2);
        if (path.substr(0, prefix.size()) == prefix &&
            (path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '['))
          return true;
      } else if (path == k) {
        return true;
      }
    }
    return false;
  };
  for (const auto& p : paths)
    if (!accepted(p)) return p;
  return std::nullopt;
}

Result<bool> evaluate_condition(const json& condition, const json& context, std::string_view field) {
  std::string f(field);
  if (auto st = walk(condition, f, 0, nullptr); !st) return fail(st.error());
  return eval(condition, context, f);
}

Result<std::vector<std::string>> condition_references(const json& condition, std::string_view field) {
  std::vector<std::string> refs;
  if (auto st = walk(condition, std::string(field), 0, &refs); !st) return fail(st.error());
  return refs;
}

}  // namespace settle::workflow
