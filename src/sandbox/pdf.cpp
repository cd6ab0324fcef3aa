// The PDF writer (see pdf.hpp). One content stream per page; objects are numbered
// 1 catalog, 2 pages, 3 font, then a (page, content) pair per page.
#include "sandbox/pdf.hpp"

#include <algorithm>
#include <cstdio>

namespace settle::sandbox {
namespace {

constexpr int kLinesPerPage = 48;
constexpr int kPageWidth = 612;
constexpr int kPageHeight = 792;

std::string escape(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '(' || c == ')' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c >= 32 && c < 127) {
      out.push_back(static_cast<char>(c));
    } else if ((c & 0xC0) != 0x80) {  // one '?' per UTF-8 character
      out.push_back('?');
    }
  }
  return out;
}

std::string page_stream(const std::string& title, const std::vector<std::string>& lines, size_t from, size_t to) {
  std::string s = "BT\n/F1 16 Tf\n50 740 Td\n(" + escape(title) + ") Tj\n/F1 11 Tf\n0 -28 Td\n14 TL\n";
  for (size_t i = from; i < to; ++i) s += "(" + escape(lines[i]) + ") '\n";
  s += "ET\n";
  return s;
}

}  // namespace

std::string render_pdf(const std::string& title, const std::vector<std::string>& lines) {
  size_t pages = lines.empty() ? 1 : (lines.size() + kLinesPerPage - 1) / kLinesPerPage;
  std::vector<std::string> objects;
  std::string kids;
  for (size_t p = 0; p < pages; ++p) kids += std::to_string(4 + 2 * p) + " 0 R ";
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages) + " >>");
  objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
  for (size_t p = 0; p < pages; ++p) {
    size_t from = p * kLinesPerPage;
    size_t to = std::min(lines.size(), from + kLinesPerPage);
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + std::to_string(kPageWidth) + " " +
                      std::to_string(kPageHeight) + "] /Resources << /Font << /F1 3 0 R >> >> /Contents " +
                      std::to_string(5 + 2 * p) + " 0 R >>");
    std::string stream = page_stream(title, lines, from, to);
    objects.push_back("<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream + "endstream");
  }
  std::string out = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(out.size());
    out += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  size_t xref = out.size();
  out += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  char entry[32];
  for (size_t offset : offsets) {
    std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", offset);
    out += entry;
  }
  out += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return out;
}

}  // namespace settle::sandbox
