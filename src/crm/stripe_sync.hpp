// The CRM kept in step with Stripe, both ways (WF-001, WF-002, WF-004..007).
//
// Outbound, on the lifecycle actions of a workspace that has a Stripe secret key:
//  - quote finalize: the company's Stripe customer (found by metadata[settleCompanyId]
//    before one is created), the catalogue products (free-text and tax lines use one
//    product per workspace each), then the Stripe quote with every line at its exact
//    price, finalized; the CRM quote becomes Open only once Stripe has it;
//  - quote accept / cancel and invoice void / mark-uncollectible: the same move at Stripe first;
//  - invoice finalize: the Stripe invoice (adopting the one Stripe made when the order's
//    quote was accepted, else creating one), its lines made equal to the CRM's (tax as its
//    own line), send_invoice with days_until_due from the due date, card and ACH, then
//    finalized and sent; the CRM invoice is numbered and Open only once Stripe has it.
// Every POST carries an Idempotency-Key derived from what it does
// ("settle:<workspace>:invoice:<id>:finalize"), and every Stripe id is stored as soon as
// it is known, so a retry or a replay after a crash continues where the first attempt
// stopped and never makes a second customer, quote or invoice. A Stripe failure leaves the
// record in its status, marked stripeSyncStatus "failed" with Stripe's reason; doing the
// action again is the retry.
//
// Inbound (apply_event, the STRIPE_SYNC step of the built-in workflows WF-002 and WF-006,
// which run for the events the inbox has stored): an event names a quote or an
// invoice; the object is re-read from Stripe and the CRM record converged on what Stripe
// has now (billing::converge_invoice_status), so duplicates, reordering and late events
// all end in Stripe's state. Payments and refunds are recorded once each (keyed by their
// Stripe ids). An accepted quote gets its order once, and the order holds the invoice
// Stripe made for it (auto_advance off, so Stripe never sends or charges it on its own).
//
// Without a Stripe key, actions are plain Records::act.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "crm/records.hpp"
#include "crm/stripe_settings.hpp"

namespace settle::crm {

// What /pay/{token} shows.
struct PaymentLinkTarget {
  enum class Kind { Redirect, Expired, Settled, Unknown } kind = Kind::Unknown;
  std::string url;             // Redirect: the invoice's hosted page
  std::string invoice_number;  // for the page's text
  std::string amount_due;      // "USD 1,250.00"
  std::string expired_on;      // Expired: the date it expired
  std::string status;          // the invoice's status
};

class StripeSync {
 public:
  StripeSync(std::shared_ptr<Records> records, std::shared_ptr<StripeSettings> settings);

  // A lifecycle action, through Stripe when the workspace has it (see above).
  Result<json> act(const Actor& actor, const ObjectDef& object, std::string_view id, std::string_view action,
                   const json& body);

  // POST /rest/invoices/{id}/payment-link: the invoice's payment link, a Settle URL
  // <base_url>/pay/<token> valid until the end of its due date; a new one when the current
  // one has expired or `renew` is set. Answers {url, expiresAt, invoiceUrl}.
  Result<json> payment_link(const Actor& actor, std::string_view invoice_id, std::string_view base_url, bool renew);
  // GET /pay/{token}.
  Result<PaymentLinkTarget> open_payment_link(std::string_view token);
  // POST /pay/{token}/renew: the customer asks for a new link; the invoice's owner gets a Task.
  Status request_new_payment_link(std::string_view token);

  // The Settle record an event concerns.
  struct EventTarget {
    std::string object;  // "quotes" or "invoices"
    std::string id;
  };
  // Applies one Stripe event of `workspace_id` (the STRIPE_SYNC step of WF-002 and WF-006).
  // Answers what it did (for the audit trail); an error means "try again later" (Stripe
  // unreachable, the record not ready yet). `ignored` is set when the event concerns
  // nothing Settle keeps; `target`, when given, is set to the record it converged.
  Result<std::string> apply_event(const std::string& workspace_id, const nlohmann::json& event, bool& ignored,
                                  EventTarget* target = nullptr);

  // GET /rest/quotes/{id}/stripe-pdf: the finalized Stripe quote's own PDF (Settle's is
  // /rest/quotes/{id}/pdf, src/docs).
  Result<std::string> quote_pdf(const Actor& actor, std::string_view quote_id);

  // Re-reads one invoice from Stripe and converges the CRM invoice on it.
  Result<json> refresh_invoice(const Actor& actor, std::string_view invoice_id);

 private:
  std::shared_ptr<Records> records_;
  std::shared_ptr<StripeSettings> settings_;
};

}  // namespace settle::crm
