// Tests for billing/document.hpp: line-item validation, totals, payment/refund/failure
// sequences and document numbers.
#include "billing/document.hpp"

#include <gtest/gtest.h>

#include "common/money.hpp"

namespace settle::billing {
namespace {

using I = InvoiceStatus;

LineItem line(std::int64_t quantity, std::int64_t unit_amount, std::string description = "Seat") {
  return LineItem{std::move(description), quantity, unit_amount, std::nullopt};
}

// ---- Line items ---------------------------------------------------------------------

struct LineCase {
  std::string name;
  LineItem item;
  std::string expected_field;  // empty = valid
  std::string expected_message;
};

TEST(LineItems, SingleLineValidationTable) {
  std::string five_hundred_euros;
  for (int i = 0; i < 500; ++i) five_hundred_euros += "\xE2\x82\xAC";  // "€", 3 bytes each

  const LineCase cases[] = {
      {"typical", line(3, 1999), "", ""},
      {"free line", line(1, 0), "", ""},
      {"max quantity", line(kMaxQuantity, 1), "", ""},
      {"max unit", line(1, kMaxAmount), "", ""},
      {"max product", line(1'000'000, 1'000'000'000), "", ""},
      {"500 multi-byte chars", line(1, 1, five_hundred_euros), "", ""},
      {"with product", LineItem{"Licence", 2, 500, "prod_123"}, "", ""},
      {"empty description", line(1, 1, ""), "lineItems[0].description", "must not be empty"},
      {"blank description", line(1, 1, " \t\n"), "lineItems[0].description", "must not be empty"},
      {"501 chars", line(1, 1, std::string(501, 'x')), "lineItems[0].description",
       "must be at most 500 characters"},
      {"501 multi-byte chars", line(1, 1, five_hundred_euros + "\xC3\xA9"),
       "lineItems[0].description", "must be at most 500 characters"},
      {"zero quantity", line(0, 1), "lineItems[0].quantity", "must be between 1 and 1000000"},
      {"negative quantity", line(-2, 1), "lineItems[0].quantity", "must be between 1 and 1000000"},
      {"quantity too big", line(kMaxQuantity + 1, 1), "lineItems[0].quantity",
       "must be between 1 and 1000000"},
      {"negative unit", line(1, -1), "lineItems[0].unitAmount", "must not be negative"},
      {"unit over cap", line(1, kMaxAmount + 1), "lineItems[0].unitAmount", "amount too large"},
      {"product over cap", line(1'000'000, 1'000'000'001), "lineItems[0].amount",
       "amount too large"},
      {"product overflows int64", line(1'000'000, kMaxAmount), "lineItems[0].amount",
       "amount too large"},
  };
  for (const auto& c : cases) {
    const std::vector<LineItem> lines = {c.item};
    auto result = validate_line_items(lines);
    if (c.expected_field.empty()) {
      EXPECT_TRUE(result) << c.name << ": " << result.error().field << " " << result.error().message;
    } else {
      ASSERT_FALSE(result) << c.name;
      EXPECT_EQ(result.error().code, ErrorCode::Validation) << c.name;
      EXPECT_EQ(result.error().field, c.expected_field) << c.name;
      EXPECT_EQ(result.error().message, c.expected_message) << c.name;
    }
  }
}

TEST(LineItems, ErrorsNameTheIndexAndListEveryProblem) {
  const std::vector<LineItem> lines = {line(1, 100), line(2, 100), line(0, 100),
                                       line(1, -5, "")};
  auto result = validate_line_items(lines);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().field, "lineItems[2].quantity");
  EXPECT_EQ(result.error().details["errors"],
            (nlohmann::json{
                {{"field", "lineItems[2].quantity"}, {"message", "must be between 1 and 1000000"}},
                {{"field", "lineItems[3].description"}, {"message", "must not be empty"}},
                {{"field", "lineItems[3].unitAmount"}, {"message", "must not be negative"}},
            }));
}

TEST(LineItems, CountLimit) {
  EXPECT_TRUE(validate_line_items(std::vector<LineItem>{}));
  EXPECT_TRUE(validate_line_items(std::vector<LineItem>(kMaxLineItems, line(1, 1))));
  auto too_many = validate_line_items(std::vector<LineItem>(kMaxLineItems + 1, line(1, 1)));
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().field, "lineItems");
  EXPECT_EQ(too_many.error().message, "at most 250 line items are allowed (251 given)");
}

TEST(LineItems, LineAmount) {
  EXPECT_EQ(line_amount(line(3, 1999)).value(), 5997);
  EXPECT_EQ(line_amount(line(1, 0)).value(), 0);
  EXPECT_EQ(line_amount(line(1'000'000, 2'000'000'000)).error().message, "amount too large");
}

// ---- Totals -------------------------------------------------------------------------

TEST(Totals, Computation) {
  const std::vector<LineItem> lines = {line(3, 1999), line(1, 500), line(10, 0)};
  EXPECT_EQ(compute_totals(lines, 650).value(), (Totals{6497, 650, 7147}));
  EXPECT_EQ(compute_totals(lines, 0).value(), (Totals{6497, 0, 6497}));
  EXPECT_EQ(compute_totals(std::vector<LineItem>{}, 0).value(), (Totals{0, 0, 0}));
}

TEST(Totals, RefusesBadTaxInvalidLinesAndOverflow) {
  const std::vector<LineItem> lines = {line(1, 1000)};
  auto negative_tax = compute_totals(lines, -1);
  ASSERT_FALSE(negative_tax);
  EXPECT_EQ(negative_tax.error().field, "taxAmount");
  EXPECT_EQ(compute_totals(lines, kMaxAmount + 1).error().field, "taxAmount");

  EXPECT_EQ(compute_totals(std::vector<LineItem>{line(0, 1)}, 0).error().field,
            "lineItems[0].quantity");

  // Each line is within the cap, their sum is not.
  const std::vector<LineItem> big = {line(1, 600'000'000'000'000), line(1, 600'000'000'000'000)};
  auto subtotal = compute_totals(big, 0);
  ASSERT_FALSE(subtotal);
  EXPECT_EQ(subtotal.error().field, "subtotal");
  EXPECT_EQ(subtotal.error().message, "amount too large");

  // Subtotal within the cap, subtotal + tax is not.
  auto total = compute_totals(std::vector<LineItem>{line(1, kMaxAmount)}, 1);
  ASSERT_FALSE(total);
  EXPECT_EQ(total.error().field, "total");
  EXPECT_TRUE(compute_totals(std::vector<LineItem>{line(1, kMaxAmount - 1)}, 1));
}

// ---- Payments -----------------------------------------------------------------------

InvoiceAmounts invoice(std::int64_t total, I status, std::int64_t paid = 0, std::int64_t refunded = 0) {
  return InvoiceAmounts{total, paid, refunded, status};
}

TEST(Payments, AmountDueAndRefundable) {
  EXPECT_EQ(invoice(1000, I::Open).amount_due(), 1000);
  EXPECT_EQ(invoice(1000, I::PartiallyPaid, 400).amount_due(), 600);
  EXPECT_EQ(invoice(1000, I::PartiallyRefunded, 1000, 300).amount_due(), 0);
  EXPECT_EQ(invoice(1000, I::PartiallyRefunded, 1000, 300).amount_refundable(), 700);
  EXPECT_EQ(invoice(0, I::Open).amount_due(), 0);
}

TEST(Payments, PartialThenRest) {
  auto after_first = apply_payment(invoice(10000, I::Open), 4000);
  ASSERT_TRUE(after_first);
  EXPECT_EQ(*after_first, invoice(10000, I::PartiallyPaid, 4000));
  EXPECT_EQ(after_first->amount_due(), 6000);

  auto after_second = apply_payment(*after_first, 1000);  // another partial
  ASSERT_TRUE(after_second);
  EXPECT_EQ(*after_second, invoice(10000, I::PartiallyPaid, 5000));

  auto settled = apply_payment(*after_second, 5000);
  ASSERT_TRUE(settled);
  EXPECT_EQ(*settled, invoice(10000, I::Paid, 10000));
  EXPECT_EQ(settled->amount_due(), 0);

  auto again = apply_payment(*settled, 1);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::Conflict);
}

TEST(Payments, FullPaymentInOneGo) {
  EXPECT_EQ(apply_payment(invoice(2500, I::Open), 2500).value(), invoice(2500, I::Paid, 2500));
}

TEST(Payments, OverpaymentRefused) {
  auto over = apply_payment(invoice(10000, I::PartiallyPaid, 4000), 6001);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::Validation);
  EXPECT_EQ(over.error().field, "amount");
  EXPECT_EQ(over.error().message, "payment of 6001 exceeds the amount due 6000");
  EXPECT_EQ(over.error().details["amountDue"], 6000);
}

TEST(Payments, NonPositiveAmountRefused) {
  for (std::int64_t amount : {0LL, -1LL, -10000LL}) {
    auto result = apply_payment(invoice(10000, I::Open), amount);
    ASSERT_FALSE(result) << amount;
    EXPECT_EQ(result.error().field, "amount");
    EXPECT_EQ(result.error().message, "must be greater than zero");
  }
}

TEST(Payments, PayableStatusesTable) {
  for (I status : kAllInvoiceStatuses) {
    const bool payable =
        status == I::Open || status == I::PartiallyPaid || status == I::PaymentFailed ||
        status == I::Uncollectible;
    EXPECT_EQ(is_payable(status), payable) << to_string(status);
    // A consistent amounts record for that status, with money still due where payable.
    const std::int64_t paid = (status == I::Paid || status == I::Refunded ||
                               status == I::PartiallyRefunded)
                                  ? 1000
                                  : (status == I::PartiallyPaid ? 300 : 0);
    auto result = apply_payment(invoice(1000, status, paid), 100);
    EXPECT_EQ(result.has_value(), payable) << to_string(status);
    if (!payable) {
      EXPECT_EQ(result.error().code, ErrorCode::Conflict) << to_string(status);
      EXPECT_EQ(result.error().field, "invoiceId") << to_string(status);
      EXPECT_EQ(result.error().details["status"], std::string(to_string(status)));
    }
  }
}

TEST(Payments, RefusedOnDraftAndVoid) {
  auto draft = apply_payment(invoice(1000, I::Draft), 1000);
  ASSERT_FALSE(draft);
  EXPECT_EQ(draft.error().message, "cannot record a payment on an invoice that is Draft");
  EXPECT_EQ(draft.error().details["payableStatuses"],
            (nlohmann::json{"Open", "Partially Paid", "Payment Failed", "Uncollectible"}));
  auto voided = apply_payment(invoice(1000, I::Void), 1000);
  ASSERT_FALSE(voided);
  EXPECT_EQ(voided.error().message, "cannot record a payment on an invoice that is Void");
}

TEST(Payments, LatePaymentsOnFailedAndUncollectible) {
  EXPECT_EQ(apply_payment(invoice(1000, I::PaymentFailed), 1000).value().status, I::Paid);
  EXPECT_EQ(apply_payment(invoice(1000, I::PaymentFailed, 200), 300).value(),
            invoice(1000, I::PartiallyPaid, 500));
  EXPECT_EQ(apply_payment(invoice(1000, I::Uncollectible), 400).value().status, I::PartiallyPaid);
  EXPECT_EQ(apply_payment(invoice(1000, I::Uncollectible, 400), 600).value().status, I::Paid);
}

TEST(Payments, InconsistentAmountsAreAnInternalError) {
  for (const InvoiceAmounts& broken :
       {invoice(1000, I::PartiallyPaid, 1200), invoice(-1, I::Open), invoice(1000, I::Paid, 1000, 1001),
        invoice(1000, I::Open, -5), invoice(kMaxAmount + 1, I::Open)}) {
    auto result = apply_payment(broken, 1);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::Internal);
    EXPECT_FALSE(apply_refund(broken, 1));
  }
}

// ---- Refunds ------------------------------------------------------------------------

TEST(Refunds, PartialThenFull) {
  auto partial = apply_refund(invoice(10000, I::Paid, 10000), 2500);
  ASSERT_TRUE(partial);
  EXPECT_EQ(*partial, invoice(10000, I::PartiallyRefunded, 10000, 2500));

  auto another = apply_refund(*partial, 2500);
  ASSERT_TRUE(another);
  EXPECT_EQ(*another, invoice(10000, I::PartiallyRefunded, 10000, 5000));

  auto full = apply_refund(*another, 5000);
  ASSERT_TRUE(full);
  EXPECT_EQ(*full, invoice(10000, I::Refunded, 10000, 10000));

  auto nothing_left = apply_refund(*full, 1);
  ASSERT_FALSE(nothing_left);
  EXPECT_EQ(nothing_left.error().code, ErrorCode::Conflict);
  EXPECT_EQ(nothing_left.error().field, "invoiceId");
}

TEST(Refunds, FullRefundInOneGo) {
  EXPECT_EQ(apply_refund(invoice(800, I::Paid, 800), 800).value(), invoice(800, I::Refunded, 800, 800));
}

TEST(Refunds, MoreThanPaidRefused) {
  auto over = apply_refund(invoice(10000, I::PartiallyRefunded, 10000, 7000), 3001);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::Validation);
  EXPECT_EQ(over.error().field, "amount");
  EXPECT_EQ(over.error().message, "refund of 3001 exceeds the refundable amount 3000");
  EXPECT_EQ(over.error().details["amountRefundable"], 3000);
  EXPECT_FALSE(apply_refund(invoice(10000, I::Paid, 10000), 10001));
  EXPECT_EQ(apply_refund(invoice(10000, I::Paid, 10000), 0).error().field, "amount");
}

TEST(Refunds, NothingReceivedNothingToRefund) {
  for (I status : {I::Draft, I::Open, I::PaymentFailed, I::Uncollectible, I::Void}) {
    auto result = apply_refund(invoice(1000, status), 100);
    ASSERT_FALSE(result) << to_string(status);
    EXPECT_EQ(result.error().code, ErrorCode::Conflict) << to_string(status);
    EXPECT_EQ(result.error().field, "invoiceId");
  }
}

TEST(Refunds, OnPartiallyPaidInvoiceKeepTheCollectionStatus) {
  // Stripe-like: any received money can be refunded; the invoice still awaits the rest.
  auto refunded = apply_refund(invoice(10000, I::PartiallyPaid, 4000), 1000);
  ASSERT_TRUE(refunded);
  EXPECT_EQ(*refunded, invoice(10000, I::PartiallyPaid, 4000, 1000));
  EXPECT_EQ(refunded->amount_due(), 6000);  // a refund does not re-bill

  // Paying the rest makes it Paid; refunding the remaining received money makes it Refunded.
  auto paid = apply_payment(*refunded, 6000);
  ASSERT_TRUE(paid);
  EXPECT_EQ(*paid, invoice(10000, I::Paid, 10000, 1000));
  auto all_back = apply_refund(*paid, 9000);
  ASSERT_TRUE(all_back);
  EXPECT_EQ(*all_back, invoice(10000, I::Refunded, 10000, 10000));
}

TEST(Refunds, ReceivedMoneyOnOtherStatusesRefundableWithoutStatusChange) {
  for (I status : {I::PaymentFailed, I::Uncollectible, I::Void, I::Open}) {
    auto result = apply_refund(invoice(1000, status, 300), 300);
    ASSERT_TRUE(result) << to_string(status);
    EXPECT_EQ(*result, invoice(1000, status, 300, 300)) << to_string(status);
  }
}

// ---- Payment failures ---------------------------------------------------------------

TEST(PaymentFailures, FollowTheLifecycle) {
  for (I status : kAllInvoiceStatuses) {
    const bool allowed = status == I::Open || status == I::PartiallyPaid || status == I::PaymentFailed;
    const std::int64_t paid = status == I::PartiallyPaid ? 500
                              : (status == I::Paid || status == I::Refunded ||
                                 status == I::PartiallyRefunded)
                                  ? 1000
                                  : 0;
    const InvoiceAmounts before = invoice(1000, status, paid);
    auto result = apply_payment_failure(before);
    ASSERT_EQ(result.has_value(), allowed) << to_string(status);
    if (allowed) {
      InvoiceAmounts expected = before;
      expected.status = I::PaymentFailed;
      EXPECT_EQ(*result, expected);
    } else {
      EXPECT_EQ(result.error().code, ErrorCode::Conflict);
      EXPECT_EQ(result.error().field, "invoiceId");
      EXPECT_EQ(result.error().message, "cannot record a failed payment on an invoice that is " +
                                            std::string(to_string(status)));
      EXPECT_EQ(result.error().details["to"], "Payment Failed");
    }
  }
}

TEST(PaymentFailures, RepeatedFailureThenPayment) {
  auto failed = apply_payment_failure(invoice(1000, I::Open));
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, I::PaymentFailed);
  auto second_failure = apply_payment_failure(*failed);  // another failed attempt
  ASSERT_TRUE(second_failure);
  EXPECT_EQ(second_failure->status, I::PaymentFailed);
  EXPECT_EQ(apply_payment(*second_failure, 1000).value(), invoice(1000, I::Paid, 1000));
}

// ---- Document numbers ---------------------------------------------------------------

TEST(DocumentNumbers, DefaultPrefixes) {
  EXPECT_EQ(default_prefix(DocumentKind::Quote), "QUO");
  EXPECT_EQ(default_prefix(DocumentKind::Order), "ORD");
  EXPECT_EQ(default_prefix(DocumentKind::Invoice), "INV");
  EXPECT_EQ(to_string(DocumentKind::Invoice), "invoice");
  for (auto kind : {DocumentKind::Quote, DocumentKind::Order, DocumentKind::Invoice})
    EXPECT_TRUE(validate_document_prefix(default_prefix(kind)));
}

TEST(DocumentNumbers, Format) {
  const std::tuple<std::string_view, int, std::int64_t, std::string_view> cases[] = {
      {"QUO", 2026, 1, "QUO-2026-001"},
      {"ORD", 2026, 42, "ORD-2026-042"},
      {"INV", 2026, 999, "INV-2026-999"},
      {"INV", 2026, 1000, "INV-2026-1000"},
      {"INV", 2027, 123456, "INV-2027-123456"},
      {"A", 1999, 7, "A-1999-007"},
      {"ACME2026XY", 2026, 10, "ACME2026XY-2026-010"},
  };
  for (auto [prefix, year, sequence, expected] : cases) {
    EXPECT_EQ(format_document_number(prefix, year, sequence), expected);
    auto parsed = parse_document_number(expected);
    ASSERT_TRUE(parsed) << expected;
    EXPECT_EQ(*parsed, (DocumentNumber{std::string(prefix), year, sequence}));
  }
}

TEST(DocumentNumbers, FormatPreconditions) {
  EXPECT_THROW(format_document_number("quo", 2026, 1), std::invalid_argument);
  EXPECT_THROW(format_document_number("QUO", 26, 1), std::invalid_argument);
  EXPECT_THROW(format_document_number("QUO", 2026, 0), std::invalid_argument);
  EXPECT_THROW(format_document_number("QUO", 2026, -1), std::invalid_argument);
}

TEST(DocumentNumbers, ParseRejectsNonCanonical) {
  for (std::string_view bad :
       {"", "QUO", "QUO-2026", "QUO-2026-", "QUO-2026-01", "QUO-2026-0001", "QUO-2026-000",
        "quo-2026-001", "QUO-26-001", "QUO-02026-001", "QUO-2026-001-1", "QUO_2026_001",
        "-2026-001", "QUO-2026-1a1", "QUO-2026- 01", "QUO-2026-+01", "ABCDEFGHIJK-2026-001",
        "QUO-2026-99999999999999999999"})
    EXPECT_FALSE(parse_document_number(bad)) << bad;
}

TEST(DocumentNumbers, PrefixValidation) {
  for (std::string_view good : {"Q", "QUO", "INV2", "0", "ABCDEFGHIJ"})
    EXPECT_TRUE(validate_document_prefix(good)) << good;
  for (std::string_view bad : {"", "quo", "Quo", "QU-O", "QU O", "ABCDEFGHIJK", "ÄBC", "INV_"}) {
    auto result = validate_document_prefix(bad, "invoicePrefix");
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().field, "invoicePrefix");
    EXPECT_EQ(result.error().code, ErrorCode::Validation);
  }
}

