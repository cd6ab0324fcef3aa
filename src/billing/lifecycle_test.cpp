// Tests for billing/lifecycle.hpp. Every from×to pair of each state machine is checked
// against an explicit table written out here independently of the implementation.
#include "billing/lifecycle.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include <gtest/gtest.h>

namespace settle::billing {
namespace {

using Q = QuoteStatus;
using O = OrderStatus;
using I = InvoiceStatus;

// The locked design, one allowed move per entry.
const std::set<std::pair<Q, Q>> kExpectedQuoteMoves = {
    {Q::Draft, Q::Open},     {Q::Draft, Q::Canceled}, {Q::Open, Q::Accepted},
    {Q::Open, Q::Expired},   {Q::Open, Q::Canceled},
};

const std::set<std::pair<O, O>> kExpectedOrderMoves = {
    {O::PendingFulfillment, O::InProgress}, {O::PendingFulfillment, O::Fulfilled},
    {O::PendingFulfillment, O::Cancelled},  {O::InProgress, O::Fulfilled},
    {O::InProgress, O::Cancelled},          {O::Fulfilled, O::Invoiced},
};

const std::set<std::pair<I, I>> kExpectedInvoiceMoves = {
    {I::Draft, I::Open},
    {I::Open, I::Paid},
    {I::Open, I::PartiallyPaid},
    {I::Open, I::PaymentFailed},
    {I::Open, I::Void},
    {I::Open, I::Uncollectible},
    {I::PartiallyPaid, I::Paid},
    {I::PartiallyPaid, I::PaymentFailed},
    {I::PartiallyPaid, I::PartiallyPaid},
    {I::PartiallyPaid, I::Uncollectible},
    {I::PaymentFailed, I::Paid},
    {I::PaymentFailed, I::PartiallyPaid},
    {I::PaymentFailed, I::PaymentFailed},
    {I::PaymentFailed, I::Void},
    {I::PaymentFailed, I::Uncollectible},
    {I::PaymentFailed, I::Open},
    {I::Uncollectible, I::Paid},
    {I::Uncollectible, I::Void},
    {I::Uncollectible, I::PartiallyPaid},
    {I::Paid, I::Refunded},
    {I::Paid, I::PartiallyRefunded},
    {I::PartiallyRefunded, I::Refunded},
    {I::PartiallyRefunded, I::PartiallyRefunded},
};

template <class S, std::size_t N>
void expect_machine_matches(const std::array<S, N>& all, const std::set<std::pair<S, S>>& expected,
                            std::string_view kind) {
  std::size_t allowed_seen = 0;
  for (S from : all) {
    std::vector<S> expected_row;
    for (S to : all) {
      const bool allowed = expected.contains({from, to});
      const std::string label = std::string(to_string(from)) + " -> " + std::string(to_string(to));
      auto result = check_move(from, to);
      EXPECT_EQ(result.has_value(), allowed) << kind << " " << label;
      if (allowed) {
        ++allowed_seen;
        expected_row.push_back(to);
      } else if (!result) {
        const Error& e = result.error();
        EXPECT_EQ(e.code, ErrorCode::Conflict) << label;
        EXPECT_EQ(e.field, "status") << label;
        EXPECT_EQ(e.message, "cannot move " + std::string(kind) + " from " +
                                 std::string(to_string(from)) + " to " + std::string(to_string(to)))
            << label;
        EXPECT_EQ(e.details["from"], std::string(to_string(from))) << label;
        EXPECT_EQ(e.details["to"], std::string(to_string(to))) << label;
      }
    }
    // allowed_moves lists exactly the row, in declaration order.
    EXPECT_EQ(allowed_moves(from), expected_row) << kind << " from " << to_string(from);
    EXPECT_EQ(is_terminal(from), expected_row.empty()) << kind << " " << to_string(from);
    if (auto refused = check_move(from, from); !refused) {
      nlohmann::json names = nlohmann::json::array();
      for (S s : expected_row) names.push_back(std::string(to_string(s)));
      EXPECT_EQ(refused.error().details["allowedMoves"], names) << to_string(from);
    }
  }
  EXPECT_EQ(allowed_seen, expected.size()) << "every expected move is between known statuses";
}

TEST(Lifecycle, QuoteMovesMatchTable) {
  expect_machine_matches(kAllQuoteStatuses, kExpectedQuoteMoves, "quote");
}
TEST(Lifecycle, OrderMovesMatchTable) {
  expect_machine_matches(kAllOrderStatuses, kExpectedOrderMoves, "order");
}
TEST(Lifecycle, InvoiceMovesMatchTable) {
  expect_machine_matches(kAllInvoiceStatuses, kExpectedInvoiceMoves, "invoice");
}

TEST(Lifecycle, TerminalStatuses) {
  for (Q s : kAllQuoteStatuses)
    EXPECT_EQ(is_terminal(s), s == Q::Accepted || s == Q::Expired || s == Q::Canceled) << to_string(s);
  for (O s : kAllOrderStatuses)
    EXPECT_EQ(is_terminal(s), s == O::Invoiced || s == O::Cancelled) << to_string(s);
  for (I s : kAllInvoiceStatuses)
    EXPECT_EQ(is_terminal(s), s == I::Void || s == I::Refunded) << to_string(s);
}

TEST(Lifecycle, RefusedMoveErrorShape) {
  auto refused = check_move(Q::Draft, Q::Accepted);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "cannot move quote from Draft to Accepted");
  EXPECT_EQ(refused.error().details,
            (nlohmann::json{{"from", "Draft"}, {"to", "Accepted"}, {"allowedMoves", {"Open", "Canceled"}}}));
  auto terminal = check_move(I::Void, I::Open);
  ASSERT_FALSE(terminal);
  EXPECT_EQ(terminal.error().details["allowedMoves"], nlohmann::json::array());
}

// ---- Display strings ----------------------------------------------------------------

TEST(Lifecycle, DisplayStringsAreExactAndRoundTrip) {
  const std::vector<std::string_view> quote = {"Draft", "Open", "Accepted", "Expired", "Canceled"};
  const std::vector<std::string_view> order = {"Pending Fulfillment", "In Progress", "Fulfilled",
                                               "Invoiced", "Cancelled"};
  const std::vector<std::string_view> invoice = {
      "Draft", "Open", "Paid", "Partially Paid", "Payment Failed", "Void", "Uncollectible",
      "Refunded", "Partially Refunded"};
  ASSERT_EQ(quote.size(), kAllQuoteStatuses.size());
  ASSERT_EQ(order.size(), kAllOrderStatuses.size());
  ASSERT_EQ(invoice.size(), kAllInvoiceStatuses.size());
  for (std::size_t i = 0; i < quote.size(); ++i) {
    EXPECT_EQ(to_string(kAllQuoteStatuses[i]), quote[i]);
    EXPECT_EQ(parse_quote_status(quote[i]).value(), kAllQuoteStatuses[i]);
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(to_string(kAllOrderStatuses[i]), order[i]);
    EXPECT_EQ(parse_order_status(order[i]).value(), kAllOrderStatuses[i]);
  }
  for (std::size_t i = 0; i < invoice.size(); ++i) {
    EXPECT_EQ(to_string(kAllInvoiceStatuses[i]), invoice[i]);
    EXPECT_EQ(parse_invoice_status(invoice[i]).value(), kAllInvoiceStatuses[i]);
  }
}

TEST(Lifecycle, ParsingIsExact) {
  // Wrong case, wrong spelling of cancel(l)ed per document, snake/camel case, padding.
  for (std::string_view bad : {"draft", "DRAFT", "Cancelled", " Open", "Open ", "", "Paid"})
    EXPECT_FALSE(parse_quote_status(bad)) << bad;
  for (std::string_view bad : {"Canceled", "Pending fulfillment", "PendingFulfillment",
                               "pending_fulfillment", "InProgress", "Draft"})
    EXPECT_FALSE(parse_order_status(bad)) << bad;
  for (std::string_view bad : {"partially paid", "Partially_Paid", "PartiallyPaid", "Voided",
                               "Accepted", "Canceled"})
    EXPECT_FALSE(parse_invoice_status(bad)) << bad;

  auto error = parse_order_status("Shipped").error();
  EXPECT_EQ(error.code, ErrorCode::Validation);
  EXPECT_EQ(error.field, "status");
  EXPECT_EQ(error.message, "'Shipped' is not a valid order status");
  EXPECT_EQ(error.details["allowed"],
            (nlohmann::json{"Pending Fulfillment", "In Progress", "Fulfilled", "Invoiced", "Cancelled"}));
}

// ---- Editability --------------------------------------------------------------------

TEST(Lifecycle, Editability) {
  for (Q s : kAllQuoteStatuses) EXPECT_EQ(is_editable(s), s == Q::Draft) << to_string(s);
  for (I s : kAllInvoiceStatuses) EXPECT_EQ(is_editable(s), s == I::Draft) << to_string(s);
  for (O s : kAllOrderStatuses)
    EXPECT_EQ(is_editable(s), s != O::Invoiced && s != O::Cancelled) << to_string(s);
}

TEST(Lifecycle, NoteFieldsStayEditable) {
  for (std::string_view field : {"notes", "memo", "fulfillmentNotes", "shippingInfo"})
    EXPECT_TRUE(field_editable_after_finalize(field)) << field;
  for (std::string_view field : {"lineItems", "customerId", "currency", "taxAmount", "dueDate",
                                 "status", "Notes", "note", ""})
    EXPECT_FALSE(field_editable_after_finalize(field)) << field;
}

TEST(Lifecycle, CheckFieldEdit) {
  EXPECT_TRUE(check_field_edit(Q::Draft, "lineItems"));
  EXPECT_TRUE(check_field_edit(Q::Open, "notes"));
  EXPECT_TRUE(check_field_edit(Q::Accepted, "memo"));
  EXPECT_TRUE(check_field_edit(O::InProgress, "lineItems"));
  EXPECT_TRUE(check_field_edit(O::Invoiced, "fulfillmentNotes"));
  EXPECT_TRUE(check_field_edit(I::Paid, "memo"));

  auto refused = check_field_edit(Q::Open, "lineItems");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Conflict);
  EXPECT_EQ(refused.error().field, "lineItems");
  EXPECT_EQ(refused.error().message, "lineItems cannot be changed once the quote is Open");
  EXPECT_EQ(refused.error().details["status"], "Open");
  EXPECT_EQ(refused.error().details["editableFields"],
            (nlohmann::json{"notes", "memo", "fulfillmentNotes", "shippingInfo"}));
  EXPECT_FALSE(check_field_edit(O::Cancelled, "lineItems"));
  EXPECT_EQ(check_field_edit(I::Open, "dueDate").error().message,
            "dueDate cannot be changed once the invoice is Open");
}

