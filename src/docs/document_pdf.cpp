#include "docs/document_pdf.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

#include <algorithm>
#include <memory>

#include "common/money.hpp"

namespace settle::docs {

namespace {

using json = nlohmann::json;

// A4 in points, and the page's furniture.
constexpr double kPageWidth = 595.28, kPageHeight = 841.89;
constexpr double kMargin = 48;
constexpr double kContentWidth = kPageWidth - 2 * kMargin;
constexpr double kBottom = kPageHeight - kMargin - 24;  // room for the page number
// Table columns: description takes what the numbers leave.
constexpr double kQtyWidth = 50, kUnitWidth = 100, kAmountWidth = 110;
constexpr double kDescWidth = kContentWidth - kQtyWidth - kUnitWidth - kAmountWidth;
constexpr double kQrSize = 96;

const char* kFont = "DejaVu Sans";

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string symbol_of(std::string_view currency) {
  if (currency == "USD") return "$";
  if (currency == "EUR") return "€";
  if (currency == "GBP") return "£";
  if (currency == "JPY") return "¥";
  return "";
}

std::string text_of(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
  return j[key].get<std::string>();
}
std::int64_t amount_of(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer()) return 0;
  return j[key].get<std::int64_t>();
}

// Cairo's output, collected in memory.
cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

std::string title_of(PdfDocument::Kind kind) {
  switch (kind) {
    case PdfDocument::Kind::Invoice: return "Invoice";
    case PdfDocument::Kind::Quote: return "Quote";
    case PdfDocument::Kind::Receipt: return "Receipt";
  }
  return "Document";
}

// A PNG held in memory, read by cairo.
struct PngReader {
  std::string_view bytes;
  size_t at = 0;
};
cairo_status_t read_png(void* closure, unsigned char* data, unsigned int length) {
  auto* r = static_cast<PngReader*>(closure);
  if (r->bytes.size() - r->at < length) return CAIRO_STATUS_READ_ERROR;
  std::copy_n(r->bytes.data() + r->at, length, data);
  r->at += length;
  return CAIRO_STATUS_SUCCESS;
}
// The decoded image, or null when the bytes are not a PNG cairo can read.
cairo_surface_t* decode_png(std::string_view png) {
  static constexpr std::string_view kSignature("\x89PNG\r\n\x1a\n", 8);
  if (png.size() < 24 || png.substr(0, 8) != kSignature || png.substr(12, 4) != "IHDR") return nullptr;
  // The size from the header before decoding: a small file can claim a huge image.
  auto be32 = [&](size_t at) {
    return (std::uint32_t(static_cast<unsigned char>(png[at])) << 24) | (std::uint32_t(static_cast<unsigned char>(png[at + 1])) << 16) |
           (std::uint32_t(static_cast<unsigned char>(png[at + 2])) << 8) | std::uint32_t(static_cast<unsigned char>(png[at + 3]));
  };
  if (be32(16) == 0 || be32(20) == 0 || be32(16) > std::uint32_t(kMaxLogoSide) || be32(20) > std::uint32_t(kMaxLogoSide))
    return nullptr;
  PngReader reader{png};
  cairo_surface_t* s = cairo_image_surface_create_from_png_stream(read_png, &reader);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(s);
    return nullptr;
  }
  return s;
}

