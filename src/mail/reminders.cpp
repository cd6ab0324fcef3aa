// Reminders (dunning): a workspace's rules and the sweep that queues each invoice's reminder
// mail once when its day comes. What is due when is billing/dunning.hpp; this file reads the
// invoices, claims each reminder in invoice_reminders (its primary key is the "once") and
// queues the mail in the same transaction.
#include <date/tz.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>

#include "common/dates.hpp"
#include "crm/objects.hpp"
#include "crm/outbox.hpp"
#include "docs/document_pdf.hpp"
#include "mail/internal.hpp"
#include "mail/mail.hpp"

namespace settle::mail {
namespace {

using namespace detail;
using store::RowView;
using store::Tx;

constexpr const char* kSelectRules =
    "SELECT position, offset_days, late_fee_bp, updated_at FROM reminder_rules WHERE workspace_id = :ws "
    "ORDER BY offset_days";
constexpr const char* kDeleteRules = "DELETE FROM reminder_rules WHERE workspace_id = :ws";
constexpr const char* kInsertRule =
    "INSERT INTO reminder_rules (workspace_id, position, offset_days, late_fee_bp, updated_at, updated_by) "
    "VALUES (:ws, :position, :offset, :fee, :now, :by)";
constexpr const char* kSelectWorkspacesWithRules =
    "SELECT id, time_zone FROM workspaces WHERE id IN (SELECT workspace_id FROM reminder_rules) ORDER BY id";
// The invoices one of the rules may fall due for today: rule day = due + offset within the
// catch-up window [today - kCatchUpDays, today].
constexpr const char* kSelectCandidates =
    "SELECT id FROM invoices WHERE workspace_id = :ws AND deleted_at IS NULL AND amount_due > 0 "
    "AND status IN ('Open', 'Partially Paid', 'Payment Failed') AND due_date >= :from AND due_date <= :to "
    "ORDER BY due_date, id";
constexpr const char* kSelectSent = "SELECT offset_days FROM invoice_reminders WHERE workspace_id = :ws AND invoice_id = :id";
constexpr const char* kClaimReminder =
    "INSERT INTO invoice_reminders (workspace_id, invoice_id, offset_days, position, created_at) "
    "VALUES (:ws, :id, :offset, :position, :now) ON CONFLICT (workspace_id, invoice_id, offset_days) DO NOTHING";
constexpr const char* kSetReminderOutbox =
    "UPDATE invoice_reminders SET outbox_id = :outbox WHERE workspace_id = :ws AND invoice_id = :id "
    "AND offset_days = :offset";

std::int64_t integer_field(const json& rule, const char* key, std::int64_t fallback, bool& ok) {
  if (!rule.contains(key) || rule.at(key).is_null()) return fallback;
  if (!rule.at(key).is_number_integer()) {
    ok = false;
    return 0;
  }
  return rule.at(key).get<std::int64_t>();
}

int clamp_to_int(std::int64_t v) { return static_cast<int>(std::clamp<std::int64_t>(v, INT_MIN, INT_MAX)); }

std::string template_kind(int position) { return "invoice_reminder_" + std::to_string(position); }

json rules_json(const std::vector<billing::ReminderRule>& rules, const std::string& updated_at) {
  json out = json::array();
  for (const auto& r : rules)
    out.push_back({{"position", r.position},
                   {"offsetDays", r.offset_days},
                   {"lateFeeBasisPoints", r.late_fee_basis_points},
                   {"template", template_kind(r.position)},
                   {"description", billing::describe_offset(r.offset_days)}});
  json body = {{"rules", out}, {"catchUpDays", billing::kCatchUpDays}};
  if (!updated_at.empty()) body["updatedAt"] = updated_at;
  return body;
}

std::vector<billing::ReminderRule> load_rules(Tx& tx, const std::string& ws, std::string* updated_at = nullptr) {
  std::vector<billing::ReminderRule> rules;
  store::Rows rows = tx.query(kSelectRules, {{"ws", ws}});
  for (size_t i = 0; i < rows.size(); ++i) {
    RowView r(rows, i);
    rules.push_back({static_cast<int>(r.integer("position")), static_cast<int>(r.integer("offset_days")),
                     r.integer("late_fee_bp")});
    if (updated_at) *updated_at = std::max(*updated_at, r.text("updated_at"));
  }
  return rules;
}

// Today in the workspace's time zone (UTC when it names none this server knows).
std::chrono::sys_days local_day(std::int64_t now, const std::string& tz) {
  date::sys_seconds t{std::chrono::seconds{now}};
  try {
    const date::time_zone* zone = date::locate_zone(tz.empty() ? "UTC" : tz);
    auto local = zone->to_local(t);
    return std::chrono::sys_days{std::chrono::floor<date::days>(local).time_since_epoch()};
  } catch (const std::exception&) {
    return std::chrono::floor<date::days>(t);
  }
}

}  // namespace

Result<json> Mail::get_reminder_rules(const Actor& actor) {
  return db_->read<json>([&](Tx& tx) -> Result<json> {
    std::string updated_at;
    auto rules = load_rules(tx, actor.workspace_id, &updated_at);
    return rules_json(rules, updated_at);
  });
}

Result<json> Mail::put_reminder_rules(const Actor& actor, const json& body) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  if (!body.is_object() || !body.contains("rules") || !body.at("rules").is_array())
    return fail(Error::validation("rules", "a list of up to three rules: {\"offsetDays\": -7, \"lateFeeBasisPoints\": 0}"));
  std::vector<billing::ReminderRule> rules;
  const json& list = body.at("rules");
  for (size_t i = 0; i < list.size(); ++i) {
    const json& r = list[i];
    std::string at = "rules[" + std::to_string(i) + "]";
    if (!r.is_object()) return fail(Error::validation(at, "a rule is an object"));
    if (!r.contains("offsetDays"))
      return fail(Error::validation(at + ".offsetDays", "days from the due date: -7 a week before, 0 on the day, 10 after"));
    bool ok = true;
    billing::ReminderRule rule;
    rule.offset_days = clamp_to_int(integer_field(r, "offsetDays", 0, ok));
    if (!ok) return fail(Error::validation(at + ".offsetDays", "a whole number of days"));
    rule.position = clamp_to_int(integer_field(r, "position", static_cast<std::int64_t>(i) + 1, ok));
    if (!ok) return fail(Error::validation(at + ".position", "1, 2 or 3"));
    rule.late_fee_basis_points = integer_field(r, "lateFeeBasisPoints", 0, ok);
    if (!ok) return fail(Error::validation(at + ".lateFeeBasisPoints", "a whole number of basis points (150 is 1.5 %)"));
    rules.push_back(rule);
  }
  if (auto st = billing::validate_reminder_rules(rules); !st) return fail(st.error());
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    tx.exec(kDeleteRules, {{"ws", actor.workspace_id}});
    std::string now = store::now_timestamp();
    for (const auto& r : rules)
      tx.exec(kInsertRule, {{"ws", actor.workspace_id}, {"position", std::int64_t{r.position}},
                            {"offset", std::int64_t{r.offset_days}}, {"fee", r.late_fee_basis_points},
                            {"now", now}, {"by", actor.label}});
    std::sort(rules.begin(), rules.end(), [](auto& a, auto& b) { return a.offset_days < b.offset_days; });
    return rules_json(rules, rules.empty() ? "" : now);
  });
}