// ---- Actions ------------------------------------------------------------------------

TEST(Lifecycle, ActionNamesAndTargets) {
  const std::tuple<QuoteAction, std::string_view, Q> quote[] = {
      {QuoteAction::Finalize, "finalize", Q::Open},
      {QuoteAction::Accept, "accept", Q::Accepted},
      {QuoteAction::Cancel, "cancel", Q::Canceled},
      {QuoteAction::Expire, "expire", Q::Expired},
  };
  for (auto [action, name, target] : quote) {
    EXPECT_EQ(to_string(action), name);
    EXPECT_EQ(parse_quote_action(name), action);
    EXPECT_EQ(target_status(action), target) << name;
  }
  const std::tuple<OrderAction, std::string_view, O> order[] = {
      {OrderAction::Start, "start", O::InProgress},
      {OrderAction::Fulfill, "fulfill", O::Fulfilled},
      {OrderAction::Cancel, "cancel", O::Cancelled},
      {OrderAction::MarkInvoiced, "mark_invoiced", O::Invoiced},
  };
  for (auto [action, name, target] : order) {
    EXPECT_EQ(to_string(action), name);
    EXPECT_EQ(parse_order_action(name), action);
    EXPECT_EQ(target_status(action), target) << name;
  }
  const std::tuple<InvoiceAction, std::string_view, I> invoice[] = {
      {InvoiceAction::Finalize, "finalize", I::Open},
      {InvoiceAction::Void, "void", I::Void},
      {InvoiceAction::MarkUncollectible, "mark_uncollectible", I::Uncollectible},
  };
  for (auto [action, name, target] : invoice) {
    EXPECT_EQ(to_string(action), name);
    EXPECT_EQ(parse_invoice_action(name), action);
    EXPECT_EQ(target_status(action), target) << name;
  }
  EXPECT_FALSE(parse_quote_action("Accept"));
  EXPECT_FALSE(parse_quote_action("void"));
  EXPECT_FALSE(parse_order_action("mark-invoiced"));
  EXPECT_FALSE(parse_invoice_action(""));
}

