// send_smtp against a real SMTP server (tests/mail/smtp_server.py on aiosmtpd) in a child
// process, over loopback: plain, STARTTLS and implicit TLS with a self-signed certificate
// made for the run, AUTH, and the server's refusals.
#include "mail/smtp.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "mail/mime.hpp"
#include "net/client.hpp"
#include "mail/smtp_server.hpp"

namespace settle::mail {
namespace {

namespace fs = std::filesystem;
using settle::testing::SmtpServer;
using settle::testing::slurp;
using nlohmann::json;

constexpr const char* kUser = "mailer";
constexpr const char* kPassword = "correct-horse-battery";

// A loopback port with nothing listening on it (bound once, then closed).
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class SmtpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    net::global_init();
    char pattern[] = "/tmp/settle_smtp_test_XXXXXX";
    dir_ = new fs::path(::mkdtemp(pattern));
    std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1"
                          " -addext subjectAltName=IP:127.0.0.1 -days 2 -keyout " +
                          (*dir_ / "key.pem").string() + " -out " + (*dir_ / "cert.pem").string() +
                          " >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  void TearDown() override { servers_.clear(); }

  static std::string cert() { return (*dir_ / "cert.pem").string(); }
  // The certificate and key added to options that ask for TLS.
  static std::vector<std::string> with_tls_files(std::vector<std::string> options) {
    for (const auto& o : options)
      if (o == "--starttls" || o == "--implicit-tls") {
        options.insert(options.end(), {"--tls-cert", cert(), "--tls-key", (*dir_ / "key.pem").string()});
        break;
      }
    return options;
  }

  // A server of its own maildir (named after the test and `name`).
  SmtpServer& start(const std::string& name, std::vector<std::string> options) {
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    fs::path maildir = *dir_ / info->name() / name;
    servers_.push_back(std::make_unique<SmtpServer>(maildir, std::move(options)));
    maildirs_.push_back(maildir);
    EXPECT_NE(servers_.back()->port(), 0) << servers_.back()->log();
    return *servers_.back();
  }
  fs::path maildir() const { return maildirs_.back(); }

  SmtpConfig config(const SmtpServer& server, Security security) const {
    SmtpConfig c;
    c.host = "127.0.0.1";
    c.port = server.port();
    c.security = security;
    c.ca_file = cert();
    c.timeout_ms = 10000;
    return c;
  }

  // The messages the server kept, in order.
  std::vector<std::string> received() const {
    std::vector<std::string> messages;
    for (int n = 1; fs::exists(maildir() / (std::to_string(n) + ".eml")); ++n)
      messages.push_back(slurp(maildir() / (std::to_string(n) + ".eml")));
    return messages;
  }
  std::vector<json> envelopes() const {
    std::vector<json> entries;
    std::ifstream in(maildir() / "log.jsonl");
    for (std::string line; std::getline(in, line);) entries.push_back(json::parse(line));
    return entries;
  }

  static std::string message() {
    Message m;
    m.from_address = "billing@phos-ind.com";
    m.from_name = "Phos Industries";
    m.to = "ada@example.com";
    m.subject = "Rechnung INV-2026-001 – 1.234,56 €";
    // Lines SMTP cares about: curl dot-stuffs them and the server unstuffs them again.
    m.text = "Hello Ada,\n.\n.. two dots\n.one dot\n\nBye\n";
    m.attachments = {{"INV-2026-001.pdf", "application/pdf", std::string(3000, '\x7f')}};
    m.message_id = "<mail_test@phos-ind.com>";
    return render_mime(m);
  }

