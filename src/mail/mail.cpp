#include "mail/mail.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "common/dates.hpp"
#include "common/text.hpp"
#include "crm/accounts.hpp"
#include "crm/objects.hpp"
#include "crm/outbox.hpp"
#include "crm/workspace_profile.hpp"
#include "docs/document_pdf.hpp"
#include "mail/internal.hpp"
#include "mail/mime.hpp"
#include "mail/templates.hpp"

namespace settle::mail {
namespace {

using store::RowView;
using store::SqlValue;
using store::Tx;
using namespace detail;

constexpr const char* kSelectSettings =
    "SELECT host, port, security, username, password_sealed, from_address, from_name, reply_to, updated_at "
    "FROM mail_settings WHERE workspace_id = :ws";
constexpr const char* kUpsertSettings =
    "INSERT INTO mail_settings (workspace_id, host, port, security, username, password_sealed, from_address, "
    "from_name, reply_to, updated_at, updated_by) VALUES (:ws, :host, :port, :security, :username, :password, "
    ":from, :from_name, :reply_to, :now, :by) ON CONFLICT (workspace_id) DO UPDATE SET host = excluded.host, "
    "port = excluded.port, security = excluded.security, username = excluded.username, "
    "password_sealed = excluded.password_sealed, from_address = excluded.from_address, "
    "from_name = excluded.from_name, reply_to = excluded.reply_to, updated_at = excluded.updated_at, "
    "updated_by = excluded.updated_by";
constexpr const char* kDeleteSettings = "DELETE FROM mail_settings WHERE workspace_id = :ws";
constexpr const char* kSelectTemplates = "SELECT kind, updated_at FROM mail_templates WHERE workspace_id = :ws";
constexpr const char* kUpsertTemplate =
    "INSERT INTO mail_templates (workspace_id, kind, subject, html, text, updated_at, updated_by) VALUES (:ws, "
    ":kind, :subject, :html, :text, :now, :by) ON CONFLICT (workspace_id, kind) DO UPDATE SET "
    "subject = excluded.subject, html = excluded.html, text = excluded.text, updated_at = excluded.updated_at, "
    "updated_by = excluded.updated_by";
constexpr const char* kDeleteTemplate = "DELETE FROM mail_templates WHERE workspace_id = :ws AND kind = :kind";
constexpr const char* kSelectWorkspace = "SELECT name, subdomain, locale, address FROM workspaces WHERE id = :ws";
constexpr const char* kSelectStoredPdf =
    "SELECT sha256, content, file_name FROM document_pdfs WHERE workspace_id = :ws AND object = :object AND record_id = :id";
constexpr const char* kInsertStoredPdf =
    "INSERT INTO document_pdfs (workspace_id, object, record_id, sha256, content, file_name, created_at) VALUES (:ws, "
    ":object, :id, :sha, :content, :name, :now) ON CONFLICT (workspace_id, object, record_id) DO NOTHING";
// The invoice's succeeded payments in the order they came: a receipt's number and what was
// paid with it.
constexpr const char* kSelectInvoicePayments =
    "SELECT id, amount FROM payments WHERE workspace_id = :ws AND invoice_id = :invoice AND kind = 'payment' "
    "AND status = 'succeeded' AND deleted_at IS NULL ORDER BY created_at, id";
constexpr const char* kSetQuotePdfHash =
    "UPDATE quotes SET pdf_sha256 = :sha WHERE workspace_id = :ws AND id = :id AND pdf_sha256 IS NULL";
constexpr const char* kSetInvoicePdfHash =
    "UPDATE invoices SET pdf_sha256 = :sha WHERE workspace_id = :ws AND id = :id AND pdf_sha256 IS NULL";
constexpr const char* kSelectUserEmail = "SELECT email FROM users WHERE id = :id";

// The outbox as a queue. A row is due when queued and next_attempt_at has passed; claiming
// moves next_attempt_at to the lease's end (compare-and-set on the value seen), so one
// instance sends it and a crashed one's claim lapses by itself.
// Without a server-wide mail server only the workspaces with their own are looked at: the
// rest waits untouched (list_outbox says why) instead of being rewritten at every turn.
constexpr const char* kSelectDue =
    "SELECT id, workspace_id, next_attempt_at FROM outbox WHERE status = 'queued' AND next_attempt_at <= :now "
    "ORDER BY next_attempt_at LIMIT 20";
constexpr const char* kSelectDueWithOwnServer =
    "SELECT id, workspace_id, next_attempt_at FROM outbox WHERE status = 'queued' AND next_attempt_at <= :now "
    "AND workspace_id IN (SELECT workspace_id FROM mail_settings) ORDER BY next_attempt_at LIMIT 20";
constexpr const char* kClaim =
    "UPDATE outbox SET claimed_by = :token, next_attempt_at = :lease, attempts = attempts + 1, "
    "message_id = COALESCE(message_id, :mid) WHERE id = :id AND status = 'queued' AND next_attempt_at = :seen";
constexpr const char* kSelectClaimedExtra =
    "SELECT attempts, message_id, attachment_object, attachment_id, target_object, target_id FROM outbox "
    "WHERE id = :id AND claimed_by = :token";
constexpr const char* kMarkSent =
    "UPDATE outbox SET status = 'sent', sent_at = :now, next_attempt_at = NULL, claimed_by = NULL, "
    "last_error = NULL WHERE id = :id AND claimed_by = :token";
constexpr const char* kMarkRetry =
    "UPDATE outbox SET next_attempt_at = :next, claimed_by = NULL, last_error = :error "
    "WHERE id = :id AND claimed_by = :token";
constexpr const char* kMarkFailed =
    "UPDATE outbox SET status = 'failed', next_attempt_at = NULL, claimed_by = NULL, last_error = :error "
    "WHERE id = :id AND claimed_by = :token";
// A reminder whose invoice was paid (voided, written off) while it waited is not sent.
constexpr const char* kMarkCancelled =
    "UPDATE outbox SET status = 'cancelled', next_attempt_at = NULL, claimed_by = NULL, last_error = :error "
    "WHERE id = :id AND claimed_by = :token";
constexpr const char* kReleaseLeases =
    "UPDATE outbox SET claimed_by = NULL, next_attempt_at = :now WHERE status = 'queued' AND claimed_by LIKE :mine";
// A workspace that just configured its server: what waited for one is due now.
constexpr const char* kWakeWorkspace =
    "UPDATE outbox SET next_attempt_at = :now, last_error = NULL WHERE workspace_id = :ws AND status = 'queued' "
    "AND claimed_by IS NULL";
constexpr const char* kSelectOutbox =
    "SELECT id, kind, recipient, subject, status, attempts, last_error, created_at, sent_at, next_attempt_at, "
    "message_id, target_object, target_id, attachment_object, attachment_id, source FROM outbox "
    "WHERE workspace_id = :ws";
constexpr const char* kRetryFailed =
    "UPDATE outbox SET status = 'queued', next_attempt_at = :now, attempts = 0, last_error = NULL "
    "WHERE workspace_id = :ws AND id = :id AND status = 'failed'";

constexpr const char* kNoServer =
    "no mail server is configured: set one in Settings, Mail (or SETTLE_SMTP_HOST for the whole server)";

std::string password_ad(const std::string& ws) { return "mail_settings.password:" + ws; }

std::string timestamp_in(std::chrono::seconds d) { return store::timestamp_from_now(d); }

bool valid_host(const std::string& h) {
  if (h.empty() || h.size() > 253) return false;
  return std::all_of(h.begin(), h.end(), [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '-' || c == ':'; });
}

std::string domain_of(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? "settle.invalid" : address.substr(at + 1);
}

// The mail server as a person reads it, never with its password.
std::string describe(const MailServer& s) {
  return s.smtp.host + ":" + std::to_string(s.smtp.port) + " (" + security_name(s.smtp.security) + ")";
}

json settings_json(const MailServer& s, bool own, bool password_set, const std::string& updated_at) {
  json out = {{"source", own ? "workspace" : "server"},
              {"host", s.smtp.host},
              {"port", s.smtp.port},
              {"security", security_name(s.smtp.security)},
              {"username", s.smtp.username},
              {"passwordSet", password_set},
              {"fromAddress", s.from_address},
              {"fromName", s.from_name},
              {"replyTo", s.reply_to}};
  if (!updated_at.empty()) out["updatedAt"] = updated_at;
  return out;
}

// Only a payment that went through has a receipt.
Status check_receipt(const json& payment) {
  if (text_or(payment, "kind") != "payment" || text_or(payment, "status") != "succeeded")
    return fail(Error::conflict("only a succeeded payment has a receipt", "status"));
  return {};
}

}  // namespace

namespace detail {

json workspace_json(Tx& tx, const std::string& ws) {
  auto r = tx.query_one(kSelectWorkspace, {{"ws", ws}});
  if (!r) return {{"name", "Settle"}, {"locale", "en-US"}};
  RowView w(*r, 0);
  return {{"name", w.text("name")}, {"subdomain", w.text("subdomain")}, {"locale", w.text("locale")},
          {"address", w.opt_text("address").value_or("")}};
}

std::string text_or(const json& j, const char* key, std::string fallback) {
  return j.is_object() && j.contains(key) && j.at(key).is_string() ? j.at(key).get<std::string>() : fallback;
}

std::int64_t int_or(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j.at(key).is_number_integer() ? j.at(key).get<std::int64_t>() : 0;
}

std::string date_part(const std::string& iso) { return iso.substr(0, std::min<size_t>(iso.size(), 10)); }

}  // namespace detail

// --- the server-wide mail server ------------------------------------------------------------

Result<std::optional<MailServer>> mail_server_from_environment() {
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
  MailServer s;
  s.smtp.host = env("SETTLE_SMTP_HOST");
  if (s.smtp.host.empty()) return std::optional<MailServer>();
  if (!valid_host(s.smtp.host)) return fail(Error::validation("SETTLE_SMTP_HOST", "not a host name"));
  std::string security = env("SETTLE_SMTP_SECURITY");
  if (!security.empty() && !parse_security(security, s.smtp.security))
    return fail(Error::validation("SETTLE_SMTP_SECURITY", "starttls, tls or none"));
  s.smtp.port = s.smtp.security == Security::Tls ? 465 : 587;
  if (std::string port = env("SETTLE_SMTP_PORT"); !port.empty()) {
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (*end || p < 1 || p > 65535) return fail(Error::validation("SETTLE_SMTP_PORT", "a TCP port, 1-65535"));
    s.smtp.port = static_cast<int>(p);
  }
  s.smtp.username = env("SETTLE_SMTP_USERNAME");
  s.smtp.password = env("SETTLE_SMTP_PASSWORD");
  s.smtp.ca_file = env("SETTLE_SMTP_CA_FILE");
  s.from_address = env("SETTLE_SMTP_FROM");
  if (!crm::is_valid_email(s.from_address))
    return fail(Error::validation("SETTLE_SMTP_FROM", "the address mail is sent from (billing@example.com)"));
  s.from_name = env("SETTLE_SMTP_FROM_NAME");
  return std::optional<MailServer>(std::move(s));
}

Mail::Mail(std::shared_ptr<store::Database> db, std::shared_ptr<crm::Records> records, SecretBox box,
           MailOptions options)
    : db_(std::move(db)), records_(std::move(records)), box_(std::move(box)), options_(std::move(options)) {}

Mail::~Mail() { stop(); }

Result<std::optional<MailServer>> Mail::server_for(Tx& tx, const std::optional<std::string>& ws) {
  if (ws) {
    if (auto r = tx.query_one(kSelectSettings, {{"ws", *ws}})) {
      RowView m(*r, 0);
      MailServer s;
      s.smtp.host = m.text("host");
      s.smtp.port = static_cast<int>(m.integer("port"));
      parse_security(m.text("security"), s.smtp.security);
      s.smtp.username = m.opt_text("username").value_or("");
      if (auto sealed = m.opt_text("password_sealed")) {
        auto pw = box_.open(*sealed, password_ad(*ws));
        if (!pw) return fail(pw.error());
        s.smtp.password = std::move(*pw);
      }
      // The test CA (and a company's own) applies to every server this instance talks to.
      if (options_.server) s.smtp.ca_file = options_.server->smtp.ca_file;
      s.from_address = m.text("from_address");
      s.from_name = m.opt_text("from_name").value_or("");
      s.reply_to = m.opt_text("reply_to").value_or("");
      return std::optional<MailServer>(std::move(s));
    }
  }
  return options_.server;
}

// --- settings -------------------------------------------------------------------------------

Result<json> Mail::get_settings(const Actor& actor) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  return db_->read<json>([&](Tx& tx) -> Result<json> {
    if (auto r = tx.query_one(kSelectSettings, {{"ws", actor.workspace_id}})) {
      RowView m(*r, 0);
      MailServer s;
      s.smtp.host = m.text("host");
      s.smtp.port = static_cast<int>(m.integer("port"));
      parse_security(m.text("security"), s.smtp.security);
      s.smtp.username = m.opt_text("username").value_or("");
      s.from_address = m.text("from_address");
      s.from_name = m.opt_text("from_name").value_or("");
      s.reply_to = m.opt_text("reply_to").value_or("");
      return settings_json(s, true, !m.is_null("password_sealed"), m.text("updated_at"));
    }
    if (options_.server) return settings_json(*options_.server, false, !options_.server->smtp.password.empty(), "");
    return json{{"source", "none"}};
  });
}

