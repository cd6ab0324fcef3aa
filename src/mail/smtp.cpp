#include "mail/smtp.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>

namespace settle::mail {
namespace {

// curl pulls the message piece by piece; it dot-stuffs lines and sends the final "." itself.
size_t read_message(char* buffer, size_t size, size_t n, void* user) {
  auto* rest = static_cast<std::string_view*>(user);
  size_t count = std::min(size * n, rest->size());
  std::memcpy(buffer, rest->data(), count);
  rest->remove_prefix(count);
  return count;
}

// An SMTP command ends at CRLF, so a control character in an address could smuggle a
// command of its own into the session; such an address never reaches curl.
bool valid_address(const std::string& address) {
  return !address.empty() && std::none_of(address.begin(), address.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == ' ' || c == '<' || c == '>';
  });
}

// The host goes into a URL: anything that would end the authority there (or change the
// scheme's meaning) is refused rather than escaped, since no real host name contains it.
bool valid_host(const std::string& host) {
  return !host.empty() && host.find_first_of("/?#@ \t\r\n") == std::string::npos;
}

std::string url_for(const SmtpConfig& config) {
  // An IPv6 literal needs brackets in a URL.
  bool ipv6 = config.host.find(':') != std::string::npos && config.host.front() != '[';
  std::string host = ipv6 ? "[" + config.host + "]" : config.host;
  return std::string(config.security == Security::Tls ? "smtps://" : "smtp://") + host + ":" +
         std::to_string(config.port);
}

std::string describe_failure(CURLcode rc, long code, const char* detail) {
  std::string what;
  switch (rc) {
    case CURLE_LOGIN_DENIED: what = "the mail server refused the login"; break;
    case CURLE_USE_SSL_FAILED: what = "the mail server does not offer STARTTLS, so nothing was sent"; break;
    case CURLE_COULDNT_RESOLVE_HOST: what = "the mail server's name could not be resolved"; break;
    case CURLE_COULDNT_CONNECT: what = "the mail server could not be reached"; break;
    case CURLE_OPERATION_TIMEDOUT: what = "the mail server did not answer in time"; break;
    case CURLE_PEER_FAILED_VERIFICATION: what = "the mail server's TLS certificate is not trusted"; break;
    case CURLE_SSL_CONNECT_ERROR: what = "the TLS handshake with the mail server failed"; break;
    default:
      what = code >= 500   ? "the mail server refused the message"
             : code >= 400 ? "the mail server deferred the message"
                           : "the message could not be sent";
  }
  // Only an error reply is worth naming: after a failed STARTTLS the last one is EHLO's 250.
  if (code >= 400) what += " (" + std::to_string(code) + ")";
  what += ": ";
  what += *detail ? detail : curl_easy_strerror(rc);
  return what;
}

}  // namespace

bool parse_security(const std::string& text, Security& out) {
  if (text == "none") out = Security::None;
  else if (text == "starttls") out = Security::StartTls;
  else if (text == "tls") out = Security::Tls;
  else return false;
  return true;
}

const char* security_name(Security s) {
  switch (s) {
    case Security::None: return "none";
    case Security::StartTls: return "starttls";
    case Security::Tls: return "tls";
  }
  return "none";
}

SmtpOutcome send_smtp(const SmtpConfig& config, const std::string& envelope_from,
                      const std::vector<std::string>& recipients, const std::string& mime) {
  SmtpOutcome outcome;
  // No configuration or address like these can ever work: permanent, so nobody retries.
  if (!valid_host(config.host) || config.port <= 0 || config.port > 65535) {
    outcome.permanent = true;
    outcome.reason = "the mail server's host or port is not valid";
    return outcome;
  }
  if (!valid_address(envelope_from) || recipients.empty() ||
      !std::all_of(recipients.begin(), recipients.end(), valid_address)) {
    outcome.permanent = true;
    outcome.reason = "the sender or a recipient address is not valid";
    return outcome;
  }

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) {
    outcome.reason = "curl_easy_init failed";
    return outcome;
  }
  curl_slist* rcpt_list = nullptr;
  for (const auto& r : recipients) rcpt_list = curl_slist_append(rcpt_list, ("<" + r + ">").c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt_guard(rcpt_list, &curl_slist_free_all);

  CURL* h = curl.get();
  std::string url = url_for(config);
  std::string from = "<" + envelope_from + ">";
  std::string_view rest = mime;
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  // Nothing but SMTP, even if the host setting were crafted to look like another scheme.
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (config.security == Security::StartTls) curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!config.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, config.ca_file.c_str());
  if (!config.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, config.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, config.password.c_str());
  }
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt_list);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_message);
  curl_easy_setopt(h, CURLOPT_READDATA, &rest);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mime.size()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, config.timeout_ms);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);

  CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &outcome.code);
  if (rc == CURLE_OK) {
    outcome.ok = true;
    outcome.reason = "accepted (" + std::to_string(outcome.code) + ")";
  } else {
    outcome.permanent = outcome.code >= 500 && outcome.code <= 599;
    outcome.reason = describe_failure(rc, outcome.code, error);
  }
  return outcome;
}

}  // namespace settle::mail
