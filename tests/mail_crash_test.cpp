// Crash safety of mail delivery: the real `settle serve` binary, sending through a real SMTP
// server on loopback (aiosmtpd), is killed with SIGKILL while it works through 400 queued
// mails, and started again on the same database as the same instance. Every mail must end
// sent, and arrive: each outbox row's mail at least once, with the row's fixed Message-ID,
// and more than once only within the one window docs/mail.md names (the server accepted
// DATA, the process died before it recorded so) — at most the mails in flight at the kill,
// one per delivery thread.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "crm/accounts.hpp"
#include "crm/outbox.hpp"
#include "harness.hpp"
#include "mail/smtp_server.hpp"
#include "process.hpp"

namespace settle::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int kMails = 400;
constexpr int kKillAfterReceived = 120;

// A header's value in a saved message ("" when it has none).
std::string header(const std::string& eml, const std::string& name) {
  std::string key = "\n" + name + ": ";
  auto at = ("\n" + eml).find(key);
  if (at == std::string::npos) return "";
  auto start = at + key.size() - 1;
  auto end = eml.find("\r\n", start);
  return eml.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

class MailCrashTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    crypto_init();
    net::global_init();
    std::string suffix = random_id("").substr(0, 12);
    scratch = std::make_unique<ScratchDatabase>(GetParam(), "mailcrash");
    db_url = scratch->url();
    maildir = fs::temp_directory_path() / ("settle-mailcrash-" + suffix);
    log = (fs::temp_directory_path() / ("settle-mailcrash-" + suffix + ".log")).string();
    port = free_port();
    base = "http://127.0.0.1:" + std::to_string(port);
    instance = "mailcrash-" + suffix;
    auto opened = store::Database::open(db_url, 4);
    ASSERT_TRUE(opened) << opened.error().log;
    db = *opened;
    ASSERT_TRUE(db->migrate());
    smtp = std::make_unique<SmtpServer>(maildir, std::vector<std::string>{});
    ASSERT_GT(smtp->port(), 0) << smtp->log();
  }
  void TearDown() override {
    server.reset();
    smtp.reset();
    db.reset();
    scratch.reset();
    if (!HasFailure()) {
      fs::remove(log);
      fs::remove_all(maildir);
    }
  }

  void start_server() {
    server = std::make_unique<SettleProcess>(
        std::vector<std::string>{"serve", "--db", db_url, "--port", std::to_string(port), "--address", "127.0.0.1"},
        std::vector<std::string>{"SETTLE_MASTER_KEY=" + master_key, "SETTLE_INSECURE_FAST_PASSWORD_HASH=1",
                                 "SETTLE_INSTANCE=" + instance, "SETTLE_SMTP_HOST=127.0.0.1",
                                 "SETTLE_SMTP_PORT=" + std::to_string(smtp->port()), "SETTLE_SMTP_SECURITY=none",
                                 "SETTLE_SMTP_FROM=billing@phos-ind.com"},
        log);
    server->start();
    if (!wait_until_healthy(base)) FAIL() << "settle did not start; see " << log;
  }

  size_t received() const {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(maildir))
      if (e.path().extension() == ".eml") ++n;
    return n;
  }
  long long count(const std::string& sql) {
    auto n = db->read<long long>([&](store::Tx& tx) -> Result<long long> {
      return store::RowView(tx.query(sql, {{"ws", workspace_id}}), 0).integer("n");
    });
    if (!n) throw std::runtime_error(n.error().log);
    return *n;
  }

  std::unique_ptr<ScratchDatabase> scratch;
  std::unique_ptr<SmtpServer> smtp;
  std::string db_url, log, base, workspace_id, instance;
  fs::path maildir;
  std::string master_key = generate_master_key();
  unsigned short port = 0;
  std::shared_ptr<store::Database> db;
  std::unique_ptr<SettleProcess> server;
};

