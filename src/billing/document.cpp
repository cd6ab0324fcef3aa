// Implementation of billing/document.hpp.
#include "billing/document.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/money.hpp"

namespace settle::billing {

namespace {

// Code points in UTF-8 text: every byte that is not a continuation byte (10xxxxxx) starts
// one. Input is assumed to be valid UTF-8 (the JSON parser guarantees it).
std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  });
}

std::string line_field(std::size_t index, std::string_view name) {
  return fmt::format("lineItems[{}].{}", index, name);
}

nlohmann::json status_names(std::span<const InvoiceStatus> statuses) {
  nlohmann::json names = nlohmann::json::array();
  for (InvoiceStatus s : statuses) names.push_back(std::string(to_string(s)));
  return names;
}

constexpr InvoiceStatus kPayableStatuses[] = {InvoiceStatus::Open, InvoiceStatus::PartiallyPaid,
                                              InvoiceStatus::PaymentFailed,
                                              InvoiceStatus::Uncollectible};

// Amounts come from storage; a broken invariant is a bug or corrupt row, not user error.
Status check_invariants(const InvoiceAmounts& a) {
  if (a.total >= 0 && a.total <= kMaxAmount && a.amount_paid >= 0 && a.amount_paid <= a.total &&
      a.amount_refunded >= 0 && a.amount_refunded <= a.amount_paid)
    return {};
  return fail(Error::internal(fmt::format(
      "inconsistent invoice amounts: total={} amount_paid={} amount_refunded={}", a.total,
      a.amount_paid, a.amount_refunded)));
}

Status check_positive(std::int64_t amount) {
  if (amount > 0) return {};
  return fail(Error::validation("amount", "must be greater than zero"));
}

}  // namespace

// ---- Line items and totals ----------------------------------------------------------

Status validate_line_items(std::span<const LineItem> lines) {
  if (lines.size() > kMaxLineItems)
    return fail(Error::validation(
        "lineItems", fmt::format("at most {} line items are allowed ({} given)", kMaxLineItems,
                                 lines.size())));
  std::vector<Error> problems;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const LineItem& line = lines[i];
    if (is_blank(line.description))
      problems.push_back(Error::validation(line_field(i, "description"), "must not be empty"));
    else if (utf8_length(line.description) > kMaxDescriptionLength)
      problems.push_back(Error::validation(
          line_field(i, "description"),
          fmt::format("must be at most {} characters", kMaxDescriptionLength)));

    const bool quantity_ok = line.quantity >= 1 && line.quantity <= kMaxQuantity;
    if (!quantity_ok)
      problems.push_back(Error::validation(line_field(i, "quantity"),
                                           fmt::format("must be between 1 and {}", kMaxQuantity)));

    const bool unit_ok = line.unit_amount >= 0 && line.unit_amount <= kMaxAmount;
    if (line.unit_amount < 0)
      problems.push_back(Error::validation(line_field(i, "unitAmount"), "must not be negative"));
    else if (!unit_ok)
      problems.push_back(Error::validation(line_field(i, "unitAmount"), "amount too large"));

    if (quantity_ok && unit_ok) {
      if (auto amount = checked_multiply(line.unit_amount, line.quantity, line_field(i, "amount"));
          !amount)
        problems.push_back(std::move(amount.error()));
    }
  }
  if (problems.empty()) return {};
  nlohmann::json all = nlohmann::json::array();
  for (const Error& e : problems) all.push_back({{"field", e.field}, {"message", e.message}});
  Error first = std::move(problems.front());
  first.details = {{"errors", std::move(all)}};
  return fail(std::move(first));
}

Result<std::int64_t> line_amount(const LineItem& line) {
  return checked_multiply(line.unit_amount, line.quantity, "amount");
}

Result<Totals> compute_totals(std::span<const LineItem> lines, std::int64_t tax_amount) {
  if (auto ok = validate_line_items(lines); !ok) return fail(ok.error());
  if (tax_amount < 0) return fail(Error::validation("taxAmount", "must not be negative"));
  if (auto ok = check_amount(tax_amount, "taxAmount"); !ok) return fail(ok.error());

  std::vector<std::int64_t> amounts;
  amounts.reserve(lines.size());
  for (const LineItem& line : lines) amounts.push_back(line.unit_amount * line.quantity);  // validated above
  auto subtotal = checked_sum(amounts, "subtotal");
  if (!subtotal) return fail(subtotal.error());
  auto total = checked_add(*subtotal, tax_amount, "total");
  if (!total) return fail(total.error());
  return Totals{*subtotal, tax_amount, *total};
}

