#include "mail/mime.hpp"

#include <sodium.h>

#include <cstdio>
#include <ctime>
#include <random>
#include <string_view>

namespace settle::mail {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::size_t kFoldWidth = 78;  // RFC 5322 2.1.1: lines SHOULD stay within 78
constexpr std::size_t kHardLimit = 998;  // ... and MUST stay within 998
constexpr std::size_t kQpWidth = 76;     // RFC 2045 6.7 (5): encoded lines, '=' included
constexpr std::size_t kBase64Width = 76;
// 42 bytes make 56 base64 characters, an encoded word of 68: "Subject: " and one word
// still fit in 78 columns, and no word passes RFC 2047's 75.
constexpr std::size_t kWordBytes = 42;
// Longer file names are cut (at a character): no file system keeps more, and the
// percent-encoded parameter stays far below 998 octets.
constexpr std::size_t kFilenameBytes = 255;

// Header values come from people (names, subjects) and templates: a CR or LF in one would
// start another header, or the body, so each becomes a space.
std::string one_line(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

// Printable ASCII (and tab) that no reader would take for an RFC 2047 encoded word.
bool plain_ascii(std::string_view text) {
  for (unsigned char c : text)
    if ((c < 0x20 && c != '\t') || c >= 0x7f) return false;
  return text.find("=?") == std::string_view::npos;
}

// Pieces of at most `max` bytes that never cut a UTF-8 character: an encoded word must
// hold whole characters (RFC 2047 5), and a cut file name must stay valid UTF-8.
std::vector<std::string_view> utf8_pieces(std::string_view text, std::size_t max) {
  std::vector<std::string_view> pieces;
  while (!text.empty()) {
    std::size_t n = std::min(max, text.size());
    // Step back over continuation bytes (10xxxxxx) to the start of the cut character.
    if (n < text.size())
      while (n > 1 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    pieces.push_back(text.substr(0, n));
    text.remove_prefix(n);
  }
  return pieces;
}

std::string base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::vector<std::string> encoded_words(std::string_view text) {
  std::vector<std::string> words;
  for (auto piece : utf8_pieces(text, kWordBytes)) words.push_back("=?UTF-8?B?" + base64(piece) + "?=");
  return words;
}

std::vector<std::string> split_at_spaces(std::string_view text) {
  std::vector<std::string> tokens;
  std::size_t start = 0;
  for (std::size_t space; (space = text.find(' ', start)) != std::string_view::npos; start = space + 1)
    tokens.emplace_back(text.substr(start, space - start));
  tokens.emplace_back(text.substr(start));
  return tokens;
}

// "Name: " and the tokens joined by spaces, folded (CRLF before the space) wherever the
// next token would pass 78 columns. A reader unfolds by dropping the CRLFs, so the value
// comes back as it was; only a single token longer than a line stays long.
std::string header(std::string_view name, const std::vector<std::string>& tokens) {
  std::string out(name);
  out += ':';
  std::size_t column = out.size();
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0 && column + 1 + tokens[i].size() > kFoldWidth) {
      out += kCrlf;
      column = 0;
    }
    out += ' ';
    out += tokens[i];
    column += 1 + tokens[i].size();
  }
  out += kCrlf;
  return out;
}

// Unstructured text (Subject): as it is when it is plain ASCII that folds within 998
// octets, else as encoded words, which can be broken anywhere.
std::vector<std::string> text_tokens(std::string_view name, std::string_view text) {
  if (plain_ascii(text)) {
    auto tokens = split_at_spaces(text);
    bool fits = true;
    for (const auto& t : tokens) fits = fits && name.size() + 2 + t.size() <= kHardLimit;
    if (fits) return tokens;
  }
  return encoded_words(text);
}

// A display name and its address. Encoded words for non-ASCII; a quoted string when the
// name holds a character that means something in an address header (RFC 5322 3.2.3).
std::vector<std::string> mailbox_tokens(std::string_view name, std::string_view address) {
  std::vector<std::string> tokens;
  if (name.empty()) return {std::string(address)};
  if (!plain_ascii(name)) {
    tokens = encoded_words(name);
  } else if (name.find_first_of("()<>[]:;@\\,.\"") != std::string_view::npos) {
    std::string quoted = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    tokens.push_back(quoted + "\"");
  } else {
    tokens = split_at_spaces(name);
  }
  tokens.push_back("<" + std::string(address) + ">");
  return tokens;
}

// A Content-Type or Content-Disposition parameter: name="value" for printable ASCII, else
// RFC 2231's name*=UTF-8''%XX.. so that every reader gets the exact bytes back.
std::string parameter(std::string_view name, std::string_view value) {
  std::string out(name);
  if (plain_ascii(value)) {
    out += "=\"";
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  }
  out += "*=UTF-8''";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : value) {
    // RFC 2231 attribute-char: any token character except '*', '\'' and '%'.
    bool literal = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                   std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (literal) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// RFC 2045 6.7 over text whose line breaks may be LF, CRLF or CR: each becomes a hard
// CRLF; '=', control and non-ASCII bytes become =XX, and so does a space or tab that ends
// a line (transports strip those); soft breaks ("=" CRLF) keep lines within 76.
std::string quoted_printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t column = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += kCrlf;
      column = 0;
      continue;
    }
    auto u = static_cast<unsigned char>(c);
    bool ends_line = i + 1 == text.size() || text[i + 1] == '\r' || text[i + 1] == '\n';
    bool literal = (u >= 33 && u <= 126 && u != '=') || ((u == ' ' || u == '\t') && !ends_line);
    std::size_t width = literal ? 1 : 3;
    if (column + width > kQpWidth - 1) {  // room for the soft break's '='
      out += "=";
      out += kCrlf;
      column = 0;
    }
    if (literal) {
      out += c;
    } else {
      out += '=';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
    column += width;
  }
  return out;
}

