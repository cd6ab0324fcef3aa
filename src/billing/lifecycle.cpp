// Implementation of billing/lifecycle.hpp. The move tables live in the three
// StatusTraits specialisations below; everything else is generic over them.
#include "billing/lifecycle.hpp"

#include <algorithm>
#include <span>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace settle::billing {

namespace {

using Q = QuoteStatus;
using O = OrderStatus;
using I = InvoiceStatus;

template <class S>
struct StatusTraits;

template <>
struct StatusTraits<QuoteStatus> {
  static constexpr std::string_view kind = "quote";
  static constexpr std::span<const QuoteStatus> all() { return kAllQuoteStatuses; }
  static std::span<const QuoteStatus> moves(QuoteStatus from) {
    static constexpr QuoteStatus from_draft[] = {Q::Open, Q::Canceled};
    static constexpr QuoteStatus from_open[] = {Q::Accepted, Q::Expired, Q::Canceled};
    switch (from) {
      case Q::Draft: return from_draft;
      case Q::Open: return from_open;
      case Q::Accepted:
      case Q::Expired:
      case Q::Canceled: return {};
    }
    return {};
  }
};

template <>
struct StatusTraits<OrderStatus> {
  static constexpr std::string_view kind = "order";
  static constexpr std::span<const OrderStatus> all() { return kAllOrderStatuses; }
  static std::span<const OrderStatus> moves(OrderStatus from) {
    // Pending -> Fulfilled directly covers orders delivered in one step (e.g. licences).
    static constexpr OrderStatus from_pending[] = {O::InProgress, O::Fulfilled, O::Cancelled};
    static constexpr OrderStatus from_in_progress[] = {O::Fulfilled, O::Cancelled};
    static constexpr OrderStatus from_fulfilled[] = {O::Invoiced};
    switch (from) {
      case O::PendingFulfillment: return from_pending;
      case O::InProgress: return from_in_progress;
      case O::Fulfilled: return from_fulfilled;
      case O::Invoiced:
      case O::Cancelled: return {};
    }
    return {};
  }
};

template <>
struct StatusTraits<InvoiceStatus> {
  static constexpr std::string_view kind = "invoice";
  static constexpr std::span<const InvoiceStatus> all() { return kAllInvoiceStatuses; }
  static std::span<const InvoiceStatus> moves(InvoiceStatus from) {
    static constexpr InvoiceStatus from_draft[] = {I::Open};
    static constexpr InvoiceStatus from_open[] = {I::Paid, I::PartiallyPaid, I::PaymentFailed,
                                                  I::Void, I::Uncollectible};
    // Money has been received, so a partially paid invoice cannot be voided directly
    // (refund first); it can still be written off as uncollectible.
    static constexpr InvoiceStatus from_partially_paid[] = {I::Paid, I::PartiallyPaid,
                                                            I::PaymentFailed, I::Uncollectible};
    // Open again means "retry collection" (e.g. after the customer updated their card).
    static constexpr InvoiceStatus from_payment_failed[] = {
        I::Open, I::Paid, I::PartiallyPaid, I::PaymentFailed, I::Void, I::Uncollectible};
    // Written off, but a late payment is still welcome.
    static constexpr InvoiceStatus from_uncollectible[] = {I::Paid, I::PartiallyPaid, I::Void};
    static constexpr InvoiceStatus from_paid[] = {I::Refunded, I::PartiallyRefunded};
    static constexpr InvoiceStatus from_partially_refunded[] = {I::Refunded, I::PartiallyRefunded};
    switch (from) {
      case I::Draft: return from_draft;
      case I::Open: return from_open;
      case I::PartiallyPaid: return from_partially_paid;
      case I::PaymentFailed: return from_payment_failed;
      case I::Uncollectible: return from_uncollectible;
      case I::Paid: return from_paid;
      case I::PartiallyRefunded: return from_partially_refunded;
      case I::Void:
      case I::Refunded: return {};
    }
    return {};
  }
};

template <class S>
nlohmann::json status_names(std::span<const S> statuses) {
  nlohmann::json names = nlohmann::json::array();
  for (S s : statuses) names.push_back(std::string(to_string(s)));
  return names;
}

template <class S>
Result<S> parse_status(std::string_view text) {
  for (S s : StatusTraits<S>::all())
    if (to_string(s) == text) return s;
  Error error = Error::validation(
      "status", fmt::format("'{}' is not a valid {} status", text, StatusTraits<S>::kind));
  error.details = {{"allowed", status_names(StatusTraits<S>::all())}};
  return fail(std::move(error));
}

template <class S>
std::vector<S> allowed_moves_of(S from) {
  const auto moves = StatusTraits<S>::moves(from);
  return {moves.begin(), moves.end()};
}

template <class S>
Status check_move_of(S from, S to) {
  const auto moves = StatusTraits<S>::moves(from);
  if (std::find(moves.begin(), moves.end(), to) != moves.end()) return {};
  Error error = Error::conflict(fmt::format("cannot move {} from {} to {}", StatusTraits<S>::kind,
                                            to_string(from), to_string(to)),
                                "status");
  error.details = {{"from", std::string(to_string(from))},
                   {"to", std::string(to_string(to))},
                   {"allowedMoves", status_names(moves)}};
  return fail(std::move(error));
}

template <class S, class A>
Result<S> apply_action(A action, S current) {
  if (auto ok = check_move_of(current, target_status(action)); !ok) {
    Error error = std::move(ok.error());
    error.details["action"] = std::string(to_string(action));
    return fail(std::move(error));
  }
  return target_status(action);
}

// JSON names of the note-type fields that stay editable after finalisation.
constexpr std::string_view kAlwaysEditableFields[] = {"notes", "memo", "fulfillmentNotes",
                                                      "shippingInfo"};

template <class S>
Status check_field_edit_of(S status, std::string_view field) {
  if (is_editable(status) || field_editable_after_finalize(field)) return {};
  nlohmann::json editable = nlohmann::json::array();
  for (std::string_view f : kAlwaysEditableFields) editable.push_back(std::string(f));
  Error error = Error::conflict(
      fmt::format("{} cannot be changed once the {} is {}", field, StatusTraits<S>::kind,
                  to_string(status)),
      std::string(field));
  error.details = {{"status", std::string(to_string(status))}, {"editableFields", editable}};
  return fail(std::move(error));
}

template <class A, std::size_t N>
std::optional<A> parse_action(std::string_view name, const std::array<A, N>& all) {
  for (A a : all)
    if (to_string(a) == name) return a;
  return std::nullopt;
}

}  // namespace

