// Mail: the one public face of src/mail.
//  - Settings (ADMIN): a workspace's own SMTP server (password sealed under the master key,
//    bound to the workspace, never answered back), else the server-wide one from the
//    environment (SETTLE_SMTP_*); a test message sent at once through it.
//  - Templates: the shipped ones (templates.hpp), a workspace's edits of them, previews.
//  - Sending an invoice or a quote: the mail queued with the PDF attached and the pay link.
//  - Reminders (dunning, billing/dunning.hpp): the workspace's rules, and the sweep that
//    queues each invoice's reminder once when its day comes (reminders.cpp).
//  - Delivery: the outbox (crm/outbox.hpp) is worked as a durable queue on a thread of its
//    own, so a slow mail server never holds up requests, webhooks or workflow runs. A row is
//    claimed under a lease, rendered, sent with its fixed Message-ID and marked sent in the
//    transaction right after the server accepted DATA; a 4xx reply or a transport failure
//    is tried again with back-off, a 5xx reply fails the row for good. Either way the
//    record the mail is about shows it on its timeline.
// Nothing here knows HTTP.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "billing/dunning.hpp"
#include "common/crypto.hpp"
#include "common/error.hpp"
#include "crm/outbox.hpp"
#include "crm/records.hpp"
#include "mail/smtp.hpp"
#include "mail/templates.hpp"
#include "store/database.hpp"

namespace settle::mail {

using json = nlohmann::json;
using crm::Actor;

// Where mail goes and whom it is from.
struct MailServer {
  SmtpConfig smtp;
  std::string from_address, from_name, reply_to;
};

// The server-wide mail server from SETTLE_SMTP_HOST, _PORT, _SECURITY (starttls | tls |
// none), _USERNAME, _PASSWORD, _FROM, _FROM_NAME and _CA_FILE; none without a host.
// A malformed setting is an error naming it.
Result<std::optional<MailServer>> mail_server_from_environment();

struct MailOptions {
  std::string instance;    // names this process in leases (as the Stripe inbox does)
  std::string public_url;  // SETTLE_PUBLIC_URL: links in mail
  std::optional<MailServer> server;  // server-wide; a workspace's own settings win
  std::chrono::milliseconds poll{1000};
  std::chrono::seconds lease{120};
  std::chrono::seconds first_retry{30};  // doubling per attempt, capped at max_retry
  std::chrono::seconds max_retry{3600};
  int max_attempts = 10;
  // How often the delivery thread looks for reminders that fell due; zero: never (tests
  // call send_due_reminders themselves, with the Stripe sandbox's clock).
  std::chrono::seconds reminder_every{900};
};

class Mail {
 public:
  Mail(std::shared_ptr<store::Database> db, std::shared_ptr<crm::Records> records, SecretBox box,
       MailOptions options);
  ~Mail();  // stops

  // --- settings (ADMIN) -----------------------------------------------------------------
  Result<json> get_settings(const Actor& actor);
  Result<json> put_settings(const Actor& actor, const json& body);
  Status delete_settings(const Actor& actor);
  // Sends the test template now, to body.to or the ADMIN's own address; answers the
  // server's reply (a refusal is an answer too: {"delivered": false, "reason": ...}).
  Result<json> send_test(const Actor& actor, const json& body);

  // --- templates ------------------------------------------------------------------------
  Result<json> list_templates(const Actor& actor);
  Result<json> put_template(const Actor& actor, std::string_view kind, const json& body);  // ADMIN
  Status reset_template(const Actor& actor, std::string_view kind);                         // ADMIN
  // The kind's mail rendered with its sample model, from the template in `body` (unsaved
  // edits) or else the workspace's.
  Result<json> preview(const Actor& actor, std::string_view kind, const json& body);

  // --- sending documents ----------------------------------------------------------------
  // POST /rest/{invoices|quotes|payments}/{id}/send: a finalized document (a succeeded
  // payment's receipt) to body.to, else its person, else its company's primary contact; the
  // PDF attached. Answers the queued mail.
  Result<json> send_document(const Actor& actor, std::string_view object, std::string_view id, const json& body);

  // --- reminders (dunning) ---------------------------------------------------------------
  // {"rules": [{"position", "offsetDays", "lateFeeBasisPoints", "template", "description"}]}
  Result<json> get_reminder_rules(const Actor& actor);
  Result<json> put_reminder_rules(const Actor& actor, const json& body);  // ADMIN; [] turns them off
  // Queues the reminders that fell due by `now` (Unix seconds, read as each workspace's
  // local date): one tx per invoice, each reminder once however many instances run this.
  // Answers how many were queued.
  int send_due_reminders(std::int64_t now);

  // --- the outbox -----------------------------------------------------------------------
  // Recent mail of the workspace (ADMIN), newest first: ?status=, ?limit=
  Result<json> list_outbox(const Actor& actor, std::string_view status, std::string_view limit);
  Result<json> retry(const Actor& actor, std::string_view id);  // a failed mail, once more (ADMIN)

  // The PDF of a quote or invoice as the API and attachments serve it.
  // A finalized document's PDF is made once, stored, and served as those bytes ever after
  // (`sha256` set, and on the record as pdfSha256); a draft's is drawn on each request.
  struct PdfFile {
    std::string bytes, file_name, sha256;
  };
  // Also a succeeded payment's receipt (object "payments"), fixed once made.
  Result<PdfFile> document_pdf(const Actor& actor, std::string_view object, std::string_view id);

  // --- delivery -------------------------------------------------------------------------
  void start();
  void stop();
  void wake();  // mail was queued
  // Sends what is due now, in the caller's thread; answers how many rows it attempted.
  int deliver_due();
  // Leases of this instance left by a crash are released at start.
  Status release_stale_leases();

 private:
  void run();
  // The workspace's own server, else the server-wide one, else none.
  Result<std::optional<MailServer>> server_for(store::Tx& tx, const std::optional<std::string>& workspace_id);
  // The workspace's edit of the kind's template, else the shipped one.
  Status template_of(store::Tx& tx, const std::string& ws, std::string_view kind, Template& out);
  // The PDF of a quote, an invoice or a payment's receipt, drawn now.
  Result<PdfFile> draw_pdf(store::Tx& tx, const Actor& actor, const crm::ObjectDef& object, const json& record);
  // Sends one claimed row and records how it went.
  void deliver(const std::string& id, const std::string& token);
  // The mail about a quote or an invoice (`record`, read in `tx`) to `to`, else its person,
  // else its company's primary contact: the model every document template shares.
  Result<crm::QueuedMail> document_mail(store::Tx& tx, const Actor& actor, const crm::ObjectDef& object,
                                        const json& record, std::string to);
  // The reminder of one invoice if one is due today in its workspace; answers whether one
  // was queued.
  Result<bool> remind_invoice(const Actor& system, const std::string& invoice_id,
                              const std::vector<billing::ReminderRule>& rules, std::chrono::sys_days today);

  std::shared_ptr<store::Database> db_;
  std::shared_ptr<crm::Records> records_;
  std::int64_t next_reminder_sweep_ = 0;  // delivery thread only
  SecretBox box_;
  MailOptions options_;

  // Guarded by mutex_.
  std::mutex mutex_;
  std::condition_variable wakeup_;
  bool stopping_ = false;
  bool woken_ = false;

  std::thread thread_;  // started and joined by start()/stop() on the owner's thread
};

}  // namespace settle::mail