std::string base64_lines(std::string_view bytes) {
  std::string encoded = base64(bytes), out;
  for (std::size_t i = 0; i < encoded.size(); i += kBase64Width) {
    if (i > 0) out += kCrlf;
    out += encoded.substr(i, kBase64Width);
  }
  return out;
}

std::string random_hex(std::size_t words) {
  std::random_device random;
  std::string out;
  for (std::size_t i = 0; i < words; ++i) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(random()));
    out += buf;
  }
  return out;
}

// Entities below are their header lines, an empty line and the body; a body need not end
// with CRLF, since the CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1).

std::string text_entity(std::string_view subtype, std::string_view text) {
  return "Content-Type: text/" + std::string(subtype) +
         "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + quoted_printable(text);
}

std::string attachment_entity(const Attachment& a) {
  std::string type = a.content_type.empty() ? "application/octet-stream" : one_line(a.content_type);
  auto pieces = utf8_pieces(a.filename, kFilenameBytes);
  std::string filename = one_line(pieces.empty() ? std::string_view() : pieces.front());
  return "Content-Type: " + type + ";\r\n " + parameter("name", filename) +
         "\r\nContent-Disposition: attachment;\r\n " + parameter("filename", filename) +
         "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64_lines(a.content);
}

// The boundary starts with "=_", which can occur neither in quoted-printable ('=' is
// always followed by hex digits or a line break there) nor in base64: no content can
// contain it. The random rest keeps a nested multipart's boundary apart from its parent's.
std::string multipart_entity(std::string_view subtype, const std::vector<std::string>& parts) {
  std::string boundary = "=_settle_" + random_hex(4);
  std::string out = "Content-Type: multipart/" + std::string(subtype) + ";\r\n boundary=\"" + boundary + "\"\r\n\r\n";
  for (const auto& part : parts) out += "--" + boundary + "\r\n" + part + "\r\n";
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string render_mime(const Message& message) {
  std::string from = one_line(message.from_address);
  std::string out = header("Date", {rfc5322_date(message.date)});
  out += header("From", mailbox_tokens(one_line(message.from_name), from));
  out += header("To", {one_line(message.to)});
  if (!message.reply_to.empty()) out += header("Reply-To", {one_line(message.reply_to)});
  out += header("Subject", text_tokens("Subject", one_line(message.subject)));
  // Receivers count a missing Message-ID against a mail; make one up on the sender's domain.
  std::string message_id = one_line(message.message_id);
  if (message_id.empty()) {
    auto at = from.rfind('@');
    message_id = "<" + random_hex(4) + "@" + (at == std::string::npos ? "settle.invalid" : from.substr(at + 1)) + ">";
  }
  out += header("Message-ID", {message_id});
  out += "MIME-Version: 1.0\r\n";
  for (const auto& [name, value] : message.headers) out += header(name, split_at_spaces(one_line(value)));

  std::string body = text_entity("plain", message.text);
  if (!message.html.empty()) body = multipart_entity("alternative", {body, text_entity("html", message.html)});
  if (!message.attachments.empty()) {
    std::vector<std::string> parts{body};
    for (const auto& a : message.attachments) parts.push_back(attachment_entity(a));
    body = multipart_entity("mixed", parts);
  }
  out += body;
  if (!out.ends_with(kCrlf)) out += kCrlf;
  return out;
}

}  // namespace settle::mail