// ---- Display strings ----------------------------------------------------------------

std::string_view to_string(QuoteStatus status) {
  switch (status) {
    case Q::Draft: return "Draft";
    case Q::Open: return "Open";
    case Q::Accepted: return "Accepted";
    case Q::Expired: return "Expired";
    case Q::Canceled: return "Canceled";
  }
  return "Unknown";
}

std::string_view to_string(OrderStatus status) {
  switch (status) {
    case O::PendingFulfillment: return "Pending Fulfillment";
    case O::InProgress: return "In Progress";
    case O::Fulfilled: return "Fulfilled";
    case O::Invoiced: return "Invoiced";
    case O::Cancelled: return "Cancelled";
  }
  return "Unknown";
}

std::string_view to_string(InvoiceStatus status) {
  switch (status) {
    case I::Draft: return "Draft";
    case I::Open: return "Open";
    case I::Paid: return "Paid";
    case I::PartiallyPaid: return "Partially Paid";
    case I::PaymentFailed: return "Payment Failed";
    case I::Void: return "Void";
    case I::Uncollectible: return "Uncollectible";
    case I::Refunded: return "Refunded";
    case I::PartiallyRefunded: return "Partially Refunded";
  }
  return "Unknown";
}

Result<QuoteStatus> parse_quote_status(std::string_view text) { return parse_status<QuoteStatus>(text); }
Result<OrderStatus> parse_order_status(std::string_view text) { return parse_status<OrderStatus>(text); }
Result<InvoiceStatus> parse_invoice_status(std::string_view text) {
  return parse_status<InvoiceStatus>(text);
}

// ---- Moves --------------------------------------------------------------------------

std::vector<QuoteStatus> allowed_moves(QuoteStatus from) { return allowed_moves_of(from); }
std::vector<OrderStatus> allowed_moves(OrderStatus from) { return allowed_moves_of(from); }
std::vector<InvoiceStatus> allowed_moves(InvoiceStatus from) { return allowed_moves_of(from); }

bool is_terminal(QuoteStatus status) { return StatusTraits<QuoteStatus>::moves(status).empty(); }
bool is_terminal(OrderStatus status) { return StatusTraits<OrderStatus>::moves(status).empty(); }
bool is_terminal(InvoiceStatus status) { return StatusTraits<InvoiceStatus>::moves(status).empty(); }

Status check_move(QuoteStatus from, QuoteStatus to) { return check_move_of(from, to); }
Status check_move(OrderStatus from, OrderStatus to) { return check_move_of(from, to); }
Status check_move(InvoiceStatus from, InvoiceStatus to) { return check_move_of(from, to); }

bool is_reachable(InvoiceStatus from, InvoiceStatus to) {
  std::vector<InvoiceStatus> seen{from}, frontier{from};
  while (!frontier.empty()) {
    InvoiceStatus s = frontier.back();
    frontier.pop_back();
    if (s == to) return true;
    for (InvoiceStatus next : allowed_moves(s))
      if (std::find(seen.begin(), seen.end(), next) == seen.end()) {
        seen.push_back(next);
        frontier.push_back(next);
      }
  }
  return false;
}

