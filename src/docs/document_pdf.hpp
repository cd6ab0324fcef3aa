// Quote and invoice PDFs, rendered in-process (cairo + pango, DejaVu fonts embedded and
// subset by cairo, text selectable) — no browser engine, a few milliseconds a page.
//
// A document is laid out on A4: the seller and the customer, number and dates, the lines
// (page breaks between lines, the table header repeated on every page), subtotal, tax,
// total, amount paid and due, notes, and — when there is one — the payment link as a
// clickable link and as a QR code. Amounts are formatted for the workspace's locale and
// the currency's exponent (JPY 0 decimals, KWD 3).
//
// Pure apart from the fonts: nothing here knows HTTP, SQL or the CRM's storage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace settle::docs {

struct PdfLine {
  std::string description;
  std::int64_t quantity = 1;
  std::int64_t unit_amount = 0;  // minor units
  std::int64_t amount = 0;       // minor units
};

struct PdfDocument {
  // A receipt is of one payment of an invoice: `number` is the receipt's ("INV-2026-001-R2"),
  // issued_on the day it was received, total/amount_paid/amount_due the invoice's after it.
  enum class Kind { Quote, Invoice, Receipt } kind = Kind::Invoice;
  std::string number;  // "INV-2026-001"; empty for a draft
  std::string status;
  std::string issued_on;  // YYYY-MM-DD
  std::string due_on;     // invoices: due date; quotes: valid until
  std::string seller_name, seller_address;
  std::string customer_name, customer_address;
  std::string currency = "USD";
  std::string locale = "en-US";
  std::vector<PdfLine> lines;
  std::int64_t subtotal = 0, tax = 0, total = 0;
  std::int64_t amount_paid = 0, amount_due = 0;  // invoices and receipts
  std::int64_t payment_amount = 0;                // receipts: this payment
  std::string invoice_number, payment_method;     // receipts
  std::string notes, terms;
  std::string payment_url;  // the payment link (invoices) or the quote's page; may be empty
  std::string logo_png;     // the workspace's logo (PNG bytes, check_logo), drawn top left; may be empty
  // The PDF's creation date, ISO 8601 ("2026-12-03T12:59:06Z"): the record's last change,
  // so that one version of a document is always the same bytes.
  std::string created_at;
};

// "$1,234.56" (en-US), "1.234,56 €" (de-DE), "¥1,235" (JPY), "KWD 1.500" (exponent 3).
std::string format_amount(std::int64_t amount, std::string_view currency, std::string_view locale);

// The document of a CRM quote or invoice (the API's JSON shape), its company and the
// workspace ({name, locale}); `payment_url` is the invoice's payment link, if any.
PdfDocument document_from_record(PdfDocument::Kind kind, const nlohmann::json& record, const nlohmann::json& company,
                                 const nlohmann::json& workspace, std::string payment_url);

// A workspace's logo as Settings takes it: a PNG cairo decodes, at most kMaxLogoBytes and
// kMaxLogoSide pixels a side. The error names the field "logo".
inline constexpr std::size_t kMaxLogoBytes = 512 * 1024;
inline constexpr int kMaxLogoSide = 4096;
Status check_logo(std::string_view png);

// The receipt of a payment (the API's JSON shape) of `invoice`: `sequence` numbers it among
// the invoice's payments (1 for the first), `paid_after` is what the invoice's payments came
// to with this one (so that a receipt says what was due then, not now).
PdfDocument receipt_from_payment(const nlohmann::json& payment, const nlohmann::json& invoice, const nlohmann::json& company,
                                 const nlohmann::json& workspace, int sequence, std::int64_t paid_after);

// The PDF file's bytes; the same document gives the same bytes.
Result<std::string> render_pdf(const PdfDocument& document);

}  // namespace settle::docs
