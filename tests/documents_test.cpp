// Settle's own quote and invoice PDFs through the real server on both backends, read back
// with pdftotext and pdfinfo (poppler-utils): what the document says, its pages, who may
// download it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "harness.hpp"
#include "one_workspace.hpp"

namespace settle::testing {
namespace {

// The text of a PDF (pdftotext), or of its info (pdfinfo).
std::string poppler(const std::string& tool, const std::string& pdf) {
  char tmpl[] = "/tmp/settle-doc-XXXXXX";
  int fd = ::mkstemp(tmpl);
  ::close(fd);
  std::ofstream(tmpl, std::ios::binary) << pdf;
  std::string out;
  FILE* p = ::popen((tool + " '" + tmpl + "'" + (tool.rfind("pdftotext", 0) == 0 ? " -" : "")).c_str(), "r");
  std::array<char, 4096> buf{};
  size_t n = 0;
  while (p && (n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  if (p) ::pclose(p);
  ::unlink(tmpl);
  return out;
}

class DocumentsTest : public OneWorkspaceTest {};

TEST_P(DocumentsTest, AnInvoicePdfSaysWhatTheInvoiceSays) {
  json lines = json::array();
  for (int i = 0; i < 120; ++i) lines.push_back({{"description", "Service visit " + std::to_string(i + 1)}, {"quantity", 1}, {"unitAmount", 1000}});
  auto invoice = call("POST", "/rest/invoices", {{"companyId", company}, {"currency", "JPY"}, {"taxAmount", 1200}, {"lineItems", lines}});
  ASSERT_EQ(invoice.status, 201) << invoice.raw;
  std::string id = invoice.body["data"]["id"];
  auto draft = call("GET", "/rest/invoices/" + id + "/pdf");
  ASSERT_EQ(draft.status, 200) << draft.raw;
  EXPECT_EQ(draft.header("content-type"), "application/pdf");
  std::string text = poppler("pdftotext -layout", draft.raw);
  EXPECT_NE(text.find("Draft"), std::string::npos) << text;
  EXPECT_NE(text.find("Acme"), std::string::npos) << "the workspace";
  EXPECT_NE(text.find("¥121,200"), std::string::npos) << "JPY has no decimals:\n" << text;
  EXPECT_NE(text.find("Service visit 120"), std::string::npos);
  std::string info = poppler("pdfinfo", draft.raw);
  ASSERT_NE(info.find("Pages:"), std::string::npos) << info;
  EXPECT_GE(std::stoi(info.substr(info.find("Pages:") + 6)), 3) << "120 lines take several pages:\n" << info;

  ASSERT_EQ(call("POST", "/rest/invoices/" + id + "/finalize").status, 200);
  std::string number = call("GET", "/rest/invoices/" + id).body["data"]["invoiceNumber"];
  auto final_pdf = call("GET", "/rest/invoices/" + id + "/pdf");
  ASSERT_EQ(final_pdf.status, 200);
  EXPECT_NE(final_pdf.header("content-disposition").find(number + ".pdf"), std::string::npos) << final_pdf.header("content-disposition");
  EXPECT_NE(poppler("pdftotext", final_pdf.raw).find(number), std::string::npos);
  EXPECT_NE(poppler("pdfinfo", final_pdf.raw).find("Invoice " + number), std::string::npos);
}

TEST_P(DocumentsTest, AQuotePdfIsTheWorkspacesOnly) {
  auto quote = call("POST", "/rest/quotes", {{"companyId", company}, {"currency", "USD"},
                                            {"lineItems", {{{"description", "Fibre laser", }, {"quantity", 2}, {"unitAmount", 4250000}}}}});
  ASSERT_EQ(quote.status, 201) << quote.raw;
  std::string id = quote.body["data"]["id"];
  auto pdf = call("GET", "/rest/quotes/" + id + "/pdf");
  ASSERT_EQ(pdf.status, 200);
  std::string text = poppler("pdftotext -layout", pdf.raw);
  EXPECT_NE(text.find("$85,000.00"), std::string::npos) << text;
  EXPECT_NE(text.find("Quote"), std::string::npos);
  // Another workspace's key gets a 404, as for the record; no PDF of a missing record.
  auto other = srv->accounts->create_workspace("Other", "other-docs", "boss@other-docs.example", std::string("correct horse 3"));
  ASSERT_TRUE(other);
  EXPECT_EQ(srv->call("GET", "/rest/quotes/" + id + "/pdf", nullptr, other->api_key).status, 404);
  EXPECT_EQ(call("GET", "/rest/quotes/quo_nope/pdf").status, 404);
  EXPECT_EQ(srv->call("GET", "/rest/quotes/" + id + "/pdf", nullptr, "").status, 401);
}

INSTANTIATE_TEST_SUITE_P(Backends, DocumentsTest, ::testing::ValuesIn(backends()));

}  // namespace
}  // namespace settle::testing