Result<json> Mail::put_settings(const Actor& actor, const json& body) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  if (!body.is_object()) return fail(Error::bad_request("the request body must be a JSON object"));
  MailServer s;
  s.smtp.host = ascii_lower(text_or(body, "host"));
  if (!valid_host(s.smtp.host)) return fail(Error::validation("host", "the mail server's host name, e.g. smtp.example.com"));
  std::string security = text_or(body, "security", "starttls");
  if (!parse_security(security, s.smtp.security)) return fail(Error::validation("security", "starttls, tls or none"));
  s.smtp.port = s.smtp.security == Security::Tls ? 465 : 587;
  if (body.contains("port") && !body["port"].is_null()) {
    if (!body["port"].is_number_integer() || body["port"].get<long>() < 1 || body["port"].get<long>() > 65535)
      return fail(Error::validation("port", "a TCP port, 1-65535"));
    s.smtp.port = body["port"].get<int>();
  }
  s.smtp.username = text_or(body, "username");
  if (s.smtp.username.size() > 320 || s.smtp.username.find_first_of("\r\n") != std::string::npos)
    return fail(Error::validation("username", "one line, at most 320 characters"));
  s.from_address = ascii_lower(text_or(body, "fromAddress"));
  if (!crm::is_valid_email(s.from_address))
    return fail(Error::validation("fromAddress", "the address mail is sent from, e.g. billing@example.com"));
  s.from_name = text_or(body, "fromName");
  if (s.from_name.size() > 200 || s.from_name.find_first_of("\r\n") != std::string::npos)
    return fail(Error::validation("fromName", "one line, at most 200 characters"));
  s.reply_to = ascii_lower(text_or(body, "replyTo"));
  if (!s.reply_to.empty() && !crm::is_valid_email(s.reply_to))
    return fail(Error::validation("replyTo", "an email address, or empty"));
  // The password is kept unless a new one is sent ("" clears it).
  bool password_given = body.contains("password") && body["password"].is_string();
  if (body.contains("password") && !body["password"].is_null() && !password_given)
    return fail(Error::validation("password", "a string"));
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    SqlValue password = nullptr;
    if (password_given) {
      std::string pw = body["password"];
      if (!pw.empty()) password = box_.seal(pw, password_ad(actor.workspace_id));
    } else if (auto r = tx.query_one(kSelectSettings, {{"ws", actor.workspace_id}})) {
      if (auto sealed = RowView(*r, 0).opt_text("password_sealed")) password = *sealed;
    }
    std::string now = store::now_timestamp();
    tx.exec(kUpsertSettings, {{"ws", actor.workspace_id},
                              {"host", s.smtp.host},
                              {"port", std::int64_t{s.smtp.port}},
                              {"security", std::string(security_name(s.smtp.security))},
                              {"username", s.smtp.username.empty() ? SqlValue(nullptr) : SqlValue(s.smtp.username)},
                              {"password", password},
                              {"from", s.from_address},
                              {"from_name", s.from_name.empty() ? SqlValue(nullptr) : SqlValue(s.from_name)},
                              {"reply_to", s.reply_to.empty() ? SqlValue(nullptr) : SqlValue(s.reply_to)},
                              {"now", now},
                              {"by", actor.label}});
    tx.exec(kWakeWorkspace, {{"ws", actor.workspace_id}, {"now", now}});
    spdlog::info("mail: {} set the mail server of workspace {} to {}", actor.label, actor.workspace_id, describe(s));
    return settings_json(s, true, !std::holds_alternative<std::nullptr_t>(password), now);
  });
}