TEST(ConvergeInvoiceStatus, OnlyReachableMovesCount) {
  using S = InvoiceStatus;
  EXPECT_TRUE(is_reachable(S::Open, S::Refunded));  // paid, then refunded, seen at once
  EXPECT_TRUE(is_reachable(S::Draft, S::Paid));
  EXPECT_TRUE(is_reachable(S::PaymentFailed, S::Open));
  EXPECT_TRUE(is_reachable(S::Paid, S::Paid));
  EXPECT_FALSE(is_reachable(S::Void, S::Open));  // a stale read after a void
  EXPECT_FALSE(is_reachable(S::Paid, S::Open));
  EXPECT_FALSE(is_reachable(S::Refunded, S::Paid));
}

}  // namespace
}  // namespace settle::billing

namespace settle::billing {
namespace {

struct ConvergeCase {
  const char* name;
  InvoiceStatus current;
  const char* stripe_status;
  std::int64_t paid, refunded;
  bool payment_failed;
  InvoiceStatus expected;
};

TEST(ConvergeInvoiceStatus, FollowsStripeWhateverTheEventOrder) {
  using S = InvoiceStatus;
  const ConvergeCase cases[] = {
      {"finalized at Stripe", S::Draft, "open", 0, 0, false, S::Open},
      {"still a draft", S::Draft, "draft", 0, 0, false, S::Draft},
      {"paid in full", S::Open, "paid", 10000, 0, false, S::Paid},
      {"late invoice.finalized after paid", S::Paid, "paid", 10000, 0, false, S::Paid},
      {"late open event, money already in", S::Paid, "open", 10000, 0, false, S::Paid},
      {"partial payment", S::Open, "open", 4000, 0, false, S::PartiallyPaid},
      {"partial then rest", S::PartiallyPaid, "paid", 10000, 0, false, S::Paid},
      {"declined card", S::Open, "open", 0, 0, true, S::PaymentFailed},
      {"failed stays failed on a later open event", S::PaymentFailed, "open", 0, 0, false, S::PaymentFailed},
      {"failure reported after it was paid", S::Paid, "paid", 10000, 0, true, S::Paid},
      {"decline then success", S::PaymentFailed, "paid", 10000, 0, false, S::Paid},
      {"partial refund", S::Paid, "paid", 10000, 2500, false, S::PartiallyRefunded},
      {"full refund", S::PartiallyRefunded, "paid", 10000, 10000, false, S::Refunded},
      {"refund of a partial payment", S::PartiallyPaid, "open", 4000, 4000, false, S::PartiallyPaid},
      {"paid and refunded while events were lost", S::Open, "paid", 10000, 10000, false, S::Refunded},
      {"voided", S::Open, "void", 0, 0, false, S::Void},
      {"written off", S::Open, "uncollectible", 0, 0, false, S::Uncollectible},
      {"written off, then paid", S::Uncollectible, "paid", 10000, 0, false, S::Paid},
      {"paid out of band", S::Open, "paid", 0, 0, false, S::Paid},
  };
  for (const auto& c : cases) {
    InvoiceAmounts amounts{10000, c.paid, c.refunded, c.current};
    EXPECT_EQ(to_string(converge_invoice_status(c.current, c.stripe_status, amounts, c.payment_failed)),
              to_string(c.expected))
        << c.name;
  }
}

}  // namespace
}  // namespace settle::billing

