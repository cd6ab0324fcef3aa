// Pure rules for the content of quotes, orders and invoices: line-item validation,
// totals, applying payments/refunds/failures to an invoice's amounts and status, and
// human-facing document numbers (QUO-2026-001). Amounts are integer minor units of the
// document's currency (see common/money.hpp). No I/O: callers load, call, then persist.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "billing/lifecycle.hpp"
#include "common/error.hpp"

namespace settle::billing {

// ---- Line items and totals ----------------------------------------------------------
inline constexpr std::size_t kMaxLineItems = 250;
inline constexpr std::size_t kMaxDescriptionLength = 500;  // in Unicode code points
inline constexpr std::int64_t kMaxQuantity = 1'000'000;

struct LineItem {
  std::string description;
  std::int64_t quantity = 1;
  std::int64_t unit_amount = 0;  // minor units, >= 0 (discounts are not negative lines)
  std::optional<std::string> product_id;
};

// Checks every line: description non-blank and at most 500 code points, quantity in
// 1..1'000'000, unit amount in 0..kMaxAmount, quantity × unit amount within kMaxAmount;
// at most 250 lines (zero lines is fine: drafts start empty). Errors are
// Error::validation naming the JSON field, e.g. "lineItems[2].quantity" (0-based index;
// fields description, quantity, unitAmount, amount); the first problem is the error
// itself and details.errors lists all of them as [{"field", "message"}].
Status validate_line_items(std::span<const LineItem> lines);

// quantity × unit_amount, overflow- and cap-checked (validation on "amount").
Result<std::int64_t> line_amount(const LineItem& line);

struct Totals {
  std::int64_t subtotal = 0;    // sum of line amounts
  std::int64_t tax_amount = 0;  // as given (tax is computed elsewhere)
  std::int64_t total = 0;       // subtotal + tax_amount
  friend bool operator==(const Totals&, const Totals&) = default;
};

// Validates the lines (as above) and tax_amount (>= 0, field "taxAmount"), then sums with
// overflow checks; a sum above kMaxAmount is validation "amount too large" on "subtotal"
// or "total".
Result<Totals> compute_totals(std::span<const LineItem> lines, std::int64_t tax_amount);

// ---- Payments and refunds -----------------------------------------------------------
// The money state of one invoice. Invariant: 0 <= amount_refunded <= amount_paid <= total.
struct InvoiceAmounts {
  std::int64_t total = 0;
  std::int64_t amount_paid = 0;      // gross received, refunds not deducted
  std::int64_t amount_refunded = 0;  // part of amount_paid given back
  InvoiceStatus status = InvoiceStatus::Draft;