Status Mail::delete_settings(const Actor& actor) {
  if (auto st = require_admin(actor); !st) return st;
  auto r = db_->write<bool>([&](Tx& tx) -> Result<bool> {
    tx.exec(kDeleteSettings, {{"ws", actor.workspace_id}});
    tx.exec(kWakeWorkspace, {{"ws", actor.workspace_id}, {"now", store::now_timestamp()}});
    return true;
  });
  if (!r) return fail(r.error());
  wake();
  return {};
}

Result<json> Mail::send_test(const Actor& actor, const json& body) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  struct Prepared {
    MailServer server;
    Message message;
  };
  auto prepared = db_->read<Prepared>([&](Tx& tx) -> Result<Prepared> {
    auto server = server_for(tx, actor.workspace_id);
    if (!server) return fail(server.error());
    if (!*server) return fail(Error::validation("host", kNoServer));
    std::string to = ascii_lower(text_or(body, "to"));
    if (to.empty() && !actor.user_id.empty())
      if (auto u = tx.query_one(kSelectUserEmail, {{"id", actor.user_id}})) to = RowView(*u, 0).text("email");
    if (!crm::is_valid_email(to)) return fail(Error::validation("to", "the address to send the test message to"));
    Template t;
    if (auto st = template_of(tx, actor.workspace_id, "test", t); !st) return fail(st.error());
    json model = {{"workspace", workspace_json(tx, actor.workspace_id)},
                  {"requestedBy", actor.label},
                  {"server", describe(**server)}};
    auto mail = render(t, model);
    if (!mail) return fail(mail.error());
    Message m;
    m.from_address = (*server)->from_address;
    m.from_name = (*server)->from_name;
    m.reply_to = (*server)->reply_to;
    m.to = to;
    m.subject = mail->subject;
    m.text = mail->text;
    m.html = mail->html;
    m.message_id = "<" + random_id("test") + "@" + domain_of(m.from_address) + ">";
    return Prepared{**server, std::move(m)};
  });
  if (!prepared) return fail(prepared.error());
  SmtpConfig smtp = prepared->server.smtp;
  smtp.timeout_ms = std::min<long>(smtp.timeout_ms, 15000);  // a person is waiting
  SmtpOutcome out = send_smtp(smtp, prepared->message.from_address, {prepared->message.to}, render_mime(prepared->message));
  spdlog::info("mail: test message to {} through {}: {}", prepared->message.to, describe(prepared->server), out.reason);
  return json{{"delivered", out.ok}, {"to", prepared->message.to}, {"server", describe(prepared->server)},
              {"code", out.code}, {"reason", out.reason}};
}

