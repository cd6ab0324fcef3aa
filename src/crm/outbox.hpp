// The outbox: mail waiting to be sent. Whoever has something to say (accounts, workflow
// steps, invoices being sent, reminders) queues it here inside the transaction that decides
// it, so that a mail exists exactly when its cause committed; src/mail delivers the rows.
// A mail names its template kind and the template's model (`data`); `subject` and `body`
// are the plain text said when no template renders it (a workflow's own mail).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/crypto.hpp"
#include "common/error.hpp"
#include "store/database.hpp"

namespace settle::crm {

struct QueuedMail {
  std::optional<std::string> workspace_id;  // none for account mail (email verification)
  std::string kind;                         // a template kind (mail::kTemplateKinds) or "workflow"
  std::string to, subject, body;
  nlohmann::json data = nlohmann::json::object();
  // The body and data carry a one-time code: sealed under the master key, bound to the row.
  bool sealed = false;
  bool draft = false;  // kept for a person to review and send
  // A quote's or invoice's PDF to attach: (object, id).
  std::optional<std::pair<std::string, std::string>> attachment;
  // The record whose timeline shows the delivery: (object, id).
  std::optional<std::pair<std::string, std::string>> about;
  std::string source;  // what queued it: "workflow-run:<run>:<step>", "invoice-send", ...
};

// A queued mail as the mailer reads it: body and data opened if they were sealed.
struct OutboxMessage {
  std::string id;
  std::optional<std::string> workspace_id;
  std::string kind, recipient, subject, body, created_at;
  nlohmann::json data = nlohmann::json::object();
  std::optional<std::string> sent_at;
};

// The columns open_outbox_row reads, for a SELECT over outbox.
inline constexpr const char* kOutboxMessageColumns =
    "id, workspace_id, kind, recipient, subject, body, body_sealed, data, created_at, sent_at";
Result<OutboxMessage> open_outbox_row(const store::RowView& row, const SecretBox* box);

// Inserts the row; answers its id. Sealed mail needs `box` (Error::internal without one).
Result<std::string> queue_mail(store::Tx& tx, const QueuedMail& mail, const SecretBox* box);

// The associated data binding a sealed outbox value to its row and column.
std::string outbox_body_ad(const std::string& id);
std::string outbox_data_ad(const std::string& id);

}  // namespace settle::crm