namespace settle::billing {
namespace {

struct VoidCase {
  const char* name;
  InvoiceAction action;
  InvoiceStatus status;
  std::int64_t paid, refunded;
  std::optional<InvoiceStatus> expected;  // nullopt: refused
  const char* message_part;               // of the refusal
};

TEST(BooksRules, NoInvoiceHoldingReceivedMoneyReachesVoid) {
  using S = InvoiceStatus;
  using A = InvoiceAction;
  const VoidCase cases[] = {
      {"unpaid open", A::Void, S::Open, 0, 0, S::Void, ""},
      {"failed, nothing received", A::Void, S::PaymentFailed, 0, 0, S::Void, ""},
      {"written off, nothing received", A::Void, S::Uncollectible, 0, 0, S::Void, ""},
      {"written off after a part was paid", A::Void, S::Uncollectible, 4000, 0, std::nullopt, "refund it first"},
      {"failed after a part was paid", A::Void, S::PaymentFailed, 4000, 0, std::nullopt, "refund it first"},
      {"open again after a retry, part paid", A::Void, S::Open, 4000, 0, std::nullopt, "refund it first"},
      {"part paid, part refunded", A::Void, S::Uncollectible, 4000, 1000, std::nullopt, "3000 minor units"},
      {"part paid then fully refunded", A::Void, S::Uncollectible, 4000, 4000, S::Void, ""},
      {"partially paid: the lifecycle refuses first", A::Void, S::PartiallyPaid, 4000, 0, std::nullopt,
       "cannot move invoice from Partially Paid to Void"},
      {"paid: the lifecycle refuses", A::Void, S::Paid, 10000, 0, std::nullopt, "cannot move invoice"},
      {"writing off a part-paid invoice is allowed", A::MarkUncollectible, S::PartiallyPaid, 4000, 0,
       S::Uncollectible, ""},
      {"finalize is unchanged", A::Finalize, S::Draft, 0, 0, S::Open, ""},
  };
  for (const auto& c : cases) {
    auto result = apply(c.action, InvoiceAmounts{10000, c.paid, c.refunded, c.status});
    if (c.expected) {
      ASSERT_TRUE(result) << c.name << ": " << result.error().message;
      EXPECT_EQ(to_string(*result), to_string(*c.expected)) << c.name;
      continue;
    }
    ASSERT_FALSE(result) << c.name;
    EXPECT_EQ(result.error().code, ErrorCode::Conflict) << c.name;
    EXPECT_EQ(result.error().field, "status") << c.name;
    EXPECT_NE(result.error().message.find(c.message_part), std::string::npos) << c.name << ": " << result.error().message;
  }
}

TEST(BooksRules, DeletingKeepsNumbersAndOrdersWhole) {
  using I = InvoiceStatus;
  using Q = QuoteStatus;
  struct Case {
    const char* name;
    Status result;
    const char* refused_field;  // "" when deletable
  };
  const Case cases[] = {
      {"unnumbered draft invoice", check_invoice_deletable(I::Draft, false), ""},
      {"numbered draft invoice", check_invoice_deletable(I::Draft, true), "invoiceNumber"},
      {"open invoice", check_invoice_deletable(I::Open, true), "invoiceNumber"},
      {"void invoice", check_invoice_deletable(I::Void, true), "invoiceNumber"},
      {"open invoice without a number", check_invoice_deletable(I::Open, false), "status"},
      {"draft quote", check_quote_deletable(Q::Draft, false), ""},
      {"open quote", check_quote_deletable(Q::Open, false), ""},
      {"canceled quote", check_quote_deletable(Q::Canceled, false), ""},
      {"accepted quote without an order", check_quote_deletable(Q::Accepted, false), ""},
      {"accepted quote with its order", check_quote_deletable(Q::Accepted, true), "orderId"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.result ? std::string() : c.result.error().field, c.refused_field) << c.name;
    EXPECT_TRUE(c.result || c.result.error().code == ErrorCode::Conflict) << c.name;
  }
}

}  // namespace
}  // namespace settle::billing