// ---- Payments and refunds -----------------------------------------------------------

std::int64_t InvoiceAmounts::amount_due() const { return std::max<std::int64_t>(0, total - amount_paid); }

std::int64_t InvoiceAmounts::amount_refundable() const {
  return std::max<std::int64_t>(0, amount_paid - amount_refunded);
}

bool is_payable(InvoiceStatus status) {
  return std::find(std::begin(kPayableStatuses), std::end(kPayableStatuses), status) !=
         std::end(kPayableStatuses);
}

Result<InvoiceAmounts> apply_payment(const InvoiceAmounts& amounts, std::int64_t amount) {
  if (auto ok = check_invariants(amounts); !ok) return fail(ok.error());
  if (auto ok = check_positive(amount); !ok) return fail(ok.error());
  if (!is_payable(amounts.status)) {
    Error error = Error::conflict(
        fmt::format("cannot record a payment on an invoice that is {}", to_string(amounts.status)),
        "invoiceId");
    error.details = {{"status", std::string(to_string(amounts.status))},
                     {"payableStatuses", status_names(kPayableStatuses)}};
    return fail(std::move(error));
  }
  const std::int64_t due = amounts.amount_due();
  if (amount > due) {
    Error error = Error::validation(
        "amount", fmt::format("payment of {} exceeds the amount due {}", amount, due));
    error.details = {{"amountDue", due}};
    return fail(std::move(error));
  }
  InvoiceAmounts next = amounts;
  next.amount_paid += amount;  // <= total, so no overflow
  next.status = next.amount_paid == next.total ? InvoiceStatus::Paid : InvoiceStatus::PartiallyPaid;
  // Every payable status may move to Paid and Partially Paid; this guards the tables
  // against drifting apart.
  if (auto ok = check_move(amounts.status, next.status); !ok) return fail(ok.error());
  return next;
}

Result<InvoiceAmounts> apply_refund(const InvoiceAmounts& amounts, std::int64_t amount) {
  if (auto ok = check_invariants(amounts); !ok) return fail(ok.error());
  if (auto ok = check_positive(amount); !ok) return fail(ok.error());
  const std::int64_t refundable = amounts.amount_refundable();
  if (refundable == 0) {
    Error error = Error::conflict(
        fmt::format("invoice that is {} has no received payment left to refund",
                    to_string(amounts.status)),
        "invoiceId");
    error.details = {{"status", std::string(to_string(amounts.status))}};
    return fail(std::move(error));
  }
  if (amount > refundable) {
    Error error = Error::validation(
        "amount", fmt::format("refund of {} exceeds the refundable amount {}", amount, refundable));
    error.details = {{"amountRefundable", refundable}};
    return fail(std::move(error));
  }
  InvoiceAmounts next = amounts;
  next.amount_refunded += amount;
  if (amounts.status == InvoiceStatus::Paid || amounts.status == InvoiceStatus::PartiallyRefunded) {
    next.status = next.amount_refunded == next.amount_paid ? InvoiceStatus::Refunded
                                                           : InvoiceStatus::PartiallyRefunded;
    if (auto ok = check_move(amounts.status, next.status); !ok) return fail(ok.error());
  }
  return next;
}

Result<InvoiceAmounts> apply_payment_failure(const InvoiceAmounts& amounts) {
  if (auto ok = check_move(amounts.status, InvoiceStatus::PaymentFailed); !ok) {
    Error error = std::move(ok.error());
    error.message = fmt::format("cannot record a failed payment on an invoice that is {}",
                                to_string(amounts.status));
    error.field = "invoiceId";
    return fail(std::move(error));
  }
  InvoiceAmounts next = amounts;
  next.status = InvoiceStatus::PaymentFailed;
  return next;
}

InvoiceStatus converge_invoice_status(InvoiceStatus current, std::string_view stripe_status,
                                      const InvoiceAmounts& amounts, bool payment_failed) {
  if (stripe_status == "void") return InvoiceStatus::Void;
  const std::int64_t paid = amounts.amount_paid, refunded = amounts.amount_refunded;
  // Refund statuses follow a settled invoice only, as apply_refund does: a refund of part
  // of a partial payment leaves the invoice collecting (amountRefunded shows it).
  if (paid >= amounts.total && paid > 0) {
    if (refunded >= paid) return InvoiceStatus::Refunded;
    return refunded > 0 ? InvoiceStatus::PartiallyRefunded : InvoiceStatus::Paid;
  }
  // Paid at Stripe without a payment we can see (paid out of band, or a zero total).
  if (stripe_status == "paid") return refunded > 0 ? InvoiceStatus::PartiallyRefunded : InvoiceStatus::Paid;
  if (stripe_status == "uncollectible") return InvoiceStatus::Uncollectible;
  if (stripe_status == "draft") return current;
  if (paid > 0) return InvoiceStatus::PartiallyPaid;
  if (payment_failed || current == InvoiceStatus::PaymentFailed) return InvoiceStatus::PaymentFailed;
  return InvoiceStatus::Open;
}