  static fs::path* dir_;
  std::vector<std::unique_ptr<SmtpServer>> servers_;
  std::vector<fs::path> maildirs_;
};

fs::path* SmtpTest::dir_ = nullptr;

TEST_F(SmtpTest, PlainDeliveryKeepsTheMessageAndTheEnvelope) {
  SmtpServer& server = start("plain", {});
  std::string mime = message();
  auto outcome = send_smtp(config(server, Security::None), "bounces@phos-ind.com",
                           {"ada@example.com", "bob@example.com"}, mime);
  EXPECT_TRUE(outcome.ok) << outcome.reason << "\n" << server.log();
  EXPECT_FALSE(outcome.permanent);
  EXPECT_EQ(outcome.code, 250);
  EXPECT_EQ(outcome.reason, "accepted (250)");
  auto messages = received();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], mime);
  auto log = envelopes();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["mail_from"], "bounces@phos-ind.com");
  EXPECT_EQ(log[0]["rcpt_tos"], json::array({"ada@example.com", "bob@example.com"}));
  EXPECT_EQ(log[0]["file"], "1.eml");
}

TEST_F(SmtpTest, DeliversOverEachSecurityWithAndWithoutAuth) {
  struct Case {
    const char* name;
    Security security;
    bool tls, implicit, auth;
  } cases[] = {
      {"plain-auth", Security::None, false, false, true},
      {"starttls", Security::StartTls, true, false, false},
      {"starttls-auth", Security::StartTls, true, false, true},
      {"tls", Security::Tls, true, true, false},
      {"tls-auth", Security::Tls, true, true, true},
  };
  std::string mime = message();
  for (const auto& c : cases) {
    std::vector<std::string> options;
    if (c.tls) options.push_back(c.implicit ? "--implicit-tls" : "--starttls");
    if (c.auth) options.insert(options.end(), {"--auth", std::string(kUser) + ":" + kPassword});
    SmtpServer& server = start(c.name, with_tls_files(options));
    SmtpConfig cfg = config(server, c.security);
    if (c.auth) {
      cfg.username = kUser;
      cfg.password = kPassword;
    }
    auto outcome = send_smtp(cfg, "bounces@phos-ind.com", {"ada@example.com"}, mime);
    EXPECT_TRUE(outcome.ok) << c.name << ": " << outcome.reason << "\n" << server.log();
    EXPECT_EQ(outcome.code, 250) << c.name;
    auto messages = received();
    ASSERT_EQ(messages.size(), 1u) << c.name;
    EXPECT_EQ(messages[0], mime) << c.name;
    EXPECT_EQ(envelopes().at(0)["rcpt_tos"], json::array({"ada@example.com"})) << c.name;
  }
}

TEST_F(SmtpTest, FailuresSayWhetherARetryCanHelpAndSendNothing) {
  struct Case {
    const char* name;
    std::vector<std::string> server;
    Security security;
    std::string password;  // empty: no AUTH
    std::string recipient;
    bool trust_cert;
    bool permanent;
    long code;  // -1: any code below 400
    std::string reason_has;
  } cases[] = {
      {"wrong-password", {"--starttls", "--auth", std::string(kUser) + ":" + kPassword}, Security::StartTls,
       "wrong-secret-pw", "ada@example.com", true, true, 535, "refused the login (535)"},
      {"refused-recipient", {"--reject-rcpt", "blocked"}, Security::None, "", "someone@blocked.example", true,
       true, 550, "refused the message (550)"},
      // The client must not fall back to plain text when the server offers no STARTTLS.
      {"no-starttls-offered", {}, Security::StartTls, "", "ada@example.com", true, false, -1, "STARTTLS"},
      {"plain-to-starttls-only", {"--starttls"}, Security::None, "", "ada@example.com", true, true, 530,
       "refused the message (530)"},
      // Without the test's CA file only the system's CAs count, and they do not know it.
      {"untrusted-certificate", {"--implicit-tls"}, Security::Tls, "", "ada@example.com", false, false, -1,
       "certificate"},
  };
  for (const auto& c : cases) {
    SmtpServer& server = start(c.name, with_tls_files(c.server));
    SmtpConfig cfg = config(server, c.security);
    if (!c.trust_cert) cfg.ca_file.clear();
    if (!c.password.empty()) {
      cfg.username = kUser;
      cfg.password = c.password;
    }
    auto outcome = send_smtp(cfg, "bounces@phos-ind.com", {c.recipient}, message());
    EXPECT_FALSE(outcome.ok) << c.name;
    EXPECT_EQ(outcome.permanent, c.permanent) << c.name << ": " << outcome.reason;
    if (c.code > 0) {
      EXPECT_EQ(outcome.code, c.code) << c.name << ": " << outcome.reason;
    } else {
      EXPECT_LT(outcome.code, 400) << c.name << ": " << outcome.reason;
    }
    EXPECT_NE(outcome.reason.find(c.reason_has), std::string::npos) << c.name << ": " << outcome.reason;
    if (!c.password.empty()) {
      EXPECT_EQ(outcome.reason.find(c.password), std::string::npos) << outcome.reason;
    }
    EXPECT_TRUE(received().empty()) << c.name;
  }
}

