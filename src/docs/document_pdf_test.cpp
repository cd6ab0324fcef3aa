// The PDFs read back by real tools: pdftotext and pdfinfo (poppler-utils) for the text,
// pages and link annotations, pdftoppm + zbarimg (zbar-tools) for the QR code.
#include "docs/document_pdf.hpp"

#include <cairo.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace settle::docs {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/settle-pdf-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

std::string write(const TempDir& dir, const std::string& name, const std::string& bytes) {
  std::string file = dir.path + "/" + name;
  std::ofstream(file, std::ios::binary) << bytes;
  return file;
}

PdfDocument invoice(int lines) {
  PdfDocument d;
  d.kind = PdfDocument::Kind::Invoice;
  d.number = "INV-2026-042";
  d.issued_on = "2026-12-03";
  d.due_on = "2027-01-02";
  d.seller_name = "Phos Industries";
  d.seller_address = "12 Harbour Road\nCork, Ireland";
  d.customer_name = "Lumen Clinics";
  d.customer_address = "5 Main Street\nBoston, MA";
  d.currency = "USD";
  for (int i = 0; i < lines; ++i) d.lines.push_back({"Laser head service, visit " + std::to_string(i + 1), 2, 12500, 25000});
  d.subtotal = 25000LL * lines;
  d.tax = 1000;
  d.total = d.subtotal + d.tax;
  d.amount_paid = 0;
  d.amount_due = d.total;
  d.notes = "Thank you for your business.";
  d.terms = "Payment within 30 days of the invoice date.";
  d.payment_url = "https://crm.example.com/pay/tok_abc123";
  return d;
}

TEST(FormatAmount, Table) {
  struct Case {
    std::int64_t amount;
    const char* currency;
    const char* locale;
    const char* want;
  };
  const Case cases[] = {
      {123456, "USD", "en-US", "$1,234.56"},
      {-5, "USD", "en-US", "-$0.05"},
      {123456, "EUR", "de-DE", "1.234,56\u00a0€"},
      {100000000, "EUR", "de-DE", "1.000.000,00\u00a0€"},
      {1235, "JPY", "en-US", "¥1,235"},
      {1500, "KWD", "en-US", "KWD\u00a01.500"},
      {1500, "KWD", "de-DE", "1,500\u00a0KWD"},
      {123456, "EUR", "fr-FR", "1\u202f234,56\u00a0€"},
      {0, "GBP", "en-GB", "£0.00"},
  };
  for (const auto& c : cases) EXPECT_EQ(format_amount(c.amount, c.currency, c.locale), c.want) << c.amount << " " << c.currency;
}

