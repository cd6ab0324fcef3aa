// The public face of src/stripe: Settle's own Stripe client library, independent of the
// CRM. Include this one header.
//
//   client.hpp             Client: the API calls, retries, idempotency, error mapping
//   objects.hpp            typed Stripe objects (Invoice, Quote, Event, ...) and parsers
//   webhook_signature.hpp  Stripe-Signature verification and signing
//   form.hpp               bracket-syntax form encoding (FormParams)
//   api_key.hpp            key format, test/live mode, masking
//   api_error.hpp          Stripe error object -> settle::Error, retry policy
//
// A webhook endpoint typically does:
//   if (auto st = stripe::verify_signature(body, header, secrets); !st) return 400;
//   auto payload = json::parse(body, nullptr, false);  // is_discarded() -> 400
//   auto event = stripe::parse_event(payload);
//   if (event->type == "invoice.paid") auto invoice = stripe::parse_invoice(event->object);
#pragma once

#include "stripe/api_error.hpp"
#include "stripe/api_key.hpp"
#include "stripe/client.hpp"
#include "stripe/form.hpp"
#include "stripe/objects.hpp"
#include "stripe/webhook_signature.hpp"
