// Internal to src/crm: the SQL-facing helpers shared by records.cpp (generic CRUD) and
// documents.cpp (quotes, orders, invoices, payments). Every statement is scoped by
// workspace_id; table and column names come only from the object catalog, values are bound.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "billing/document.hpp"
#include "crm/records.hpp"

namespace settle::crm::detail {

using store::SqlValue;
using Values = std::map<std::string, SqlValue>;  // column -> value

// SELECT <all catalog columns> FROM <table> (no WHERE), built once per object.
const std::string& select_columns(const ObjectDef& object);

json to_json(const ObjectDef& object, const store::Rows& rows, size_t index);
json value_to_json(const FieldDef& field, const SqlValue& value);

// The live (or, with include_deleted, any) record as stored, or nullopt.
std::optional<store::Rows> load(store::Tx& tx, const ObjectDef& object, const std::string& workspace_id,
                                std::string_view id, bool include_deleted = false);
// load() that also takes the record's row lock (Tx::lock_suffix). Every change of a record
// reads it this way first, so that concurrent changes of one record queue and each sees
// the one before it, instead of both reading the same row and the later write undoing the
// earlier (a lost payment, a draft edited after it was numbered, a numbered invoice deleted).
std::optional<store::Rows> load_for_update(store::Tx& tx, const ObjectDef& object, const std::string& workspace_id,
                                           std::string_view id, bool include_deleted = false);
// The record as the API shows it: fields plus lineItems for documents.
Result<json> load_json(store::Tx& tx, const ObjectDef& object, const std::string& workspace_id, std::string_view id,
                       bool include_deleted = false);

// Line items of several documents at once, in position order.
std::map<std::string, json> load_lines(store::Tx& tx, const std::string& workspace_id,
                                       const std::vector<std::string>& document_ids);

// Converts and checks the client's JSON for the given fields; refuses unknown, read-only
// (and on update create-only) fields, wrong types, over-long text, bad enums and currencies.
Result<Values> convert_input(const ObjectDef& object, const json& body, bool creating);
// Every Id field with a `references` object must name a live record of this workspace, and
// so must a task's target (targetObject + targetId). `before` is the record being updated
// (nullptr on create): a change of one half of the target is checked with the other half.
Status check_references(store::Tx& tx, const ObjectDef& object, const std::string& workspace_id,
                        const Values& values, const store::RowView* before = nullptr);

void insert(store::Tx& tx, const ObjectDef& object, const std::string& workspace_id, const Values& values);
void update_columns(store::Tx& tx, const ObjectDef& object, const std::string& workspace_id, std::string_view id,
                    const Values& values);

void add_event(store::Tx& tx, const Actor& actor, const ObjectDef& object, std::string_view record_id,
               std::string_view kind, std::string_view field = {}, const SqlValue& old_value = nullptr,
               const SqlValue& new_value = nullptr);

std::string text_of(const SqlValue& v);  // "" for NULL

// Moves a record's status only if it is still `from` (compare-and-set: the second line of
// defence behind the row lock), with its timeline entry; a conflict otherwise.
Status move_status(store::Tx& tx, const Actor& actor, const ObjectDef& object, std::string_view id,
                   std::string_view from, std::string_view to);

// ---- Invoice money (invoice_money.cpp) ---------------------------------------------------
// The one place that writes an invoice's amount_paid, amount_refunded and amount_due, and
// the status moves that go with them, for manual payments, the Stripe sync and the
// lifecycle actions alike; the amounts themselves come from src/billing.

// The money state of an invoice row.
billing::InvoiceAmounts invoice_amounts(const store::RowView& invoice);

// The money columns of a Draft, which has no money yet: nothing paid or refunded, its whole
// total due. For a new invoice and for the edit of a draft's lines.
void set_draft_money(Values& values, std::int64_t total);

// Writes `after` over `invoice` (its row as read with load_for_update): the amounts
// (nothing due once Void) and, when it differs, the status by move_status. `also`: more
// columns set in the same UPDATE.
Status record_invoice_money(store::Tx& tx, const Actor& actor, const store::RowView& invoice,
                            const billing::InvoiceAmounts& after, const Values& also = {});

// A manual payment of `amount` on the locked `invoice`: billing::apply_payment, then
// record_invoice_money with its timeline entry. Answers the amounts after it.
Result<billing::InvoiceAmounts> record_invoice_payment(store::Tx& tx, const Actor& actor, const store::RowView& invoice,
                                                       std::int64_t amount);

// Converges the locked `invoice` on Stripe: `paid` and `refunded` are the sums of its
// recorded payments and refunds, the status billing::converge_invoice_status of Stripe's
// `stripe_status`, kept as it is when it is not reachable (a read of Stripe older than a
// move made here) or when it is Void while money recorded here is held (the books rule,
// billing::may_be_voided). Answers the amounts after it.
Result<billing::InvoiceAmounts> converge_invoice_money(store::Tx& tx, const Actor& actor, const store::RowView& invoice,
                                                       std::string_view stripe_status, std::int64_t paid,
                                                       std::int64_t refunded, bool payment_failed, const Values& also);

}  // namespace settle::crm::detail
