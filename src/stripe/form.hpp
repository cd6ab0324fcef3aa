// Stripe's request encoding: application/x-www-form-urlencoded with bracket syntax for
// nested parameters, as Stripe's API and official SDKs use it:
//
//   {"metadata": {"settleInvoiceId": "inv_1"}}          metadata[settleInvoiceId]=inv_1
//   {"lines": [{"price_data": {"unit_amount": 500}}]}   lines[0][price_data][unit_amount]=500
//   {"payment_settings": {"payment_method_types": ["card"]}}
//                                                       payment_settings[payment_method_types][]=card
//   {"expand": ["payment_intent"]}                      expand[]=payment_intent
//
// Parameters are built as an insertion-ordered JSON tree (FormParams) in Stripe's own
// parameter names, so the API reference is the documentation of every call.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace settle::stripe {

// The parameters of one request. An ordered_json so that encoding is deterministic and
// follows insertion order: a retried or replayed request must send byte-identical
// parameters, because Stripe refuses an Idempotency-Key reused with different ones.
using FormParams = nlohmann::ordered_json;

// Encodes `params` (an object, or null for none) into a form body / query string.
//  - strings are sent as they are; integers in decimal; booleans as true/false;
//  - null and an empty array become an empty value (`key=`), which is how Stripe is told
//    to clear a field (e.g. `metadata[key]=` deletes one metadata key);
//  - an empty object contributes nothing;
//  - arrays of scalars use `key[]=v` per element, arrays holding objects or arrays use
//    indices (`key[0][field]=v`) so that the fields of one element stay together;
//  - every name and value is percent-encoded (RFC 3986), the brackets stay literal.
// Refused (Error::internal, a programming error of the caller): a non-object root,
// floating-point numbers (amounts are integers of minor units; decimals go as strings,
// e.g. unit_amount_decimal), and keys that are empty or contain '[' or ']' (Stripe does
// not allow them and the bracket syntax could not express them).
Result<std::string> encode_form(const FormParams& params);

}  // namespace settle::stripe
