// Tests for workflow/template.hpp: references (what activation checks), rendering with every
// filter, type-preserving render_value, reference checking and conditions.
#include "workflow/template.hpp"

#include <gtest/gtest.h>

namespace settle::workflow {
namespace {

// One run's context, shaped as the runner builds it.
json context() {
  return json::parse(R"({
    "trigger": {
      "record": {
        "id": "rec_1", "name": "Acme", "total": 125000, "refund": -125000, "currency": "USD",
        "expiresAt": "2026-11-23", "endOfYear": "2026-12-31", "createdAt": "2026-11-23T10:15:30.250Z",
        "offsetAt": "2026-11-23T01:30:00+02:00", "localTime": "2026-11-23T06:00:00",
        "amount": 42, "amountText": "42", "percentUsed": 42.5, "ratio": 42, "big": 123456789,
        "notes": null, "empty": "", "active": true, "tags": ["a", "b"],
        "owner": {"name": "Ann", "email": "ann@example.com"}
      },
      "before": {"status": "Open"}
    },
    "steps": {
      "find_contact": {"records": [{"email": "a@example.com", "firstName": "Ann"}, {"email": "b@example.com"}],
                       "count": 2},
      "empty_find": {"records": [], "count": 0}
    },
    "item": {"amount": 5000, "currency": "EUR"},
    "workflow": {"name": "Welcome"},
    "run": {"id": "run_1"},
    "now": "2026-12-02T21:00:00.000Z"
  })");
}

// ---- template_references -----------------------------------------------------------------

TEST(TemplateReferences, Table) {
  struct Case {
    const char* text;
    std::vector<std::string> refs;
    const char* error;  // substring of the message; nullptr: no error
  };
  const Case cases[] = {
      {"Hello", {}, nullptr},
      {"{{ trigger.record.name }}", {"trigger.record.name"}, nullptr},
      {"{{trigger.record.name}} and {{  trigger.record.name\t}}", {"trigger.record.name"}, nullptr},
      {"{{ steps.find_contact.records[0].email }}", {"steps.find_contact.records[0].email"}, nullptr},
      {"{{ trigger.record.total | money: trigger.record.currency }}",
       {"trigger.record.total", "trigger.record.currency"}, nullptr},
      {"{{ item.amount | money: \"EUR\" }}", {"item.amount"}, nullptr},
      {"{{ a | default: b | upper }} {{ c | minus: a }}", {"a", "b", "c"}, nullptr},
      {"\\{{ not.a.var }} {{ run.id }}", {"run.id"}, nullptr},
      {"{{ x | days: -7 }}{{ now | date: '%Y %%' }}", {"x", "now"}, nullptr},
      {"{{ x | default: \"}} | y\" }}", {"x"}, nullptr},
      {"Hi {{ name", {}, "unclosed '{{' at 4"},
      {"{{ a }} {{ b", {}, "unclosed '{{' at 9"},
      {"{{ a | monye }}", {}, "unknown filter 'monye' at 8"},
      {"{{ }}", {}, "empty '{{ }}' at 1"},
      {"{{ a.b[x] }}", {}, "expected an index like [0] at 7"},
      {"{{ a. }}", {}, "expected a name after '.' at 5"},
      {"{{ 1abc }}", {}, "expected a variable name at 4"},
      {"{{ a b }}", {}, "unexpected 'b' at 6"},
      {"{{ a | }}", {}, "expected a filter name after '|' at 8"},
      {"{{ a | plus }}", {}, "filter 'plus' needs an argument at 8"},
      {"{{ a | upper: 1 }}", {}, "filter 'upper' takes no argument at 13"},
      {"{{ a | plus: \"3\" }}", {}, "filter 'plus' needs a whole number at 14"},
      {"{{ a | money: \"EURO\" }}", {}, "unknown currency 'EURO' at 15"},
      {"{{ a | date: \"%Q\" }}", {}, "unknown date format '%Q' at 14"},
      {"{{ a | default: \"x }}", {}, "unclosed quote at 17"},
  };
  for (const auto& c : cases) {
    auto r = template_references(c.text, "steps[2].subject");
    if (c.error) {
      ASSERT_FALSE(r) << c.text;
      EXPECT_EQ(r.error().code, ErrorCode::Validation) << c.text;
      EXPECT_EQ(r.error().field, "steps[2].subject") << c.text;
      EXPECT_NE(r.error().message.find(c.error), std::string::npos) << c.text << " -> " << r.error().message;
    } else {
      ASSERT_TRUE(r) << c.text << " -> " << r.error().message;
      EXPECT_EQ(*r, c.refs) << c.text;
    }
  }
}

// ---- render_template ---------------------------------------------------------------------

TEST(TemplateRender, Table) {
  struct Case {
    const char* text;
    const char* out;    // nullptr: an error
    const char* error;  // substring of the message when out is nullptr
  };
  const Case cases[] = {
      {"no variables", "no variables", nullptr},
      {"Hello {{ trigger.record.name }}!", "Hello Acme!", nullptr},
      {"{{trigger.before.status}}", "Open", nullptr},
      {"{{ steps.find_contact.records[0].email }}", "a@example.com", nullptr},
      {"{{ steps.find_contact.records[1].email }}", "b@example.com", nullptr},
      {"{{ steps.find_contact.count }} found", "2 found", nullptr},
      {"{{ workflow.name }} / {{ run.id }} / {{ now }}", "Welcome / run_1 / 2026-12-02T21:00:00.000Z", nullptr},
      {"[{{ trigger.record.notes }}]", "[]", nullptr},
      {"{{ trigger.record.active }}", "true", nullptr},
      {"{{ trigger.record.percentUsed }}", "42.5", nullptr},
      {"{{ trigger.record.owner }}", R"({"email":"ann@example.com","name":"Ann"})", nullptr},
      {"{{ trigger.record.tags }}", R"(["a","b"])", nullptr},
      {"\\{{ literal }} {{ run.id }}", "{{ literal }} run_1", nullptr},
      // money
      {"{{ trigger.record.total | money: trigger.record.currency }}", "USD 1,250.00", nullptr},
      {"{{ item.amount | money: item.currency }}", "EUR 50.00", nullptr},
      {"{{ trigger.record.total | money: \"JPY\" }}", "JPY 125,000", nullptr},
      {"{{ trigger.record.big | money: 'usd' }}", "USD 1,234,567.89", nullptr},
      {"{{ trigger.record.refund | money: \"USD\" }}", "USD -1,250.00", nullptr},
      {"{{ trigger.record.amount | money: \"KWD\" }}", "KWD 0.042", nullptr},
      {"{{ trigger.record.notes | money: \"USD\" | default: '-' }}", "-", nullptr},
      // date and days
      {"{{ trigger.record.expiresAt | date: \"%d %b %Y\" }}", "23 Nov 2026", nullptr},
      {"{{ trigger.record.expiresAt | date: '%A,%e %B' }}", "Monday,23 November", nullptr},
      {"{{ trigger.record.createdAt | date: '%Y-%m-%d %H:%M:%S %a %%' }}", "2026-11-23 10:15:30 Mon %", nullptr},
      {"{{ trigger.record.expiresAt | date }}", "2026-11-23", nullptr},
      {"{{ trigger.record.offsetAt | date: '%d %H:%M' }}", "22 23:30", nullptr},
      {"{{ trigger.record.localTime | date: '%B %Y, %H:%M' }}", "November 2026, 06:00", nullptr},
      {"{{ trigger.record.expiresAt | days: 7 }}", "2026-11-30", nullptr},
      {"{{ trigger.record.endOfYear | days: 1 }}", "2027-01-01", nullptr},
      {"{{ trigger.record.createdAt | days: -30 }}", "2026-10-24T10:15:30.250Z", nullptr},
      {"{{ trigger.record.expiresAt | days: 7 | date: '%a %e %b' }}", "Mon 30 Nov", nullptr},
      // numbers
      {"{{ trigger.record.ratio | percent }}", "42%", nullptr},
      {"{{ trigger.record.percentUsed | percent }}", "42.5%", nullptr},
      {"{{ trigger.record.percentUsed | round }}", "43", nullptr},
      {"{{ trigger.record.amount | plus: 3 }}", "45", nullptr},
      {"{{ trigger.record.amount | minus: steps.find_contact.count }}", "40", nullptr},
      {"{{ trigger.record.amountText | plus: -50 }}", "-8", nullptr},
      // text
      {"{{ trigger.record.name | upper }}", "ACME", nullptr},
      {"{{ trigger.record.name | lower }}", "acme", nullptr},
      {"{{ trigger.record.name | json }}", "\"Acme\"", nullptr},
      {"{{ trigger.record.notes | json }}", "null", nullptr},
      {"{{ item | json }}", R"({"amount":5000,"currency":"EUR"})", nullptr},
      // default
      {"{{ trigger.record.nope | default: \"n/a\" }}", "n/a", nullptr},
      {"{{ trigger.record.notes | default: \"n/a\" }}", "n/a", nullptr},
      {"{{ trigger.record.empty | default: \"n/a\" }}", "n/a", nullptr},
      {"{{ trigger.record.name | default: \"n/a\" }}", "Acme", nullptr},
      {"{{ trigger.record.nope | default: trigger.before.status }}", "Open", nullptr},
      {"{{ trigger.record.nope | upper | default: 'x' | upper }}", "X", nullptr},
      {"{{ trigger.record.nope | default: 0 | plus: 1 }}", "1", nullptr},
      // errors
      {"Hi {{ steps.x.y }}", nullptr, "variable 'steps.x.y' is not set"},
      {"{{ steps.find_contact.records[5].email }}", nullptr,
       "variable 'steps.find_contact.records[5].email' is not set"},
      {"{{ trigger.record.name.first }}", nullptr, "variable 'trigger.record.name.first' is not set"},
      {"{{ trigger.record.total | money: trigger.record.cur }}", nullptr, "variable 'trigger.record.cur' is not set"},
      {"{{ trigger.record.name | money: 'USD' }}", nullptr, "filter 'money' needs an amount in minor units"},
      {"{{ trigger.record.total | money: trigger.record.name }}", nullptr, "unknown currency 'Acme'"},
      {"{{ trigger.record.name | date }}", nullptr, "filter 'date' needs an ISO date or timestamp"},
      {"{{ trigger.record.percentUsed | plus: 1 }}", nullptr, "filter 'plus' needs a whole number"},
      {"{{ trigger.record.name | percent }}", nullptr, "filter 'percent' needs a number"},
      {"{{ trigger.record.name | nope }}", nullptr, "unknown filter 'nope'"},
  };
  const json ctx = context();
  for (const auto& c : cases) {
    auto r = render_template(c.text, ctx, "steps[0].body");
    if (!c.out) {
      ASSERT_FALSE(r) << c.text << " -> " << *r;
      EXPECT_EQ(r.error().field, "steps[0].body") << c.text;
      EXPECT_NE(r.error().message.find(c.error), std::string::npos) << c.text << " -> " << r.error().message;
    } else {
      ASSERT_TRUE(r) << c.text << " -> " << r.error().message;
      EXPECT_EQ(*r, c.out) << c.text;
    }
  }
}

// ---- render_value ------------------------------------------------------------------------

TEST(TemplateRenderValue, KeepsTheTypeOfASoleVariable) {
  const json input = json::parse(R"({
    "to": "{{ steps.find_contact.records[0].email }}",
    "items": "{{steps.find_contact.records}}",
    "amount": "{{trigger.record.amount}}",
    "active": "{{ trigger.record.active }}",
    "notes": "{{ trigger.record.notes }}",
    "withFilter": "{{ trigger.record.amount | plus: 1 }}",
    "text": "n={{trigger.record.amount}}",
    "spaced": " {{trigger.record.amount}}",
    "{{ not.rendered }}": ["{{run.id}}", 5, null, true, {"deep": "{{ trigger.record.tags[1] }}"}]
  })");
  auto r = render_value(input, context(), "steps.s1");
  ASSERT_TRUE(r) << r.error().message;
  const json expected = json::parse(R"({
    "to": "a@example.com",
    "items": [{"email": "a@example.com", "firstName": "Ann"}, {"email": "b@example.com"}],
    "amount": 42,
    "active": true,
    "notes": null,
    "withFilter": "43",
    "text": "n=42",
    "spaced": " 42",
    "{{ not.rendered }}": ["run_1", 5, null, true, {"deep": "b"}]
  })");
  EXPECT_EQ(*r, expected);
  EXPECT_EQ(*render_value(json(7), context(), "x"), json(7));
  EXPECT_EQ(*render_value("{{trigger.record.amountText}}", context(), "x"), json("42"));
}

