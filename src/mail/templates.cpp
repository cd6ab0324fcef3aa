#include "mail/templates.hpp"

#include <kainjow/mustache.hpp>

#include <map>

namespace settle::mail {
namespace {

using json = nlohmann::json;
namespace mus = kainjow::mustache;

constexpr const char* kSelectWorkspaceTemplate =
    "SELECT subject, html, text FROM mail_templates WHERE workspace_id = :ws AND kind = :kind";

const std::vector<TemplateKind> kKinds = {
    {"invoice_sent", "Invoice sent", "An invoice is sent to the customer: the PDF attached, a button to pay it."},
    {"quote_sent", "Quote sent", "A quote is sent to the customer: the PDF attached, a link to accept it."},
    {"payment_receipt", "Payment receipt", "A payment of an invoice succeeded."},
    {"payment_failed", "Payment failed", "A payment of an invoice failed; the customer is asked to pay again."},
    {"invoice_reminder_1", "Reminder 1", "The first reminder rule fell due for an unpaid invoice (Settings, Reminders)."},
    {"invoice_reminder_2", "Reminder 2", "The second reminder rule fell due for an unpaid invoice."},
    {"invoice_reminder_3", "Reminder 3", "The third reminder rule fell due for an unpaid invoice."},
    {"welcome", "Welcome", "A new customer's primary contact is greeted."},
    {"member_invitation", "Member invitation", "Someone is added to the workspace."},
    {"domain_validation", "Domain validation", "An approved domain is confirmed by its postmaster or admin."},
    {"email_verification", "Email verification", "A new account confirms its address (server-wide, not per workspace)."},
    {"test", "Test message", "The test button in Settings, Mail."},
};

// The pay / open button of the HTML parts.
#define SETTLE_BUTTON(url, label)                                                                          \
  "<p style=\"margin:24px 0\"><a href=\"{{" url "}}\" style=\"background:#1f4fd8;color:#ffffff;"        \
  "padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:600\">" label "</a></p>"

// The three reminders start alike; a workspace words each its own way (firmer by the third).
const Template kReminder = {"Reminder: invoice {{invoice.number}} {{reminder.when}}",
      "<p>Hello {{contact.firstName}},</p><p>This is a reminder that invoice <b>{{invoice.number}}</b> of "
      "{{invoice.total}} {{reminder.when}} ({{invoice.dueDate}}). Amount due: <b>{{invoice.amountDue}}</b>.</p>"
      "{{#lateFee}}<p>Please note: a late fee of {{lateFee}} may apply to payments after the due date.</p>{{/lateFee}}"
      "{{#payUrl}}" SETTLE_BUTTON("payUrl", "Pay now") "{{/payUrl}}<p>{{workspace.name}}</p>",
      "Hello {{contact.firstName}},\n\nThis is a reminder that invoice {{invoice.number}} of {{invoice.total}} "
      "{{reminder.when}} ({{invoice.dueDate}}). Amount due: {{invoice.amountDue}}.\n{{#lateFee}}\nPlease note: a late "
      "fee of {{lateFee}} may apply to payments after the due date.\n{{/lateFee}}{{#payUrl}}\nPay now: {{payUrl}}\n"
      "{{/payUrl}}\n{{workspace.name}}\n"};

const std::map<std::string, Template, std::less<>> kDefaults = {
    {"invoice_sent",
     {"Invoice {{invoice.number}} from {{workspace.name}}",
      "<p>Hello {{contact.firstName}},</p>"
      "<p>Please find attached invoice <b>{{invoice.number}}</b> for <b>{{invoice.total}}</b>, due on "
      "{{invoice.dueDate}}.</p>{{#payUrl}}" SETTLE_BUTTON("payUrl", "Pay {{invoice.amountDue}}") "{{/payUrl}}"
      "<p>Thank you for your business,<br>{{workspace.name}}</p>",
      "Hello {{contact.firstName}},\n\nPlease find attached invoice {{invoice.number}} for {{invoice.total}}, due on "
      "{{invoice.dueDate}}.\n{{#payUrl}}\nPay online: {{payUrl}}\n{{/payUrl}}\nThank you for your business,\n"
      "{{workspace.name}}\n"}},
    {"quote_sent",
     {"Quote {{quote.number}} from {{workspace.name}}",
      "<p>Hello {{contact.firstName}},</p><p>Please find attached quote <b>{{quote.number}}</b> for "
      "<b>{{quote.total}}</b>, valid until {{quote.expiresAt}}.</p>{{#acceptUrl}}" SETTLE_BUTTON(
          "acceptUrl", "View and accept") "{{/acceptUrl}}<p>Kind regards,<br>{{workspace.name}}</p>",
      "Hello {{contact.firstName}},\n\nPlease find attached quote {{quote.number}} for {{quote.total}}, valid until "
      "{{quote.expiresAt}}.\n{{#acceptUrl}}\nView and accept: {{acceptUrl}}\n{{/acceptUrl}}\nKind regards,\n"
      "{{workspace.name}}\n"}},
    {"payment_receipt",
     {"Receipt for invoice {{invoice.number}}",
      "<p>Hello {{contact.firstName}},</p><p>We received your payment of <b>{{payment.amount}}</b> for invoice "
      "{{invoice.number}} on {{payment.date}}. Amount still due: {{invoice.amountDue}}.</p>"
      "<p>Thank you,<br>{{workspace.name}}</p>",
      "Hello {{contact.firstName}},\n\nWe received your payment of {{payment.amount}} for invoice {{invoice.number}} "
      "on {{payment.date}}. Amount still due: {{invoice.amountDue}}.\n\nThank you,\n{{workspace.name}}\n"}},
    {"payment_failed",
     {"Payment for invoice {{invoice.number}} failed",
      "<p>Hello {{contact.firstName}},</p><p>Your payment of {{invoice.amountDue}} for invoice "
      "<b>{{invoice.number}}</b> did not go through{{#reason}}: {{reason}}{{/reason}}.</p>{{#payUrl}}" SETTLE_BUTTON(
          "payUrl", "Try again") "{{/payUrl}}<p>{{workspace.name}}</p>",
      "Hello {{contact.firstName}},\n\nYour payment of {{invoice.amountDue}} for invoice {{invoice.number}} did not "
      "go through{{#reason}}: {{reason}}{{/reason}}.\n{{#payUrl}}\nTry again: {{payUrl}}\n{{/payUrl}}\n"
      "{{workspace.name}}\n"}},
    {"invoice_reminder_1", kReminder},
    {"invoice_reminder_2", kReminder},
    {"invoice_reminder_3", kReminder},
    {"welcome",
     {"Welcome to {{workspace.name}}, {{company.name}}",
      "<p>Hello {{contact.firstName}},</p><p>Welcome aboard! We are glad to work with {{company.name}}.</p>"
      "<p>{{workspace.name}}</p>",
      "Hello {{contact.firstName}},\n\nWelcome aboard! We are glad to work with {{company.name}}.\n\n"
      "{{workspace.name}}\n"}},
    {"member_invitation",
     {"You were added to {{workspace.name}} on Settle",
      "<p>{{inviter}} added you to the workspace <b>{{workspace.name}}</b> as {{role}}.</p>" SETTLE_BUTTON(
          "link", "{{#hasPassword}}Sign in{{/hasPassword}}{{^hasPassword}}Choose your password{{/hasPassword}}")
          "{{^hasPassword}}<p>The link works once, for {{expiresInDays}} days.</p>{{/hasPassword}}",
      "{{inviter}} added you to the workspace {{workspace.name}} as {{role}}.\n\n{{#hasPassword}}Sign in: {{link}}\n"
      "{{/hasPassword}}{{^hasPassword}}Choose your password to sign in (the link works once, for {{expiresInDays}} "
      "days): {{link}}\n{{/hasPassword}}"}},
    {"domain_validation",
     {"Approve {{domain}} for {{workspace.name}} on Settle",
      "<p>{{requestedBy}} asked to let everyone with a verified address at <b>{{domain}}</b> join the workspace "
      "{{workspace.name}}.</p>" SETTLE_BUTTON("link", "Approve {{domain}}")
      "<p>The link works once, for {{expiresInDays}} days. If you did not expect this, ignore this mail.</p>",
      "{{requestedBy}} asked to let everyone with a verified address at {{domain}} join the workspace "
      "{{workspace.name}}.\n\nApprove {{domain}} (the link works once, for {{expiresInDays}} days):\n{{link}}\n\n"
      "If you did not expect this, ignore this mail.\n"}},
    {"email_verification",
     {"Confirm your email address for Settle",
      "<p>Hello {{firstName}},</p><p>Confirm that {{email}} is yours:</p>" SETTLE_BUTTON("link", "Confirm my address")
      "<p>Or enter this code: <code>{{code}}</code>. It works for {{expiresInDays}} days.</p>",
      "Hello {{firstName}},\n\nConfirm that {{email}} is yours: {{link}}\nOr enter this code: {{code}}\nIt works for "
      "{{expiresInDays}} days.\n"}},
    {"test",
     {"Settle mail test from {{workspace.name}}",
      "<p>This is a test message from Settle, sent by {{requestedBy}} through {{server}}.</p>"
      "<p>If you can read it, mail from {{workspace.name}} is delivered.</p>",
      "This is a test message from Settle, sent by {{requestedBy}} through {{server}}.\n\nIf you can read it, mail "
      "from {{workspace.name}} is delivered.\n"}},
};
#undef SETTLE_BUTTON

json sample_invoice() {
  return {{"number", "INV-2026-042"}, {"total", "$1,250.00"}, {"amountDue", "$1,250.00"}, {"amountPaid", "$0.00"},
          {"dueDate", "2026-12-31"}, {"currency", "USD"}, {"status", "Open"}};
}

mus::data to_data(const json& j) {
  switch (j.type()) {
    case json::value_t::object: {
      mus::data d{mus::data::type::object};
      for (const auto& [k, v] : j.items()) d.set(k, to_data(v));
      return d;
    }
    case json::value_t::array: {
      mus::data d{mus::data::type::list};
      for (const auto& v : j) d.push_back(to_data(v));
      return d;
    }
    case json::value_t::string:
      return mus::data(j.get<std::string>());
    case json::value_t::boolean:
      return mus::data(j.get<bool>());
    case json::value_t::null:
      return mus::data(false);  // a missing value: empty, and a false section
    default:
      return mus::data(j.dump());
  }
}

Result<std::string> render_part(const std::string& source, const mus::data& data, bool html, const char* part) {
  mus::mustache t{source};
  if (!t.is_valid()) return fail(Error::validation(part, "the " + std::string(part) + " template: " + t.error_message()));
  if (!html) t.set_custom_escape([](const std::string& s) { return s; });
  return t.render(data);
}

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  return out;
}

std::string layout(const std::string& content, const std::string& workspace_name) {
  return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
         "content=\"width=device-width\"></head><body style=\"margin:0;background:#f4f5f7;font-family:Helvetica,"
         "Arial,sans-serif;color:#1b1f24\"><div style=\"max-width:560px;margin:0 auto;padding:24px\">"
         "<div style=\"font-size:18px;font-weight:700;margin-bottom:16px\">" +
         escape_html(workspace_name) +
         "</div><div style=\"background:#ffffff;border-radius:8px;padding:24px;font-size:15px;line-height:1.5\">" +
         content + "</div></div></body></html>";
}

}  // namespace

