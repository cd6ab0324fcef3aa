// A workflow version's definition (docs/workflows.md): its trigger and its steps, as the
// JSON the API and the UI exchange. Checked in two degrees:
//  - check_definition: everything activation needs — trigger settings, step ids and
//    settings, and every {{variable}} a step refers to must be one the trigger or an
//    earlier step provides. A draft may be saved with problems; it cannot be activated.
// Pure: nothing here touches the database.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace settle::workflow {

using json = nlohmann::json;

enum class TriggerType { RecordCreated, RecordUpdated, RecordDeleted, StripeEvent, Schedule, Manual, Webhook, Action };
std::string_view to_string(TriggerType type);
std::optional<TriggerType> parse_trigger_type(std::string_view text);

// One reason a definition cannot be activated; `field` is a path into the definition
// ("trigger.cron", "steps[2].subject", "steps[1].then[0].to").
struct Problem {
  std::string field;
  std::string message;
};

// The problems of a definition (empty when it can be activated).
std::vector<Problem> check_definition(const json& definition);

// The first problem as the API's validation error (422 naming the field), or success.
Status definition_error(const std::vector<Problem>& problems);

// The trigger of a definition that passed check_definition.
TriggerType trigger_type(const json& definition);

// Settings shared by every step.
struct StepPolicy {
  int max_attempts = 1;
  int base_seconds = 2;
  bool continue_on_failure = false;
  int timeout_seconds = 30;
};
StepPolicy step_policy(const json& step);

// A step's retries: at most 12 attempts (the Stripe inbox's count), each wait
// baseSeconds doubling per attempt and never more than an hour.
inline constexpr int kMaxStepAttempts = 12;
inline constexpr int kMaxRetryWaitSeconds = 3600;

inline constexpr int kDefaultMaxStepsPerRun = 200;
inline constexpr int kMaxStepsPerRunCeiling = 1000;
int max_steps_per_run(const json& definition);

// Step types whose work is outside this database (sent over the network): they are
// retried with an idempotency key instead of committing with their COMPLETED row.
bool step_leaves_settle(std::string_view type);

// Whether RECORD_ACTION may take `action` on records of `object`: the lifecycle actions that
// change only this database (an order's start, fulfill, cancel, invoice). The actions that
// reach Stripe go through STRIPE_FINALIZE and the Stripe sync, never around it.
bool record_action_allowed(std::string_view object, std::string_view action);

// Whether `action` is a lifecycle action of `object` (what an ACTION trigger may name):
// quotes finalize/accept/cancel, orders start/fulfill/cancel/invoice, invoices
// finalize/void/mark_uncollectible.
bool lifecycle_action_exists(std::string_view object, std::string_view action);

}  // namespace settle::workflow