Result<bool> Mail::remind_invoice(const Actor& system, const std::string& invoice_id,
                                  const std::vector<billing::ReminderRule>& rules, std::chrono::sys_days today) {
  const crm::ObjectDef& invoices = *crm::find_object("invoices");
  return db_->write<bool>([&](Tx& tx) -> Result<bool> {
    auto record = records_->get(tx, system, invoices, invoice_id);
    if (!record) return false;  // deleted since the window was read
    std::string status = text_or(*record, "status");
    std::int64_t due_amount = int_or(*record, "amountDue");
    auto due = parse_day(text_or(*record, "dueDate"));
    if (!billing::is_remindable_status(status) || due_amount <= 0 || !due) return false;
    auto issued = parse_day(text_or(*record, "issueDate")).value_or(*due);
    std::set<int> sent;
    store::Rows rows = tx.query(kSelectSent, {{"ws", system.workspace_id}, {"id", invoice_id}});
    for (size_t i = 0; i < rows.size(); ++i) sent.insert(static_cast<int>(RowView(rows, i).integer("offset_days")));
    auto rule = billing::reminder_due(rules, issued, *due, today, sent);
    if (!rule) return false;
    store::Params key = {{"ws", system.workspace_id}, {"id", invoice_id}, {"offset", std::int64_t{rule->offset_days}}};
    store::Params claim = key;
    claim.emplace_back("position", std::int64_t{rule->position});
    claim.emplace_back("now", store::now_timestamp());
    if (tx.exec(kClaimReminder, claim) != 1) return false;  // another instance has it
    std::string label = "Reminder " + std::to_string(rule->position) + " (" + billing::describe_offset(rule->offset_days) + ")";

    auto mail = document_mail(tx, system, invoices, *record, "");
    if (!mail) {
      // Nobody to send it to: the reminder is spent (not tried every sweep), and said so.
      records_->add_timeline_entry(tx, system, invoices, invoice_id, "reminder_skipped",
                                   label + " not sent: " + mail.error().message);
      return false;
    }
    mail->kind = template_kind(rule->position);
    mail->data["reminder"] = {{"when", billing::reminder_when(*due, today)},
                              {"offsetDays", rule->offset_days},
                              {"position", rule->position},
                              {"rule", billing::describe_offset(rule->offset_days)}};
    if (std::int64_t fee = billing::late_fee(due_amount, rule->late_fee_basis_points); fee > 0) {
      // Information in the mail only: the finalized invoice stays as it is.
      std::string currency = text_or(*record, "currency", "USD");
      std::string locale = text_or(mail->data["workspace"], "locale", "en-US");
      mail->data["lateFee"] = docs::format_amount(fee, currency, locale);
      mail->data["amountWithLateFee"] = docs::format_amount(due_amount + fee, currency, locale);
    }
    Template t;
    if (auto st = template_of(tx, system.workspace_id, mail->kind, t); !st) return fail(st.error());
    auto rendered = render(t, mail->data);
    if (!rendered) return fail(rendered.error());
    mail->subject = rendered->subject;
    mail->body = rendered->text;
    mail->source = "reminder:" + std::to_string(rule->offset_days);
    auto outbox_id = crm::queue_mail(tx, *mail, nullptr);
    if (!outbox_id) return fail(outbox_id.error());
    store::Params set = key;
    set.emplace_back("outbox", *outbox_id);
    tx.exec(kSetReminderOutbox, set);
    records_->add_timeline_entry(tx, system, invoices, invoice_id, "reminder_queued",
                                 label + ": " + mail->subject + " to " + mail->to);
    return true;
  });
}

