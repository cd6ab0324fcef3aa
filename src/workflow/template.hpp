// Template variables of workflow steps (docs/workflows.md, "Variables") and the conditions of
// IF steps and filters.
//
// Syntax
//   {{ path }}              a variable; whitespace inside the braces is allowed.
//   path                    dot-separated names and [n] indexes from a root of the run's
//                           context: trigger.record.name, trigger.before.status,
//                           steps.find_contact.records[0].email, item.amount, workflow.name,
//                           run.id, now. A name is [A-Za-z_][A-Za-z0-9_]*; n is 0-based.
//   {{ path | f | g: arg }} filters, applied left to right. An argument is a path, a quoted
//                           literal ("EUR" or 'EUR', with \" \' \\ escapes) or a number (7, -1.5).
//   \{{                     a literal "{{" (no other backslash is special).
// Filters
//   money: currency   integer minor units -> "USD 1,250.00" (the currency's own number of
//                     decimals: "JPY 1,250", "KWD 1.250").
//   date[: "fmt"]     ISO date or timestamp text -> formatted, in UTC (a timestamp with an
//                     offset is converted; one without is taken as written). Default "%Y-%m-%d".
//                     Specifiers: %Y %m %d %H %M %S %b %B %a %A %e (space-padded, as strftime) %%.
//   days: n           adds n days (n may be negative) to an ISO date or timestamp and gives ISO
//                     text of the same form: "2026-11-30", or "2026-11-30T10:00:00.000Z".
//   default: v        v when the value is missing, null or "". The only filter that accepts a
//                     missing variable; every other filter passes a missing value on unchanged,
//                     so `{{ x | upper | default: "n/a" }}` works too.
//   upper, lower      ASCII case of the value's text (other bytes, e.g. UTF-8, are kept).
//   json              compact JSON of the value ("abc" -> "\"abc\"", null -> "null").
//   round             number -> nearest whole number (halves away from zero).
//   percent           number (already a percentage) -> "42%", or "42.5%" with one decimal when
//                     not whole.
//   plus: n, minus: n whole numbers only.
// Every filter except default and json passes null on unchanged, so a blank field renders as
// "" (or its default) instead of failing the run.
//
// Rendering: strings as they are, numbers and booleans as JSON text, null as "", objects and
// arrays as compact JSON. A variable that is not set (and has no default) is an error naming
// the variable: a run should fail visibly rather than send "Hello ," to a customer.
//
// Why references are exposed: activation checks every variable a step uses against what the
// trigger and the earlier steps provide (definition.cpp), so that a typo is an error when the
// workflow is switched on, not a surprise in the middle of a run at 3 a.m.
//
// Error positions ("unclosed '{{' at 14") count bytes of the template from 1.
// Pure and allocation-light: one pass over the text, no regex, no exceptions on the normal
// path (templates are rendered for every step of every run).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace settle::workflow {

using json = nlohmann::json;

// Every variable path a template refers to, as written and without duplicates, in order of
// appearance ("trigger.record.name", "steps.s1.count"), including paths used as filter
// arguments. A syntax error is Error::validation(field, message) where `field` is the step
// field holding the template ("steps[2].subject") and the message names the position and the
// problem ("unclosed '{{' at 14", "unknown filter 'monye' at 30").
Result<std::vector<std::string>> template_references(std::string_view text, std::string_view field);

// Renders `text` against `context` (a JSON object with keys trigger, steps, item, workflow,
// run, now...). A missing variable is Error::validation(field, "variable 'steps.x.y' is not
// set"); a filter given the wrong kind of value (money on a word) is a validation error too.
Result<std::string> render_template(std::string_view text, const json& context, std::string_view field);

// Renders every string in `value` (object values and array items, recursively; not keys). A
// string that is exactly one variable without filters ("{{steps.find.records}}") becomes the
// variable's value with its type (an array, a number...); any other string becomes text.
// Errors name the nested field: field + ".to", field + ".lines[2]".
Result<json> render_value(const json& value, const json& context, std::string_view field);

// The value at `path` (no braces) in `context`; nullopt when missing or not a valid path.
std::optional<json> resolve_path(const json& context, std::string_view path);

// Activation support: the first of `paths` that falls under none of the `known` entries, or
// nullopt. An entry ending in ".*" ("trigger.record.*", "steps.s1.*") accepts its prefix itself
// and every path below it ("trigger.record.name", "steps.s1.records[0]"); any other entry
// ("run.id", "now") accepts exactly that path.
std::optional<std::string> first_unknown_reference(const std::vector<std::string>& paths,
                                                   const std::vector<std::string>& known);

// Conditions of IF and filter steps:
//   {"left": <value|template>, "op": "<op>", "right": <value|template>}
//   {"all": [cond...]}  (true when empty)   {"any": [cond...]}  (false when empty)
//   {"not": cond}
// op is eq, neq, gt, gte, lt, lte, contains, in, isEmpty, isNotEmpty (the last two take no
// right). left and right are rendered with render_value first, so "{{steps.s.count}}" is
// compared as the number it is. Then:
//  - a numeric string counts as a number when the other side is a number ("42" eq 42);
//  - gt/gte/lt/lte order numbers numerically and strings byte-wise (ISO dates and timestamps
//    of one form order correctly that way); any other pair (null, booleans, a word against a
//    number) is not ordered and the comparison is false, as NULL is in SQL;
//  - eq/neq compare any JSON (1 eq 1.0);
//  - contains: a string contains a substring, an array an element (eq), an object a key;
//    in is contains with the sides swapped;
//  - isEmpty: null, "", [] or {} — or a left that is exactly one variable that is not set,
//    so "does the step have an email?" needs no default. Other ops fail on a missing variable.
// any/all short-circuit, so {"all": [x isNotEmpty, x.y gt 3]} never fails on a missing x.
// A bad shape (unknown op, missing left/right, all not a list, mixed forms, unknown keys,
// nesting deeper than 32) is Error::validation(field + path, ...), e.g. field ".all[1].op".
Result<bool> evaluate_condition(const json& condition, const json& context, std::string_view field);

// The template references of a condition (for activation), with the same shape and syntax
// errors as evaluate_condition; without duplicates, in order of appearance.
Result<std::vector<std::string>> condition_references(const json& condition, std::string_view field);

}  // namespace settle::workflow