  // What the customer still owes: total - amount_paid, never negative. A refund does not
  // make money due again.
  std::int64_t amount_due() const;
  // What can still be refunded: amount_paid - amount_refunded.
  std::int64_t amount_refundable() const;
  friend bool operator==(const InvoiceAmounts&, const InvoiceAmounts&) = default;
};

// Statuses in which a payment may be recorded: Open, Partially Paid, Payment Failed,
// Uncollectible (a late payment on a written-off invoice is still accepted).
bool is_payable(InvoiceStatus status);

// Records a payment of `amount` (> 0, at most amount_due). The result is Paid when nothing
// is left due, else Partially Paid. Errors: validation on "amount" (non-positive, or
// "payment of X exceeds the amount due Y" — overpayments are refused, not credited);
// conflict on "invoiceId" if the status is not payable (details: status,
// payableStatuses); internal if `amounts` breaks its invariant.
Result<InvoiceAmounts> apply_payment(const InvoiceAmounts& amounts, std::int64_t amount);

// Records a refund of `amount` (> 0, at most amount_refundable). Like Stripe, a refund is
// allowed on any money actually received, whatever the invoice status:
//   - Paid / Partially Refunded -> Refunded once everything paid has been refunded, else
//     Partially Refunded;
//   - any other status holding received money (Partially Paid, Payment Failed,
//     Uncollectible, Open after a retry, Void) keeps its status: the invoice's collection
//     state is still what matters, and the refund is visible in amount_refunded.
// Errors: validation on "amount" (non-positive, or "refund of X exceeds the refundable
// amount Y"); conflict on "invoiceId" when nothing is refundable (e.g. Draft, unpaid Open,
// already Refunded).
Result<InvoiceAmounts> apply_refund(const InvoiceAmounts& amounts, std::int64_t amount);

// Records a failed collection attempt: status becomes Payment Failed when the lifecycle
// allows it (from Open, Partially Paid, Payment Failed), else a conflict on "invoiceId"
// carrying check_move's details. Amounts are unchanged.
Result<InvoiceAmounts> apply_payment_failure(const InvoiceAmounts& amounts);

// The status an invoice that Stripe collects should have, given what Stripe says now:
// its invoice's status ("draft", "open", "paid", "void", "uncollectible") and the money
// actually moved (`amounts`: the CRM total, the sum of recorded payments and refunds).
// It is a function of Stripe's state, not of the order events arrive in, so a late
// `invoice.finalized` can never move a Paid invoice back to Open. `payment_failed` is
// true when the event being applied reports a failed attempt; Payment Failed then stays
// until money arrives. A Draft stays Draft while Stripe's invoice is a draft.
InvoiceStatus converge_invoice_status(InvoiceStatus current, std::string_view stripe_status,
                                      const InvoiceAmounts& amounts, bool payment_failed);

// ---- Books rules --------------------------------------------------------------------
// What keeps the books whole whichever path a change takes (API, Stripe sync, jobs).

// The status an invoice action moves to: apply(action, status) from the lifecycle, plus
// the rule money adds to it: an invoice still holding received money (amount_paid >
// amount_refunded) cannot be voided, from any status (Open after a retry, Payment Failed,
// Uncollectible): a void says nothing was owed, and the money would drop out of the
// books. Refund it first. Error: conflict on "status" saying so, details {from, to,
// action, amountHeld}; otherwise the lifecycle's own refusal.
Result<InvoiceStatus> apply(InvoiceAction action, const InvoiceAmounts& amounts);
// The money half of that rule, for the Stripe convergence as well: nothing received is
// still held (amount_paid == amount_refunded).
bool may_be_voided(const InvoiceAmounts& amounts);

// Whether an invoice may be (soft-)deleted: only an unnumbered Draft. A number, once given,
// is in the books and deleting its invoice would leave a gap: conflict on "invoiceNumber";
// past Draft: conflict on "status" (void it instead).
Status check_invoice_deletable(InvoiceStatus status, bool numbered);

// Whether a quote may be (soft-)deleted: not once its acceptance made an order, which
// names it as its origin: conflict on "orderId".
Status check_quote_deletable(QuoteStatus status, bool has_order);

// ---- Document numbers ---------------------------------------------------------------
enum class DocumentKind { Quote, Order, Invoice };

std::string_view to_string(DocumentKind kind);        // "quote", "order", "invoice"
std::string_view default_prefix(DocumentKind kind);   // "QUO", "ORD", "INV"

// A workspace's custom prefix: 1-10 characters, A-Z and 0-9 only (no lower case, so
// numbers read the same everywhere; no '-', which separates the parts).
Status validate_document_prefix(std::string_view prefix, std::string_view field = "prefix");

// PREFIX-YEAR-SEQUENCE with the sequence zero-padded to at least 3 digits:
// ("QUO", 2026, 1) -> "QUO-2026-001", ("INV", 2026, 1000) -> "INV-2026-1000".
// Preconditions (throws std::invalid_argument otherwise — they are the caller's bugs):
// valid prefix, year in 1000..9999, sequence >= 1.
std::string format_document_number(std::string_view prefix, int year, std::int64_t sequence);

struct DocumentNumber {
  std::string prefix;
  int year = 0;
  std::int64_t sequence = 0;
  friend bool operator==(const DocumentNumber&, const DocumentNumber&) = default;
};

// Inverse of format_document_number; accepts only the canonical form it produces
// (so "QUO-2026-01" and "QUO-2026-0001" are rejected): std::nullopt otherwise.
std::optional<DocumentNumber> parse_document_number(std::string_view text);

}  // namespace settle::billing