// --- templates ------------------------------------------------------------------------------

Status Mail::template_of(Tx& tx, const std::string& ws, std::string_view kind, Template& out) {
  auto t = workspace_template(tx, ws, kind);
  if (!t) return fail(t.error());
  out = std::move(*t);
  return {};
}

Result<json> Mail::list_templates(const Actor& actor) {
  return db_->read<json>([&](Tx& tx) -> Result<json> {
    std::map<std::string, std::string> edited;
    store::Rows rows = tx.query(kSelectTemplates, {{"ws", actor.workspace_id}});
    for (size_t i = 0; i < rows.size(); ++i) edited[RowView(rows, i).text("kind")] = RowView(rows, i).text("updated_at");
    json out = json::array();
    for (const auto& k : template_kinds()) {
      Template t;
      if (auto st = template_of(tx, actor.workspace_id, k.kind, t); !st) return fail(st.error());
      const Template& d = default_template(k.kind);
      json item = {{"kind", k.kind},       {"title", k.title},   {"description", k.description},
                   {"subject", t.subject}, {"html", t.html},     {"text", t.text},
                   {"customized", edited.count(k.kind) > 0},
                   {"default", {{"subject", d.subject}, {"html", d.html}, {"text", d.text}}},
                   {"sample", sample_model(k.kind)}};
      if (edited.count(k.kind)) item["updatedAt"] = edited[k.kind];
      out.push_back(std::move(item));
    }
    return out;
  });
}

namespace {

Result<Template> template_from_body(const json& body) {
  if (!body.is_object()) return fail(Error::bad_request("the request body must be a JSON object"));
  Template t;
  for (auto [field, dest] : {std::pair{"subject", &t.subject}, {"html", &t.html}, {"text", &t.text}}) {
    if (!body.contains(field) || !body[field].is_string())
      return fail(Error::validation(field, std::string("the ") + field + " template is required"));
    *dest = body[field].get<std::string>();
    if (dest->size() > 100000) return fail(Error::validation(field, "at most 100,000 characters"));
  }
  if (t.subject.empty()) return fail(Error::validation("subject", "a mail needs a subject"));
  if (t.text.empty()) return fail(Error::validation("text", "a mail needs a plain-text part"));
  if (auto st = validate_template(t); !st) return fail(st.error());
  return t;
}

}  // namespace

Result<json> Mail::put_template(const Actor& actor, std::string_view kind, const json& body) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  if (!find_template_kind(kind)) return fail(Error::not_found("mail template '" + std::string(kind) + "'"));
  auto t = template_from_body(body);
  if (!t) return fail(t.error());
  // Rendered once with the sample model, so a template that cannot render is refused now.
  if (auto r = render(*t, sample_model(kind)); !r) return fail(r.error());
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    std::string now = store::now_timestamp();
    tx.exec(kUpsertTemplate, {{"ws", actor.workspace_id}, {"kind", std::string(kind)}, {"subject", t->subject},
                              {"html", t->html}, {"text", t->text}, {"now", now}, {"by", actor.label}});
    return json{{"kind", kind}, {"subject", t->subject}, {"html", t->html}, {"text", t->text},
                {"customized", true}, {"updatedAt", now}};
  });
}

Status Mail::reset_template(const Actor& actor, std::string_view kind) {
  if (auto st = require_admin(actor); !st) return st;
  if (!find_template_kind(kind)) return fail(Error::not_found("mail template '" + std::string(kind) + "'"));
  auto r = db_->write<bool>([&](Tx& tx) -> Result<bool> {
    tx.exec(kDeleteTemplate, {{"ws", actor.workspace_id}, {"kind", std::string(kind)}});
    return true;
  });
  if (!r) return fail(r.error());
  return {};
}

Result<json> Mail::preview(const Actor& actor, std::string_view kind, const json& body) {
  return db_->read<json>([&](Tx& tx) -> Result<json> {
    Template t;
    if (auto st = template_of(tx, actor.workspace_id, kind, t); !st) return fail(st.error());
    if (body.is_object() && body.contains("subject")) {
      auto edited = template_from_body(body);
      if (!edited) return fail(edited.error());
      t = *edited;
    }
    json model = sample_model(kind);
    model["workspace"] = workspace_json(tx, actor.workspace_id);
    auto r = render(t, model);
    if (!r) return fail(r.error());
    return json{{"kind", kind}, {"subject", r->subject}, {"html", r->html}, {"text", r->text}};
  });
}

// --- documents --------------------------------------------------------------------------------