int Mail::send_due_reminders(std::int64_t now) {
  auto workspaces = db_->read<store::Rows>([&](Tx& tx) -> Result<store::Rows> { return tx.query(kSelectWorkspacesWithRules); });
  if (!workspaces) {
    spdlog::error("reminders: {}", workspaces.error().log);
    return 0;
  }
  int queued = 0;
  for (size_t w = 0; w < workspaces->size(); ++w) {
    RowView row(*workspaces, w);
    std::string ws = row.text("id");
    std::chrono::sys_days today = local_day(now, row.opt_text("time_zone").value_or("UTC"));
    auto candidates = db_->read<std::pair<std::vector<billing::ReminderRule>, std::vector<std::string>>>(
        [&](Tx& tx) -> Result<std::pair<std::vector<billing::ReminderRule>, std::vector<std::string>>> {
          auto rules = load_rules(tx, ws);
          if (rules.empty()) return std::pair{rules, std::vector<std::string>{}};
          // Sorted by offset: the first is the earliest rule, the last the latest.
          auto from = today - std::chrono::days{billing::kCatchUpDays + rules.back().offset_days};
          auto to = today - std::chrono::days{rules.front().offset_days};
          store::Rows rows = tx.query(kSelectCandidates, {{"ws", ws}, {"from", format_day(from)}, {"to", format_day(to)}});
          std::vector<std::string> ids;
          for (size_t i = 0; i < rows.size(); ++i) ids.push_back(RowView(rows, i).text("id"));
          return std::pair{rules, ids};
        });
    if (!candidates) {
      spdlog::error("reminders: workspace {}: {}", ws, candidates.error().log);
      continue;
    }
    Actor system{ws, "", "reminders", crm::Role::Admin};
    for (const std::string& id : candidates->second) {
      auto r = remind_invoice(system, id, candidates->first, today);
      if (!r) spdlog::error("reminders: invoice {}: {}", id, r.error().log.empty() ? r.error().message : r.error().log);
      else if (*r) ++queued;
    }
  }
  if (queued > 0) {
    spdlog::info("reminders: {} queued", queued);
    wake();
  }
  return queued;
}

}  // namespace settle::mail
