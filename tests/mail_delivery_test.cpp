// Mail through the real server on both backends to a real SMTP server on loopback
// (tests/mail/smtp_server.py, Debian's aiosmtpd), each received message read back as a mail
// client would (tests/mail/read_mail.py, Python's email package) and its PDF with pdftotext:
// sending an invoice, refusals for good and for now, templates, a workspace without a mail
// server, the test button, and account mail through the server-wide server.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "common/dates.hpp"
#include "harness.hpp"
#include "mail/smtp_server.hpp"

namespace settle::testing {
namespace {

namespace fs = std::filesystem;

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  std::array<char, 4096> buf{};
  size_t n = 0;
  while (p && (n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  if (p) ::pclose(p);
  return out;
}

class MailDeliveryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    maildir_ = fs::temp_directory_path() / ("settle-mail-" + random_id("").substr(0, 10));
    fs::create_directories(maildir_);
  }
  void TearDown() override {
    smtp_.reset();
    srv.reset();
    fs::remove_all(maildir_);
  }

  // The SMTP server with `options`, then Settle (with the SMTP server as its server-wide
  // one when `server_wide`), a workspace and a company whose primary contact has an address.
  void start(std::vector<std::string> options, bool server_wide = false) {
    smtp_ = std::make_unique<SmtpServer>(maildir_, std::move(options));
    ASSERT_GT(smtp_->port(), 0) << smtp_->log();
    std::optional<mail::MailServer> wide;
    if (server_wide) {
      mail::MailServer s;
      s.smtp.host = "127.0.0.1";
      s.smtp.port = smtp_->port();
      s.smtp.security = mail::Security::None;
      s.from_address = "no-reply@crm.example.com";
      s.from_name = "Settle";
      wide = s;
    }
    srv = std::make_unique<TestServer>(GetParam(), "http://127.0.0.1:9", std::nullopt, wide);
    auto ws = srv->accounts->create_workspace("Acme", "acme", "admin@acme-lasers.com", std::string("correct horse 1"));
    ASSERT_TRUE(ws);
    key = ws->api_key;
    workspace_id = ws->workspace_id;
    auto c = call("POST", "/rest/companies", {{"name", "Lumen Clinic"}});
    ASSERT_EQ(c.status, 201) << c.raw;
    company = c.body["data"]["id"];
    auto p = call("POST", "/rest/people", {{"firstName", "Mia"}, {"lastName", "Lumen"}, {"email", "mia@lumen-clinic.com"},
                                           {"companyId", company}});
    ASSERT_EQ(p.status, 201) << p.raw;
    ASSERT_EQ(call("PATCH", "/rest/companies/" + company, {{"primaryContactId", p.body["data"]["id"]}}).status, 200);
  }
  void configure_workspace_server() {
    auto put = call("PUT", "/rest/settings/mail", {{"host", "127.0.0.1"}, {"port", smtp_->port()}, {"security", "none"},
                                                   {"fromAddress", "billing@acme-lasers.com"}, {"fromName", "Acme Billing"}});
    ASSERT_EQ(put.status, 200) << put.raw;
  }
  Reply call(const std::string& method, const std::string& path, const json& body = nullptr) {
    return srv->call(method, path, body, key);
  }
  // A finalized invoice of 2 x 1,250.00 USD.
  std::string finalized_invoice() {
    auto inv = call("POST", "/rest/invoices", {{"companyId", company}, {"currency", "USD"}, {"dueDate", "2026-12-31"},
                                               {"lineItems", {{{"description", "Laser service"}, {"quantity", 2}, {"unitAmount", 125000}}}}});
    EXPECT_EQ(inv.status, 201) << inv.raw;
    std::string id = inv.body["data"]["id"];
    auto fin = call("POST", "/rest/invoices/" + id + "/finalize");
    EXPECT_EQ(fin.status, 200) << fin.raw;
    return id;
  }
  // Waits for the SMTP server to have received `n` messages.
  bool received(size_t n, std::chrono::seconds within = std::chrono::seconds(20)) {
    auto until = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < until) {
      if (count_eml() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  size_t count_eml() const {
    size_t k = 0;
    for (const auto& e : fs::directory_iterator(maildir_))
      if (e.path().extension() == ".eml") ++k;
    return k;
  }
  json read_mail(int n) {
    std::string out = run(std::string(kPython) + " " SETTLE_SOURCE_DIR "/tests/mail/read_mail.py " +
                          (maildir_ / (std::to_string(n) + ".eml")).string());
    return json::parse(out, nullptr, false);
  }
  // The outbox row of mail `id` as the API lists it, once it is no longer queued.
  json settled_outbox(const std::string& id, std::chrono::seconds within = std::chrono::seconds(20)) {
    auto until = std::chrono::steady_clock::now() + within;
    json last;
    while (std::chrono::steady_clock::now() < until) {
      auto list = call("GET", "/rest/outbox");
      for (const auto& m : list.body["data"])
        if (m["id"] == id) last = m;
      if (last.is_object() && last["status"] != "queued") return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return last;
  }
  std::vector<std::string> timeline_kinds(const std::string& object, const std::string& id) {
    std::vector<std::string> kinds;
    auto t = call("GET", "/rest/" + object + "/" + id + "/timeline");
    for (const auto& e : t.body["data"]) kinds.push_back(e["kind"]);
    return kinds;
  }
  json timeline_event(const std::string& object, const std::string& id, const std::string& kind) {
    auto t = call("GET", "/rest/" + object + "/" + id + "/timeline");
    for (const auto& e : t.body["data"])
      if (e["kind"] == kind) return e;
    return nullptr;
  }

  fs::path maildir_;
  std::unique_ptr<SmtpServer> smtp_;
  std::unique_ptr<TestServer> srv;
  std::string key, workspace_id, company;
};

TEST_P(MailDeliveryTest, AnInvoiceIsMailedWithItsPdfAndItsPayLink) {
  start({});
  // The password is write-only and sealed at rest.
  auto put = call("PUT", "/rest/settings/mail", {{"host", "127.0.0.1"}, {"port", smtp_->port()}, {"security", "none"},
                                                 {"password", "relay-password-42"}, {"fromAddress", "billing@acme-lasers.com"},
                                                 {"fromName", "Acme Billing"}});
  ASSERT_EQ(put.status, 200) << put.raw;
  auto got = call("GET", "/rest/settings/mail");
  EXPECT_EQ(got.body["data"]["source"], "workspace");
  EXPECT_EQ(got.body["data"]["passwordSet"], true);
  EXPECT_EQ(got.raw.find("relay-password-42"), std::string::npos) << got.raw;
  auto stored = srv->db->read<std::string>([](store::Tx& tx) -> Result<std::string> {
    return store::RowView(tx.query("SELECT password_sealed FROM mail_settings"), 0).text("password_sealed");
  });
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->find("relay-password-42"), std::string::npos);
  // The relay needs no AUTH (no username): the stored password is not used; clear it again.
  put = call("PUT", "/rest/settings/mail", {{"host", "127.0.0.1"}, {"port", smtp_->port()}, {"security", "none"},
                                            {"password", ""}, {"fromAddress", "billing@acme-lasers.com"},
                                            {"fromName", "Acme Billing"}});
  EXPECT_EQ(put.body["data"]["passwordSet"], false) << put.raw;

  // A draft is not sent; a bad address is refused naming the field; neither queues anything.
  auto draft = call("POST", "/rest/invoices", {{"companyId", company}, {"currency", "USD"},
                                               {"lineItems", {{{"description", "x"}, {"quantity", 1}, {"unitAmount", 100}}}}});
  EXPECT_EQ(call("POST", "/rest/invoices/" + draft.body["data"]["id"].get<std::string>() + "/send").status, 409);
  std::string id = finalized_invoice();
  auto bad = call("POST", "/rest/invoices/" + id + "/send", {{"to", "not an address"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.body["error"]["field"], "to");
  EXPECT_EQ(call("GET", "/rest/outbox").body["data"].size(), 0u);

  auto sent = call("POST", "/rest/invoices/" + id + "/send");
  ASSERT_EQ(sent.status, 201) << sent.raw;
  EXPECT_EQ(sent.body["data"]["to"], "mia@lumen-clinic.com") << "the company's primary contact";
  std::string mail_id = sent.body["data"]["id"];
  ASSERT_TRUE(received(1)) << smtp_->log();
  json row = settled_outbox(mail_id);
  EXPECT_EQ(row["status"], "sent") << row.dump();
  EXPECT_EQ(row["messageId"], "<" + mail_id + "@acme-lasers.com>");

  std::string number = call("GET", "/rest/invoices/" + id).body["data"]["invoiceNumber"];
  json m = read_mail(1);
  ASSERT_TRUE(m.is_object());
  EXPECT_TRUE(m["defects"].empty()) << m["defects"].dump();
  EXPECT_EQ(m["headers"]["Subject"], "Invoice " + number + " from Acme");
  EXPECT_EQ(m["headers"]["From"], "Acme Billing <billing@acme-lasers.com>");
  EXPECT_EQ(m["headers"]["To"], "mia@lumen-clinic.com");
  EXPECT_EQ(m["headers"]["Message-ID"], row["messageId"]);
  EXPECT_EQ(m["contentType"], "multipart/mixed");
  EXPECT_EQ(m["parts"], json({"multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/pdf"}));
  std::string text = m["text"];
  EXPECT_NE(text.find("Hello Mia,"), std::string::npos) << text;
  EXPECT_NE(text.find("$2,500.00"), std::string::npos) << text;
  EXPECT_NE(text.find("2026-12-31"), std::string::npos) << text;
  EXPECT_NE(m["html"].get<std::string>().find(number), std::string::npos);
  ASSERT_EQ(m["attachments"].size(), 1u);
  EXPECT_EQ(m["attachments"][0]["filename"], number + ".pdf");
  std::string pdf_text = run("pdftotext '" + m["attachments"][0]["path"].get<std::string>() + "' -");
  EXPECT_NE(pdf_text.find(number), std::string::npos) << pdf_text;
  EXPECT_NE(pdf_text.find("$2,500.00"), std::string::npos) << pdf_text;

  // The invoice's timeline says it was queued and sent, to whom.
  auto kinds = timeline_kinds("invoices", id);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "email_queued"), kinds.end());
  json event = timeline_event("invoices", id, "email_sent");
  ASSERT_TRUE(event.is_object());
  EXPECT_EQ(event["newValue"], "Invoice " + number + " from Acme to mia@lumen-clinic.com");
  // Sent once: nothing else arrives.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(count_eml(), 1u);

  // A MEMBER may send documents but not see or change the mail server; another workspace
  // sees none of this one's mail.
  auto member = srv->accounts->create_api_key(crm::Actor{workspace_id, "", "test", crm::Role::Admin},
                                              json{{"name", "member"}, {"role", "MEMBER"}});
  ASSERT_TRUE(member);
  std::string member_key = (*member)["key"];
  EXPECT_EQ(srv->call("GET", "/rest/settings/mail", nullptr, member_key).status, 403);
  EXPECT_EQ(srv->call("PUT", "/rest/settings/mail", {{"host", "evil.example"}}, member_key).status, 403);
  EXPECT_EQ(srv->call("GET", "/rest/outbox", nullptr, member_key).status, 403);
  EXPECT_EQ(srv->call("POST", "/rest/invoices/" + id + "/send", json::object(), member_key).status, 201);
  auto other = srv->accounts->create_workspace("Other", "other-mail", "boss@other-mail.example", std::string("correct horse 3"));
  ASSERT_TRUE(other);
  EXPECT_EQ(srv->call("GET", "/rest/outbox", nullptr, other->api_key).body["data"].size(), 0u);
  EXPECT_EQ(srv->call("POST", "/rest/invoices/" + id + "/send", json::object(), other->api_key).status, 404);
  EXPECT_EQ(srv->call("GET", "/rest/settings/mail", nullptr, other->api_key).body["data"]["source"], "none");
}

TEST_P(MailDeliveryTest, ARefusedRecipientFailsForGoodWithTheReasonOnTheTimeline) {
  start({"--reject-rcpt", "nobody@"});
  configure_workspace_server();
  std::string id = finalized_invoice();
  auto sent = call("POST", "/rest/invoices/" + id + "/send", {{"to", "nobody@lumen-clinic.com"}});
  ASSERT_EQ(sent.status, 201) << sent.raw;
  json row = settled_outbox(sent.body["data"]["id"]);
  EXPECT_EQ(row["status"], "failed") << row.dump();
  EXPECT_EQ(row["attempts"], 1) << "a 5xx is not tried again";
  EXPECT_NE(row["lastError"].get<std::string>().find("550"), std::string::npos) << row.dump();
  json event = timeline_event("invoices", id, "email_failed");
  ASSERT_TRUE(event.is_object());
  EXPECT_NE(event["newValue"].get<std::string>().find("nobody@lumen-clinic.com"), std::string::npos);
  EXPECT_NE(event["newValue"].get<std::string>().find("550"), std::string::npos) << event.dump();
  EXPECT_EQ(count_eml(), 0u);
  // Only a failed mail can be tried again, by an ADMIN; it is refused once more.
  EXPECT_EQ(call("POST", "/rest/outbox/" + row["id"].get<std::string>() + "/retry").status, 200);
  EXPECT_EQ(settled_outbox(row["id"])["status"], "failed");
  EXPECT_EQ(call("POST", "/rest/outbox/msg_nope/retry").status, 404);
  EXPECT_EQ(call("POST", "/rest/outbox/" + row["id"].get<std::string>() + "/retry").status, 200);
  EXPECT_EQ(call("POST", "/rest/outbox/" + row["id"].get<std::string>() + "/retry").status, 409) << "queued already";
}

TEST_P(MailDeliveryTest, ATemporaryRefusalIsTriedAgainAndTheMailArrivesOnce) {
  start({"--tempfail", "2"});
  configure_workspace_server();
  std::string id = finalized_invoice();
  auto sent = call("POST", "/rest/invoices/" + id + "/send");
  ASSERT_EQ(sent.status, 201) << sent.raw;
  // Back-off of 1 s then 2 s in the test server.
  json row = settled_outbox(sent.body["data"]["id"], std::chrono::seconds(30));
  EXPECT_EQ(row["status"], "sent") << row.dump();
  EXPECT_EQ(row["attempts"], 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(count_eml(), 1u);
  json m = read_mail(1);
  EXPECT_EQ(m["headers"]["Message-ID"], row["messageId"]) << "the same Message-ID on every attempt";
}

TEST_P(MailDeliveryTest, TemplatesAreTheWorkspacesToEditAndPreview) {
  start({});
  configure_workspace_server();
  auto list = call("GET", "/rest/mail-templates");
  ASSERT_EQ(list.status, 200);
  EXPECT_GE(list.body["data"].size(), 10u);
  // A template that does not parse is refused naming its part; nothing is saved.
  auto broken = call("PUT", "/rest/mail-templates/invoice_sent",
                     {{"subject", "Bill {{#invoice}}"}, {"html", "<p>x</p>"}, {"text", "x"}});
  EXPECT_EQ(broken.status, 422) << broken.raw;
  EXPECT_EQ(broken.body["error"]["field"], "subject");
  EXPECT_EQ(call("PUT", "/rest/mail-templates/no_such_kind", {{"subject", "a"}, {"html", "b"}, {"text", "c"}}).status, 404);
  json edit = {{"subject", "Your bill {{invoice.number}} ({{invoice.amountDue}})"},
               {"html", "<p>Pay {{invoice.amountDue}} <a href=\"{{payUrl}}\">here</a> {{company.name}}</p>"},
               {"text", "Pay {{invoice.amountDue}}, {{contact.firstName}}."}};
  auto preview = call("POST", "/rest/mail-templates/invoice_sent/preview", edit);
  ASSERT_EQ(preview.status, 200) << preview.raw;
  EXPECT_EQ(preview.body["data"]["subject"], "Your bill INV-2026-042 ($1,250.00)");
  EXPECT_EQ(call("GET", "/rest/mail-templates").body["data"][0]["customized"], false) << "a preview saves nothing";
  ASSERT_EQ(call("PUT", "/rest/mail-templates/invoice_sent", edit).status, 200);

  std::string id = finalized_invoice();
  std::string number = call("GET", "/rest/invoices/" + id).body["data"]["invoiceNumber"];
  ASSERT_EQ(call("POST", "/rest/invoices/" + id + "/send").status, 201);
  ASSERT_TRUE(received(1)) << smtp_->log();
  json m = read_mail(1);
  EXPECT_EQ(m["headers"]["Subject"], "Your bill " + number + " ($2,500.00)");
  EXPECT_EQ(m["text"], "Pay $2,500.00, Mia.");
  EXPECT_NE(m["html"].get<std::string>().find("Lumen Clinic"), std::string::npos);

  // Back to the shipped template.
  EXPECT_EQ(call("DELETE", "/rest/mail-templates/invoice_sent").status, 200);
  auto after = call("GET", "/rest/mail-templates");  // kept: the loop below reads into it
  for (const auto& t : after.body["data"])
    if (t["kind"] == "invoice_sent") EXPECT_EQ(t["customized"], false);
}

TEST_P(MailDeliveryTest, MailWaitsForAServerAndGoesOnceOneIsSet) {
  start({});
  std::string id = finalized_invoice();
  auto sent = call("POST", "/rest/invoices/" + id + "/send");
  ASSERT_EQ(sent.status, 201) << sent.raw;
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  auto outbox = call("GET", "/rest/outbox");
  ASSERT_EQ(outbox.body["data"].size(), 1u) << outbox.raw;
  json row = outbox.body["data"][0];
  EXPECT_EQ(row["status"], "queued");
  EXPECT_EQ(row["attempts"], 0);
  EXPECT_TRUE(row["lastError"].is_null()) << "nothing was tried";
  EXPECT_NE(row.value("waitingFor", std::string()).find("no mail server"), std::string::npos) << row.dump();
  EXPECT_EQ(call("GET", "/rest/settings/mail").body["data"]["source"], "none");
  configure_workspace_server();
  ASSERT_TRUE(received(1)) << smtp_->log();
  EXPECT_EQ(settled_outbox(sent.body["data"]["id"])["status"], "sent");
}

TEST_P(MailDeliveryTest, TheTestButtonSendsNowAndSaysWhatTheServerAnswered) {
  start({"--reject-rcpt", "refused@"});
  configure_workspace_server();
  // Without an address it goes to the ADMIN's own (the workspace's first key is theirs).
  auto ok = call("POST", "/rest/settings/mail/test", json::object());
  ASSERT_EQ(ok.status, 200) << ok.raw;
  EXPECT_EQ(ok.body["data"]["delivered"], true) << ok.raw;
  EXPECT_EQ(ok.body["data"]["to"], "admin@acme-lasers.com");
  auto bad = call("POST", "/rest/settings/mail/test", {{"to", "nope"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.body["error"]["field"], "to");
  ASSERT_TRUE(received(1));
  EXPECT_EQ(read_mail(1)["headers"]["Subject"], "Settle mail test from Acme");
  auto refused = call("POST", "/rest/settings/mail/test", {{"to", "refused@acme-lasers.com"}});
  EXPECT_EQ(refused.body["data"]["delivered"], false);
  EXPECT_EQ(refused.body["data"]["code"], 550);
  // A server that is not there.
  smtp_.reset();
  auto down = call("POST", "/rest/settings/mail/test", {{"to", "admin@acme-lasers.com"}});
  EXPECT_EQ(down.body["data"]["delivered"], false);
  EXPECT_FALSE(down.body["data"]["reason"].get<std::string>().empty());
}

TEST_P(MailDeliveryTest, DomainValidationIsALinkMailedToThePostmaster) {
  start({}, /*server_wide=*/true);
  EXPECT_EQ(call("GET", "/rest/settings/mail").body["data"]["source"], "server");
  auto d = call("POST", "/rest/approved-domains", {{"domain", "lumen-clinic.com"}});
  ASSERT_EQ(d.status, 201) << d.raw;
  EXPECT_EQ(d.body["data"]["validationEmail"], "postmaster@lumen-clinic.com");
  ASSERT_TRUE(received(1)) << smtp_->log();
  json m = read_mail(1);
  EXPECT_EQ(m["headers"]["To"], "postmaster@lumen-clinic.com");
  EXPECT_EQ(m["headers"]["From"], "Settle <no-reply@crm.example.com>");
  std::string text = m["text"];
  const std::string prefix = "https://crm.example.com/validate-domain?token=";
  auto at = text.find(prefix);
  ASSERT_NE(at, std::string::npos) << text;
  std::string token = text.substr(at + prefix.size(), text.find_first_of(" \r\n", at) - at - prefix.size());
  auto validated = srv->call("POST", "/auth/validate-domain", {{"token", token}});
  ASSERT_EQ(validated.status, 200) << validated.raw;
  EXPECT_EQ(validated.body["data"]["status"], "VALIDATED");
  // The sealed body stays sealed at rest: the token is not readable in the database.
  auto bodies = srv->db->read<std::string>([](store::Tx& tx) -> Result<std::string> {
    auto rows = tx.query("SELECT body, data FROM outbox");
    std::string all;
    for (size_t i = 0; i < rows.size(); ++i) all += store::RowView(rows, i).text("body") + store::RowView(rows, i).text("data");
    return all;
  });
  ASSERT_TRUE(bodies);
  EXPECT_EQ(bodies->find(token), std::string::npos);
}

TEST_P(MailDeliveryTest, APaymentsReceiptIsMailedWithItsPdf) {
  start({});
  configure_workspace_server();
  std::string id = finalized_invoice();
  std::string number = call("GET", "/rest/invoices/" + id).body["data"]["invoiceNumber"];
  auto pay = call("POST", "/rest/payments", {{"invoiceId", id}, {"amount", 100000}, {"method", "manual"}});
  ASSERT_EQ(pay.status, 201) << pay.raw;
  std::string payment = pay.body["data"]["id"];
  auto sent = call("POST", "/rest/payments/" + payment + "/send");
  ASSERT_EQ(sent.status, 201) << sent.raw;
  EXPECT_EQ(sent.body["data"]["kind"], "payment_receipt");
  EXPECT_EQ(sent.body["data"]["to"], "mia@lumen-clinic.com");
  ASSERT_TRUE(received(1)) << smtp_->log();
  json m = read_mail(1);
  EXPECT_EQ(m["headers"]["Subject"], "Receipt for invoice " + number);
  std::string text = m["text"];
  EXPECT_NE(text.find("We received your payment of $1,000.00 for invoice " + number), std::string::npos) << text;
  EXPECT_NE(text.find("Amount still due: $1,500.00"), std::string::npos) << text;
  ASSERT_EQ(m["attachments"].size(), 1u);
  EXPECT_EQ(m["attachments"][0]["filename"], number + "-R1.pdf");
  std::string pdf_text = run("pdftotext '" + m["attachments"][0]["path"].get<std::string>() + "' -");
  EXPECT_NE(pdf_text.find("Receipt"), std::string::npos) << pdf_text;
  // On the invoice's timeline, where the payment is.
  EXPECT_TRUE(settled_outbox(sent.body["data"]["id"])["status"] == "sent");
  EXPECT_TRUE(timeline_event("invoices", id, "email_sent").is_object());
}

// Reminders: the test passes `now` to the sweep (the server's own sweep is off in tests), so
// that days go by in a second.
constexpr std::int64_t kDay = 86400;

TEST_P(MailDeliveryTest, RemindersGoOnceEachOnTheirDayWithTheLateFeeAsInformation) {
  start({});
  configure_workspace_server();
  // Bad rules are refused naming the field and change nothing; a MEMBER may read, not write.
  auto far = call("PUT", "/rest/settings/reminders", {{"rules", {{{"offsetDays", 400}}}}});
  EXPECT_EQ(far.status, 422) << far.raw;
  EXPECT_EQ(far.body["error"]["field"], "rules[0].offsetDays");
  auto same = call("PUT", "/rest/settings/reminders", {{"rules", {{{"offsetDays", 3}}, {{"offsetDays", 3}}}}});
  EXPECT_EQ(same.body["error"]["field"], "rules[1].offsetDays") << same.raw;
  auto four = call("PUT", "/rest/settings/reminders",
                   {{"rules", {{{"offsetDays", 1}}, {{"offsetDays", 2}}, {{"offsetDays", 3}}, {{"offsetDays", 4}}}}});
  EXPECT_EQ(four.body["error"]["field"], "rules") << four.raw;
  auto fee = call("PUT", "/rest/settings/reminders", {{"rules", {{{"offsetDays", 3}, {"lateFeeBasisPoints", "1%"}}}}});
  EXPECT_EQ(fee.body["error"]["field"], "rules[0].lateFeeBasisPoints") << fee.raw;
  EXPECT_EQ(call("GET", "/rest/settings/reminders").body["data"]["rules"].size(), 0u);
  auto member = srv->accounts->create_api_key(crm::Actor{workspace_id, "", "test", crm::Role::Admin},
                                              json{{"name", "member"}, {"role", "MEMBER"}});
  ASSERT_TRUE(member);
  EXPECT_EQ(srv->call("PUT", "/rest/settings/reminders", {{"rules", json::array()}}, (*member)["key"]).status, 403);
  EXPECT_EQ(srv->call("GET", "/rest/settings/reminders", nullptr, (*member)["key"]).status, 200);

  auto put = call("PUT", "/rest/settings/reminders",
                  {{"rules", {{{"offsetDays", -3}}, {{"offsetDays", 0}}, {{"offsetDays", 5}, {"lateFeeBasisPoints", 150}}}}});
  ASSERT_EQ(put.status, 200) << put.raw;
  json rules = put.body["data"]["rules"];
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0]["template"], "invoice_reminder_1");
  EXPECT_EQ(rules[0]["description"], "3 days before the due date");
  EXPECT_EQ(rules[2]["template"], "invoice_reminder_3");

  std::int64_t now = unix_seconds_now();
  auto today = std::chrono::floor<std::chrono::days>(std::chrono::sys_seconds{std::chrono::seconds{now}});
  auto inv = call("POST", "/rest/invoices", {{"companyId", company}, {"currency", "USD"},
                                             {"dueDate", format_day(today + std::chrono::days{3})},
                                             {"lineItems", {{{"description", "Laser service"}, {"quantity", 2}, {"unitAmount", 125000}}}}});
  ASSERT_EQ(inv.status, 201) << inv.raw;
  std::string id = inv.body["data"]["id"];
  ASSERT_EQ(call("POST", "/rest/invoices/" + id + "/finalize").status, 200);
  std::string number = call("GET", "/rest/invoices/" + id).body["data"]["invoiceNumber"];
  // A voided invoice is never reminded.
  auto other = call("POST", "/rest/invoices", {{"companyId", company}, {"currency", "USD"},
                                               {"dueDate", format_day(today + std::chrono::days{3})},
                                               {"lineItems", {{{"description", "x"}, {"quantity", 1}, {"unitAmount", 5000}}}}});
  std::string voided = other.body["data"]["id"];
  ASSERT_EQ(call("POST", "/rest/invoices/" + voided + "/finalize").status, 200);
  ASSERT_EQ(call("POST", "/rest/invoices/" + voided + "/void").status, 200);

  // Three days before: the first reminder, once however often the sweep runs.
  EXPECT_EQ(srv->mail->send_due_reminders(now), 1);
  EXPECT_EQ(srv->mail->send_due_reminders(now), 0);
  ASSERT_TRUE(received(1)) << smtp_->log();
  json m = read_mail(1);
  EXPECT_EQ(m["headers"]["Subject"], "Reminder: invoice " + number + " is due in 3 days");
  EXPECT_EQ(m["headers"]["To"], "mia@lumen-clinic.com");
  EXPECT_NE(m["text"].get<std::string>().find("Amount due: $2,500.00"), std::string::npos) << m["text"];
  EXPECT_EQ(m["text"].get<std::string>().find("late fee"), std::string::npos) << "the first rule has none";
  ASSERT_EQ(m["attachments"].size(), 1u);
  EXPECT_EQ(m["attachments"][0]["filename"], number + ".pdf");
  json queued = timeline_event("invoices", id, "reminder_queued");
  ASSERT_TRUE(queued.is_object());
  EXPECT_NE(queued["newValue"].get<std::string>().find("Reminder 1 (3 days before the due date)"), std::string::npos)
      << queued.dump();

  // A day later nothing is due; on the due day the second one.
  EXPECT_EQ(srv->mail->send_due_reminders(now + kDay), 0);
  EXPECT_EQ(srv->mail->send_due_reminders(now + 3 * kDay), 1);
  ASSERT_TRUE(received(2)) << smtp_->log();
  EXPECT_EQ(read_mail(2)["headers"]["Subject"], "Reminder: invoice " + number + " is due today");

  // Part paid: still owed, so still reminded, with 1.5 % of what is left as information.
  ASSERT_EQ(call("POST", "/rest/payments", {{"invoiceId", id}, {"amount", 100000}}).status, 201);
  EXPECT_EQ(srv->mail->send_due_reminders(now + 8 * kDay), 1);
  EXPECT_EQ(srv->mail->send_due_reminders(now + 9 * kDay), 0);
  ASSERT_TRUE(received(3)) << smtp_->log();
  json third = read_mail(3);
  EXPECT_EQ(third["headers"]["Subject"], "Reminder: invoice " + number + " was due 5 days ago");
  std::string text = third["text"];
  EXPECT_NE(text.find("Amount due: $1,500.00"), std::string::npos) << text;
  EXPECT_NE(text.find("late fee of $22.50"), std::string::npos) << text;
  // The finalized invoice is not changed by it.
  auto after = call("GET", "/rest/invoices/" + id).body["data"];
  EXPECT_EQ(after["total"], 250000);
  EXPECT_EQ(after["amountDue"], 150000);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(count_eml(), 3u) << "the voided invoice got none";
  auto kinds = timeline_kinds("invoices", voided);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "reminder_queued"), 0);
}

TEST_P(MailDeliveryTest, AReminderQueuedBeforeThePaymentIsNotSent) {
  start({});
  ASSERT_EQ(call("PUT", "/rest/settings/reminders", {{"rules", {{{"offsetDays", 0}}}}}).status, 200);
  std::int64_t now = unix_seconds_now();
  auto today = std::chrono::floor<std::chrono::days>(std::chrono::sys_seconds{std::chrono::seconds{now}});
  auto inv = call("POST", "/rest/invoices", {{"companyId", company}, {"currency", "USD"}, {"dueDate", format_day(today)},
                                             {"lineItems", {{{"description", "x"}, {"quantity", 1}, {"unitAmount", 5000}}}}});
  std::string id = inv.body["data"]["id"];
  ASSERT_EQ(call("POST", "/rest/invoices/" + id + "/finalize").status, 200);
  // No mail server yet: the reminder waits in the outbox; meanwhile the customer pays.
  EXPECT_EQ(srv->mail->send_due_reminders(now), 1);
  auto outbox = call("GET", "/rest/outbox").body["data"];
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0]["kind"], "invoice_reminder_1");
  ASSERT_EQ(call("POST", "/rest/payments", {{"invoiceId", id}, {"amount", 5000}}).status, 201);
  EXPECT_EQ(call("GET", "/rest/invoices/" + id).body["data"]["status"], "Paid");
  configure_workspace_server();
  json row = settled_outbox(outbox[0]["id"]);
  EXPECT_EQ(row["status"], "cancelled") << row.dump();
  EXPECT_NE(row["lastError"].get<std::string>().find("Paid"), std::string::npos) << row.dump();
  json event = timeline_event("invoices", id, "email_cancelled");
  ASSERT_TRUE(event.is_object());
  EXPECT_EQ(count_eml(), 0u);
  EXPECT_EQ(srv->mail->send_due_reminders(now + kDay), 0) << "a paid invoice is not reminded";

  // Without anyone to send it to, the reminder is spent and the timeline says why.
  auto bare = call("POST", "/rest/companies", {{"name", "No Contact Ltd"}});
  auto inv2 = call("POST", "/rest/invoices", {{"companyId", bare.body["data"]["id"]}, {"currency", "USD"},
                                              {"dueDate", format_day(today)},
                                              {"lineItems", {{{"description", "x"}, {"quantity", 1}, {"unitAmount", 5000}}}}});
  std::string id2 = inv2.body["data"]["id"];
  ASSERT_EQ(call("POST", "/rest/invoices/" + id2 + "/finalize").status, 200);
  EXPECT_EQ(srv->mail->send_due_reminders(now), 0);
  EXPECT_TRUE(timeline_event("invoices", id2, "reminder_skipped").is_object());
  EXPECT_EQ(srv->mail->send_due_reminders(now), 0);
  auto kinds = timeline_kinds("invoices", id2);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "reminder_skipped"), 1) << "once, not every sweep";
}

INSTANTIATE_TEST_SUITE_P(Backends, MailDeliveryTest, ::testing::ValuesIn(backends()));

}  // namespace
}  // namespace settle::testing
