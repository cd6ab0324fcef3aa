// The lifecycle state machines of Settle's quote-to-cash documents: Quote -> Order ->
// Invoice. Each status enum comes with its display string (which is also its wire format),
// the table of allowed moves, a checker that explains refusals, editability rules, and
// named actions (what POST /rest/quotes/{id}/accept and friends do). Pure: no I/O.
//
// Quote:   Draft -> Open | Canceled;  Open -> Accepted | Expired | Canceled.
// Order:   Pending Fulfillment -> In Progress | Fulfilled | Cancelled;
//          In Progress -> Fulfilled | Cancelled;  Fulfilled -> Invoiced.
// Invoice (modelled on Stripe's invoice lifecycle, plus payment/refund detail):
//          Draft -> Open   (a draft may also be deleted, which is not a status)
//          Open -> Paid | Partially Paid | Payment Failed | Void | Uncollectible
//          Partially Paid -> Paid | Partially Paid | Payment Failed | Uncollectible
//          Payment Failed -> Paid | Partially Paid | Payment Failed | Void | Uncollectible
//                            | Open (retry)
//          Uncollectible -> Paid | Partially Paid | Void
//          Paid -> Refunded | Partially Refunded
//          Partially Refunded -> Refunded | Partially Refunded
// Terminal: quote Accepted/Expired/Canceled, order Invoiced/Cancelled, invoice Void/Refunded.
// Self-moves are refused except the three listed above (another partial payment, another
// failed attempt, another partial refund), which record a new event without a new status.
//
// Spelling is deliberate: a quote is "Canceled" (one L), an order "Cancelled" (two Ls).
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace settle::billing {

enum class QuoteStatus { Draft, Open, Accepted, Expired, Canceled };
enum class OrderStatus { PendingFulfillment, InProgress, Fulfilled, Invoiced, Cancelled };
enum class InvoiceStatus {
  Draft,
  Open,
  Paid,
  PartiallyPaid,
  PaymentFailed,
  Void,
  Uncollectible,
  Refunded,
  PartiallyRefunded,
};

// Every value of each enum, in declaration order (for iteration, tests and API docs).
inline constexpr std::array kAllQuoteStatuses = {
    QuoteStatus::Draft, QuoteStatus::Open, QuoteStatus::Accepted, QuoteStatus::Expired,
    QuoteStatus::Canceled};
inline constexpr std::array kAllOrderStatuses = {
    OrderStatus::PendingFulfillment, OrderStatus::InProgress, OrderStatus::Fulfilled,
    OrderStatus::Invoiced, OrderStatus::Cancelled};
inline constexpr std::array kAllInvoiceStatuses = {
    InvoiceStatus::Draft,         InvoiceStatus::Open,          InvoiceStatus::Paid,
    InvoiceStatus::PartiallyPaid, InvoiceStatus::PaymentFailed, InvoiceStatus::Void,
    InvoiceStatus::Uncollectible, InvoiceStatus::Refunded,      InvoiceStatus::PartiallyRefunded};

// Display string, also used in JSON and the database: "Pending Fulfillment", "Partially Paid".
std::string_view to_string(QuoteStatus status);
std::string_view to_string(OrderStatus status);
std::string_view to_string(InvoiceStatus status);

// Exact (case-sensitive) display string back to the enum; anything else is
// Error::validation("status", ...) listing the valid values in details.allowed.
Result<QuoteStatus> parse_quote_status(std::string_view text);
Result<OrderStatus> parse_order_status(std::string_view text);
Result<InvoiceStatus> parse_invoice_status(std::string_view text);

// Statuses reachable from `from` in one move, in declaration order. Empty when terminal.
std::vector<QuoteStatus> allowed_moves(QuoteStatus from);
std::vector<OrderStatus> allowed_moves(OrderStatus from);
std::vector<InvoiceStatus> allowed_moves(InvoiceStatus from);

bool is_terminal(QuoteStatus status);
bool is_terminal(OrderStatus status);
bool is_terminal(InvoiceStatus status);

// Ok if from -> to is an allowed move; otherwise
// Error::conflict("cannot move quote from Draft to Accepted", "status") with
// details = {"from": "Draft", "to": "Accepted", "allowedMoves": ["Open", "Canceled"]}.
Status check_move(QuoteStatus from, QuoteStatus to);
Status check_move(OrderStatus from, OrderStatus to);
Status check_move(InvoiceStatus from, InvoiceStatus to);
// Whether `to` can be reached from `from` by allowed moves (one or several; from == to is
// reachable). Used to refuse moves that come from stale data, e.g. a Stripe read that
// predates a void: nothing leads out of Void.
bool is_reachable(InvoiceStatus from, InvoiceStatus to);

// ---- Editability --------------------------------------------------------------------
// Whether the document's content (line items, customer, amounts, dates) may change:
// quotes and invoices only while Draft (once sent, what the customer saw is fixed);
// orders until they are Invoiced or Cancelled.
bool is_editable(QuoteStatus status);
bool is_editable(OrderStatus status);
bool is_editable(InvoiceStatus status);

// Internal-note style fields that stay editable in every status, because they annotate
// the document rather than change what was agreed: "notes", "memo", "fulfillmentNotes",
// "shippingInfo" (the last two matter for orders). Field names are the JSON names.
bool field_editable_after_finalize(std::string_view field);

// Ok if `field` may be changed in `status` (document editable, or a note-type field);
// otherwise Error::conflict naming the field, with details {"status", "editableFields"}.
// For PATCH handlers: call once per field present in the request body.
Status check_field_edit(QuoteStatus status, std::string_view field);
Status check_field_edit(OrderStatus status, std::string_view field);
Status check_field_edit(InvoiceStatus status, std::string_view field);

// ---- Actions ------------------------------------------------------------------------
// Named transitions behind the action endpoints, e.g. POST /rest/quotes/{id}/accept.
// Action names (to_string / parse_*_action) are lower snake_case, matching Stripe's
// endpoint style: "finalize", "accept", "mark_invoiced", "mark_uncollectible".
enum class QuoteAction { Finalize, Accept, Cancel, Expire };
enum class OrderAction { Start, Fulfill, Cancel, MarkInvoiced };
enum class InvoiceAction { Finalize, Void, MarkUncollectible };

std::string_view to_string(QuoteAction action);
std::string_view to_string(OrderAction action);
std::string_view to_string(InvoiceAction action);

std::optional<QuoteAction> parse_quote_action(std::string_view name);
std::optional<OrderAction> parse_order_action(std::string_view name);
std::optional<InvoiceAction> parse_invoice_action(std::string_view name);

// The status an action moves to: Finalize -> Open, Accept -> Accepted, Start -> In Progress,
// Fulfill -> Fulfilled, MarkInvoiced -> Invoiced, Void -> Void, MarkUncollectible -> Uncollectible...
QuoteStatus target_status(QuoteAction action);
OrderStatus target_status(OrderAction action);
InvoiceStatus target_status(InvoiceAction action);

// The new status if the action is allowed from `current`, else check_move's conflict
// error with details.action set to the action name. One narrowing beyond the move table:
// InvoiceAction::Finalize applies only to Draft (Payment Failed -> Open is a collection
// retry, made with check_move, not a finalisation).
Result<QuoteStatus> apply(QuoteAction action, QuoteStatus current);
Result<OrderStatus> apply(OrderAction action, OrderStatus current);
Result<InvoiceStatus> apply(InvoiceAction action, InvoiceStatus current);

}  // namespace settle::billing
