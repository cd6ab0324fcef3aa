// Sending one message over SMTP, on libcurl: plain, STARTTLS (required, never downgraded)
// or implicit TLS (smtps), with AUTH when a username is set. The answer says whether a retry
// can help: a 5xx reply is permanent, a 4xx reply or a transport failure is not.
// Nothing here knows the outbox; src/mail/mailer.cpp decides what a failure means.
#pragma once

#include <string>
#include <vector>

namespace settle::mail {

enum class Security { None, StartTls, Tls };

// "none", "starttls" or "tls"; false for anything else.
bool parse_security(const std::string& text, Security& out);
const char* security_name(Security s);

struct SmtpConfig {
  std::string host;
  int port = 587;
  Security security = Security::StartTls;
  std::string username;  // empty: no AUTH
  std::string password;
  long timeout_ms = 30000;
  // Tests trust their own self-signed certificate; production uses the system's CAs.
  std::string ca_file;
};

struct SmtpOutcome {
  bool ok = false;
  bool permanent = false;  // the server refused with 5xx: sending again cannot help
  long code = 0;           // the last SMTP reply code, 0 when there was none
  std::string reason;      // for people: the server's reply or the transport error; never the password
};

// Sends `mime` (a whole RFC 5322 message with CRLF line ends) from `envelope_from` to each
// of `recipients` in one transaction. Blocking; call it from a worker thread.
SmtpOutcome send_smtp(const SmtpConfig& config, const std::string& envelope_from,
                      const std::vector<std::string>& recipients, const std::string& mime);

}  // namespace settle::mail