// ---- Editability --------------------------------------------------------------------

bool is_editable(QuoteStatus status) { return status == Q::Draft; }
bool is_editable(OrderStatus status) { return status != O::Invoiced && status != O::Cancelled; }
bool is_editable(InvoiceStatus status) { return status == I::Draft; }

bool field_editable_after_finalize(std::string_view field) {
  return std::find(std::begin(kAlwaysEditableFields), std::end(kAlwaysEditableFields), field) !=
         std::end(kAlwaysEditableFields);
}

Status check_field_edit(QuoteStatus status, std::string_view field) {
  return check_field_edit_of(status, field);
}
Status check_field_edit(OrderStatus status, std::string_view field) {
  return check_field_edit_of(status, field);
}
Status check_field_edit(InvoiceStatus status, std::string_view field) {
  return check_field_edit_of(status, field);
}

// ---- Actions ------------------------------------------------------------------------

namespace {
constexpr std::array kAllQuoteActions = {QuoteAction::Finalize, QuoteAction::Accept,
                                         QuoteAction::Cancel, QuoteAction::Expire};
constexpr std::array kAllOrderActions = {OrderAction::Start, OrderAction::Fulfill,
                                         OrderAction::Cancel, OrderAction::MarkInvoiced};
constexpr std::array kAllInvoiceActions = {InvoiceAction::Finalize, InvoiceAction::Void,
                                           InvoiceAction::MarkUncollectible};
}  // namespace

std::string_view to_string(QuoteAction action) {
  switch (action) {
    case QuoteAction::Finalize: return "finalize";
    case QuoteAction::Accept: return "accept";
    case QuoteAction::Cancel: return "cancel";
    case QuoteAction::Expire: return "expire";
  }
  return "unknown";
}

std::string_view to_string(OrderAction action) {
  switch (action) {
    case OrderAction::Start: return "start";
    case OrderAction::Fulfill: return "fulfill";
    case OrderAction::Cancel: return "cancel";
    case OrderAction::MarkInvoiced: return "mark_invoiced";
  }
  return "unknown";
}

std::string_view to_string(InvoiceAction action) {
  switch (action) {
    case InvoiceAction::Finalize: return "finalize";
    case InvoiceAction::Void: return "void";
    case InvoiceAction::MarkUncollectible: return "mark_uncollectible";
  }
  return "unknown";
}

std::optional<QuoteAction> parse_quote_action(std::string_view name) {
  return parse_action(name, kAllQuoteActions);
}
std::optional<OrderAction> parse_order_action(std::string_view name) {
  return parse_action(name, kAllOrderActions);
}
std::optional<InvoiceAction> parse_invoice_action(std::string_view name) {
  return parse_action(name, kAllInvoiceActions);
}

QuoteStatus target_status(QuoteAction action) {
  switch (action) {
    case QuoteAction::Finalize: return Q::Open;
    case QuoteAction::Accept: return Q::Accepted;
    case QuoteAction::Cancel: return Q::Canceled;
    case QuoteAction::Expire: return Q::Expired;
  }
  return Q::Draft;
}

OrderStatus target_status(OrderAction action) {
  switch (action) {
    case OrderAction::Start: return O::InProgress;
    case OrderAction::Fulfill: return O::Fulfilled;
    case OrderAction::Cancel: return O::Cancelled;
    case OrderAction::MarkInvoiced: return O::Invoiced;
  }
  return O::PendingFulfillment;
}

InvoiceStatus target_status(InvoiceAction action) {
  switch (action) {
    case InvoiceAction::Finalize: return I::Open;
    case InvoiceAction::Void: return I::Void;
    case InvoiceAction::MarkUncollectible: return I::Uncollectible;
  }
  return I::Draft;
}

Result<QuoteStatus> apply(QuoteAction action, QuoteStatus current) {
  return apply_action(action, current);
}
Result<OrderStatus> apply(OrderAction action, OrderStatus current) {
  return apply_action(action, current);
}
Result<InvoiceStatus> apply(InvoiceAction action, InvoiceStatus current) {
  // Payment Failed -> Open is an allowed move (collection retry), but it is not a
  // finalisation: finalising means issuing a draft, and only a draft can be issued.
  if (action == InvoiceAction::Finalize && current != I::Draft) {
    Error error = Error::conflict(
        fmt::format("only a Draft invoice can be finalized; this one is {}", to_string(current)),
        "status");
    error.details = {{"from", std::string(to_string(current))},
                     {"to", std::string(to_string(I::Open))},
                     {"action", std::string(to_string(action))},
                     {"allowedMoves", status_names(StatusTraits<InvoiceStatus>::moves(current))}};
    return fail(std::move(error));
  }
  return apply_action(action, current);
}

}  // namespace settle::billing