const std::vector<TemplateKind>& template_kinds() { return kKinds; }

const TemplateKind* find_template_kind(std::string_view kind) {
  for (const auto& k : kKinds)
    if (kind == k.kind) return &k;
  return nullptr;
}

Result<Template> workspace_template(store::Tx& tx, const std::string& ws, std::string_view kind) {
  if (!find_template_kind(kind)) return fail(Error::not_found("mail template '" + std::string(kind) + "'"));
  if (auto r = tx.query_one(kSelectWorkspaceTemplate, {{"ws", ws}, {"kind", std::string(kind)}})) {
    store::RowView t(*r, 0);
    return Template{t.text("subject"), t.text("html"), t.text("text")};
  }
  return default_template(kind);
}

bool workflow_may_send(std::string_view kind) {
  return find_template_kind(kind) && kind != "member_invitation" && kind != "domain_validation" &&
         kind != "email_verification" && kind != "test";
}

const Template& default_template(std::string_view kind) {
  auto it = kDefaults.find(kind);
  return it != kDefaults.end() ? it->second : kDefaults.at("test");
}

json sample_model(std::string_view kind) {
  json m = {{"workspace", {{"name", "Phos Industries"}}},
            {"contact", {{"firstName", "Chen"}, {"lastName", "Wei"}, {"email", "chen@lvnlaser.com"}}},
            {"company", {{"name", "LVN Laser Service"}}}};
  if (kind == "invoice_sent" || kind == "payment_failed" || kind == "payment_receipt" ||
      kind.starts_with("invoice_reminder")) {
    m["invoice"] = sample_invoice();
    m["payUrl"] = "https://crm.example.com/pay/sample";
  }
  if (kind == "payment_receipt") {
    m["invoice"]["amountDue"] = "$0.00";
    m["payment"] = {{"amount", "$1,250.00"}, {"date", "2026-12-03"}};
  }
  if (kind == "payment_failed") m["reason"] = "Your card was declined.";
  if (kind.starts_with("invoice_reminder")) {
    int position = kind.back() - '0';
    int offset = position == 1 ? -3 : position == 2 ? 0 : 10;
    m["reminder"] = {{"when", offset < 0 ? "is due in 3 days" : offset == 0 ? "is due today" : "was due 10 days ago"},
                     {"offsetDays", offset}, {"position", position}};
    if (offset > 0) m["lateFee"] = "$31.25";
  }
  if (kind == "quote_sent") {
    m["quote"] = {{"number", "QUO-2026-017"}, {"total", "$8,400.00"}, {"expiresAt", "2026-12-31"}};
    m["acceptUrl"] = "https://quote.stripe.com/sample";
  }
  if (kind == "member_invitation")
    m.update({{"inviter", "ada@phos-ind.com"}, {"role", "MEMBER"}, {"hasPassword", false},
              {"link", "https://crm.example.com/accept-invitation?token=sample"}, {"expiresInDays", 7}});
  if (kind == "domain_validation")
    m.update({{"domain", "phos-ind.com"}, {"requestedBy", "ada@phos-ind.com"}, {"expiresInDays", 7},
              {"link", "https://crm.example.com/validate-domain?token=sample"}, {"code", "sample"}});
  if (kind == "email_verification")
    m.update({{"firstName", "Chen"}, {"email", "chen@lvnlaser.com"}, {"code", "sample"}, {"expiresInDays", 7},
              {"link", "https://crm.example.com/verify-email?token=sample"}});
  if (kind == "test") m.update({{"requestedBy", "ada@phos-ind.com"}, {"server", "smtp.example.com:587"}});
  return m;
}

