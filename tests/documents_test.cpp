// Settle's own quote and invoice PDFs through the real server on both backends, read back
// with pdftotext and pdfinfo (poppler-utils): what the document says, its pages, who may
// download it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <thread>

#include "common/crypto.hpp"
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

TEST_P(DocumentsTest, AFinalizedDocumentsPdfIsMadeOnceAndNeverChanges) {
  auto invoice = call("POST", "/rest/invoices", {{"companyId", company}, {"currency", "USD"}, {"notes", "First draft"},
                                                {"lineItems", {{{"description", "Service"}, {"quantity", 1}, {"unitAmount", 50000}}}}});
  ASSERT_EQ(invoice.status, 201) << invoice.raw;
  std::string id = invoice.body["data"]["id"];
  // A draft's PDF is drawn from the draft as it is now: no hash, and an edit shows.
  auto draft = call("GET", "/rest/invoices/" + id + "/pdf");
  ASSERT_EQ(draft.status, 200);
  EXPECT_EQ(draft.header("etag"), "");
  EXPECT_TRUE(call("GET", "/rest/invoices/" + id).body["data"]["pdfSha256"].is_null());
  ASSERT_EQ(call("PATCH", "/rest/invoices/" + id, {{"notes", "Second draft"}, {"terms", "Net 30, EUR bank transfer"}}).status, 200);
  std::string edited = poppler("pdftotext", call("GET", "/rest/invoices/" + id + "/pdf").raw);
  EXPECT_NE(edited.find("Second draft"), std::string::npos) << edited;
  EXPECT_NE(edited.find("Terms"), std::string::npos) << edited;
  EXPECT_NE(edited.find("Net 30, EUR bank transfer"), std::string::npos) << edited;

  ASSERT_EQ(call("POST", "/rest/invoices/" + id + "/finalize").status, 200);
  auto first = call("GET", "/rest/invoices/" + id + "/pdf");
  ASSERT_EQ(first.status, 200);
  std::string sha = sha256_hex(first.raw);
  EXPECT_EQ(call("GET", "/rest/invoices/" + id).body["data"]["pdfSha256"], sha) << "the hash is on the record";
  EXPECT_EQ(first.header("etag"), "\"" + sha + "\"");
  // A payment, a new workspace name: the finalized document stays the bytes it was.
  ASSERT_EQ(call("POST", "/rest/payments", {{"invoiceId", id}, {"amount", 20000}}).status, 201);
  ASSERT_EQ(call("PATCH", "/rest/settings/workspace", {{"name", "Acme Renamed"}}).status, 200);
  auto again = call("GET", "/rest/invoices/" + id + "/pdf");
  EXPECT_TRUE(again.raw == first.raw) << "a finalized PDF never changes";
  EXPECT_EQ(call("GET", "/rest/invoices/" + id).body["data"]["pdfSha256"], sha);
  EXPECT_EQ(poppler("pdftotext", again.raw).find("Acme Renamed"), std::string::npos);
  // One stored row, whatever the number of requests.
  auto rows = srv->db->read<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
    return store::RowView(tx.query("SELECT COUNT(*) AS n FROM document_pdfs WHERE record_id = :id", {{"id", id}}), 0).integer("n");
  });
  ASSERT_TRUE(rows);
  EXPECT_EQ(*rows, 1);
  // pdfSha256 is the server's to set.
  auto forged = call("PATCH", "/rest/invoices/" + id, {{"pdfSha256", "00"}});
  EXPECT_GE(forged.status, 400) << forged.raw;
  EXPECT_EQ(call("GET", "/rest/invoices/" + id).body["data"]["pdfSha256"], sha);
}