Result<Mail::PdfFile> Mail::document_pdf(const Actor& a, std::string_view object, std::string_view id) {
  const crm::ObjectDef* o = crm::find_object(object);
  if (!o || (object != "quotes" && object != "invoices" && object != "payments")) return fail(Error::not_found("document"));
  auto record = records_->get(a, *o, id);
  if (!record) return fail(record.error());
  bool receipt = object == "payments";
  if (receipt)
    if (auto st = check_receipt(*record); !st) return fail(st.error());
  store::Params key = {{"ws", a.workspace_id}, {"object", std::string(object)}, {"id", std::string(id)}};
  auto stored = [&](Tx& tx) -> std::optional<PdfFile> {
    auto r = tx.query_one(kSelectStoredPdf, key);
    if (!r) return std::nullopt;
    RowView row(*r, 0);
    auto bytes = base64url_decode(row.text("content"));
    if (!bytes) return std::nullopt;
    return PdfFile{std::move(*bytes), row.text("file_name"), row.text("sha256")};
  };
  // Finalized (a receipt always is): what was made once is what is served.
  bool fixed = receipt || text_or(*record, "status") != "Draft";
  if (fixed) {
    auto found = db_->read<std::optional<PdfFile>>([&](Tx& tx) -> Result<std::optional<PdfFile>> { return stored(tx); });
    if (!found) return fail(found.error());
    if (*found) return std::move(**found);
  }
  auto drawn = db_->read<PdfFile>([&](Tx& tx) { return draw_pdf(tx, a, *o, *record); });
  if (!drawn || !fixed) return drawn;
  // Two first requests at once: one row wins, and both answer it.
  return db_->write<PdfFile>([&](Tx& tx) -> Result<PdfFile> {
    std::string sha = sha256_hex(drawn->bytes);
    store::Params insert = key;
    insert.insert(insert.end(), {{"sha", sha}, {"content", base64url_encode(drawn->bytes)}, {"name", drawn->file_name},
                                 {"now", store::now_timestamp()}});
    tx.exec(kInsertStoredPdf, insert);
    auto winner = stored(tx);
    if (!winner) return fail(Error::internal("the stored PDF of " + std::string(id) + " does not read back"));
    if (!receipt)
      tx.exec(object == "invoices" ? kSetInvoicePdfHash : kSetQuotePdfHash,
              {{"ws", a.workspace_id}, {"id", std::string(id)}, {"sha", winner->sha256}});
    return std::move(*winner);
  });
}

Result<Mail::PdfFile> Mail::draw_pdf(Tx& tx, const Actor& a, const crm::ObjectDef& object, const json& record) {
  std::string which = object.name;
  json invoice_of_payment;
  if (which == "payments") {
    auto inv = records_->get(tx, a, *crm::find_object("invoices"), text_or(record, "invoiceId"));
    if (!inv) return fail(inv.error());
    invoice_of_payment = std::move(*inv);
  }
  const json& priced = which == "payments" ? invoice_of_payment : record;
  json company = json::object();
  if (auto c = records_->get(tx, a, *crm::find_object("companies"), text_or(priced, "companyId"))) company = *c;
  json workspace = workspace_json(tx, a.workspace_id);
  docs::PdfDocument document;
  if (which == "payments") {
    int sequence = 0;
    std::int64_t paid = 0;
    store::Rows rows = tx.query(kSelectInvoicePayments, {{"ws", a.workspace_id}, {"invoice", text_or(record, "invoiceId")}});
    for (size_t i = 0; i < rows.size(); ++i) {
      RowView p(rows, i);
      ++sequence;
      paid += p.integer("amount");
      if (p.text("id") == text_or(record, "id")) break;
    }
    document = docs::receipt_from_payment(record, invoice_of_payment, company, workspace, sequence, paid);
  } else {
    bool invoice = which == "invoices";
    std::string pay = invoice ? text_or(record, "stripePaymentLink", text_or(record, "stripeInvoiceUrl"))
                              : text_or(record, "stripeQuoteUrl");
    document = docs::document_from_record(invoice ? docs::PdfDocument::Kind::Invoice : docs::PdfDocument::Kind::Quote,
                                          record, company, workspace, pay);
  }
  if (auto logo = crm::WorkspaceProfile::logo(tx, a.workspace_id)) document.logo_png = std::move(*logo);
  auto bytes = docs::render_pdf(document);
  if (!bytes) return fail(bytes.error());
  std::string name = document.number.empty() ? (which == "invoices" ? "invoice-draft" : "quote-draft") : document.number;
  return PdfFile{std::move(*bytes), name + ".pdf", ""};
}

