// render_mime checked twice: by reading the text it makes (line ends, lengths, structure)
// and by Python's email package (policy=default), an independent MIME reader, decoding it
// back to the subject, bodies and attachment bytes that went in.
#include "mail/mime.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace settle::mail {
namespace {

using nlohmann::json;

// Prints what Python's reader sees: the decoded headers, every part's type, file name and
// content (text with its line ends made LF, bytes as hex) and the defects it noticed.
constexpr const char* kReader = R"PY(
import email, email.policy, json, sys
with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
sender = msg["from"].addresses[0]
out = {"subject": str(msg["subject"]), "from_name": sender.display_name,
       "from_address": sender.addr_spec, "to": str(msg["to"]), "reply_to": str(msg["reply-to"]),
       "message_id": str(msg["message-id"]), "date": str(msg["date"]),
       "mime_version": str(msg["mime-version"]), "parts": [], "defects": []}
for part in msg.walk():
    out["defects"] += [repr(d) for d in part.defects]
    entry = {"type": part.get_content_type()}
    if not part.is_multipart():
        entry["filename"] = part.get_filename()
        entry["disposition"] = part.get_content_disposition()
        content = part.get_content()
        if isinstance(content, str):
            entry["text"] = content.replace("\r\n", "\n")
        else:
            entry["hex"] = content.hex()
    out["parts"].append(entry)
print(json.dumps(out))
)PY";

class PythonReader {
 public:
  PythonReader() {
    char pattern[] = "/tmp/settle_mime_test_XXXXXX";
    dir_ = ::mkdtemp(pattern);
    std::ofstream(dir_ / "reader.py") << kReader;
  }
  ~PythonReader() { std::filesystem::remove_all(dir_); }

  json read(const std::string& mime) {
    auto file = dir_ / "message.eml";
    std::ofstream(file, std::ios::binary) << mime;
    std::string command = "/usr/bin/python3 " + (dir_ / "reader.py").string() + " " + file.string();
    FILE* pipe = ::popen(command.c_str(), "r");
    std::string output;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, n);
    int status = ::pclose(pipe);
    EXPECT_EQ(status, 0) << output;
    return json::parse(output, nullptr, false);
  }

 private:
  std::filesystem::path dir_;
};

std::string hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// The message split at CRLF; a bare CR or LF fails the test.
std::vector<std::string> crlf_lines(const std::string& mime) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t i = 0; i < mime.size(); ++i) {
    if (mime[i] == '\r') {
      EXPECT_TRUE(i + 1 < mime.size() && mime[i + 1] == '\n') << "bare CR at " << i;
      lines.push_back(mime.substr(start, i - start));
      start = ++i + 1;
    } else if (mime[i] == '\n') {
      ADD_FAILURE() << "bare LF at " << i;
    }
  }
  EXPECT_EQ(start, mime.size()) << "the message does not end with CRLF";
  return lines;
}

// The header block (up to the first empty line), unfolded.
std::vector<std::string> top_headers(const std::string& mime) {
  std::vector<std::string> headers;
  for (const auto& line : crlf_lines(mime)) {
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') headers.back() += line;
    else headers.push_back(line);
  }
  return headers;
}

std::string header_value(const std::string& mime, const std::string& name) {
  for (const auto& h : top_headers(mime))
    if (h.rfind(name + ":", 0) == 0) return h.substr(name.size() + 2);
  return {};
}

std::string long_line() {
  std::string line;
  for (int i = 0; line.size() < 300; ++i) line += "word" + std::to_string(i) + (i % 7 == 6 ? "=" : " ");
  return line.substr(0, 300);
}

// Text that quoted-printable and SMTP have to be careful with.
std::string tricky_text() {
  return "Hello Ada,\n"
         ".a line starting with a dot\n"
         ".\n" +
         long_line() + "\n" + std::string(200, 'x') +
         "\n"
         "a = b == c =3D\n"
         "trailing spaces   \n"
         "trailing tab\t\n"
         "Grüße, 1.234,56 € – ok\n"
         "CRLF line\r\n"
         "\n"
         "Bye\n";
}

