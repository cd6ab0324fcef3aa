#include "crm/outbox.hpp"

#include <spdlog/spdlog.h>

namespace settle::crm {
namespace {

using store::SqlValue;

constexpr const char* kInsertOutbox =
    "INSERT INTO outbox (id, workspace_id, kind, recipient, subject, body, body_sealed, data, created_at, status, "
    "next_attempt_at, attachment_object, attachment_id, target_object, target_id, source) VALUES (:id, :ws, :kind, "
    ":to, :subject, :body, :sealed, :data, :now, :status, :due, :attach_object, :attach_id, :about_object, "
    ":about_id, :source)";

SqlValue text_or_null(const std::optional<std::string>& v) { return v ? SqlValue(*v) : SqlValue(nullptr); }

}  // namespace

// The body's AD is the row id alone, as it was before the data column existed.
std::string outbox_body_ad(const std::string& id) { return id; }
std::string outbox_data_ad(const std::string& id) { return id + ":data"; }

Result<std::string> queue_mail(store::Tx& tx, const QueuedMail& m, const SecretBox* box) {
  if (m.sealed && !box) return fail(Error::internal("outbox: no master key to seal " + m.kind + " mail"));
  std::string id = random_id("msg"), now = store::now_timestamp();
  std::string body = m.body, data = m.data.dump();
  if (m.sealed) {
    body = box->seal(body, outbox_body_ad(id));
    data = box->seal(data, outbox_data_ad(id));
  }
  auto first = [](const auto& pair) { return pair ? std::optional<std::string>(pair->first) : std::nullopt; };
  auto second = [](const auto& pair) { return pair ? std::optional<std::string>(pair->second) : std::nullopt; };
  tx.exec(kInsertOutbox, {{"id", id},
                          {"ws", text_or_null(m.workspace_id)},
                          {"kind", m.kind},
                          {"to", m.to},
                          {"subject", m.subject},
                          {"body", body},
                          {"sealed", std::int64_t{m.sealed ? 1 : 0}},
                          {"data", data},
                          {"now", now},
                          {"status", std::string(m.draft ? "draft" : "queued")},
                          {"due", m.draft ? SqlValue(nullptr) : SqlValue(now)},
                          {"attach_object", text_or_null(first(m.attachment))},
                          {"attach_id", text_or_null(second(m.attachment))},
                          {"about_object", text_or_null(first(m.about))},
                          {"about_id", text_or_null(second(m.about))},
                          {"source", m.source.empty() ? SqlValue(nullptr) : SqlValue(m.source)}});
  // The body may hold a one-time code: the log says only that mail was queued.
  spdlog::info("outbox: queued {} mail {} to {}{}", m.kind, id, m.to, m.draft ? " (draft)" : "");
  return id;
}

Result<OutboxMessage> open_outbox_row(const store::RowView& m, const SecretBox* box) {
  OutboxMessage out{m.text("id"),      m.opt_text("workspace_id"), m.text("kind"),       m.text("recipient"),
                    m.text("subject"), m.text("body"),             m.text("created_at"), nlohmann::json::object(),
                    m.opt_text("sent_at")};
  std::string data = m.opt_text("data").value_or("{}");
  if (m.integer("body_sealed")) {
    if (!box) return fail(Error::internal("outbox: no master key to open message " + out.id));
    auto body = box->open(out.body, outbox_body_ad(out.id));
    if (!body) return fail(body.error());
    out.body = std::move(*body);
    // Rows sealed before the data column existed have none.
    if (!m.is_null("data")) {
      auto opened = box->open(data, outbox_data_ad(out.id));
      if (!opened) return fail(opened.error());
      data = std::move(*opened);
    }
  }
  out.data = nlohmann::json::parse(data, nullptr, false);
  if (!out.data.is_object()) out.data = nlohmann::json::object();
  return out;
}

}  // namespace settle::crm
