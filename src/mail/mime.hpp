// One mail as RFC 5322 + MIME text: a plain-text part, an optional HTML alternative and
// attachments (multipart/mixed > multipart/alternative), UTF-8 throughout, header words
// encoded by RFC 2047 when not ASCII, bodies quoted-printable, attachments base64.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace settle::mail {

struct Attachment {
  std::string filename;      // UTF-8
  std::string content_type;  // e.g. application/pdf
  std::string content;       // raw bytes
};

struct Message {
  std::string from_address;  // addr-spec: billing@example.com
  std::string from_name;     // display name, may be empty or UTF-8
  std::string to;            // one addr-spec
  std::string reply_to;      // optional addr-spec
  std::string subject;       // UTF-8, one line
  std::string text;          // plain-text body, UTF-8, LF or CRLF line ends
  std::string html;          // optional HTML body
  std::vector<Attachment> attachments;
  std::string message_id;    // with angle brackets: <mail_abc@crm.example.com>
  std::chrono::system_clock::time_point date = std::chrono::system_clock::now();
  std::vector<std::pair<std::string, std::string>> headers;  // extra, ASCII values
};

// The message, CRLF line ends, ready for SMTP DATA (lines never longer than 998 octets).
std::string render_mime(const Message& message);

// "Thu, 03 Dec 2026 14:12:51 +0000"
std::string rfc5322_date(std::chrono::system_clock::time_point t);

}  // namespace settle::mail