// ---- Books rules --------------------------------------------------------------------

bool may_be_voided(const InvoiceAmounts& amounts) { return amounts.amount_refundable() == 0; }

Result<InvoiceStatus> apply(InvoiceAction action, const InvoiceAmounts& amounts) {
  auto target = apply(action, amounts.status);
  if (!target) return target;
  if (*target != InvoiceStatus::Void || may_be_voided(amounts)) return target;
  const std::int64_t held = amounts.amount_refundable();
  Error error = Error::conflict(
      fmt::format("cannot void an invoice that still holds received money ({} minor units not refunded); refund it first", held),
      "status");
  error.details = {{"from", std::string(to_string(amounts.status))},
                   {"to", std::string(to_string(InvoiceStatus::Void))},
                   {"action", std::string(to_string(action))},
                   {"amountHeld", held}};
  return fail(std::move(error));
}

Status check_invoice_deletable(InvoiceStatus status, bool numbered) {
  if (numbered)
    return fail(Error::conflict("a numbered invoice is part of the books and cannot be deleted; void it instead",
                                "invoiceNumber"));
  if (status != InvoiceStatus::Draft)
    return fail(Error::conflict("only a Draft invoice can be deleted; void it instead", "status"));
  return {};
}

Status check_quote_deletable(QuoteStatus status, bool has_order) {
  if (has_order)
    return fail(Error::conflict(
        fmt::format("a quote that is {} and has an order cannot be deleted", to_string(status)), "orderId"));
  return {};
}

// ---- Document numbers ---------------------------------------------------------------

std::string_view to_string(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::Quote: return "quote";
    case DocumentKind::Order: return "order";
    case DocumentKind::Invoice: return "invoice";
  }
  return "unknown";
}

std::string_view default_prefix(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::Quote: return "QUO";
    case DocumentKind::Order: return "ORD";
    case DocumentKind::Invoice: return "INV";
  }
  return "DOC";
}

Status validate_document_prefix(std::string_view prefix, std::string_view field) {
  const bool valid_chars = std::all_of(prefix.begin(), prefix.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
  if (!prefix.empty() && prefix.size() <= 10 && valid_chars) return {};
  return fail(Error::validation(std::string(field),
                                "must be 1 to 10 characters, upper-case letters A-Z and digits only"));
}

std::string format_document_number(std::string_view prefix, int year, std::int64_t sequence) {
  if (!validate_document_prefix(prefix))
    throw std::invalid_argument(fmt::format("invalid document number prefix '{}'", prefix));
  if (year < 1000 || year > 9999)
    throw std::invalid_argument(fmt::format("document number year {} is not four digits", year));
  if (sequence < 1)
    throw std::invalid_argument(fmt::format("document number sequence {} is not positive", sequence));
  return fmt::format("{}-{}-{:03}", prefix, year, sequence);
}

std::optional<DocumentNumber> parse_document_number(std::string_view text) {
  const auto first_dash = text.find('-');
  if (first_dash == std::string_view::npos) return std::nullopt;
  const auto second_dash = text.find('-', first_dash + 1);
  if (second_dash == std::string_view::npos) return std::nullopt;

  const std::string_view prefix = text.substr(0, first_dash);
  const std::string_view year_text = text.substr(first_dash + 1, second_dash - first_dash - 1);
  const std::string_view sequence_text = text.substr(second_dash + 1);
  if (!validate_document_prefix(prefix) || year_text.size() != 4 || sequence_text.size() < 3 ||
      sequence_text.size() > 18)
    return std::nullopt;

  DocumentNumber number{std::string(prefix), 0, 0};
  auto parse_digits = [](std::string_view digits, auto& out) {
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc() && end == digits.data() + digits.size();
  };
  if (!parse_digits(year_text, number.year) || !parse_digits(sequence_text, number.sequence))
    return std::nullopt;
  if (number.year < 1000 || number.sequence < 1) return std::nullopt;
  // Only the canonical spelling round-trips: rejects "001000" or a 4-digit "0042".
  if (format_document_number(number.prefix, number.year, number.sequence) != text)
    return std::nullopt;
  return number;
}

}  // namespace settle::billing