// apply(action, from) must agree with the move table for every action and status.
// `narrowed` lists (action, from) pairs refused even though the move itself is allowed.
template <class A, class S, std::size_t NA, std::size_t NS>
void expect_actions_follow_table(const std::array<A, NA>& actions, const std::array<S, NS>& statuses,
                                 const std::set<std::pair<S, S>>& expected,
                                 const std::set<std::pair<A, S>>& narrowed = {}) {
  for (A action : actions) {
    for (S from : statuses) {
      const S target = target_status(action);
      auto result = apply(action, from);
      const bool allowed = expected.contains({from, target}) && !narrowed.contains({action, from});
      ASSERT_EQ(result.has_value(), allowed) << to_string(action) << " from " << to_string(from);
      if (allowed) {
        EXPECT_EQ(*result, target);
      } else {
        EXPECT_EQ(result.error().code, ErrorCode::Conflict);
        EXPECT_EQ(result.error().details["action"], std::string(to_string(action)));
        EXPECT_EQ(result.error().details["to"], std::string(to_string(target)));
      }
    }
  }
}

TEST(Lifecycle, ApplyFollowsTheMoveTables) {
  expect_actions_follow_table(std::array{QuoteAction::Finalize, QuoteAction::Accept,
                                         QuoteAction::Cancel, QuoteAction::Expire},
                              kAllQuoteStatuses, kExpectedQuoteMoves);
  expect_actions_follow_table(std::array{OrderAction::Start, OrderAction::Fulfill,
                                         OrderAction::Cancel, OrderAction::MarkInvoiced},
                              kAllOrderStatuses, kExpectedOrderMoves);
  expect_actions_follow_table(std::array{InvoiceAction::Finalize, InvoiceAction::Void,
                                         InvoiceAction::MarkUncollectible},
                              kAllInvoiceStatuses, kExpectedInvoiceMoves,
                              {{InvoiceAction::Finalize, I::PaymentFailed}});
}