Message sample() {
  Message m;
  m.from_address = "billing@phos-ind.com";
  m.from_name = "Phos Industries";
  m.to = "ada@example.com";
  m.subject = "Your invoice";
  m.text = "Hello\n";
  m.message_id = "<mail_abc@phos-ind.com>";
  m.date = std::chrono::system_clock::from_time_t(1796307171);
  return m;
}

std::string pdf_like() {
  std::string bytes;
  for (int round = 0; round < 40; ++round)
    for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);
  return bytes;
}

TEST(Rfc5322Date, FormatsUtcWithEnglishNames) {
  EXPECT_EQ(rfc5322_date(std::chrono::system_clock::from_time_t(1796307171)), "Thu, 03 Dec 2026 14:12:51 +0000");
  EXPECT_EQ(rfc5322_date(std::chrono::system_clock::from_time_t(1772323200)), "Sun, 01 Mar 2026 00:00:00 +0000");
}

TEST(RenderMime, TextOnlyIsOneQuotedPrintablePartWithTheHeadersInOrder) {
  Message m = sample();
  m.reply_to = "support@phos-ind.com";
  m.headers = {{"X-Settle-Mail", "mail_abc"}};
  std::string mime = render_mime(m);
  auto headers = top_headers(mime);
  std::vector<std::string> names;
  for (const auto& h : headers) names.push_back(h.substr(0, h.find(':')));
  EXPECT_EQ(names, (std::vector<std::string>{"Date", "From", "To", "Reply-To", "Subject", "Message-ID",
                                             "MIME-Version", "X-Settle-Mail", "Content-Type",
                                             "Content-Transfer-Encoding"}));
  EXPECT_EQ(header_value(mime, "Date"), "Thu, 03 Dec 2026 14:12:51 +0000");
  EXPECT_EQ(header_value(mime, "From"), "Phos Industries <billing@phos-ind.com>");
  EXPECT_EQ(header_value(mime, "To"), "ada@example.com");
  EXPECT_EQ(header_value(mime, "Reply-To"), "support@phos-ind.com");
  EXPECT_EQ(header_value(mime, "Message-ID"), "<mail_abc@phos-ind.com>");
  EXPECT_EQ(header_value(mime, "MIME-Version"), "1.0");
  EXPECT_EQ(header_value(mime, "Content-Type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(header_value(mime, "Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(mime.find("multipart"), std::string::npos);
  EXPECT_TRUE(mime.ends_with("\r\n\r\nHello\r\n"));
}

TEST(RenderMime, QuotedPrintableEncodesWhatTransportsWouldDamage) {
  Message m = sample();
  m.text = "a = b\ntrailing  \nGrüße\n" + std::string(200, 'x') + "\nend";
  std::string mime = render_mime(m);
  std::string body = mime.substr(mime.find("\r\n\r\n") + 4);
  EXPECT_NE(body.find("a =3D b\r\n"), std::string::npos);
  EXPECT_NE(body.find("trailing =20\r\n"), std::string::npos);
  EXPECT_NE(body.find("Gr=C3=BC=C3=9Fe\r\n"), std::string::npos);
  EXPECT_NE(body.find(std::string(75, 'x') + "=\r\n"), std::string::npos);  // a soft break
  EXPECT_TRUE(body.ends_with("end\r\n"));
  for (const auto& line : crlf_lines(body)) {
    EXPECT_LE(line.size(), 76u) << line;
    for (unsigned char c : line) EXPECT_LT(c, 0x80) << line;
  }
}

TEST(RenderMime, NonAsciiSubjectAndNameAreEncodedWordsFoldedWithin78Columns) {
  Message m = sample();
  m.from_name = "Müller & Söhne – Buchhaltung der Phos Industries GmbH";
  m.subject = "Rechnung INV-2026-001 – 1.234,56 € für Ihre Bestellung vom 3. Dezember, bitte prüfen";
  std::string mime = render_mime(m);
  EXPECT_EQ(header_value(mime, "Subject").rfind("=?UTF-8?B?", 0), 0u);
  EXPECT_EQ(header_value(mime, "From").rfind("=?UTF-8?B?", 0), 0u);
  EXPECT_TRUE(header_value(mime, "From").ends_with(" <billing@phos-ind.com>"));
  for (const auto& line : crlf_lines(mime)) {
    if (line.empty()) break;
    EXPECT_LE(line.size(), 78u) << line;
    for (unsigned char c : line) EXPECT_LT(c, 0x80) << line;
  }
}

TEST(RenderMime, LongAsciiSubjectFoldsAtSpaces) {
  Message m = sample();
  m.subject = long_line();
  std::string mime = render_mime(m);
  EXPECT_EQ(header_value(mime, "Subject"), m.subject);  // unfolding gives it back as it was
  for (const auto& line : crlf_lines(mime)) EXPECT_LE(line.size(), 78u) << line;
}

TEST(RenderMime, DisplayNamesAreQuotedOnlyWhenTheyHoldSpecials) {
  struct Case {
    std::string name, from;
  } cases[] = {
      {"Phos Industries", "Phos Industries <billing@phos-ind.com>"},
      {"Phos Ind. GmbH", "\"Phos Ind. GmbH\" <billing@phos-ind.com>"},
      {"Say \"hi\", \\o/", "\"Say \\\"hi\\\", \\\\o/\" <billing@phos-ind.com>"},
      {"", "billing@phos-ind.com"},
  };
  for (const auto& c : cases) {
    Message m = sample();
    m.from_name = c.name;
    EXPECT_EQ(header_value(render_mime(m), "From"), c.from) << c.name;
  }
}

TEST(RenderMime, LineBreaksInHeaderValuesCannotAddHeaders) {
  Message m = sample();
  m.subject = "Hello\r\nBcc: victim@example.com";
  m.from_name = "Eve\nBcc: other@example.com";
  m.to = "ada@example.com\r\nCc: x@example.com";
  m.headers = {{"X-Note", "a\r\nBcc: y@example.com"}};
  for (const auto& h : top_headers(render_mime(m))) {
    EXPECT_NE(h.rfind("Bcc:", 0), 0u) << h;
    EXPECT_NE(h.rfind("Cc:", 0), 0u) << h;
  }
}

TEST(RenderMime, MissingMessageIdIsMadeUpOnTheSendersDomain) {
  Message m = sample();
  m.message_id.clear();
  std::string id = header_value(render_mime(m), "Message-ID");
  EXPECT_EQ(id.front(), '<');
  EXPECT_TRUE(id.ends_with("@phos-ind.com>")) << id;
  EXPECT_NE(id, header_value(render_mime(m), "Message-ID"));
}

TEST(RenderMime, BoundariesAreRandomAndMatchNoLineOfContent) {
  Message m = sample();
  m.text = tricky_text();
  m.html = "<p>" + long_line() + "</p>\n";
  m.attachments = {{"a.pdf", "application/pdf", pdf_like()}};
  std::string mime = render_mime(m);
  std::vector<std::string> boundaries;
  for (size_t at = 0; (at = mime.find("boundary=\"", at)) != std::string::npos;) {
    at += 10;
    boundaries.push_back(mime.substr(at, mime.find('"', at) - at));
  }
  ASSERT_EQ(boundaries.size(), 2u);
  EXPECT_NE(boundaries[0], boundaries[1]);
  for (const auto& b : boundaries) {
    EXPECT_LE(b.size(), 70u);
    int delimiters = 0;
    for (const auto& line : crlf_lines(mime)) {
      if (line.find(b) == std::string::npos) continue;
      bool delimiter = line == "--" + b || line == "--" + b + "--";
      bool declaration = line == " boundary=\"" + b + "\"";
      EXPECT_TRUE(delimiter || declaration) << line;
      delimiters += delimiter;
    }
    EXPECT_GE(delimiters, 3);  // two parts and the close
  }
  EXPECT_NE(render_mime(m), mime);
}

TEST(RenderMime, NoLinePasses998EvenForAnUnbreakableSubject) {
  for (const std::string& subject : {std::string(2000, 'a'), std::string(1000, 'a') + "ü"}) {
    Message m = sample();
    m.subject = subject;
    m.text = std::string(5000, 'y');
    m.attachments = {{std::string(400, 'f') + ".pdf", "application/pdf", std::string(3000, 'z')}};
    std::string mime = render_mime(m);
    for (const auto& line : crlf_lines(mime)) EXPECT_LE(line.size(), 998u);
    PythonReader reader;
    EXPECT_EQ(reader.read(mime)["subject"], subject);
  }
}

// Python reads each shape back with the parts in the right nesting and order.
TEST(RenderMimeRead, StructureByShape) {
  struct Case {
    const char* shape;
    bool html, attachment;
    std::vector<std::string> types;
  } cases[] = {
      {"text", false, false, {"text/plain"}},
      {"text+html", true, false, {"multipart/alternative", "text/plain", "text/html"}},
      {"text+attachment", false, true, {"multipart/mixed", "text/plain", "application/pdf"}},
      {"text+html+attachment",
       true,
       true,
       {"multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/pdf"}},
  };
  PythonReader reader;
  for (const auto& c : cases) {
    Message m = sample();
    if (c.html) m.html = "<p>Hello</p>\n";
    if (c.attachment) m.attachments = {{"INV-2026-001.pdf", "application/pdf", "%PDF-1.4\n"}};
    json read = reader.read(render_mime(m));
    std::vector<std::string> types;
    for (const auto& p : read["parts"]) types.push_back(p["type"]);
    EXPECT_EQ(types, c.types) << c.shape;
    EXPECT_EQ(read["defects"], json::array()) << c.shape;
  }
}

TEST(RenderMimeRead, EverythingDecodesBackToWhatWentIn) {
  Message m = sample();
  m.from_name = "Müller & Söhne";
  m.reply_to = "support@phos-ind.com";
  m.subject = "Rechnung INV-2026-001 – 1.234,56 €";
  m.text = tricky_text();
  m.html = "<p>Grüße &amp; =</p>\n.<p>\n<p style=\"x\">" + long_line() + "</p>   \n";
  m.attachments = {{"INV-2026-001.pdf", "application/pdf", pdf_like()},
                   {"Rechnung März – \"final\".pdf", "application/pdf", "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"},
                   {"notes.txt", "text/plain", ""}};
  std::string mime = render_mime(m);
  for (const auto& line : crlf_lines(mime)) EXPECT_LE(line.size(), 998u);

  PythonReader reader;
  json read = reader.read(mime);
  ASSERT_TRUE(read.is_object());
  EXPECT_EQ(read["defects"], json::array());
  EXPECT_EQ(read["subject"], m.subject);
  EXPECT_EQ(read["from_name"], m.from_name);
  EXPECT_EQ(read["from_address"], m.from_address);
  EXPECT_EQ(read["to"], m.to);
  EXPECT_EQ(read["reply_to"], m.reply_to);
  EXPECT_EQ(read["message_id"], m.message_id);
  EXPECT_EQ(read["date"], "Thu, 03 Dec 2026 14:12:51 +0000");
  EXPECT_EQ(read["mime_version"], "1.0");

  const json& parts = read["parts"];
  ASSERT_EQ(parts.size(), 7u) << parts.dump();
  // mixed > (alternative > text, html), pdf, pdf, txt
  std::string text = m.text;
  for (size_t at; (at = text.find("\r\n")) != std::string::npos;) text.erase(at, 1);
  EXPECT_EQ(parts[2]["text"], text);
  EXPECT_EQ(parts[3]["type"], "text/html");
  EXPECT_EQ(parts[3]["text"], m.html);
  for (size_t i = 0; i < m.attachments.size(); ++i) {
    const json& p = parts[4 + i];
    EXPECT_EQ(p["type"], m.attachments[i].content_type);
    EXPECT_EQ(p["disposition"], "attachment");
    EXPECT_EQ(p["filename"], m.attachments[i].filename);
    if (p.contains("hex")) {
      EXPECT_EQ(p["hex"], hex(m.attachments[i].content)) << i;
    } else {
      EXPECT_EQ(p["text"], m.attachments[i].content) << i;
    }
  }
}

}  // namespace
}  // namespace settle::mail