TEST(TemplateRenderValue, ErrorsNameTheNestedField) {
  auto r = render_value(json::parse(R"({"lines": ["ok", {"to": "{{ steps.x.email }}"}]})"), context(), "steps.s1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "steps.s1.lines[1].to");
  EXPECT_EQ(r.error().message, "variable 'steps.x.email' is not set");

  auto bad = render_value(json::parse(R"({"subject": "{{ a | monye }}"})"), context(), "steps.s1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "steps.s1.subject");
  EXPECT_EQ(bad.error().message, "unknown filter 'monye' at 8");
}

// ---- resolve_path and first_unknown_reference --------------------------------------------

TEST(TemplateResolvePath, Table) {
  struct Case {
    const char* path;
    std::optional<json> value;
  };
  const Case cases[] = {
      {"trigger.record.name", json("Acme")},
      {"steps.find_contact.records[1].email", json("b@example.com")},
      {"trigger.record.tags[0]", json("a")},
      {"trigger.record.notes", json(nullptr)},
      {"run", json{{"id", "run_1"}}},
      {"trigger.record.tags[2]", std::nullopt},
      {"trigger.record.name.x", std::nullopt},
      {"trigger.record[0]", std::nullopt},
      {"steps.nope", std::nullopt},
      {"", std::nullopt},
      {"trigger..record", std::nullopt},
      {"trigger.record.", std::nullopt},
      {"{{ run.id }}", std::nullopt},
  };
  const json ctx = context();
  for (const auto& c : cases) EXPECT_EQ(resolve_path(ctx, c.path), c.value) << c.path;
}

TEST(TemplateFirstUnknownReference, Table) {
  const std::vector<std::string> known = {"trigger.record.*", "steps.s1.*", "run.id", "now", "item", "item.*"};
  struct Case {
    std::vector<std::string> paths;
    std::optional<std::string> unknown;
  };
  const Case cases[] = {
      {{}, std::nullopt},
      {{"trigger.record.name", "steps.s1.records[0].email", "run.id", "now"}, std::nullopt},
      {{"trigger.record"}, std::nullopt},
      {{"steps.s1"}, std::nullopt},
      {{"item", "item.amount", "item[0]"}, std::nullopt},
      {{"trigger.record.name", "trigger.before.status"}, "trigger.before.status"},
      {{"steps.s12.count"}, "steps.s12.count"},  // a prefix of a name is not its parent
      {{"trigger.recordx"}, "trigger.recordx"},
      {{"run.idx"}, "run.idx"},
      {{"run"}, "run"},
      {{"run.id.x"}, "run.id.x"},
      {{"now", "steps.s2.x", "steps.s3.y"}, "steps.s2.x"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(first_unknown_reference(c.paths, known), c.unknown)
        << (c.paths.empty() ? std::string("(none)") : c.paths[0]);
  }
}

// ---- conditions --------------------------------------------------------------------------

TEST(TemplateCondition, Table) {
  struct Case {
    const char* condition;
    bool result;
  };
  const Case cases[] = {
      {R"({"left": "{{steps.find_contact.count}}", "op": "gt", "right": 0})", true},
      {R"({"left": "{{steps.empty_find.count}}", "op": "gt", "right": 0})", false},
      {R"({"left": "{{trigger.record.amountText}}", "op": "eq", "right": 42})", true},
      {R"({"left": 42, "op": "eq", "right": "42.0"})", true},
      {R"({"left": "{{trigger.record.amountText}}", "op": "gt", "right": 9})", true},   // as numbers
      {R"({"left": "{{trigger.record.amountText}}", "op": "gt", "right": "9"})", false},  // as text
      {R"({"left": "{{trigger.record.amount}}", "op": "eq", "right": 42.0})", true},
      {R"({"left": "{{trigger.record.name}} {{trigger.record.amount}}", "op": "eq", "right": "Acme 42"})", true},
      {R"({"left": "{{trigger.record.expiresAt}}", "op": "lt", "right": "2026-12-01"})", true},
      {R"({"left": "{{trigger.record.expiresAt}}", "op": "gte", "right": "2026-11-23"})", true},
      {R"({"left": "{{trigger.record.createdAt}}", "op": "lte", "right": "{{now}}"})", true},
      {R"({"left": "{{trigger.record.expiresAt | days: 10}}", "op": "gt", "right": "{{now}}"})", true},
      {R"({"left": "{{trigger.record.owner}}", "op": "eq", "right": {"name": "Ann", "email": "ann@example.com"}})",
       true},
      {R"({"left": "{{trigger.before.status}}", "op": "neq", "right": "Won"})", true},
      {R"({"left": "{{trigger.record.name}}", "op": "contains", "right": "cm"})", true},
      {R"({"left": "{{trigger.record.tags}}", "op": "contains", "right": "b"})", true},
      {R"({"left": "{{trigger.record.tags}}", "op": "contains", "right": "c"})", false},
      {R"({"left": "{{trigger.before.status}}", "op": "in", "right": ["Open", "Sent"]})", true},
      {R"({"left": "{{trigger.before.status}}", "op": "in", "right": ["Won", "Lost"]})", false},
      {R"({"left": "{{steps.find_contact.count}}", "op": "in", "right": ["1", "2"]})", true},
      {R"({"left": "{{trigger.record.empty}}", "op": "isEmpty"})", true},
      {R"({"left": "{{steps.empty_find.records}}", "op": "isEmpty"})", true},
      {R"({"left": "{{trigger.record.notes}}", "op": "isEmpty"})", true},
      {R"({"left": "{{trigger.record.missing}}", "op": "isEmpty"})", true},
      {R"({"left": "{{trigger.record.name}}", "op": "isEmpty"})", false},
      {R"({"left": "{{trigger.record.missing}}", "op": "isNotEmpty"})", false},
      {R"({"left": "{{steps.find_contact.records}}", "op": "isNotEmpty"})", true},
      {R"({"left": "{{trigger.record.notes}}", "op": "gt", "right": 0})", false},  // null is not ordered
      {R"({"left": "{{trigger.record.name}}", "op": "lt", "right": 5})", false},   // nor a word and a number
      {R"({"all": []})", true},
      {R"({"any": []})", false},
      {R"({"all": [{"left": 1, "op": "eq", "right": 1}, {"left": "a", "op": "lt", "right": "b"}]})", true},
      {R"({"all": [{"left": 1, "op": "eq", "right": 1}, {"left": "a", "op": "gt", "right": "b"}]})", false},
      {R"({"any": [{"left": 1, "op": "eq", "right": 2}, {"left": "a", "op": "lt", "right": "b"}]})", true},
      {R"({"not": {"left": 1, "op": "eq", "right": 2}})", true},
      {R"({"not": {"any": [{"left": "{{trigger.record.missing}}", "op": "isEmpty"}]}})", false},
      // short-circuit: the second condition would fail on the missing variable
      {R"({"all": [{"left": "{{steps.x}}", "op": "isNotEmpty"}, {"left": "{{steps.x.y}}", "op": "gt", "right": 3}]})",
       false},
  };
  const json ctx = context();
  for (const auto& c : cases) {
    auto r = evaluate_condition(json::parse(c.condition), ctx, "steps[1].condition");
    ASSERT_TRUE(r) << c.condition << " -> " << r.error().field << ": " << r.error().message;
    EXPECT_EQ(*r, c.result) << c.condition;
  }
}

TEST(TemplateCondition, ErrorsNameTheFieldAndTheProblem) {
  struct Case {
    const char* condition;
    const char* field;
    const char* error;
  };
  const Case cases[] = {
      {R"({"left": 1, "op": "eqq", "right": 1})", "c.op", "unknown op \"eqq\""},
      {R"({"left": 1, "op": 5, "right": 1})", "c.op", "unknown op 5"},
      {R"({"left": 1, "op": "eq"})", "c.right", "right is required"},
      {R"({"op": "isEmpty"})", "c.left", "left is required"},
      {R"({"left": 1, "op": "eq", "rigth": 1})", "c.rigth", "unknown key 'rigth'"},
      {R"({"all": {"left": 1, "op": "eq", "right": 1}})", "c.all", "a list of conditions"},
      {R"({"all": [], "any": []})", "c", "only one of"},
      {R"({"all": [], "extra": 1})", "c", "no other keys"},
      {R"({})", "c", "needs op, all, any or not"},
      {R"("yes")", "c", "a condition is an object"},
      {R"({"not": [1]})", "c.not", "a condition is an object"},
      // a bad branch fails even when the first branch would decide the result
      {R"({"any": [{"left": 1, "op": "eq", "right": 1}, {"left": 1, "op": "bogus", "right": 1}]})", "c.any[1].op",
       "unknown op"},
      {R"({"left": "{{steps.x.y}}", "op": "eq", "right": 1})", "c.left", "variable 'steps.x.y' is not set"},
      {R"({"left": 1, "op": "eq", "right": "{{ a | "})", "c.right", "unclosed '{{' at 1"},
  };
  for (const auto& c : cases) {
    auto r = evaluate_condition(json::parse(c.condition), context(), "c");
    ASSERT_FALSE(r) << c.condition;
    EXPECT_EQ(r.error().code, ErrorCode::Validation) << c.condition;
    EXPECT_EQ(r.error().field, c.field) << c.condition;
    EXPECT_NE(r.error().message.find(c.error), std::string::npos) << c.condition << " -> " << r.error().message;
  }
  json deep = {{"left", 1}, {"op", "eq"}, {"right", 1}};
  for (int i = 0; i < 40; ++i) deep = {{"not", deep}};
  auto r = evaluate_condition(deep, context(), "c");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("nest too deeply"), std::string::npos);
}

TEST(TemplateCondition, References) {
  auto refs = condition_references(json::parse(R"({"all": [
      {"left": "{{steps.contact.count}}", "op": "gt", "right": 0},
      {"any": [{"left": "{{ trigger.record.total | money: trigger.record.currency }}", "op": "isNotEmpty"},
               {"not": {"left": "{{steps.contact.count}}", "op": "in", "right": ["{{ run.id }}", 2]}}]}]})"),
                                   "steps[1].condition");
  ASSERT_TRUE(refs) << refs.error().message;
  EXPECT_EQ(*refs, (std::vector<std::string>{"steps.contact.count", "trigger.record.total", "trigger.record.currency",
                                             "run.id"}));

  auto bad = condition_references(json::parse(R"({"any": [{"left": "{{ a | monye }}", "op": "isEmpty"}]})"),
                                  "steps[1].condition");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "steps[1].condition.any[0].left");
  EXPECT_EQ(bad.error().message, "unknown filter 'monye' at 8");

  auto shape = condition_references(json::parse(R"({"left": 1, "op": "equals", "right": 1})"), "steps[1].condition");
  ASSERT_FALSE(shape);
  EXPECT_EQ(shape.error().field, "steps[1].condition.op");
}

}  // namespace
}  // namespace settle::workflow
