// The one writer of an invoice's money columns (see record_store.hpp). Keeping every write
// of amount_paid, amount_refunded and amount_due here, under the caller's row lock, is what
// makes "amount_paid is the sum of the payments, amount_due is total - amount_paid" hold
// whichever path (the API, Stripe's events, a lifecycle action) moved the money.
#include <spdlog/spdlog.h>

#include "crm/record_store.hpp"

namespace settle::crm::detail {

using billing::InvoiceAmounts;
using billing::InvoiceStatus;
using store::RowView;
using store::Tx;

namespace {

const ObjectDef& invoices_object() { return *find_object("invoices"); }

}  // namespace

InvoiceAmounts invoice_amounts(const RowView& invoice) {
  // value() throws on a status the enum does not know, which the transaction turns into
  // an internal error and a rollback.
  return InvoiceAmounts{invoice.integer("total"), invoice.integer("amount_paid"), invoice.integer("amount_refunded"),
                        billing::parse_invoice_status(invoice.text("status")).value()};
}

void set_draft_money(Values& values, std::int64_t total) {
  values["amount_paid"] = std::int64_t{0};
  values["amount_refunded"] = std::int64_t{0};
  values["amount_due"] = total;
}

Status record_invoice_money(Tx& tx, const Actor& actor, const RowView& invoice, const InvoiceAmounts& after,
                            const Values& also) {
  const ObjectDef& invoices = invoices_object();
  std::string id = invoice.text("id");
  std::string_view from = billing::to_string(invoice_amounts(invoice).status), to = billing::to_string(after.status);
  if (from != to)
    if (auto st = move_status(tx, actor, invoices, id, from, to); !st) return st;
  Values v = also;
  v["amount_paid"] = after.amount_paid;
  v["amount_refunded"] = after.amount_refunded;
  v["amount_due"] = after.status == InvoiceStatus::Void ? 0 : after.amount_due();
  v["updated_at"] = store::now_timestamp();
  update_columns(tx, invoices, actor.workspace_id, id, v);
  return {};
}

Result<InvoiceAmounts> record_invoice_payment(Tx& tx, const Actor& actor, const RowView& invoice,
                                              std::int64_t amount) {
  InvoiceAmounts before = invoice_amounts(invoice);
  auto after = billing::apply_payment(before, amount);
  if (!after) return fail(after.error());
  if (auto st = record_invoice_money(tx, actor, invoice, *after); !st) return fail(st.error());
  add_event(tx, actor, invoices_object(), invoice.text("id"), "payment_recorded", "amountPaid", before.amount_paid,
            after->amount_paid);
  return after;
}

Result<InvoiceAmounts> converge_invoice_money(Tx& tx, const Actor& actor, const RowView& invoice,
                                              std::string_view stripe_status, std::int64_t paid, std::int64_t refunded,
                                              bool payment_failed, const Values& also) {
  InvoiceAmounts after = invoice_amounts(invoice);
  const InvoiceStatus current = after.status;
  after.amount_paid = paid;
  after.amount_refunded = refunded;
  after.status = billing::converge_invoice_status(current, stripe_status, after, payment_failed);
  if (!billing::is_reachable(current, after.status)) {
    // Stripe was read before a move made here since (a void, say): keep the move; the
    // event of Stripe's own move converges again.
    spdlog::info("invoice {}: not moving {} -> {} on a stale read of Stripe", invoice.text("id"),
                 billing::to_string(current), billing::to_string(after.status));
    after.status = current;
  }
  if (after.status == InvoiceStatus::Void && !billing::may_be_voided(after)) {
    // Voided at Stripe (its dashboard) while a payment recorded here still holds money:
    // the books rule wins, and a person has to refund or undo one side.
    spdlog::warn("invoice {}: voided at Stripe but {} of received money is recorded here; kept {}", invoice.text("id"),
                 after.amount_refundable(), billing::to_string(current));
    after.status = current;
  }
  if (auto st = record_invoice_money(tx, actor, invoice, after, also); !st) return fail(st.error());
  return after;
}

}  // namespace settle::crm::detail