TEST(RenderPdf, OnePageInvoiceHasItsTextItsLinkAndAQrCodeOfTheLink) {
  auto pdf = render_pdf(invoice(3));
  ASSERT_TRUE(pdf) << pdf.error().log;
  EXPECT_EQ(pdf->rfind("%PDF-", 0), 0u);
  EXPECT_LT(pdf->size(), 60u * 1024) << "fonts are subset";
  TempDir dir;
  std::string file = write(dir, "invoice.pdf", *pdf);
  std::string info = run("pdfinfo '" + file + "'");
  EXPECT_EQ(std::stoi(info.substr(info.find("Pages:") + 6)), 1) << info;
  EXPECT_NE(info.find("Invoice INV-2026-042"), std::string::npos) << info;
  std::string text = run("pdftotext -layout '" + file + "' -");
  for (const char* want : {"Phos Industries", "Lumen Clinics", "INV-2026-042", "Due: 2027-01-02", "Laser head service, visit 3",
                           "$250.00", "$760.00", "Amount due", "Thank you for your business.", "Terms",
                           "Payment within 30 days of the invoice date.", "Pay online"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  std::string urls = run("pdfinfo -url '" + file + "'");
  EXPECT_NE(urls.find("https://crm.example.com/pay/tok_abc123"), std::string::npos) << urls;
  run("pdftoppm -r 150 -png -singlefile '" + file + "' '" + dir.path + "/page'");
  std::string qr = run("zbarimg --quiet --raw '" + dir.path + "/page.png' 2>/dev/null");
  EXPECT_EQ(qr, "https://crm.example.com/pay/tok_abc123\n");
  std::string fonts = run("pdffonts '" + file + "'");
  EXPECT_NE(fonts.find("DejaVuSans"), std::string::npos) << fonts;
  EXPECT_EQ(fonts.find(" no  "), std::string::npos) << "every font embedded:\n" << fonts;
}

// A w x h PNG filled with one colour, drawn by cairo as a logo would be by a user's tool.
std::string png(int w, int h) {
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  cairo_t* cr = cairo_create(s);
  cairo_set_source_rgb(cr, 0.9, 0.1, 0.1);
  cairo_paint(cr);
  cairo_destroy(cr);
  std::string out;
  cairo_surface_write_to_png_stream(
      s, [](void* c, const unsigned char* d, unsigned int n) {
        static_cast<std::string*>(c)->append(reinterpret_cast<const char*>(d), n);
        return CAIRO_STATUS_SUCCESS;
      },
      &out);
  cairo_surface_destroy(s);
  return out;
}

TEST(RenderPdf, AReceiptSaysWhichPaymentAndWhatWasDueAfterIt) {
  nlohmann::json inv = {{"invoiceNumber", "INV-2026-042"}, {"currency", "EUR"}, {"total", 250000}, {"companyId", "com_1"},
                        {"lineItems", nlohmann::json::array()}};
  nlohmann::json payment = {{"id", "pay_2"}, {"amount", 100000}, {"method", "us_bank_account"}, {"status", "succeeded"},
                            {"receivedAt", "2026-12-04T10:00:00.000Z"}, {"createdAt", "2026-12-04T10:00:01.000Z"}};
  PdfDocument d = receipt_from_payment(payment, inv, {{"name", "Lumen Clinics"}}, {{"name", "Phos"}, {"locale", "de-DE"}}, 2, 150000);
  EXPECT_EQ(d.number, "INV-2026-042-R2");
  EXPECT_EQ(d.amount_due, 100000);
  auto pdf = render_pdf(d);
  ASSERT_TRUE(pdf) << pdf.error().log;
  TempDir dir;
  std::string file = write(dir, "receipt.pdf", *pdf);
  std::string text = run("pdftotext -layout '" + file + "' -");
  for (const char* want : {"Receipt", "INV-2026-042-R2", "Received: 2026-12-04", "Invoice: INV-2026-042",
                           "Method: Bank transfer (ACH)", "Received from", "Lumen Clinics", "This payment", "1.000,00 €",
                           "Paid in all", "1.500,00 €", "Amount due", "2.500,00 €"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  EXPECT_EQ(text.find("Pay online"), std::string::npos);
  EXPECT_NE(run("pdfinfo '" + file + "'").find("Receipt INV-2026-042-R2"), std::string::npos);
}

TEST(CheckLogo, APngOfSensibleSizeOnly) {
  std::string claims_huge = png(10, 10);
  claims_huge[16] = 0, claims_huge[17] = 0, claims_huge[18] = 0x4e, claims_huge[19] = 0x20;  // width 20000 in IHDR
  std::string big(kMaxLogoBytes + 1, 'x');
  struct Case {
    const char* name;
    std::string bytes;
    bool ok;
  } cases[] = {
      {"a 240 x 80 logo", png(240, 80), true},
      {"one pixel", png(1, 1), true},
      {"empty", "", false},
      {"not an image", "GIF89a....", false},
      {"a PNG cut short", png(240, 80).substr(0, 60), false},
      {"a header claiming 20000 pixels", claims_huge, false},
      {"over 512 KB", big, false},
  };
  for (const auto& c : cases) {
    auto st = check_logo(c.bytes);
    EXPECT_EQ(static_cast<bool>(st), c.ok) << c.name;
    if (!st) {
      EXPECT_EQ(st.error().field, "logo") << c.name;
    }
  }
}

TEST(RenderPdf, TheLogoIsDrawnTopLeftAndTheTextStaysSelectable) {
  PdfDocument d = invoice(2);
  d.logo_png = png(600, 200);  // scaled down into its box
  auto pdf = render_pdf(d);
  ASSERT_TRUE(pdf) << pdf.error().log;
  TempDir dir;
  std::string file = write(dir, "logo.pdf", *pdf);
  std::string images = run("pdfimages -list '" + file + "'");
  EXPECT_NE(images.find(" 600   200 "), std::string::npos) << "the logo, once, at its own resolution:\n" << images;
  std::string text = run("pdftotext -layout '" + file + "' -");
  EXPECT_NE(text.find("Phos Industries"), std::string::npos) << text;
  // Its red is at the top left of the page (36 dpi: a pixel is 2 points), inside the margin's corner.
  auto pixel = [&](int x, int y) {
    std::string out = dir.path + "/px" + std::to_string(x) + "_" + std::to_string(y);
    run("pdftoppm -r 36 -singlefile -x " + std::to_string(x) + " -y " + std::to_string(y) + " -W 1 -H 1 '" + file + "' '" + out + "'");
    std::ifstream in(out + ".ppm", std::ios::binary);
    std::string ppm((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return ppm.size() >= 3 ? ppm.substr(ppm.size() - 3) : std::string();
  };
  std::string red = pixel(50, 35), margin = pixel(285, 30);
  ASSERT_EQ(red.size(), 3u);
  EXPECT_GT(static_cast<unsigned char>(red[0]), 200);
  EXPECT_LT(static_cast<unsigned char>(red[1]), 80) << "the logo's red";
  ASSERT_EQ(margin.size(), 3u);
  EXPECT_GT(static_cast<unsigned char>(margin[1]), 200) << "white beside it";
  d.logo_png = "not a png";  // a stored logo that no longer decodes is left out, not an error
  EXPECT_TRUE(render_pdf(d));
}

TEST(RenderPdf, TheSameDocumentIsTheSameBytes) {
  PdfDocument d = invoice(5);
  d.created_at = "2026-12-03T12:59:06Z";
  auto a = render_pdf(d), b = render_pdf(d);
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(*a == *b) << "a PDF depends on its document only, not on the clock";
  EXPECT_NE(a->find("20261203125906"), std::string::npos) << "the document's date";
  d.lines[0].description = "Changed";
  auto c = render_pdf(d);
  ASSERT_TRUE(c);
  EXPECT_FALSE(*a == *c);
}

TEST(RenderPdf, LongInvoicesBreakPagesAndRepeatTheTableHeader) {
  auto pdf = render_pdf(invoice(200));
  ASSERT_TRUE(pdf) << pdf.error().log;
  TempDir dir;
  std::string file = write(dir, "long.pdf", *pdf);
  std::string info = run("pdfinfo '" + file + "'");
  auto at = info.find("Pages:");
  ASSERT_NE(at, std::string::npos);
  int pages = std::stoi(info.substr(at + 6));
  EXPECT_GE(pages, 4) << info;
  for (int p = 1; p <= pages; ++p) {
    std::string text = run("pdftotext -f " + std::to_string(p) + " -l " + std::to_string(p) + " '" + file + "' -");
    EXPECT_NE(text.find("Description"), std::string::npos) << "page " << p;
    EXPECT_NE(text.find("page " + std::to_string(p)), std::string::npos) << "page " << p;
  }
  std::string all = run("pdftotext '" + file + "' -");
  EXPECT_NE(all.find("visit 1\n"), std::string::npos);
  EXPECT_NE(all.find("visit 200"), std::string::npos);
  EXPECT_NE(all.find("$50,010.00"), std::string::npos) << "the total of 200 lines and tax";
}

TEST(RenderPdf, QuoteFromTheApiShapeInEuroForAGermanWorkspace) {
  nlohmann::json quote = {{"quoteNumber", "QUO-2026-007"},
                          {"status", "Open"},
                          {"createdAt", "2026-12-01T10:00:00.000Z"},
                          {"expiresAt", "2026-12-31T00:00:00.000Z"},
                          {"currency", "EUR"},
                          {"lineItems", {{{"description", "Optik"}, {"quantity", 1}, {"unitAmount", 123456}, {"amount", 123456}}}},
                          {"subtotal", 123456},
                          {"taxAmount", 23456},
                          {"total", 146912}};
  auto d = document_from_record(PdfDocument::Kind::Quote, quote, {{"name", "Klinik Nord"}, {"address", "Hamburg"}},
                                {{"name", "Phos GmbH"}, {"locale", "de-DE"}}, "");
  EXPECT_EQ(d.number, "QUO-2026-007");
  EXPECT_EQ(d.issued_on, "2026-12-01");
  EXPECT_EQ(d.due_on, "2026-12-31");
  auto pdf = render_pdf(d);
  ASSERT_TRUE(pdf);
  TempDir dir;
  std::string text = run("pdftotext -layout '" + write(dir, "q.pdf", *pdf) + "' -");
  for (const char* want : {"Quote", "QUO-2026-007", "Valid until: 2026-12-31", "Klinik Nord", "1.234,56", "1.469,12"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  EXPECT_EQ(text.find("Pay online"), std::string::npos) << "no link, no payment block";
}

}  // namespace
}  // namespace settle::docs