Result<crm::QueuedMail> Mail::document_mail(Tx& tx, const Actor& actor, const crm::ObjectDef& object,
                                            const json& record, std::string to) {
  bool payment = object.name == std::string_view("payments");
  bool invoice = payment || object.name == std::string_view("invoices");
  // A receipt speaks of the payment's invoice.
  json paid_invoice;
  if (payment) {
    auto inv = records_->get(tx, actor, *crm::find_object("invoices"), text_or(record, "invoiceId"));
    if (!inv) return fail(inv.error());
    paid_invoice = std::move(*inv);
  }
  const json& doc = payment ? paid_invoice : record;
  json workspace = workspace_json(tx, actor.workspace_id);
  std::string locale = text_or(workspace, "locale", "en-US"), currency = text_or(doc, "currency", "USD");
  auto money = [&](const char* key) { return docs::format_amount(int_or(doc, key), currency, locale); };
  json company = json::object(), contact = json::object();
  if (auto c = records_->get(tx, actor, *crm::find_object("companies"), text_or(doc, "companyId"))) company = *c;
  std::string contact_id = text_or(doc, "personId", text_or(company, "primaryContactId"));
  if (!contact_id.empty())
    if (auto p = records_->get(tx, actor, *crm::find_object("people"), contact_id)) contact = *p;
  if (to.empty()) to = ascii_lower(text_or(contact, "email"));
  if (!crm::is_valid_email(to))
    return fail(Error::validation("to", "the company has no primary contact with an email address: name one in `to`"));
  crm::QueuedMail mail;
  mail.workspace_id = actor.workspace_id;
  mail.kind = payment ? "payment_receipt" : invoice ? "invoice_sent" : "quote_sent";
  mail.to = to;
  mail.data = {{"workspace", workspace},
               {"company", {{"name", text_or(company, "name")}}},
               {"contact", {{"firstName", text_or(contact, "firstName", "there")},
                            {"lastName", text_or(contact, "lastName")}, {"email", to}}}};
  if (invoice) {
    mail.data["invoice"] = {{"number", text_or(doc, "invoiceNumber")}, {"total", money("total")},
                            {"amountDue", money("amountDue")},       {"amountPaid", money("amountPaid")},
                            {"dueDate", date_part(text_or(doc, "dueDate"))},
                            {"currency", currency},                  {"status", text_or(doc, "status")}};
    std::string pay = text_or(doc, "stripePaymentLink", text_or(doc, "stripeInvoiceUrl"));
    mail.data["payUrl"] = pay.empty() || payment ? json(nullptr) : json(pay);
    if (payment)
      mail.data["payment"] = {{"amount", docs::format_amount(int_or(record, "amount"), currency, locale)},
                              {"date", date_part(text_or(record, "receivedAt", text_or(record, "createdAt")))},
                              {"method", text_or(record, "method")}};
  } else {
    mail.data["quote"] = {{"number", text_or(record, "quoteNumber")}, {"total", money("total")},
                          {"expiresAt", date_part(text_or(record, "expiresAt"))}};
    std::string page = text_or(record, "stripeQuoteUrl");
    mail.data["acceptUrl"] = page.empty() ? json(nullptr) : json(page);
  }
  std::string id = text_or(record, "id");
  mail.attachment = mail.about = std::make_pair(std::string(object.name), id);
  // A receipt's mail shows on its invoice's timeline, where the payment is.
  if (payment) mail.about = std::make_pair(std::string("invoices"), text_or(record, "invoiceId"));
  return mail;
}

Result<json> Mail::send_document(const Actor& actor, std::string_view object, std::string_view id, const json& body) {
  const crm::ObjectDef* o = crm::find_object(object);
  if (!o || (object != "quotes" && object != "invoices" && object != "payments")) return fail(Error::not_found("document"));
  bool invoice = object == "invoices";
  std::string to = ascii_lower(text_or(body, "to"));
  if (body.is_object() && body.contains("to") && !body["to"].is_null() && !body["to"].is_string())
    return fail(Error::validation("to", "an email address"));
  if (!to.empty() && !crm::is_valid_email(to)) return fail(Error::validation("to", "'" + to + "' is not an email address"));
  auto queued = db_->write<json>([&](Tx& tx) -> Result<json> {
    auto record = records_->get(tx, actor, *o, id);
    if (!record) return fail(record.error());
    std::string status = text_or(*record, "status");
    if (object == "payments")
      if (auto st = check_receipt(*record); !st) return fail(st.error());
    if (status == "Draft")
      return fail(Error::conflict(std::string("finalize the ") + (invoice ? "invoice" : "quote") + " before sending it",
                                  "status"));
    if (invoice && (status == "Void" || status == "Uncollectible"))
      return fail(Error::conflict("a " + status + " invoice is not sent", "status"));
    auto mail = document_mail(tx, actor, *o, *record, to);
    if (!mail) return fail(mail.error());
    Template t;
    if (auto st = template_of(tx, actor.workspace_id, mail->kind, t); !st) return fail(st.error());
    auto rendered = render(t, mail->data);
    if (!rendered) return fail(rendered.error());
    mail->subject = rendered->subject;  // what the outbox lists; the send renders it again
    mail->body = rendered->text;
    mail->source = std::string(object) + "-send:" + actor.label;
    auto mail_id = crm::queue_mail(tx, *mail, nullptr);
    if (!mail_id) return fail(mail_id.error());
    records_->add_timeline_entry(tx, actor, *crm::find_object(mail->about->first), mail->about->second, "email_queued",
                                 mail->subject + " to " + mail->to);
    return json{{"id", *mail_id}, {"kind", mail->kind}, {"to", mail->to}, {"subject", mail->subject}, {"status", "queued"}};
  });
  if (queued) wake();
  return queued;
}

// --- the outbox -------------------------------------------------------------------------------

Result<json> Mail::list_outbox(const Actor& actor, std::string_view status, std::string_view limit_text) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  int limit = 50;
  if (!limit_text.empty()) {
    try {
      limit = std::stoi(std::string(limit_text));
    } catch (...) {
      limit = 0;
    }
    if (limit < 1 || limit > 200) return fail(Error::validation("limit", "1 to 200"));
  }
  static const std::vector<std::string> kStatuses = {"draft", "queued", "sent", "failed", "cancelled"};
  if (!status.empty() && std::find(kStatuses.begin(), kStatuses.end(), status) == kStatuses.end())
    return fail(Error::validation("status", "draft, queued, sent, failed or cancelled"));
  return db_->read<json>([&](Tx& tx) -> Result<json> {
    auto server = server_for(tx, actor.workspace_id);
    if (!server) return fail(server.error());
    std::string sql = std::string(kSelectOutbox) + (status.empty() ? "" : " AND status = :status") +
                      " ORDER BY created_at DESC, id DESC LIMIT " + std::to_string(limit);
    store::Params params{{"ws", actor.workspace_id}};
    if (!status.empty()) params.emplace_back("status", std::string(status));
    store::Rows rows = tx.query(sql, params);
    json out = json::array();
    for (size_t i = 0; i < rows.size(); ++i) {
      RowView r(rows, i);
      auto opt = [&](const char* c) { return r.is_null(c) ? json(nullptr) : json(r.text(c)); };
      json item = {{"id", r.text("id")},           {"kind", r.text("kind")},         {"to", r.text("recipient")},
                   {"subject", r.text("subject")}, {"status", r.text("status")},     {"attempts", r.integer("attempts")},
                   {"lastError", opt("last_error")}, {"createdAt", r.text("created_at")}, {"sentAt", opt("sent_at")},
                   {"nextAttemptAt", opt("next_attempt_at")}, {"messageId", opt("message_id")},
                   {"source", opt("source")}};
      if (!*server && r.text("status") == "queued") item["waitingFor"] = kNoServer;
      if (!r.is_null("target_object")) item["about"] = {{"object", r.text("target_object")}, {"id", r.text("target_id")}};
      if (!r.is_null("attachment_object"))
        item["attachment"] = {{"object", r.text("attachment_object")}, {"id", r.text("attachment_id")}};
      out.push_back(std::move(item));
    }
    return out;
  });
}

