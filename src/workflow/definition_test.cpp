#include "workflow/definition.hpp"

#include <gtest/gtest.h>

#include "workflow/builtin.hpp"

namespace settle::workflow {
namespace {

json manual(json steps) { return {{"trigger", {{"type", "MANUAL"}}}, {"steps", std::move(steps)}}; }
json task(const std::string& id, const std::string& title) {
  return {{"id", id}, {"type", "CREATE_TASK"}, {"title", title}};
}

struct Case {
  const char* name;
  json definition;
  std::string field;  // of the first problem; empty: valid
};

TEST(DefinitionCheck, Table) {
  const json always = {{"left", 1}, {"op", "eq"}, {"right", 1}};
  std::vector<Case> cases = {
      {"a manual task", manual({task("a", "Call {{trigger.payload.name}}")}), ""},
      {"no trigger", {{"steps", json::array({task("a", "x")})}}, "trigger"},
      {"unknown trigger", {{"trigger", {{"type", "WHEN_PIGS_FLY"}}}, {"steps", json::array({task("a", "x")})}}, "trigger.type"},
      {"no steps", manual(json::array()), "steps"},
      {"record trigger needs an object", {{"trigger", {{"type", "RECORD_CREATED"}}}, {"steps", json::array({task("a", "x")})}}, "trigger.object"},
      {"unknown object", {{"trigger", {{"type", "RECORD_CREATED"}, {"object", "planets"}}}, {"steps", json::array({task("a", "x")})}}, "trigger.object"},
      {"bad filter", {{"trigger", {{"type", "RECORD_CREATED"}, {"object", "companies"}, {"filter", "nope[eq]:1"}}}, {"steps", json::array({task("a", "x")})}}, "trigger.filter"},
      {"good filter", {{"trigger", {{"type", "RECORD_CREATED"}, {"object", "companies"}, {"filter", "name[like]:%Laser%"}}}, {"steps", json::array({task("a", "{{trigger.record.name}}")})}}, ""},
      {"unknown watched field", {{"trigger", {{"type", "RECORD_UPDATED"}, {"object", "orders"}, {"fields", {"colour"}}}}, {"steps", json::array({task("a", "x")})}}, "trigger.fields[0]"},
      {"updates know before", {{"trigger", {{"type", "RECORD_UPDATED"}, {"object", "orders"}, {"fields", {"status"}}}}, {"steps", json::array({task("a", "{{trigger.before.status}} to {{trigger.record.status}}")})}}, ""},
      {"creates know no before", {{"trigger", {{"type", "RECORD_CREATED"}, {"object", "orders"}}}, {"steps", json::array({task("a", "{{trigger.before.status}}")})}}, "steps[0].title"},
      {"stripe event types", {{"trigger", {{"type", "STRIPE_EVENT"}}}, {"steps", json::array({task("a", "x")})}}, "trigger.eventTypes"},
      {"stripe event", {{"trigger", {{"type", "STRIPE_EVENT"}, {"eventTypes", {"invoice.payment_failed"}}}}, {"steps", json::array({task("a", "{{trigger.object.id}}")})}}, ""},
      {"bad cron", {{"trigger", {{"type", "SCHEDULE"}, {"cron", "0 25 * * *"}}}, {"steps", json::array({task("a", "x")})}}, "trigger.cron"},
      {"bad zone", {{"trigger", {{"type", "SCHEDULE"}, {"cron", "0 8 * * *"}, {"timezone", "Mars/Olympus"}}}, {"steps", json::array({task("a", "x")})}}, "trigger.timezone"},
      {"schedule in a zone", {{"trigger", {{"type", "SCHEDULE"}, {"cron", "0 8 1 * *"}, {"timezone", "America/New_York"}}}, {"steps", json::array({task("a", "{{trigger.localTime}}")})}}, ""},
      {"webhook auth", {{"trigger", {{"type", "WEBHOOK"}, {"auth", "password"}}}, {"steps", json::array({task("a", "x")})}}, "trigger.auth"},
      {"bad step id", manual({task("Bad Id", "x")}), "steps[0].id"},
      {"duplicate step id", manual({task("a", "x"), task("a", "y")}), "steps[1].id"},
      {"unknown step type", manual({{{"id", "a"}, {"type", "TELEPORT"}}}), "steps[0].type"},
      {"missing setting", manual({{{"id", "a"}, {"type", "SEND_EMAIL"}, {"to", "a@b.c"}, {"subject", "s"}}}), "steps[0].body"},
      {"a template instead of subject and body", manual({{{"id", "a"}, {"type", "SEND_EMAIL"}, {"to", "a@b.c"}, {"template", "welcome"}, {"data", {{"company", {{"name", "{{trigger.payload.name}}"}}}}}}}), ""},
      {"no such template", manual({{{"id", "a"}, {"type", "SEND_EMAIL"}, {"to", "a@b.c"}, {"template", "ransom_note"}}}), "steps[0].template"},
      {"account mail is not a workflow's", manual({{{"id", "a"}, {"type", "SEND_EMAIL"}, {"to", "a@b.c"}, {"template", "member_invitation"}}}), "steps[0].template"},
      {"a template's model is an object", manual({{{"id", "a"}, {"type", "SEND_EMAIL"}, {"to", "a@b.c"}, {"template", "welcome"}, {"data", "x"}}}), "steps[0].data"},
      {"unknown step object", manual({{{"id", "a"}, {"type", "FIND_RECORDS"}, {"object", "planets"}}}), "steps[0].object"},
      {"a later step's output", manual({task("a", "{{steps.b.count}}"), {{"id", "b"}, {"type", "BUDGET_REPORT"}}}), "steps[0].title"},
      {"an earlier step's output", manual({{{"id", "b"}, {"type", "BUDGET_REPORT"}}, task("a", "{{steps.b.count}}")}), ""},
      {"a typo in a step id", manual({{{"id", "b"}, {"type", "BUDGET_REPORT"}}, task("a", "{{steps.bb.count}}")}), "steps[1].title"},
      {"template syntax", manual({task("a", "{{ trigger.payload.x")}), "steps[0].title"},
      {"unknown filter", manual({task("a", "{{ trigger.payload.x | monye }}")}), "steps[0].title"},
      {"item outside an iterator", manual({task("a", "{{item.name}}")}), "steps[0].title"},
      {"item inside an iterator",
       manual({{{"id", "find"}, {"type", "FIND_RECORDS"}, {"object", "people"}},
               {{"id", "each"}, {"type", "ITERATOR"}, {"items", "{{steps.find.records}}"}, {"steps", json::array({task("t", "{{item.firstName}} #{{index}}")})}}}),
       ""},
      {"nested in IF", manual({{{"id", "a"}, {"type", "IF"}, {"condition", always}, {"then", json::array({task("b", "{{steps.zz.x}}")})}}}), "steps[0].then[0].title"},
      {"condition reference", manual({{{"id", "a"}, {"type", "FILTER"}, {"condition", {{"left", "{{steps.x.y}}"}, {"op", "eq"}, {"right", 1}}}}}), "steps[0].condition"},
      {"bad condition op", manual({{{"id", "a"}, {"type", "FILTER"}, {"condition", {{"left", 1}, {"op", "approximately"}, {"right", 1}}}}}), "steps[0].condition.op"},
      {"retry bounds", manual({{{"id", "a"}, {"type", "HTTP_REQUEST"}, {"url", "http://x"}, {"retry", {{"maxAttempts", 13}}}}}), "steps[0].retry.maxAttempts"},
      {"retry base", manual({{{"id", "a"}, {"type", "HTTP_REQUEST"}, {"url", "http://x"}, {"retry", {{"baseSeconds", 0}}}}}), "steps[0].retry.baseSeconds"},
      {"timeout bounds", manual({{{"id", "a"}, {"type", "HTTP_REQUEST"}, {"url", "http://x"}, {"timeoutSeconds", 900}}}), "steps[0].timeoutSeconds"},
      {"http method", manual({{{"id", "a"}, {"type", "HTTP_REQUEST"}, {"url", "http://x"}, {"method", "BREW"}}}), "steps[0].method"},
      {"delay needs a duration", manual({{{"id", "a"}, {"type", "DELAY"}}}), "steps[0].seconds"},
      {"delay bounds", manual({{{"id", "a"}, {"type", "DELAY"}, {"seconds", -5}}}), "steps[0].seconds"},
      {"step id starting with a digit", manual({task("1st", "x")}), "steps[0].id"},
      {"record action on an order", manual({{{"id", "a"}, {"type", "RECORD_ACTION"}, {"object", "orders"}, {"recordId", "x"}, {"action", "invoice"}}}), ""},
      {"record action that reaches Stripe", manual({{{"id", "a"}, {"type", "RECORD_ACTION"}, {"object", "invoices"}, {"recordId", "x"}, {"action", "void"}}}), "steps[0].action"},
      {"record action unknown", manual({{{"id", "a"}, {"type", "RECORD_ACTION"}, {"object", "orders"}, {"recordId", "x"}, {"action", "ship"}}}), "steps[0].action"},
      {"record action needs an action", manual({{{"id", "a"}, {"type", "RECORD_ACTION"}, {"object", "orders"}, {"recordId", "x"}}}), "steps[0].action"},
      {"stripe finalize object", manual({{{"id", "a"}, {"type", "STRIPE_FINALIZE"}, {"object", "orders"}, {"recordId", "x"}}}), "steps[0].object"},
      {"attachment object", manual({{{"id", "a"}, {"type", "SEND_EMAIL"}, {"to", "a@b.c"}, {"subject", "s"}, {"body", "b"}, {"attach", {{"object", "people"}}}}}), "steps[0].attach.object"},
      {"an action trigger", {{"trigger", {{"type", "ACTION"}, {"object", "quotes"}, {"action", "finalize"}}}, {"steps", json::array({task("a", "{{trigger.record.quoteNumber}} by {{trigger.startedBy}}")})}}, ""},
      {"an action of no such object", {{"trigger", {{"type", "ACTION"}, {"object", "people"}, {"action", "finalize"}}}, {"steps", json::array({task("a", "x")})}}, "trigger.object"},
      {"an action the object lacks", {{"trigger", {{"type", "ACTION"}, {"object", "orders"}, {"action", "finalize"}}}, {"steps", json::array({task("a", "x")})}}, "trigger.action"},
      {"an action trigger knows no before", {{"trigger", {{"type", "ACTION"}, {"object", "invoices"}, {"action", "void"}}}, {"steps", json::array({task("a", "{{trigger.before.status}}")})}}, "steps[0].title"},
      {"stripe sync in a stripe workflow", {{"trigger", {{"type", "STRIPE_EVENT"}, {"eventTypes", {"invoice.paid"}}}}, {"steps", json::array({{{"id", "sync"}, {"type", "STRIPE_SYNC"}}, task("a", "{{steps.sync.record.status}}")})}}, ""},
      {"stripe sync elsewhere", manual({{{"id", "sync"}, {"type", "STRIPE_SYNC"}}}), "steps[0].type"},
      {"max steps", {{"trigger", {{"type", "MANUAL"}}}, {"steps", json::array({task("a", "x")})}, {"settings", {{"maxStepsPerRun", 5000}}}}, "settings.maxStepsPerRun"},
  };
  for (const auto& c : cases) {
    auto problems = check_definition(c.definition);
    if (c.field.empty()) {
      EXPECT_TRUE(problems.empty()) << c.name << ": " << (problems.empty() ? "" : problems[0].field + " " + problems[0].message);
    } else {
      ASSERT_FALSE(problems.empty()) << c.name;
      EXPECT_EQ(problems[0].field, c.field) << c.name << ": " << problems[0].message;
      EXPECT_FALSE(problems[0].message.empty()) << c.name;
    }
  }
}

TEST(DefinitionCheck, ActivationErrorNamesTheFieldAndListsEveryProblem) {
  auto problems = check_definition(manual({task("Bad", "{{steps.x.y}}"), {{"id", "b"}, {"type", "TELEPORT"}}}));
  ASSERT_GE(problems.size(), 3u);
  auto st = definition_error(problems);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::Validation);
  EXPECT_EQ(st.error().field, "steps[0].id");
  EXPECT_EQ(st.error().details["problems"].size(), problems.size());
  EXPECT_TRUE(definition_error({}));
}

TEST(DefinitionCheck, EveryBuiltinIsValid) {
  for (const auto& b : builtin_workflows()) {
    auto problems = check_definition(b.definition);
    EXPECT_TRUE(problems.empty()) << b.key << ": " << (problems.empty() ? "" : problems[0].field + " " + problems[0].message);
  }
}

TEST(DefinitionCheck, StepPolicyDefaultsAndSettings) {
  auto p = step_policy({{"id", "a"}, {"type", "HTTP_REQUEST"}});
  EXPECT_EQ(p.max_attempts, 1);
  EXPECT_FALSE(p.continue_on_failure);
  EXPECT_EQ(p.timeout_seconds, 30);
  p = step_policy({{"retry", {{"maxAttempts", 4}, {"baseSeconds", 3}}}, {"continueOnFailure", true}, {"timeoutSeconds", 5}});
  EXPECT_EQ(p.max_attempts, 4);
  EXPECT_EQ(p.base_seconds, 3);
  EXPECT_TRUE(p.continue_on_failure);
  EXPECT_EQ(p.timeout_seconds, 5);
  EXPECT_EQ(max_steps_per_run(manual(json::array())), kDefaultMaxStepsPerRun);
  EXPECT_TRUE(step_leaves_settle("HTTP_REQUEST"));
  EXPECT_FALSE(step_leaves_settle("SEND_EMAIL"));
}

}  // namespace
}  // namespace settle::workflow