TEST_P(MailCrashTest, KillNineWhileSendingLosesNoMailAndResendsOnlyWhatWasInFlight) {
  {
    crm::Accounts accounts(db, crm::AccountsOptions::without_mail(PasswordHashCost::MinimalForTests));
    auto ws = accounts.create_workspace("Phos Industries", "phos", "admin@phos-ind.com", std::string("pw-123456789"));
    ASSERT_TRUE(ws);
    workspace_id = ws->workspace_id;
  }
  // The mail is queued before the server starts, as a burst of sends would leave it.
  std::set<std::string> ids;
  auto queued = db->write<bool>([&](store::Tx& tx) -> Result<bool> {
    for (int i = 0; i < kMails; ++i) {
      crm::QueuedMail m;
      m.workspace_id = workspace_id;
      m.kind = "workflow";
      m.to = "customer" + std::to_string(i) + "@lumen-clinic.com";
      m.subject = "Crash mail " + std::to_string(i);
      m.body = "Mail number " + std::to_string(i) + ".";
      m.source = "mail-crash-test";
      auto id = crm::queue_mail(tx, m, nullptr);
      if (!id) return fail(id.error());
      ids.insert(*id);
    }
    return true;
  });
  ASSERT_TRUE(queued) << queued.error().log;

  start_server();
  ASSERT_FALSE(HasFailure());
  for (auto until = std::chrono::steady_clock::now() + 60s;
       received() < static_cast<size_t>(kKillAfterReceived) && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(2ms);
  server->kill(SIGKILL);
  size_t at_kill = received();
  long long sent_at_kill = count("SELECT COUNT(*) AS n FROM outbox WHERE workspace_id = :ws AND status = 'sent'");
  std::cerr << "[          ] killed with " << at_kill << " received, " << sent_at_kill << " marked sent\n";
  ASSERT_GE(at_kill, static_cast<size_t>(kKillAfterReceived)) << "delivery did not get going; see " << log;
  ASSERT_LT(at_kill, static_cast<size_t>(kMails)) << "everything arrived before the kill: nothing was tested";

  // Started again as the same instance: its leases are released and the rest goes out.
  start_server();
  ASSERT_FALSE(HasFailure());
  for (auto until = std::chrono::steady_clock::now() + 90s;
       count("SELECT COUNT(*) AS n FROM outbox WHERE workspace_id = :ws AND status = 'sent'") < kMails &&
       std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM outbox WHERE workspace_id = :ws AND status = 'sent'"), kMails);
  std::this_thread::sleep_for(500ms);  // nothing more is on its way

  // Each row's mail arrived, under the row's own Message-ID; a copy only of what was in flight.
  std::map<std::string, std::set<std::string>> message_ids;  // outbox id -> Message-IDs seen
  std::map<std::string, int> copies;
  for (const auto& e : fs::directory_iterator(maildir)) {
    if (e.path().extension() != ".eml") continue;
    std::string eml = slurp(e.path());
    std::string id = header(eml, "X-Settle-Outbox-Id");
    ASSERT_TRUE(ids.count(id)) << e.path() << " is no queued mail's: '" << id << "'";
    message_ids[id].insert(header(eml, "Message-ID"));
    ++copies[id];
  }
  EXPECT_EQ(message_ids.size(), ids.size()) << "every queued mail arrived";
  int duplicated = 0;
  for (const auto& [id, n] : copies) {
    EXPECT_EQ(message_ids[id].size(), 1u) << id << " arrived under two Message-IDs";
    if (n > 1) ++duplicated;
    EXPECT_LE(n, 2) << id;
  }
  EXPECT_LE(duplicated, 1) << "only the mail in flight at the kill may arrive twice (one delivery thread)";
  std::cerr << "[          ] " << received() << " messages for " << ids.size() << " mails, " << duplicated
            << " sent again after the kill\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, MailCrashTest, ::testing::ValuesIn(backends()));

}  // namespace
}  // namespace settle::testing
