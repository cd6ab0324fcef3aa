#include "workflow/builtin.hpp"

namespace settle::workflow {

namespace {

using json = nlohmann::json;

// WF-001 and WF-005: the finalize action of a quote or an invoice goes through Stripe.
BuiltinWorkflow finalize_through_stripe(const char* key, const char* object, const char* name, const char* description) {
  return {key,
          name,
          description,
          {{"trigger", {{"type", "ACTION"}, {"object", object}, {"action", "finalize"}}},
           {"steps", json::array({{{"id", "stripe"},
                                   {"type", "STRIPE_FINALIZE"},
                                   {"name", "Finalize at Stripe, then here"},
                                   {"object", object},
                                   {"recordId", "{{trigger.record.id}}"}}})}}};
}

// WF-002 and WF-006: Stripe's events applied to the record they name, with the Stripe
// inbox's retries (12 attempts, 2 s doubling to an hour).
BuiltinWorkflow apply_stripe_events(const char* key, const char* name, const char* description, json event_types) {
  return {key,
          name,
          description,
          {{"trigger", {{"type", "STRIPE_EVENT"}, {"eventTypes", std::move(event_types)}}},
           {"steps", json::array({{{"id", "sync"},
                                   {"type", "STRIPE_SYNC"},
                                   {"name", "Converge the record on Stripe"},
                                   {"retry", {{"maxAttempts", 12}, {"baseSeconds", 2}}}}})}}};
}

BuiltinWorkflow finalize_quotes() {
  return finalize_through_stripe(
      "WF-001", "quotes", "Finalize quotes through Stripe",
      "Finalizing a quote makes its Stripe quote: the company's Stripe customer (found before one is made), the "
      "catalogue products, every line at its exact price and the tax, finalized at Stripe. The quote becomes Open "
      "only once Stripe has it; a Stripe failure leaves it Draft with the reason, and finalizing again retries "
      "without a second customer or quote. Without a Stripe key the quote is finalized here only.");
}

BuiltinWorkflow accepted_quotes() {
  return apply_stripe_events(
      "WF-002", "Turn accepted Stripe quotes into orders",
      "When Stripe reports a quote accepted, the quote becomes Accepted and gets its order (once, however often the "
      "event arrives), and the order holds the invoice Stripe made for it until it is invoiced. A quote canceled at "
      "Stripe is Canceled here, or Expired when Stripe canceled it at its expiry.",
      json::array({"quote.accepted", "quote.canceled"}));
}

BuiltinWorkflow finalize_invoices() {
  return finalize_through_stripe(
      "WF-005", "invoices", "Send finalized invoices through Stripe",
      "Finalizing an invoice makes (or adopts) its Stripe invoice with the same lines and tax, due on the due date, "
      "payable by card and ACH, finalized and sent with its payment page; the invoice is numbered and Open only "
      "once Stripe has it. Without a Stripe key the invoice is finalized here only.");
}

BuiltinWorkflow record_payments() {
  return apply_stripe_events(
      "WF-006", "Record Stripe payments on invoices",
      "Each invoice, payment, charge and refund event from Stripe: the invoice is re-read from Stripe and its status "
      "and amounts made equal to Stripe's (Paid, Partially Paid, Payment Failed, Void, Uncollectible, Refunded), and "
      "each payment and refund is recorded once as a Payment. Deactivating this stops Settle from following payments.",
      json::array({"invoice.created", "invoice.finalized", "invoice.sent", "invoice.updated", "invoice.paid",
                   "invoice.payment_failed", "invoice.payment_succeeded", "invoice.voided",
                   "invoice.marked_uncollectible", "invoice.overdue", "invoice.deleted", "invoice_payment.paid",
                   "payment_intent.succeeded", "payment_intent.payment_failed", "charge.succeeded", "charge.refunded",
                   "refund.created"}));
}

BuiltinWorkflow expire_quotes() {
  json follow_up = {
      {"id", "has_contact"},
      {"type", "IF"},
      {"name", "The quote names a contact"},
      {"condition", {{"left", "{{item.personId}}"}, {"op", "isNotEmpty"}}},
      {"then",
       json::array({{{"id", "contact"},
                     {"type", "FIND_RECORDS"},
                     {"name", "The quote's contact"},
                     {"object", "people"},
                     {"filter", "id[eq]:{{item.personId}}"},
                     {"limit", 1}},
                    {{"id", "follow_up"},
                     {"type", "SEND_EMAIL"},
                     {"name", "Follow-up email, drafted for the rep to review"},
                     {"draft", true},
                     {"to", "{{steps.contact.first.email}}"},
                     {"subject", "Your quote {{item.quoteNumber}} has expired"},
                     {"body",
                      "Hello {{steps.contact.first.firstName}},\n\nour quote {{item.quoteNumber}} for "
                      "{{item.total | money: item.currency}} expired on {{item.expiresAt | date: \"%d %B %Y\"}}. "
                      "Would you like us to send you an updated one?\n\nBest regards,\n{{workspace.name}}"}}})}};
  return {"WF-003",
          "Expire overdue quotes",
          "Every day at 06:00 in the workspace's zone: Open quotes past their expiry become Expired, the rep who made "
          "each gets a follow-up task, and a follow-up email to the quote's contact is drafted for review.",
          {{"trigger", {{"type", "SCHEDULE"}, {"cron", "0 6 * * *"}, {"timezone", "workspace"}}},
           {"steps",
            json::array({{{"id", "expire"}, {"type", "EXPIRE_QUOTES"}, {"name", "Expire quotes past expiresAt"}},
                         {{"id", "each_quote"},
                          {"type", "ITERATOR"},
                          {"name", "For each expired quote"},
                          {"items", "{{steps.expire.quotes}}"},
                          {"steps", json::array({follow_up})}}})}}};
}

BuiltinWorkflow invoice_fulfilled_orders() {
  return {"WF-004",
          "Draft the invoice of a fulfilled order",
          "When an order becomes Fulfilled, its draft invoice is made from the order's lines, tax and project, ready "
          "to be checked and finalized. An order invoiced by hand first is left alone: an order has one invoice.",
          {{"trigger",
            {{"type", "RECORD_UPDATED"},
             {"object", "orders"},
             {"fields", json::array({"status"})},
             {"filter", "status[eq]:Fulfilled,invoiceId[is]:NULL"}}},
           {"steps", json::array({{{"id", "invoice"},
                                   {"type", "RECORD_ACTION"},
                                   {"name", "Draft the invoice"},
                                   {"object", "orders"},
                                   {"recordId", "{{trigger.record.id}}"},
                                   {"action", "invoice"}}})}}};
}

BuiltinWorkflow payment_failed() {
  std::string amount = "{{trigger.record.amountDue | money: trigger.record.currency}}";
  json email = {{"id", "tell_customer"},
                {"type", "SEND_EMAIL"},
                {"name", "Email the billing contact"},
                {"to", "{{steps.contact.first.email}}"},
                // The workspace's payment_failed template (Settings, Mail), with this model.
                {"template", "payment_failed"},
                {"data",
                 {{"contact", {{"firstName", "{{steps.contact.first.firstName}}"}, {"email", "{{steps.contact.first.email}}"}}},
                  {"invoice",
                   {{"number", "{{trigger.record.invoiceNumber}}"},
                    {"amountDue", amount},
                    {"total", "{{trigger.record.total | money: trigger.record.currency}}"},
                    {"dueDate", "{{trigger.record.dueDate | default: \"\"}}"},
                    {"status", "{{trigger.record.status}}"}}},
                  {"payUrl", "{{trigger.record.stripeInvoiceUrl | default: \"\"}}"}}},
                {"retry", {{"maxAttempts", 3}, {"baseSeconds", 2}}}};
  json contact = {{"id", "has_contact"},
                  {"type", "IF"},
                  {"name", "The company has a primary contact"},
                  {"condition", {{"left", "{{steps.company.first.primaryContactId | default: \"\"}}"}, {"op", "isNotEmpty"}}},
                  {"then",
                   json::array({{{"id", "contact"},
                                 {"type", "FIND_RECORDS"},
                                 {"name", "The billing contact"},
                                 {"object", "people"},
                                 {"filter", "id[eq]:{{steps.company.first.primaryContactId}}"},
                                 {"limit", 1}},
                                {{"id", "has_email"},
                                 {"type", "IF"},
                                 {"name", "The contact has an email address"},
                                 {"condition",
                                  {{"left", "{{steps.contact.first.email | default: \"\"}}"}, {"op", "isNotEmpty"}}},
                                 {"then", json::array({email})}}})}};
  return {"WF-007",
          "Follow up a failed payment",
          "When Stripe reports a failed payment and the invoice becomes Payment Failed: a task for the invoice's owner "
          "(who made it) and an email to the billing contact (the company's primary contact) with the payment page.",
          {{"trigger",
            {{"type", "RECORD_UPDATED"},
             {"object", "invoices"},
             {"fields", json::array({"status"})},
             {"filter", "status[eq]:\"Payment Failed\""}}},
           {"steps",
            json::array({{{"id", "owner_task"},
                          {"type", "CREATE_TASK"},
                          {"name", "Task for the invoice's owner"},
                          {"title", "Payment failed: invoice {{trigger.record.invoiceNumber}}"},
                          {"body",
                           "Stripe reported a failed payment of " + amount +
                               " on invoice {{trigger.record.invoiceNumber}}. The customer can try again on the "
                               "invoice's payment page: {{trigger.record.stripeInvoiceUrl | default: \"\"}}"},
                          {"assigneeId", "{{trigger.record.createdBy | default: \"\"}}"},
                          {"targetObject", "invoices"},
                          {"targetId", "{{trigger.record.id}}"},
                          {"dueInDays", 1}},
                         {{"id", "company"},
                          {"type", "FIND_RECORDS"},
                          {"name", "The invoice's company"},
                          {"object", "companies"},
                          {"filter", "id[eq]:{{trigger.record.companyId}}"},
                          {"limit", 1}},
                         contact})}}};
}

BuiltinWorkflow link_expenses() {
  return {"WF-008",
          "Link new expenses to projects",
          "A new expense without a project is linked to the open project it matches: the project whose code the "
          "description names, else the one project of the expense's company whose dates hold the expense's date, "
          "else the company's only open project. Nothing is linked when the match is ambiguous.",
          {{"trigger", {{"type", "RECORD_CREATED"}, {"object", "expenses"}, {"filter", "projectId[is]:NULL"}}},
           {"steps", json::array({{{"id", "match"},
                                   {"type", "MATCH_PROJECT"},
                                   {"name", "Find the matching project"},
                                   {"expenseId", "{{trigger.record.id}}"}},
                                  {{"id", "matched"},
                                   {"type", "FILTER"},
                                   {"name", "Exactly one project matched"},
                                   {"condition", {{"left", "{{steps.match.projectId}}"}, {"op", "isNotEmpty"}}}},
                                  {{"id", "link"},
                                   {"type", "UPDATE_RECORD"},
                                   {"name", "Link the expense"},
                                   {"object", "expenses"},
                                   {"recordId", "{{trigger.record.id}}"},
                                   {"values", {{"projectId", "{{steps.match.projectId}}"}}}}})}}};
}

BuiltinWorkflow budget_report() {
  std::string month = "{{trigger.localTime | date: \"%B %Y\"}}";
  return {"WF-009",
          "Monthly budget report",
          "On the 1st of each month at 08:00 in the workspace's zone: budget, spent, remaining and % used of every "
          "open project with a budget, emailed to the ADMINs and kept as a note.",
          {{"trigger", {{"type", "SCHEDULE"}, {"cron", "0 8 1 * *"}, {"timezone", "workspace"}}},
           {"steps", json::array({{{"id", "report"}, {"type", "BUDGET_REPORT"}, {"name", "Budget per project"}},
                                  {{"id", "admins"}, {"type", "FIND_MEMBERS"}, {"name", "The ADMINs"}, {"role", "ADMIN"}},
                                  {{"id", "mail_admins"},
                                   {"type", "ITERATOR"},
                                   {"name", "Email each ADMIN"},
                                   {"items", "{{steps.admins.members}}"},
                                   {"steps", json::array({{{"id", "send_report"},
                                                           {"type", "SEND_EMAIL"},
                                                           {"to", "{{item.email}}"},
                                                           {"subject", "Budget report, " + month},
                                                           {"body", "{{steps.report.text}}"}}})}},
                                  {{"id", "note"},
                                   {"type", "CREATE_RECORD"},
                                   {"name", "Keep the report as a note"},
                                   {"object", "notes"},
                                   {"values", {{"title", "Budget report, " + month}, {"body", "{{steps.report.text}}"}}}}})}}};
}

BuiltinWorkflow welcome_company() {
  return {"WF-010",
          "Welcome new companies",
          "A new company's primary contact gets a welcome email.",
          {{"trigger", {{"type", "RECORD_CREATED"}, {"object", "companies"}, {"filter", "primaryContactId[is]:NOT_NULL"}}},
           {"steps",
            json::array({{{"id", "contact"},
                          {"type", "FIND_RECORDS"},
                          {"name", "The primary contact"},
                          {"object", "people"},
                          {"filter", "id[eq]:{{trigger.record.primaryContactId}}"},
                          {"limit", 1}},
                         {{"id", "has_email"},
                          {"type", "FILTER"},
                          {"name", "The contact has an email address"},
                          {"condition", {{"left", "{{steps.contact.first.email | default: \"\"}}"}, {"op", "isNotEmpty"}}}},
                         {{"id", "welcome"},
                          {"type", "SEND_EMAIL"},
                          {"name", "Welcome email"},
                          {"to", "{{steps.contact.first.email}}"},
                          // The workspace's welcome template (Settings, Mail), with this model.
                          {"template", "welcome"},
                          {"data",
                           {{"contact",
                             {{"firstName", "{{steps.contact.first.firstName}}"},
                              {"lastName", "{{steps.contact.first.lastName | default: \"\"}}"},
                              {"email", "{{steps.contact.first.email}}"}}},
                            {"company", {{"name", "{{trigger.record.name}}"}}}}},
                          {"retry", {{"maxAttempts", 3}, {"baseSeconds", 2}}}}})}}};
}

}  // namespace

const std::vector<BuiltinWorkflow>& builtin_workflows() {
  static const std::vector<BuiltinWorkflow> kBuiltins = {
      finalize_quotes(), accepted_quotes(), expire_quotes(), invoice_fulfilled_orders(), finalize_invoices(),
      record_payments(), payment_failed(),  link_expenses(), budget_report(),            welcome_company()};
  return kBuiltins;
}

}  // namespace settle::workflow