TEST_F(SmtpTest, TemporaryRefusalIsNotPermanentAndTheNextTryGoesThrough) {
  SmtpServer& server = start("tempfail", {"--tempfail", "1"});
  std::string mime = message();
  auto first = send_smtp(config(server, Security::None), "bounces@phos-ind.com", {"ada@example.com"}, mime);
  EXPECT_FALSE(first.ok);
  EXPECT_FALSE(first.permanent) << first.reason;
  EXPECT_EQ(first.code, 451) << first.reason;
  EXPECT_NE(first.reason.find("deferred the message (451)"), std::string::npos) << first.reason;
  EXPECT_TRUE(received().empty());

  auto second = send_smtp(config(server, Security::None), "bounces@phos-ind.com", {"ada@example.com"}, mime);
  EXPECT_TRUE(second.ok) << second.reason;
  ASSERT_EQ(received().size(), 1u);
  EXPECT_EQ(received()[0], mime);
}

TEST_F(SmtpTest, NothingListeningIsATransportFailure) {
  SmtpConfig cfg;
  cfg.host = "127.0.0.1";
  cfg.port = closed_port();
  cfg.security = Security::None;
  auto outcome = send_smtp(cfg, "bounces@phos-ind.com", {"ada@example.com"}, message());
  EXPECT_FALSE(outcome.ok);
  EXPECT_FALSE(outcome.permanent);
  EXPECT_EQ(outcome.code, 0);
  EXPECT_NE(outcome.reason.find("could not be reached"), std::string::npos) << outcome.reason;
}

TEST_F(SmtpTest, SilentServerTimesOut) {
  // A listening socket that never accepts: the connection completes (backlog) but no
  // greeting ever comes.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  SmtpConfig cfg;
  cfg.host = "127.0.0.1";
  cfg.port = ntohs(addr.sin_port);
  cfg.security = Security::None;
  cfg.timeout_ms = 300;
  auto outcome = send_smtp(cfg, "bounces@phos-ind.com", {"ada@example.com"}, message());
  ::close(fd);
  EXPECT_FALSE(outcome.ok);
  EXPECT_FALSE(outcome.permanent);
  EXPECT_NE(outcome.reason.find("did not answer in time"), std::string::npos) << outcome.reason;
}

TEST(Smtp, AddressesWithLineBreaksNeverReachTheServer) {
  SmtpConfig cfg;
  cfg.host = "127.0.0.1";
  cfg.port = closed_port();
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"a@x.org\r\nRCPT TO:<evil@x.org>", "b@y.org"}, {"a@x.org", "b@y.org>\r\nDATA"}, {"a@x.org", ""}}) {
    auto outcome = send_smtp(cfg, from, {to}, "Subject: x\r\n\r\nx\r\n");
    EXPECT_FALSE(outcome.ok);
    EXPECT_TRUE(outcome.permanent);
    EXPECT_EQ(outcome.code, 0);
  }
}

TEST(Smtp, SecurityNames) {
  for (Security s : {Security::None, Security::StartTls, Security::Tls}) {
    Security parsed{};
    ASSERT_TRUE(parse_security(security_name(s), parsed));
    EXPECT_EQ(parsed, s);
  }
  EXPECT_STREQ(security_name(Security::StartTls), "starttls");
  Security untouched = Security::Tls;
  EXPECT_FALSE(parse_security("STARTTLS", untouched));
  EXPECT_FALSE(parse_security("ssl", untouched));
  EXPECT_EQ(untouched, Security::Tls);
}

}  // namespace
}  // namespace settle::mail