Result<json> Mail::retry(const Actor& actor, std::string_view id) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  auto r = db_->write<json>([&](Tx& tx) -> Result<json> {
    // Another workspace's mail is not found, whatever its status: a 409 would tell it exists.
    if (!tx.query_one("SELECT 1 AS x FROM outbox WHERE workspace_id = :ws AND id = :id",
                      {{"ws", actor.workspace_id}, {"id", std::string(id)}}))
      return fail(Error::not_found("mail"));
    if (tx.exec(kRetryFailed, {{"ws", actor.workspace_id}, {"id", std::string(id)}, {"now", store::now_timestamp()}}) == 0)
      return fail(Error::conflict("only a failed mail can be tried again", "status"));
    return json{{"id", id}, {"status", "queued"}};
  });
  if (r) wake();
  return r;
}

// --- delivery ---------------------------------------------------------------------------------

void Mail::start() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void Mail::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wakeup_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Mail::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wakeup_.notify_all();
}

void Mail::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wakeup_.wait_for(lock, options_.poll, [this] { return stopping_ || woken_; });
      if (stopping_) return;
      woken_ = false;
    }
    try {
      // A full batch means more may be due: go on without waiting.
      if (options_.reminder_every.count() > 0) {
        std::int64_t now = unix_seconds_now();
        if (now >= next_reminder_sweep_) {
          next_reminder_sweep_ = now + options_.reminder_every.count();
          send_due_reminders(now);
        }
      }
      while (deliver_due() >= 20) {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
    } catch (const std::exception& e) {
      spdlog::error("mail: delivery turn failed: {}", e.what());
    }
  }
}

Status Mail::release_stale_leases() {
  auto r = db_->write<long long>([&](Tx& tx) -> Result<long long> {
    return tx.exec(kReleaseLeases, {{"now", store::now_timestamp()}, {"mine", options_.instance + "/%"}});
  });
  if (!r) return fail(r.error());
  if (*r) spdlog::warn("mail: {} message(s) claimed before a restart are due again", *r);
  return {};
}

int Mail::deliver_due() {
  auto due = db_->read<store::Rows>([&](Tx& tx) -> Result<store::Rows> {
    return tx.query(options_.server ? kSelectDue : kSelectDueWithOwnServer, {{"now", store::now_timestamp()}});
  });
  if (!due) {
    spdlog::error("mail: {}", due.error().log);
    return 0;
  }
  int attempted = 0;
  for (size_t i = 0; i < due->size(); ++i) {
    RowView row(*due, i);
    std::string id = row.text("id"), seen = row.text("next_attempt_at");
    std::optional<std::string> ws = row.opt_text("workspace_id");
    std::string token = options_.instance + "/" + random_id("");
    auto claimed = db_->write<bool>([&](Tx& tx) -> Result<bool> {
      auto server = server_for(tx, ws);
      if (!server) return fail(server.error());
      if (!*server) return false;  // its settings were just removed
      return tx.exec(kClaim, {{"id", id}, {"seen", seen}, {"token", token},
                              {"lease", timestamp_in(options_.lease)},
                              {"mid", "<" + id + "@" + domain_of((*server)->from_address) + ">"}}) == 1;
    });
    if (!claimed) {
      spdlog::error("mail: claiming {}: {}", id, claimed.error().log);
      continue;
    }
    if (!*claimed) continue;
    ++attempted;
    deliver(id, token);
  }
  return attempted;
}