TEST(Lifecycle, ApplyExamples) {
  EXPECT_EQ(apply(QuoteAction::Accept, Q::Open).value(), Q::Accepted);
  auto early = apply(QuoteAction::Accept, Q::Draft);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().message, "cannot move quote from Draft to Accepted");
  EXPECT_EQ(apply(OrderAction::Fulfill, O::PendingFulfillment).value(), O::Fulfilled);
  EXPECT_FALSE(apply(OrderAction::Cancel, O::Fulfilled));
  EXPECT_EQ(apply(InvoiceAction::Void, I::PaymentFailed).value(), I::Void);
  EXPECT_FALSE(apply(InvoiceAction::Void, I::PartiallyPaid));  // money received: refund first
  EXPECT_FALSE(apply(InvoiceAction::MarkUncollectible, I::Paid));
  // Payment Failed -> Open is a legal move (retry), but not via Finalize.
  EXPECT_TRUE(check_move(I::PaymentFailed, I::Open));
  auto refinalize = apply(InvoiceAction::Finalize, I::PaymentFailed);
  ASSERT_FALSE(refinalize);
  EXPECT_EQ(refinalize.error().message,
            "only a Draft invoice can be finalized; this one is Payment Failed");
  EXPECT_EQ(refinalize.error().details["action"], "finalize");
}

}  // namespace
}  // namespace settle::billing