Status validate_template(const Template& t) {
  for (auto [source, part] : {std::pair{&t.subject, "subject"}, {&t.html, "html"}, {&t.text, "text"}}) {
    mus::mustache m{*source};
    if (!m.is_valid()) return fail(Error::validation(part, "the " + std::string(part) + " template: " + m.error_message()));
  }
  if (t.subject.find_first_of("\r\n") != std::string::npos)
    return fail(Error::validation("subject", "a subject is one line"));
  return {};
}

Result<RenderedMail> render(const Template& t, const json& model) {
  mus::data data = to_data(model.is_object() ? model : json::object());
  auto subject = render_part(t.subject, data, false, "subject");
  if (!subject) return fail(subject.error());
  auto html = render_part(t.html, data, true, "html");
  if (!html) return fail(html.error());
  auto text = render_part(t.text, data, false, "text");
  if (!text) return fail(text.error());
  // A value with a line break must not end the Subject header.
  for (char& c : *subject)
    if (c == '\r' || c == '\n') c = ' ';
  std::string workspace = "Settle";
  if (model.is_object() && model.contains("workspace") && model.at("workspace").is_object())
    workspace = model.at("workspace").value("name", workspace);
  return RenderedMail{std::move(*subject), layout(*html, workspace), std::move(*text)};
}

std::string html_of_text(const std::string& text, const std::string& workspace_name) {
  std::string body = "<p>";
  for (char c : escape_html(text)) {
    if (c == '\n') body += "<br>";
    else if (c != '\r') body += c;
  }
  return layout(body + "</p>", workspace_name);
}

}  // namespace settle::mail