void Mail::deliver(const std::string& id, const std::string& token) {
  struct Outcome {
    enum class Kind { Sent, Failed, Cancelled } kind;
    std::string reason;
  };
  struct Prepared {
    MailServer server;
    Message message;
    int attempts = 0;
    std::optional<std::string> workspace_id, about_object, about_id;
    std::string cancelled;  // why the mail is no longer to be sent
  };
  // Everything that can fail before the server is asked fails the mail for good: sending
  // the same broken template again cannot help.
  std::string broken;
  auto prepared = db_->read<Prepared>([&](Tx& tx) -> Result<Prepared> {
    auto row = tx.query_one(std::string("SELECT ") + crm::kOutboxMessageColumns + " FROM outbox WHERE id = :id AND claimed_by = :token",
                            {{"id", id}, {"token", token}});
    auto extra = tx.query_one(kSelectClaimedExtra, {{"id", id}, {"token", token}});
    if (!row || !extra) return fail(Error::conflict("the claim on " + id + " lapsed"));
    auto msg = crm::open_outbox_row(RowView(*row, 0), &box_);
    if (!msg) return fail(msg.error());
    RowView x(*extra, 0);
    Prepared p;
    p.workspace_id = msg->workspace_id;
    p.attempts = static_cast<int>(x.integer("attempts"));
    p.about_object = x.opt_text("target_object");
    p.about_id = x.opt_text("target_id");
    if (msg->kind.starts_with("invoice_reminder") && msg->workspace_id && p.about_object == "invoices" && p.about_id) {
      Actor system{*msg->workspace_id, "", "mail", crm::Role::Admin};
      auto invoice = records_->get(tx, system, *crm::find_object("invoices"), *p.about_id);
      std::string status = invoice ? text_or(*invoice, "status") : "deleted";
      if (!billing::is_remindable_status(status) || (invoice && int_or(*invoice, "amountDue") <= 0)) {
        p.cancelled = "not sent, the invoice is " + status + " now";
        p.message.subject = msg->subject;
        p.message.to = msg->recipient;
        return p;
      }
    }
    auto server = server_for(tx, msg->workspace_id);
    if (!server) return fail(server.error());
    if (!*server) return fail(Error::conflict(kNoServer));
    p.server = **server;
    Message& m = p.message;
    m.from_address = p.server.from_address;
    m.from_name = p.server.from_name;
    m.reply_to = p.server.reply_to;
    m.to = msg->recipient;
    m.message_id = x.opt_text("message_id").value_or("<" + id + "@" + domain_of(m.from_address) + ">");
    m.headers.emplace_back("X-Settle-Outbox-Id", id);
    json workspace = msg->workspace_id ? workspace_json(tx, *msg->workspace_id) : json{{"name", "Settle"}};
    if (m.from_name.empty()) m.from_name = text_or(workspace, "name", "Settle");
    if (find_template_kind(msg->kind)) {
      Template t = default_template(msg->kind);
      if (msg->workspace_id)
        if (auto st = template_of(tx, *msg->workspace_id, msg->kind, t); !st) return fail(st.error());
      json model = msg->data;
      if (!model.contains("workspace")) model["workspace"] = workspace;
      auto rendered = render(t, model);
      if (!rendered) {
        broken = "the " + msg->kind + " template does not render: " + rendered.error().message;
        return fail(rendered.error());
      }
      m.subject = rendered->subject;
      m.text = rendered->text;
      m.html = rendered->html;
    } else {
      m.subject = msg->subject;
      m.text = msg->body;
      m.html = html_of_text(msg->body, text_or(workspace, "name", "Settle"));
    }
    if (auto object = x.opt_text("attachment_object"); object && msg->workspace_id) {
      if (*object == "quotes" || *object == "invoices" || *object == "payments") {
        Actor system{*msg->workspace_id, "", "mail", crm::Role::Admin};
        auto pdf = document_pdf(system, *object, x.text("attachment_id"));
        if (!pdf) {
          broken = "the attachment could not be made: " + pdf.error().message;
          return fail(pdf.error());
        }
        m.attachments.push_back({pdf->file_name, "application/pdf", std::move(pdf->bytes)});
      }
    }
    return p;
  });
  auto finish = [&](const Outcome& outcome, const std::optional<std::string>& ws, const std::optional<std::string>& about_object,
                    const std::optional<std::string>& about_id, const std::string& summary) {
    auto r = db_->write<bool>([&](Tx& tx) -> Result<bool> {
      long long n = 0;
      std::string now = store::now_timestamp();
      if (outcome.kind == Outcome::Kind::Sent) n = tx.exec(kMarkSent, {{"id", id}, {"token", token}, {"now", now}});
      else n = tx.exec(outcome.kind == Outcome::Kind::Failed ? kMarkFailed : kMarkCancelled,
                       {{"id", id}, {"token", token}, {"error", outcome.reason}});
      if (n == 0) return false;  // the lease lapsed and another instance has it
      if (ws && about_object && about_id)
        if (const crm::ObjectDef* o = crm::find_object(*about_object)) {
          Actor system{*ws, "", "mail", crm::Role::Admin};
          const char* kind = outcome.kind == Outcome::Kind::Sent     ? "email_sent"
                             : outcome.kind == Outcome::Kind::Failed ? "email_failed"
                                                                     : "email_cancelled";
          records_->add_timeline_entry(tx, system, *o, *about_id, kind,
                                       outcome.kind == Outcome::Kind::Sent ? summary : summary + ": " + outcome.reason);
        }
      return true;
    });
    if (!r) spdlog::error("mail: recording the outcome of {}: {}", id, r.error().log);
  };
  if (!prepared) {
    if (broken.empty()) {
      spdlog::warn("mail: {} not sent now: {}", id, prepared.error().log.empty() ? prepared.error().message : prepared.error().log);
      return;  // the lease lapses and it is tried again
    }
    spdlog::error("mail: {} failed: {}", id, broken);
    finish({Outcome::Kind::Failed, broken}, std::nullopt, std::nullopt, std::nullopt, "");
    return;
  }
  if (!prepared->cancelled.empty()) {
    spdlog::info("mail: {} not sent: {}", id, prepared->cancelled);
    finish({Outcome::Kind::Cancelled, prepared->cancelled}, prepared->workspace_id, prepared->about_object,
           prepared->about_id, prepared->message.subject + " to " + prepared->message.to);
    return;
  }
  const Message& m = prepared->message;
  std::string summary = m.subject + " to " + m.to;
  SmtpOutcome out = send_smtp(prepared->server.smtp, m.from_address, {m.to}, render_mime(m));
  if (out.ok) {
    spdlog::info("mail: sent {} {} to {} through {}", id, m.message_id, m.to, describe(prepared->server));
    finish({Outcome::Kind::Sent, ""}, prepared->workspace_id, prepared->about_object, prepared->about_id, summary);
    return;
  }
  if (out.permanent || prepared->attempts >= options_.max_attempts) {
    std::string reason = out.permanent ? out.reason
                                       : "gave up after " + std::to_string(prepared->attempts) + " attempts: " + out.reason;
    spdlog::warn("mail: {} to {} failed: {}", id, m.to, reason);
    finish({Outcome::Kind::Failed, reason}, prepared->workspace_id, prepared->about_object, prepared->about_id, summary);
    return;
  }
  auto wait = options_.first_retry * (1LL << std::min(prepared->attempts - 1, 16));
  wait = std::min<std::chrono::seconds>(wait, options_.max_retry);
  spdlog::warn("mail: {} to {} not sent (attempt {}), again in {} s: {}", id, m.to, prepared->attempts, wait.count(),
               out.reason);
  auto r = db_->write<bool>([&](Tx& tx) -> Result<bool> {
    return tx.exec(kMarkRetry, {{"id", id}, {"token", token}, {"error", out.reason}, {"next", timestamp_in(wait)}}) == 1;
  });
  if (!r) spdlog::error("mail: recording the retry of {}: {}", id, r.error().log);
}

}  // namespace settle::mail