// The URI of a link tag, quoted as cairo's attribute syntax wants (' and \ escaped).
std::string link_attributes(const std::string& url) {
  std::string out = "uri='";
  for (char c : url) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// Draws text with pango: one layout per call; answers the height it took.
class Writer {
 public:
  explicit Writer(cairo_t* cr) : cr_(cr), layout_(pango_cairo_create_layout(cr)) {}
  ~Writer() { g_object_unref(layout_); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  enum class Align { Left, Right };
  double text(double x, double y, double width, const std::string& s, double size, bool bold = false,
              Align align = Align::Left, double grey = 0.0) {
    prepare(width, s, size, bold, align);
    cairo_set_source_rgb(cr_, grey, grey, grey);
    cairo_move_to(cr_, x, y);
    pango_cairo_show_layout(cr_, layout_);
    return height();
  }
  double measure(double width, const std::string& s, double size, bool bold = false) {
    prepare(width, s, size, bold, Align::Left);
    return height();
  }

 private:
  void prepare(double width, const std::string& s, double size, bool bold, Align align) {
    PangoFontDescription* font = pango_font_description_new();
    pango_font_description_set_family(font, kFont);
    pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
    pango_font_description_set_weight(font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(layout_, font);
    pango_font_description_free(font);
    pango_layout_set_width(layout_, static_cast<int>(width * PANGO_SCALE));
    pango_layout_set_wrap(layout_, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(layout_, align == Align::Right ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
    pango_layout_set_text(layout_, s.c_str(), static_cast<int>(s.size()));
  }
  double height() {
    int w = 0, h = 0;
    pango_layout_get_size(layout_, &w, &h);
    return static_cast<double>(h) / PANGO_SCALE;
  }
  cairo_t* cr_;
  PangoLayout* layout_;
};

class Renderer {
 public:
  Renderer(const PdfDocument& d, cairo_t* cr) : d_(d), cr_(cr), w_(cr) {}

  void run() {
    first_page_header();
    table_header();
    for (const auto& line : d_.lines) row(line);
    totals();
    footer();
  }

 private:
  const PdfDocument& d_;
  cairo_t* cr_;
  Writer w_;
  double y_ = kMargin;
  int page_ = 1;

  std::string money(std::int64_t a) const { return format_amount(a, d_.currency, d_.locale); }
  bool receipt() const { return d_.kind == PdfDocument::Kind::Receipt; }
  std::string title() const { return title_of(d_.kind); }
  std::string number() const { return d_.number.empty() ? "Draft" : d_.number; }

  void page_number() {
    w_.text(kMargin, kPageHeight - kMargin, kContentWidth, title() + " " + number() + " · page " + std::to_string(page_),
            8, false, Writer::Align::Right, 0.4);
  }

  void new_page() {
    page_number();
    cairo_show_page(cr_);
    ++page_;
    y_ = kMargin;
    // The header repeated, short: who, which document.
    w_.text(kMargin, y_, kContentWidth / 2, d_.seller_name, 10, true);
    w_.text(kMargin + kContentWidth / 2, y_, kContentWidth / 2, title() + " " + number(), 10, true, Writer::Align::Right);
    y_ += 28;
    table_header();
  }

  // The logo in a box of kLogoWidth x kLogoHeight at the top left, its aspect kept; answers
  // the height it took (0 without one).
  double logo() {
    if (d_.logo_png.empty()) return 0;
    cairo_surface_t* img = decode_png(d_.logo_png);
    if (!img) return 0;
    constexpr double kLogoWidth = 180, kLogoHeight = 56;
    double w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    double scale = std::min({kLogoWidth / w, kLogoHeight / h, 1.0});
    cairo_save(cr_);
    cairo_translate(cr_, kMargin, y_);
    cairo_scale(cr_, scale, scale);
    cairo_set_source_surface(cr_, img, 0, 0);
    cairo_paint(cr_);
    cairo_restore(cr_);
    cairo_surface_destroy(img);
    return h * scale + 8;
  }

  void first_page_header() {
    double left = logo();
    left += w_.text(kMargin, y_ + left, kContentWidth * 0.55, d_.seller_name, 16, true);
    if (!d_.seller_address.empty()) left += w_.text(kMargin, y_ + left + 2, kContentWidth * 0.55, d_.seller_address, 9, false, Writer::Align::Left, 0.3);
    double right = w_.text(kMargin + kContentWidth * 0.45, y_, kContentWidth * 0.55, title(), 20, true, Writer::Align::Right);
    right += w_.text(kMargin + kContentWidth * 0.45, y_ + right, kContentWidth * 0.55, number(), 11, true, Writer::Align::Right);
    std::string dates;
    if (!d_.issued_on.empty()) dates += "Date: " + d_.issued_on;
    if (!d_.due_on.empty())
      dates += std::string(dates.empty() ? "" : "\n") + (d_.kind == PdfDocument::Kind::Invoice ? "Due: " : "Valid until: ") + d_.due_on;
    if (receipt()) {
      dates = "Received: " + d_.issued_on + "\nInvoice: " + d_.invoice_number;
      if (!d_.payment_method.empty()) dates += "\nMethod: " + d_.payment_method;
    }
    if (!dates.empty()) right += w_.text(kMargin + kContentWidth * 0.45, y_ + right + 4, kContentWidth * 0.55, dates, 9, false, Writer::Align::Right, 0.2);
    y_ += std::max(left, right) + 24;
    const char* to = d_.kind == PdfDocument::Kind::Invoice ? "Bill to" : receipt() ? "Received from" : "Prepared for";
    double bill = w_.text(kMargin, y_, kContentWidth, to, 8, true, Writer::Align::Left, 0.4);
    bill += w_.text(kMargin, y_ + bill + 2, kContentWidth * 0.6, d_.customer_name, 11, true);
    if (!d_.customer_address.empty()) bill += w_.text(kMargin, y_ + bill + 2, kContentWidth * 0.6, d_.customer_address, 9);
    y_ += bill + 24;
  }

  void table_header() {
    double x = kMargin;
    w_.text(x, y_, kDescWidth, "Description", 9, true);
    w_.text(x + kDescWidth, y_, kQtyWidth, "Qty", 9, true, Writer::Align::Right);
    w_.text(x + kDescWidth + kQtyWidth, y_, kUnitWidth, "Unit price", 9, true, Writer::Align::Right);
    w_.text(x + kDescWidth + kQtyWidth + kUnitWidth, y_, kAmountWidth, "Amount", 9, true, Writer::Align::Right);
    y_ += 14;
    rule(0.5);
  }

  void rule(double width) {
    cairo_set_source_rgb(cr_, 0.6, 0.6, 0.6);
    cairo_set_line_width(cr_, width);
    cairo_move_to(cr_, kMargin, y_);
    cairo_line_to(cr_, kMargin + kContentWidth, y_);
    cairo_stroke(cr_);
    y_ += 6;
  }

  void row(const PdfLine& line) {
    double h = std::max(w_.measure(kDescWidth - 8, line.description, 9), 11.0) + 6;
    if (y_ + h > kBottom) new_page();
    double x = kMargin;
    w_.text(x, y_, kDescWidth - 8, line.description, 9);
    w_.text(x + kDescWidth, y_, kQtyWidth, std::to_string(line.quantity), 9, false, Writer::Align::Right);
    w_.text(x + kDescWidth + kQtyWidth, y_, kUnitWidth, money(line.unit_amount), 9, false, Writer::Align::Right);
    w_.text(x + kDescWidth + kQtyWidth + kUnitWidth, y_, kAmountWidth, money(line.amount), 9, false, Writer::Align::Right);
    y_ += h;
  }

  void totals() {
    std::vector<std::pair<std::string, std::int64_t>> rows = {{"Subtotal", d_.subtotal}, {"Tax", d_.tax}, {"Total", d_.total}};
    if (receipt())
      rows = {{"Invoice total", d_.total}, {"This payment", d_.payment_amount}, {"Paid in all", d_.amount_paid},
              {"Amount due", d_.amount_due}};
    if (d_.kind == PdfDocument::Kind::Invoice) {
      rows.emplace_back("Amount paid", d_.amount_paid);
      rows.emplace_back("Amount due", d_.amount_due);
    }
    double needed = 14.0 * static_cast<double>(rows.size()) + 16;
    if (y_ + needed > kBottom) new_page();
    rule(0.5);
    double label_x = kMargin + kContentWidth - kAmountWidth - 160;
    for (const auto& [label, amount] : rows) {
      bool strong = label == "Total" || label == "Amount due" || label == "This payment";
      w_.text(label_x, y_, 160, label, 9, strong, Writer::Align::Right);
      w_.text(kMargin + kContentWidth - kAmountWidth, y_, kAmountWidth, money(amount), 9, strong, Writer::Align::Right);
      y_ += 14;
    }
    y_ += 12;
  }

  void footer() {
    for (const auto& [label, text] : {std::pair{"Notes", &d_.notes}, std::pair{"Terms", &d_.terms}}) {
      if (text->empty()) continue;
      double h = w_.measure(kContentWidth, *text, 9) + 14;
      if (y_ + h > kBottom) new_page();
      w_.text(kMargin, y_, kContentWidth, label, 8, true, Writer::Align::Left, 0.4);
      y_ += 12 + w_.text(kMargin, y_ + 12, kContentWidth, *text, 9) + 12;
    }
    if (!d_.payment_url.empty()) {
      if (y_ + kQrSize + 20 > kBottom) new_page();
      payment_block();
    }
    page_number();
  }

  // The payment link, as text a reader can click and as a QR code a phone can scan.
  void payment_block() {
    std::string label = d_.kind == PdfDocument::Kind::Invoice ? "Pay online" : "View and accept online";
    double text_x = kMargin + kQrSize + 16, text_w = kContentWidth - kQrSize - 16;
    w_.text(text_x, y_, text_w, label, 11, true);
    std::string attrs = link_attributes(d_.payment_url);
    cairo_tag_begin(cr_, CAIRO_TAG_LINK, attrs.c_str());
    w_.text(text_x, y_ + 18, text_w, d_.payment_url, 9, false, Writer::Align::Left, 0.0);
    cairo_tag_end(cr_, CAIRO_TAG_LINK);
    qr_code(kMargin, y_);
    y_ += kQrSize + 12;
  }

  void qr_code(double x, double y) {
    QRcode* code = QRcode_encodeString(d_.payment_url.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!code) return;
    const int quiet = 4, n = code->width + 2 * quiet;
    double module = kQrSize / n;
    cairo_set_source_rgb(cr_, 1, 1, 1);
    cairo_rectangle(cr_, x, y, kQrSize, kQrSize);
    cairo_fill(cr_);
    cairo_set_source_rgb(cr_, 0, 0, 0);
    for (int r = 0; r < code->width; ++r)
      for (int c = 0; c < code->width; ++c)
        if (code->data[r * code->width + c] & 1)
          cairo_rectangle(cr_, x + (c + quiet) * module, y + (r + quiet) * module, module, module);
    cairo_fill(cr_);
    QRcode_free(code);
  }
};

}  // namespace

std::string format_amount(std::int64_t amount, std::string_view currency, std::string_view locale) {
  int exponent = currency_exponent(currency).value_or(2);
  std::string digits = to_decimal_string(amount < 0 ? -amount : amount, exponent);
  std::string whole = digits.substr(0, digits.find('.'));
  std::string fraction = digits.find('.') == std::string::npos ? "" : digits.substr(digits.find('.') + 1);
  // Grouping and decimal marks: continental European locales swap them; French-style
  // locales group with a narrow no-break space.
  std::string group = ",", decimal = ".";
  bool after = false;
  for (std::string_view p : {"de", "es", "it", "nl", "pt", "da", "id", "tr"})
    if (starts_with(locale, p)) group = ".", decimal = ",", after = true;
  for (std::string_view p : {"fr", "sv", "nb", "fi", "pl", "cs", "ru"})
    if (starts_with(locale, p)) group = "\u202f", decimal = ",", after = true;
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += group;
    grouped += whole[i];
  }
  std::string number = grouped + (fraction.empty() ? "" : decimal + fraction);
  std::string sign = amount < 0 ? "-" : "";
  std::string symbol = symbol_of(currency);
  if (after) return sign + number + "\u00a0" + (symbol.empty() ? std::string(currency) : symbol);
  if (symbol.empty()) return sign + std::string(currency) + "\u00a0" + number;
  return sign + symbol + number;
}

PdfDocument document_from_record(PdfDocument::Kind kind, const json& record, const json& company, const json& workspace,
                                 std::string payment_url) {
  PdfDocument d;
  d.kind = kind;
  bool invoice = kind == PdfDocument::Kind::Invoice;
  d.number = text_of(record, invoice ? "invoiceNumber" : "quoteNumber");
  d.status = text_of(record, "status");
  std::string issued = text_of(record, invoice ? "issueDate" : "createdAt");
  d.issued_on = issued.substr(0, 10);
  d.due_on = text_of(record, invoice ? "dueDate" : "expiresAt").substr(0, 10);
  d.seller_name = text_of(workspace, "name");
  d.seller_address = text_of(workspace, "address");
  d.customer_name = text_of(company, "name");
  d.customer_address = text_of(company, "address");
  d.currency = text_of(record, "currency");
  if (d.currency.empty()) d.currency = "USD";
  d.locale = text_of(workspace, "locale");
  if (d.locale.empty()) d.locale = "en-US";
  if (record.contains("lineItems") && record["lineItems"].is_array())
    for (const auto& l : record["lineItems"])
      d.lines.push_back({text_of(l, "description"), l.value("quantity", std::int64_t{1}), amount_of(l, "unitAmount"),
                         amount_of(l, "amount")});
  d.subtotal = amount_of(record, "subtotal");
  d.tax = amount_of(record, "taxAmount");
  d.total = amount_of(record, "total");
  d.amount_paid = amount_of(record, "amountPaid");
  d.amount_due = invoice ? amount_of(record, "amountDue") : d.total;
  d.notes = text_of(record, "notes");
  d.terms = text_of(record, "terms");
  d.payment_url = std::move(payment_url);
  std::string changed = text_of(record, "updatedAt");
  if (changed.size() >= 19) d.created_at = changed.substr(0, 19) + "Z";
  return d;
}

PdfDocument receipt_from_payment(const json& payment, const json& invoice, const json& company, const json& workspace,
                                 int sequence, std::int64_t paid_after) {
  PdfDocument d = document_from_record(PdfDocument::Kind::Invoice, invoice, company, workspace, "");
  d.kind = PdfDocument::Kind::Receipt;
  d.invoice_number = d.number;
  d.number = d.invoice_number + "-R" + std::to_string(sequence);
  d.status = text_of(payment, "status");
  std::string received = text_of(payment, "receivedAt");
  if (received.empty()) received = text_of(payment, "createdAt");
  d.issued_on = received.substr(0, 10);
  d.due_on.clear();
  d.payment_amount = amount_of(payment, "amount");
  std::string method = text_of(payment, "method");
  d.payment_method = method == "card" ? "Card" : method == "us_bank_account" ? "Bank transfer (ACH)" : method == "manual" ? "Recorded by hand" : method;
  d.lines = {{"Payment of invoice " + d.invoice_number, 1, d.payment_amount, d.payment_amount}};
  d.notes = text_of(payment, "notes");
  d.terms.clear();
  // The invoice as this payment left it; a later payment has its own receipt.
  d.amount_paid = paid_after;
  d.amount_due = std::max<std::int64_t>(0, d.total - paid_after);
  std::string made = text_of(payment, "createdAt");
  d.created_at = made.size() >= 19 ? made.substr(0, 19) + "Z" : "";
  return d;
}

Status check_logo(std::string_view png) {
  if (png.empty()) return fail(Error::validation("logo", "the logo is empty"));
  if (png.size() > kMaxLogoBytes) return fail(Error::validation("logo", "a logo is at most 512 KB"));
  cairo_surface_t* img = decode_png(png);
  if (!img) return fail(Error::validation("logo", "a PNG image of at most 4096 pixels a side"));
  int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
  cairo_surface_destroy(img);
  if (w < 1 || h < 1 || w > kMaxLogoSide || h > kMaxLogoSide)
    return fail(Error::validation("logo", "a logo is at most 4096 pixels a side"));
  return {};
}

Result<std::string> render_pdf(const PdfDocument& document) {
  std::string out;
  out.reserve(32 * 1024);
  cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(append, &out, kPageWidth, kPageHeight);
  std::string title = title_of(document.kind) + " " + (document.number.empty() ? std::string("Draft") : document.number);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, document.seller_name.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Settle");
  // A fixed date rather than the clock's: the bytes depend on the document alone.
  std::string created = document.created_at.empty() ? "2000-01-01T00:00:00Z" : document.created_at;
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, created.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_MOD_DATE, created.c_str());
  cairo_t* cr = cairo_create(surface);
  {
    Renderer renderer(document, cr);
    renderer.run();
  }
  cairo_status_t status = cairo_status(cr);
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  if (status == CAIRO_STATUS_SUCCESS) status = cairo_surface_status(surface);
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS)
    return fail(Error::internal(std::string("rendering the PDF failed: ") + cairo_status_to_string(status)));
  return out;
}

}  // namespace settle::docs