TEST_P(DocumentsTest, EachPaymentHasAReceiptSayingWhatWasDueAfterIt) {
  auto invoice = call("POST", "/rest/invoices", {{"companyId", company}, {"currency", "USD"},
                                                {"lineItems", {{{"description", "Service"}, {"quantity", 1}, {"unitAmount", 100000}}}}});
  ASSERT_EQ(invoice.status, 201) << invoice.raw;
  std::string id = invoice.body["data"]["id"];
  ASSERT_EQ(call("POST", "/rest/invoices/" + id + "/finalize").status, 200);
  std::string number = call("GET", "/rest/invoices/" + id).body["data"]["invoiceNumber"];
  auto first = call("POST", "/rest/payments", {{"invoiceId", id}, {"amount", 20000}, {"method", "manual"}});
  // Receipts are numbered in the order the payments were recorded (to the millisecond; two
  // in the same one are ordered by id, the same way every time).
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto second = call("POST", "/rest/payments", {{"invoiceId", id}, {"amount", 30000}, {"method", "card"}});
  ASSERT_EQ(first.status, 201) << first.raw;
  ASSERT_EQ(second.status, 201) << second.raw;
  std::string p1 = first.body["data"]["id"], p2 = second.body["data"]["id"];

  auto receipt = call("GET", "/rest/payments/" + p2 + "/pdf");
  ASSERT_EQ(receipt.status, 200) << receipt.raw;
  EXPECT_NE(receipt.header("content-disposition").find(number + "-R2.pdf"), std::string::npos) << receipt.header("content-disposition");
  std::string text = poppler("pdftotext -layout", receipt.raw);
  for (const std::string& want : std::vector<std::string>{"Receipt", number + "-R2", "Received from", "Lumen Clinic", "Method: Card", "This payment",
                                 "$300.00", "Paid in all", "$500.00", "Amount due", "$1,000.00"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  EXPECT_EQ(text.find("Pay online"), std::string::npos);
  // The first receipt says what was due after the first payment, even now.
  std::string text1 = poppler("pdftotext -layout", call("GET", "/rest/payments/" + p1 + "/pdf").raw);
  EXPECT_NE(text1.find(number + "-R1"), std::string::npos) << text1;
  EXPECT_NE(text1.find("$800.00"), std::string::npos) << "due after the first payment:\n" << text1;
  // Made once: the same bytes, with their hash as the ETag.
  auto again = call("GET", "/rest/payments/" + p2 + "/pdf");
  EXPECT_TRUE(again.raw == receipt.raw);
  EXPECT_EQ(again.header("etag"), "\"" + sha256_hex(receipt.raw) + "\"");
  EXPECT_EQ(call("GET", "/rest/payments/pay_nope/pdf").status, 404);
  auto other = srv->accounts->create_workspace("Other", "other-receipts", "boss@other-receipts.example", std::string("correct horse 3"));
  ASSERT_TRUE(other);
  EXPECT_EQ(srv->call("GET", "/rest/payments/" + p2 + "/pdf", nullptr, other->api_key).status, 404);
}

// A 1 x 1 PNG, as a browser's FileReader hands it over.
constexpr const char* kPixelPng =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

TEST_P(DocumentsTest, TheWorkspacesNameAddressAndLogoAreOnItsDocuments) {
  auto before = call("GET", "/rest/settings/workspace");
  ASSERT_EQ(before.status, 200) << before.raw;
  EXPECT_EQ(before.body["data"]["name"], "Acme");
  EXPECT_TRUE(before.body["data"]["logo"].is_null());
  // Refusals name the field and change nothing; a MEMBER may read, not change.
  const std::pair<json, std::string> bad[] = {
      {{{"locale", "german"}}, "locale"},          {{{"defaultCurrency", "EURO"}}, "defaultCurrency"},
      {{{"name", "  "}}, "name"},                  {{{"address", std::string(1001, 'x')}}, "address"},
      {{{"subdomain", "evil"}}, "subdomain"},      {{{"name", 42}}, "name"},
  };
  for (const auto& [body, field] : bad) {
    auto r = call("PATCH", "/rest/settings/workspace", body);
    EXPECT_EQ(r.status, 422) << body.dump() << " " << r.raw;
    EXPECT_EQ(r.body["error"]["field"], field) << body.dump();
  }
  EXPECT_EQ(call("GET", "/rest/settings/workspace").body, before.body);
  auto member = srv->accounts->create_api_key(crm::Actor{workspace_id, "", "test", crm::Role::Admin},
                                              json{{"name", "member"}, {"role", "MEMBER"}});
  ASSERT_TRUE(member);
  std::string member_key = (*member)["key"];
  EXPECT_EQ(srv->call("PATCH", "/rest/settings/workspace", {{"name", "Mine"}}, member_key).status, 403);
  EXPECT_EQ(srv->call("PUT", "/rest/settings/workspace/logo", {{"png", kPixelPng}}, member_key).status, 403);
  EXPECT_EQ(srv->call("GET", "/rest/settings/workspace", nullptr, member_key).status, 200);

  auto saved = call("PATCH", "/rest/settings/workspace",
                    {{"name", "Acme Lasers"}, {"address", "12 Harbour Road\nCork, Ireland"}, {"locale", "de-DE"},
                     {"defaultCurrency", "eur"}});
  ASSERT_EQ(saved.status, 200) << saved.raw;
  EXPECT_EQ(saved.body["data"]["defaultCurrency"], "EUR");

  for (const json& body : {json{{"png", "not base64!"}}, json{{"dataUrl", "data:image/jpeg;base64,/9j/4AAQ"}},
                           json{{"png", "R0lGODlhAQABAAAAACw="}}, json::object()}) {
    auto r = call("PUT", "/rest/settings/workspace/logo", body);
    EXPECT_EQ(r.status, 422) << body.dump() << " " << r.raw;
    EXPECT_EQ(r.body["error"]["field"], "logo");
  }
  EXPECT_EQ(call("GET", "/rest/settings/workspace/logo").status, 404);
  auto logo = call("PUT", "/rest/settings/workspace/logo", {{"dataUrl", std::string("data:image/png;base64,") + kPixelPng}});
  ASSERT_EQ(logo.status, 200) << logo.raw;
  std::string png = *base64_decode(kPixelPng);
  EXPECT_EQ(logo.body["data"]["logo"]["sha256"], sha256_hex(png));
  auto served = call("GET", "/rest/settings/workspace/logo");
  EXPECT_EQ(served.status, 200);
  EXPECT_EQ(served.header("content-type"), "image/png");
  EXPECT_TRUE(served.raw == png);

  auto invoice = call("POST", "/rest/invoices", {{"companyId", company}, {"currency", "EUR"},
                                                {"lineItems", {{{"description", "Wartung"}, {"quantity", 1}, {"unitAmount", 123456}}}}});
  ASSERT_EQ(invoice.status, 201) << invoice.raw;
  auto pdf = call("GET", "/rest/invoices/" + invoice.body["data"]["id"].get<std::string>() + "/pdf");
  std::string text = poppler("pdftotext -layout", pdf.raw);
  EXPECT_NE(text.find("Acme Lasers"), std::string::npos) << text;
  EXPECT_NE(text.find("12 Harbour Road"), std::string::npos) << text;
  EXPECT_NE(text.find("Cork, Ireland"), std::string::npos) << text;
  EXPECT_NE(text.find("1.234,56"), std::string::npos) << "de-DE amounts:\n" << text;
  std::string images = poppler("pdfimages -list", pdf.raw);
  EXPECT_TRUE(std::regex_search(images, std::regex("image\\s+1\\s+1\\s"))) << "the logo is in the PDF:\n" << images;

  // Another workspace sees none of it.
  auto other = srv->accounts->create_workspace("Other", "other-logo", "boss@other-logo.example", std::string("correct horse 3"));
  ASSERT_TRUE(other);
  EXPECT_EQ(srv->call("GET", "/rest/settings/workspace/logo", nullptr, other->api_key).status, 404);
  EXPECT_EQ(srv->call("GET", "/rest/settings/workspace", nullptr, other->api_key).body["data"]["name"], "Other");
  EXPECT_EQ(call("DELETE", "/rest/settings/workspace/logo").status, 200);
  EXPECT_EQ(call("GET", "/rest/settings/workspace/logo").status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, DocumentsTest, ::testing::ValuesIn(backends()));

}  // namespace
}  // namespace settle::testing
