// Payment methods, payment intents, charges, refunds, payment links and the checkout
// sessions their hosted pages complete (see resources.hpp).
//
// Private facts kept per object (Account::facts):
//   payment_method: test_method (the token of its TestPaymentMethod)
//   payment_intent: settles_at (bank debits), checkout_session, and the invoice links
//                   billing.cpp keeps
//   payment_link:   line_items (its `item` objects), completed_sessions, expires_at
#include <algorithm>

#include "sandbox/api_error.hpp"
#include "sandbox/form.hpp"
#include "sandbox/resources.hpp"

namespace settle::sandbox {
namespace {

constexpr std::int64_t kCheckoutSessionLifetime = 86400;
constexpr int kCardExpiryYear = 2034;

json nullable_string(const json& params, const std::string& name) {
  auto v = get_string(params, name);
  return v && !v->empty() ? json(*v) : json(nullptr);
}

const TestPaymentMethod& behaviour_of(Ctx& ctx, const json& method) {
  const json& facts = ctx.account.facts(method["id"]);
  const TestPaymentMethod* m = test_payment_method_by_token(facts.value("test_method", ""));
  return m ? *m : *test_payment_method_by_token("pm_card_visa");
}

std::string fingerprint_of(const TestPaymentMethod& m) {
  // Stable per test method, as Stripe's fingerprints are per card number.
  std::string base = std::string(m.token);
  std::string out;
  for (size_t i = 0; out.size() < 16; ++i) out.push_back("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"[(base[i % base.size()] * 31 + i * 7) % 57]);
  return out;
}

json payment_method_details(const TestPaymentMethod& m, std::int64_t amount) {
  if (m.type == "us_bank_account")
    return {{"type", "us_bank_account"},
            {"us_bank_account",
             {{"account_holder_type", "individual"}, {"account_type", "checking"}, {"bank_name", m.brand},
              {"fingerprint", fingerprint_of(m)}, {"last4", m.last4}, {"mandate", nullptr},
              {"payment_reference", nullptr}, {"routing_number", "110000000"}}}};
  return {{"type", "card"},
          {"card",
           {{"amount_authorized", amount},
            {"authorization_code", nullptr},
            {"brand", m.brand},
            {"checks", {{"address_line1_check", nullptr}, {"address_postal_code_check", nullptr}, {"cvc_check", "pass"}}},
            {"country", "US"},
            {"exp_month", 12},
            {"exp_year", kCardExpiryYear},
            {"extended_authorization", {{"status", "disabled"}}},
            {"fingerprint", fingerprint_of(m)},
            {"funding", m.funding},
            {"incremental_authorization", {{"status", "unavailable"}}},
            {"installments", nullptr},
            {"last4", m.last4},
            {"mandate", nullptr},
            {"multicapture", {{"status", "unavailable"}}},
            {"network", m.brand},
            {"network_token", {{"used", false}}},
            {"network_transaction_id", random_token(15, "0123456789")},
            {"overcapture", {{"maximum_amount_capturable", amount}, {"status", "unavailable"}}},
            {"regulated_status", "unregulated"},
            {"three_d_secure", nullptr},
            {"transaction_link_id", nullptr},
            {"wallet", nullptr}}}};
}

json billing_details(const json& method) { return method["billing_details"]; }

json& new_charge(Ctx& ctx, const json& intent, const json& method, const TestPaymentMethod& m) {
  std::int64_t amount = intent["amount"];
  std::string id = new_id("ch");
  json charge = {
      {"id", id},
      {"object", "charge"},
      {"amount", amount},
      {"amount_captured", 0},
      {"amount_refunded", 0},
      {"application", nullptr},
      {"application_fee", nullptr},
      {"application_fee_amount", nullptr},
      {"balance_transaction", nullptr},
      {"billing_details", billing_details(method)},
      {"calculated_statement_descriptor", "SETTLE SANDBOX"},
      {"captured", false},
      {"created", ctx.now},
      {"currency", intent["currency"]},
      {"customer", intent["customer"]},
      {"description", intent["description"]},
      {"disputed", false},
      {"failure_balance_transaction", nullptr},
      {"failure_code", nullptr},
      {"failure_message", nullptr},
      {"fraud_details", json::object()},
      {"livemode", false},
      {"metadata", intent["metadata"]},
      {"on_behalf_of", nullptr},
      {"outcome", nullptr},
      {"paid", false},
      {"payment_intent", intent["id"]},
      {"payment_method", method["id"]},
      {"payment_method_details", payment_method_details(m, amount)},
      {"receipt_email", intent["receipt_email"]},
      {"receipt_number", nullptr},
      {"receipt_url", ctx.base_url + "/hosted/receipts/" + id},
      {"refunded", false},
      {"refunds", {{"object", "list"}, {"data", json::array()}, {"has_more", false}, {"url", "/v1/charges/" + id + "/refunds"}}},
      {"review", nullptr},
      {"shipping", nullptr},
      {"source", nullptr},
      {"source_transfer", nullptr},
      {"statement_descriptor", nullptr},
      {"statement_descriptor_suffix", nullptr},
      {"status", "pending"},
      {"transfer_data", nullptr},
      {"transfer_group", nullptr},
  };
  return ctx.account.insert(std::move(charge));
}

json approved_outcome() {
  return {{"advice_code", nullptr},      {"network_advice_code", nullptr}, {"network_decline_code", nullptr},
          {"network_status", "approved_by_network"}, {"reason", nullptr}, {"risk_level", "normal"},
          {"risk_score", 20},            {"seller_message", "Payment complete."}, {"type", "authorized"}};
}

void checkout_intent_update(Ctx& ctx, json& intent);

void charge_succeeded(Ctx& ctx, json& charge, json& intent) {
  charge["status"] = "succeeded";
  charge["paid"] = true;
  charge["captured"] = true;
  charge["amount_captured"] = charge["amount"];
  charge["balance_transaction"] = new_id("txn");
  charge["outcome"] = approved_outcome();
  json previous = {{"status", intent["status"]}, {"amount_received", intent["amount_received"]}};
  intent["status"] = "succeeded";
  intent["amount_received"] = intent["amount"];
  intent["last_payment_error"] = nullptr;
  intent["processing"] = nullptr;
  emit(ctx, "charge.succeeded", charge);
  emit(ctx, "payment_intent.succeeded", intent, previous);
  invoice_payment_intent_succeeded(ctx, intent);
  checkout_intent_update(ctx, intent);
}

// ---- Checkout sessions (created by paying a payment link on its hosted page) ----------------

json& new_checkout_session(Ctx& ctx, json& link, std::int64_t total, const std::string& email) {
  json session = {
      {"id", "cs_test_" + random_token(58)},
      {"object", "checkout.session"},
      {"adaptive_pricing", nullptr},
      {"after_expiration", nullptr},
      {"allow_promotion_codes", false},
      {"amount_subtotal", total},
      {"amount_total", total},
      {"automatic_tax", {{"enabled", false}, {"liability", nullptr}, {"provider", nullptr}, {"status", nullptr}}},
      {"billing_address_collection", link["billing_address_collection"]},
      {"cancel_url", nullptr},
      {"client_reference_id", nullptr},
      {"client_secret", nullptr},
      {"consent", nullptr},
      {"consent_collection", nullptr},
      {"created", ctx.now},
      {"currency", link["currency"]},
      {"custom_fields", json::array()},
      {"custom_text", link["custom_text"]},
      {"customer", nullptr},
      {"customer_creation", link["customer_creation"]},
      {"customer_details",
       {{"address", nullptr}, {"email", email.empty() ? json(nullptr) : json(email)}, {"name", nullptr},
        {"phone", nullptr}, {"tax_exempt", "none"}, {"tax_ids", json::array()}}},
      {"customer_email", nullptr},
      {"expires_at", ctx.now + kCheckoutSessionLifetime},
      {"invoice", nullptr},
      {"invoice_creation", link["invoice_creation"]},
      {"livemode", false},
      {"locale", nullptr},
      {"metadata", link["metadata"]},
      {"mode", "payment"},
      {"payment_intent", nullptr},
      {"payment_link", link["id"]},
      {"payment_method_collection", "if_required"},
      {"payment_method_types", json::array({"card", "us_bank_account"})},
      {"payment_status", "unpaid"},
      {"phone_number_collection", {{"enabled", false}}},
      {"recovered_from", nullptr},
      {"shipping_address_collection", nullptr},
      {"shipping_cost", nullptr},
      {"shipping_options", json::array()},
      {"status", "open"},
      {"submit_type", "auto"},
      {"subscription", nullptr},
      {"success_url", nullptr},
      {"total_details", {{"amount_discount", 0}, {"amount_shipping", 0}, {"amount_tax", 0}}},
      {"ui_mode", "hosted"},
      {"url", nullptr},
  };
  return ctx.account.insert(std::move(session));
}

// A payment link's checkout session follows its payment intent: complete when paid (or
// when a bank debit starts processing), then async_payment_succeeded when it settles.
void checkout_intent_update(Ctx& ctx, json& intent) {
  json& facts = ctx.account.facts(intent["id"]);
  if (!facts.contains("checkout_session")) return;
  json& session = ctx.account.objects.at(facts["checkout_session"].get<std::string>());
  bool was_complete = session["status"] == "complete";
  if (intent["status"] == "succeeded") session["payment_status"] = "paid";
  if (intent["status"] != "succeeded" && intent["status"] != "processing") return;
  if (was_complete) {
    emit(ctx, "checkout.session.async_payment_succeeded", session);
    return;
  }
  session["status"] = "complete";
  emit(ctx, "checkout.session.completed", session);
  json& link = ctx.account.objects.at(session["payment_link"].get<std::string>());
  json& link_facts = ctx.account.facts(link["id"]);
  std::int64_t completed = link_facts.value("completed_sessions", std::int64_t{0}) + 1;
  link_facts["completed_sessions"] = completed;
  if (link["restrictions"].is_object()) {
    json& restriction = link["restrictions"]["completed_sessions"];
    restriction["count"] = completed;
    if (completed >= restriction["limit"].get<std::int64_t>() && link["active"] == true) {
      link["active"] = false;
      emit(ctx, "payment_link.updated", link, {{"active", true}});
    }
  }
}

json link_items_from(Ctx& ctx, const json& lines, std::string& currency) {
  json items = json::array();
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string path = "line_items[" + std::to_string(i) + "]";
    const json& line = lines[i];
    if (!line.is_object()) throw invalid_param(path, "Invalid object: " + path);
    for (auto& [k, v] : line.items())
      if (k != "price" && k != "quantity" && k != "adjustable_quantity") throw unknown_param(path + "[" + k + "]");
    json& price = active_price(ctx, require_string(line, "price", path + "[price]"), path + "[price]");
    if (price["type"] != "one_time")
      throw invalid_param(path + "[price]", "The Stripe sandbox supports payment links with one-time prices only.");
    std::int64_t quantity = require_integer(line, "quantity", path + "[quantity]");
    if (quantity < 1) throw invalid_param(path + "[quantity]", "This value must be greater than or equal to 1.");
    if (currency.empty()) currency = price["currency"];
    else if (currency != price["currency"])
      throw invalid_param(path + "[price]", "All prices on a payment link must have the same currency.");
    items.push_back(item_for_price(ctx, price, quantity));
  }
  return items;
}

json after_completion_from(const json& p) {
  json after = {{"hosted_confirmation", {{"custom_message", nullptr}}}, {"type", "hosted_confirmation"}};
  const json* a = get_object(p, "after_completion");
  if (!a) return after;
  std::string type = get_enum(*a, "type", {"hosted_confirmation", "redirect"}, "after_completion[type]").value_or("");
  if (type.empty()) throw missing_param("after_completion[type]");
  if (type == "redirect") {
    const json* r = get_object(*a, "redirect", "after_completion[redirect]");
    if (!r) throw missing_param("after_completion[redirect][url]");
    return {{"redirect", {{"url", require_string(*r, "url", "after_completion[redirect][url]")}}}, {"type", "redirect"}};
  }
  if (const json* h = get_object(*a, "hosted_confirmation", "after_completion[hosted_confirmation]"))
    after["hosted_confirmation"]["custom_message"] = nullable_string(*h, "custom_message");
  return after;
}

json restrictions_from(const json& p) {
  const json* r = get_object(p, "restrictions");
  if (!r) return nullptr;
  const json* c = get_object(*r, "completed_sessions", "restrictions[completed_sessions]");
  if (!c) throw missing_param("restrictions[completed_sessions]");
  std::int64_t limit = require_integer(*c, "limit", "restrictions[completed_sessions][limit]");
  if (limit < 1) throw invalid_param("restrictions[completed_sessions][limit]", "This value must be greater than or equal to 1.");
  return {{"completed_sessions", {{"count", 0}, {"limit", limit}}}};
}

}  // namespace

// ---- Payment methods ---------------------------------------------------------------------------

json& payment_method_from_test(Ctx& ctx, const TestPaymentMethod& m, const std::string& customer) {
  json method = {
      {"id", new_id("pm")},
      {"object", "payment_method"},
      {"allow_redisplay", "unspecified"},
      {"billing_details",
       {{"address", empty_address()}, {"email", nullptr}, {"name", nullptr}, {"phone", nullptr}, {"tax_id", nullptr}}},
      {"created", ctx.now},
      {"customer", customer.empty() ? json(nullptr) : json(customer)},
      {"customer_account", nullptr},
      {"livemode", false},
      {"metadata", json::object()},
      {"type", m.type},
  };
  if (m.type == "card")
    method["card"] = {{"brand", m.brand},
                      {"checks", {{"address_line1_check", nullptr}, {"address_postal_code_check", nullptr}, {"cvc_check", "unchecked"}}},
                      {"country", "US"},
                      {"display_brand", m.brand},
                      {"exp_month", 12},
                      {"exp_year", kCardExpiryYear},
                      {"fingerprint", fingerprint_of(m)},
                      {"funding", m.funding},
                      {"generated_from", nullptr},
                      {"last4", m.last4},
                      {"networks", {{"available", json::array({m.brand})}, {"preferred", nullptr}}},
                      {"regulated_status", "unregulated"},
                      {"three_d_secure_usage", {{"supported", true}}},
                      {"wallet", nullptr}};
  else
    method["us_bank_account"] = {{"account_holder_type", "individual"}, {"account_type", "checking"},
                                 {"bank_name", m.brand},                 {"financial_connections_account", nullptr},
                                 {"fingerprint", fingerprint_of(m)},     {"last4", m.last4},
                                 {"networks", {{"preferred", "ach"}, {"supported", json::array({"ach"})}}},
                                 {"routing_number", "110000000"},        {"status_details", nullptr}};
  json& stored = ctx.account.insert(std::move(method));
  ctx.account.facts(stored["id"])["test_method"] = std::string(m.token);
  return stored;
}

json& resolve_payment_method(Ctx& ctx, const std::string& id_or_token, const std::string& param) {
  if (json* existing = ctx.account.find(id_or_token, "payment_method")) return *existing;
  if (const TestPaymentMethod* m = test_payment_method_by_token(id_or_token)) return payment_method_from_test(ctx, *m, "");
  throw no_such("PaymentMethod", id_or_token, param);
}

json retrieve_payment_method(Ctx& ctx, const Call& call) {
  return resolve_payment_method(ctx, call.id(), "payment_method");
}

json attach_payment_method(Ctx& ctx, const Call& call) {
  json& method = resolve_payment_method(ctx, call.id(), "payment_method");
  json& customer = ctx.account.get(require_string(call.params, "customer"), "customer", "customer", "customer");
  method["customer"] = customer["id"];
  emit(ctx, "payment_method.attached", method);
  return method;
}

// ---- Payment intents -----------------------------------------------------------------------------

json& new_payment_intent(Ctx& ctx, std::int64_t amount, const std::string& currency, const json& customer,
                         const json& description, const std::vector<std::string>& payment_method_types) {
  std::string id = new_id("pi");
  json intent = {
      {"id", id},
      {"object", "payment_intent"},
      {"allowed_payment_method_types", nullptr},
      {"amount", amount},
      {"amount_capturable", 0},
      {"amount_details", {{"tip", json::object()}}},
      {"amount_received", 0},
      {"application", nullptr},
      {"application_fee_amount", nullptr},
      {"automatic_payment_methods", nullptr},
      {"canceled_at", nullptr},
      {"cancellation_reason", nullptr},
      {"capture_method", "automatic"},
      {"client_secret", id + "_secret_" + random_token(25)},
      {"confirmation_method", "automatic"},
      {"created", ctx.now},
      {"currency", currency},
      {"customer", customer},
      {"customer_account", nullptr},
      {"description", description},
      {"excluded_payment_method_types", nullptr},
      {"last_payment_error", nullptr},
      {"latest_charge", nullptr},
      {"livemode", false},
      {"managed_payments", nullptr},
      {"metadata", json::object()},
      {"next_action", nullptr},
      {"on_behalf_of", nullptr},
      {"payment_method", nullptr},
      {"payment_method_configuration_details", nullptr},
      {"payment_method_options", json::object()},
      {"payment_method_types", payment_method_types},
      {"payment_record", nullptr},
      {"processing", nullptr},
      {"receipt_email", nullptr},
      {"review", nullptr},
      {"setup_future_usage", nullptr},
      {"shipping", nullptr},
      {"source", nullptr},
      {"statement_descriptor", nullptr},
      {"statement_descriptor_suffix", nullptr},
      {"status", "requires_payment_method"},
      {"transfer_data", nullptr},
      {"transfer_group", nullptr},
  };
  json& stored = ctx.account.insert(std::move(intent));
  emit(ctx, "payment_intent.created", stored);
  return stored;
}

std::optional<ApiError> confirm_intent(Ctx& ctx, json& intent, json& method) {
  const std::string status = intent["status"];
  if (status != "requires_payment_method" && status != "requires_confirmation")
    return wrong_state("You cannot confirm this PaymentIntent because it has a status of " + status + ".",
                       "payment_intent_unexpected_state");
  auto types = intent["payment_method_types"].get<std::vector<std::string>>();
  if (std::find(types.begin(), types.end(), method["type"].get<std::string>()) == types.end())
    return invalid_param("payment_method", "The PaymentMethod provided (" + method["type"].get<std::string>() +
                                               ") is not allowed for this PaymentIntent.",
                         "payment_intent_incompatible_payment_method");
  const TestPaymentMethod& m = behaviour_of(ctx, method);
  intent["payment_method"] = method["id"];
  json& charge = new_charge(ctx, intent, method, m);
  intent["latest_charge"] = charge["id"];
  switch (m.outcome) {
    case PaymentOutcome::Succeeds:
      charge_succeeded(ctx, charge, intent);
      return std::nullopt;
    case PaymentOutcome::Processing: {
      intent["status"] = "processing";
      ctx.account.facts(intent["id"])["settles_at"] = ctx.now + ctx.settings.ach_settlement_seconds;
      emit(ctx, "charge.pending", charge);
      emit(ctx, "payment_intent.processing", intent, {{"status", status}});
      checkout_intent_update(ctx, intent);
      return std::nullopt;
    }
    case PaymentOutcome::Declined:
      break;
  }
  charge["status"] = "failed";
  charge["failure_code"] = std::string(m.error_code);
  charge["failure_message"] = std::string(m.message);
  charge["outcome"] = {{"advice_code", "try_again_later"}, {"network_advice_code", nullptr},
                       {"network_decline_code", nullptr},  {"network_status", "declined_by_network"},
                       {"reason", m.decline_code},          {"risk_level", "normal"},
                       {"risk_score", 30},
                       {"seller_message", "The bank did not return any further details with this decline."},
                       {"type", "issuer_declined"}};
  ApiError decline(402, "card_error", std::string(m.error_code), std::string(m.message));
  decline.decline_code = m.decline_code;
  decline.extra["charge"] = charge["id"];
  json error_object = decline.to_json()["error"];
  error_object["payment_method"] = method;
  intent["last_payment_error"] = error_object;
  intent["payment_method"] = nullptr;
  intent["status"] = "requires_payment_method";
  emit(ctx, "charge.failed", charge);
  emit(ctx, "payment_intent.payment_failed", intent);
  invoice_payment_intent_failed(ctx, intent);
  decline.extra["payment_intent"] = intent;
  return decline;
}

void cancel_intent(Ctx& ctx, json& intent, const std::string& reason) {
  json previous = {{"status", intent["status"]}};
  intent["status"] = "canceled";
  intent["canceled_at"] = ctx.now;
  intent["cancellation_reason"] = reason;
  emit(ctx, "payment_intent.canceled", intent, previous);
}

void settle_processing_payments(Ctx& ctx) {
  for (const auto& id : std::vector<std::string>(ctx.account.order["payment_intent"])) {
    json& intent = ctx.account.objects.at(id);
    if (intent["status"] != "processing") continue;
    json& facts = ctx.account.facts(id);
    if (facts.value("settles_at", std::int64_t{0}) > ctx.now) continue;
    json& charge = ctx.account.objects.at(intent["latest_charge"].get<std::string>());
    charge_succeeded(ctx, charge, intent);
  }
}

json create_payment_intent(Ctx& ctx, const Call& call) {
  const json& p = call.params;
  std::int64_t amount = require_integer(p, "amount");
  if (amount < 50) throw invalid_param("amount", "Amount must be at least 50 cents.", "amount_too_small");
  std::string currency = normalize_currency_param(require_string(p, "currency"), "currency");
  json customer = nullptr;
  if (auto c = get_string(p, "customer"); c && !c->empty()) customer = ctx.account.get(*c, "customer", "customer", "customer")["id"];
  auto types = get_string_list(p, "payment_method_types").value_or(std::vector<std::string>{"card", "us_bank_account"});
  json& intent = new_payment_intent(ctx, amount, currency, customer, nullable_string(p, "description"), types);
  intent["receipt_email"] = nullable_string(p, "receipt_email");
  intent["statement_descriptor"] = nullable_string(p, "statement_descriptor");
  apply_metadata(intent["metadata"], p);
  if (auto pm = get_string(p, "payment_method"); pm && !pm->empty()) {
    json& method = resolve_payment_method(ctx, *pm, "payment_method");
    intent["payment_method"] = method["id"];
    intent["status"] = "requires_confirmation";
    if (get_bool(p, "confirm").value_or(false))
      if (auto decline = confirm_intent(ctx, intent, method)) throw *decline;
  } else if (get_bool(p, "confirm").value_or(false)) {
    throw missing_param("payment_method");
  }
  return intent;
}

json retrieve_payment_intent(Ctx& ctx, const Call& call) {
  return ctx.account.get(call.id(), "payment_intent", "payment_intent");
}

json update_payment_intent(Ctx& ctx, const Call& call) {
  json& intent = ctx.account.get(call.id(), "payment_intent", "payment_intent");
  const json& p = call.params;
  std::string status = intent["status"];
  bool settled = status == "succeeded" || status == "canceled" || status == "processing";
  if (settled && (p.contains("amount") || p.contains("currency") || p.contains("payment_method")))
    throw wrong_state("You cannot update this PaymentIntent because it has a status of " + status + ".",
                      "payment_intent_unexpected_state");
  if (auto amount = get_integer(p, "amount")) intent["amount"] = *amount;
  if (p.contains("description")) intent["description"] = nullable_string(p, "description");
  if (p.contains("receipt_email")) intent["receipt_email"] = nullable_string(p, "receipt_email");
  if (auto pm = get_string(p, "payment_method"); pm && !pm->empty()) {
    intent["payment_method"] = resolve_payment_method(ctx, *pm, "payment_method")["id"];
    intent["status"] = "requires_confirmation";
  }
  apply_metadata(intent["metadata"], p);
  return intent;
}

json confirm_payment_intent(Ctx& ctx, const Call& call) {
  json& intent = ctx.account.get(call.id(), "payment_intent", "payment_intent");
  std::string method_id = get_string(call.params, "payment_method").value_or("");
  if (method_id.empty() && intent["payment_method"].is_string()) method_id = intent["payment_method"];
  if (method_id.empty()) throw missing_param("payment_method");
  json& method = resolve_payment_method(ctx, method_id, "payment_method");
  if (auto decline = confirm_intent(ctx, intent, method)) throw *decline;
  return intent;
}

json cancel_payment_intent(Ctx& ctx, const Call& call) {
  json& intent = ctx.account.get(call.id(), "payment_intent", "payment_intent");
  std::string status = intent["status"];
  if (status == "succeeded" || status == "canceled" || status == "processing")
    throw wrong_state("You cannot cancel this PaymentIntent because it has a status of " + status + ".",
                      "payment_intent_unexpected_state");
  if (ctx.account.facts(intent["id"]).contains("invoice"))
    throw wrong_state("This PaymentIntent belongs to an invoice; void the invoice instead.");
  auto reason = get_enum(call.params, "cancellation_reason", {"duplicate", "fraudulent", "requested_by_customer", "abandoned"});
  cancel_intent(ctx, intent, reason.value_or("requested_by_customer"));
  return intent;
}

json list_payment_intents(Ctx& ctx, const Call& call) {
  auto customer = get_string(call.params, "customer");
  return list_of(ctx, call, "payment_intent", [&](const json& i) { return !customer || i["customer"] == *customer; });
}

// ---- Charges and refunds -----------------------------------------------------------------------------

json retrieve_charge(Ctx& ctx, const Call& call) { return ctx.account.get(call.id(), "charge", "charge"); }

json list_charges(Ctx& ctx, const Call& call) {
  auto customer = get_string(call.params, "customer");
  auto intent = get_string(call.params, "payment_intent");
  return list_of(ctx, call, "charge", [&](const json& c) {
    if (customer && c["customer"] != *customer) return false;
    return !intent || c["payment_intent"] == *intent;
  });
}

json create_refund(Ctx& ctx, const Call& call) {
  const json& p = call.params;
  auto charge_id = get_string(p, "charge");
  auto intent_id = get_string(p, "payment_intent");
  json* charge = nullptr;
  if (charge_id && !charge_id->empty()) {
    charge = &ctx.account.get(*charge_id, "charge", "charge", "charge");
  } else if (intent_id && !intent_id->empty()) {
    json& intent = ctx.account.get(*intent_id, "payment_intent", "payment_intent", "payment_intent");
    if (intent["status"] != "succeeded" || !intent["latest_charge"].is_string())
      throw invalid_param("payment_intent", "This PaymentIntent does not have a successful charge to refund.");
    charge = &ctx.account.objects.at(intent["latest_charge"].get<std::string>());
  } else {
    throw missing_param("charge");
  }
  if ((*charge)["status"] != "succeeded")
    throw invalid_param(charge_id ? "charge" : "payment_intent",
                        "Charge " + (*charge)["id"].get<std::string>() + " has no successful payment to refund.");
  std::int64_t refundable = (*charge)["amount"].get<std::int64_t>() - (*charge)["amount_refunded"].get<std::int64_t>();
  if (refundable == 0)
    throw ApiError(400, "invalid_request_error", "charge_already_refunded",
                   "Charge " + (*charge)["id"].get<std::string>() + " has already been refunded.", "charge");
  std::int64_t amount = get_integer(p, "amount").value_or(refundable);
  std::string currency = (*charge)["currency"];
  if (amount < 1) throw invalid_param("amount", "Refund amount must be positive.");
  if (amount > refundable)
    throw invalid_param("amount", "Refund amount (" + format_amount(amount, currency) +
                                      ") is greater than unrefunded amount on charge (" + format_amount(refundable, currency) + ")");
  json refund = {
      {"id", new_id("re")},
      {"object", "refund"},
      {"amount", amount},
      {"balance_transaction", new_id("txn")},
      {"charge", (*charge)["id"]},
      {"created", ctx.now},
      {"currency", currency},
      {"customer", (*charge)["customer"]},
      {"customer_account", nullptr},
      {"destination_details",
       (*charge)["payment_method_details"]["type"] == "card"
           ? json{{"card", {{"reference", random_token(12, "0123456789")}, {"reference_status", "available"},
                            {"reference_type", "acquirer_reference_number"}, {"type", "refund"}}},
                  {"type", "card"}}
           : json{{"type", "us_bank_transfer"}, {"us_bank_transfer", {{"reference", nullptr}, {"reference_status", "pending"}}}}},
      {"metadata", json::object()},
      {"payment_intent", (*charge)["payment_intent"]},
      {"payment_method", (*charge)["payment_method"]},
      {"reason", get_enum(p, "reason", {"duplicate", "fraudulent", "requested_by_customer"})
                     ? json(*get_enum(p, "reason", {"duplicate", "fraudulent", "requested_by_customer"}))
                     : json(nullptr)},
      {"receipt_number", nullptr},
      {"source_transfer_reversal", nullptr},
      {"status", "succeeded"},
      {"transfer_reversal", nullptr},
  };
  apply_metadata(refund["metadata"], p);
  json& stored = ctx.account.insert(std::move(refund));
  json previous = {{"amount_refunded", (*charge)["amount_refunded"]}, {"refunded", (*charge)["refunded"]}};
  (*charge)["amount_refunded"] = (*charge)["amount_refunded"].get<std::int64_t>() + amount;
  (*charge)["refunded"] = (*charge)["amount_refunded"] == (*charge)["amount"];
  json& refunds = (*charge)["refunds"]["data"];
  refunds.insert(refunds.begin(), stored);
  emit(ctx, "refund.created", stored);
  emit(ctx, "charge.refunded", *charge, previous);
  return stored;
}

json retrieve_refund(Ctx& ctx, const Call& call) { return ctx.account.get(call.id(), "refund", "refund"); }

json update_refund(Ctx& ctx, const Call& call) {
  json& refund = ctx.account.get(call.id(), "refund", "refund");
  apply_metadata(refund["metadata"], call.params);
  return refund;
}

json list_refunds(Ctx& ctx, const Call& call) {
  auto charge = get_string(call.params, "charge");
  auto intent = get_string(call.params, "payment_intent");
  return list_of(ctx, call, "refund", [&](const json& r) {
    if (charge && r["charge"] != *charge) return false;
    return !intent || r["payment_intent"] == *intent;
  });
}

// ---- Payment links ------------------------------------------------------------------------------------

json create_payment_link(Ctx& ctx, const Call& call) {
  const json& p = call.params;
  const json* lines = get_array(p, "line_items");
  if (!lines || lines->empty()) throw missing_param("line_items");
  if (const json* invoice_creation = get_object(p, "invoice_creation"); invoice_creation && get_bool(*invoice_creation, "enabled").value_or(false))
    throw invalid_param("invoice_creation[enabled]", "The Stripe sandbox does not create invoices for payment links.");
  std::string currency;
  json items = link_items_from(ctx, *lines, currency);
  std::string id = new_id("plink");
  json payment_method_types = nullptr;
  if (auto types = get_string_list(p, "payment_method_types")) {
    for (const auto& t : *types)
      if (t != "card" && t != "us_bank_account")
        throw invalid_param("payment_method_types", "The Stripe sandbox supports card and us_bank_account; got " + t + ".");
    payment_method_types = *types;
  }
  json link = {
      {"id", id},
      {"object", "payment_link"},
      {"active", true},
      {"after_completion", after_completion_from(p)},
      {"allow_promotion_codes", false},
      {"application", nullptr},
      {"application_fee_amount", nullptr},
      {"application_fee_percent", nullptr},
      {"automatic_tax", {{"enabled", false}, {"liability", nullptr}}},
      {"billing_address_collection", "auto"},
      {"consent_collection", nullptr},
      {"currency", currency},
      {"custom_fields", json::array()},
      {"custom_text", {{"after_submit", nullptr}, {"shipping_address", nullptr}, {"submit", nullptr}, {"terms_of_service_acceptance", nullptr}}},
      {"customer_creation", "if_required"},
      {"inactive_message", nullable_string(p, "inactive_message")},
      {"invoice_creation",
       {{"enabled", false},
        {"invoice_data",
         {{"account_tax_ids", nullptr}, {"custom_fields", nullptr}, {"description", nullptr}, {"footer", nullptr},
          {"issuer", nullptr}, {"metadata", json::object()}, {"rendering_options", nullptr}}}}},
      {"livemode", false},
      {"managed_payments", nullptr},
      {"metadata", json::object()},
      {"on_behalf_of", nullptr},
      {"payment_intent_data", nullptr},
      {"payment_method_collection", "always"},
      {"payment_method_options", nullptr},
      {"payment_method_types", payment_method_types},
      {"phone_number_collection", {{"enabled", false}}},
      {"restrictions", restrictions_from(p)},
      {"shipping_address_collection", nullptr},
      {"shipping_options", json::array()},
      {"submit_type", "auto"},
      {"subscription_data", nullptr},
      {"tax_id_collection", {{"enabled", false}, {"required", "never"}}},
      {"transfer_data", nullptr},
      {"url", ctx.base_url + "/hosted/payment_links/" + id},
  };
  apply_metadata(link["metadata"], p);
  json& facts = ctx.account.facts(id);
  facts["line_items"] = std::move(items);
  if (ctx.settings.payment_link_lifetime_seconds > 0)
    facts["expires_at"] = ctx.now + ctx.settings.payment_link_lifetime_seconds;
  json& stored = ctx.account.insert(std::move(link));
  emit(ctx, "payment_link.created", stored);
  return stored;
}

json retrieve_payment_link(Ctx& ctx, const Call& call) { return ctx.account.get(call.id(), "payment_link", "payment_link"); }

json update_payment_link(Ctx& ctx, const Call& call) {
  json& link = ctx.account.get(call.id(), "payment_link", "payment_link");
  const json& p = call.params;
  json before = link;
  if (auto active = get_bool(p, "active")) link["active"] = *active;
  if (p.contains("inactive_message")) link["inactive_message"] = nullable_string(p, "inactive_message");
  if (p.contains("after_completion")) link["after_completion"] = after_completion_from(p);
  if (p.contains("restrictions")) link["restrictions"] = restrictions_from(p);
  apply_metadata(link["metadata"], p);
  json previous = json::object();
  for (auto& [k, v] : link.items())
    if (before[k] != v) previous[k] = before[k];
  if (!previous.empty()) emit(ctx, "payment_link.updated", link, previous);
  return link;
}

json list_payment_links(Ctx& ctx, const Call& call) {
  auto active = get_bool(call.params, "active");
  return list_of(ctx, call, "payment_link", [&](const json& l) { return !active || l["active"] == *active; });
}

std::vector<json> payment_link_items(Ctx& ctx, const std::string& link_id) {
  std::vector<json> out;
  for (const auto& item : ctx.account.facts(link_id)["line_items"]) out.push_back(item);
  return out;
}

json list_payment_link_line_items(Ctx& ctx, const Call& call) {
  ctx.account.get(call.id(), "payment_link", "payment_link");
  std::vector<std::string> ids;
  std::map<std::string, json> by_id;
  for (auto& item : payment_link_items(ctx, call.id())) {
    ids.push_back(item["id"]);
    by_id[item["id"]] = item;
  }
  return list_over(ctx, call, ids, "/v1/payment_links/" + call.id() + "/line_items",
                   [&](const std::string& id) { return by_id.at(id); });
}

std::optional<ApiError> pay_payment_link(Ctx& ctx, json& link, json& method, const std::string& email) {
  if (link["active"] != true)
    return wrong_state(link["inactive_message"].is_string() ? link["inactive_message"].get<std::string>()
                                                            : "This payment link is no longer active.");
  std::int64_t total = 0;
  for (const auto& item : payment_link_items(ctx, link["id"])) total += item["amount_total"].get<std::int64_t>();
  json& session = new_checkout_session(ctx, link, total, email);
  std::vector<std::string> types = link["payment_method_types"].is_array()
                                       ? link["payment_method_types"].get<std::vector<std::string>>()
                                       : std::vector<std::string>{"card", "us_bank_account"};
  session["payment_method_types"] = types;
  json& intent = new_payment_intent(ctx, total, link["currency"], nullptr, nullptr, types);
  intent["metadata"] = link["metadata"];
  session["payment_intent"] = intent["id"];
  ctx.account.facts(intent["id"])["checkout_session"] = session["id"];
  return confirm_intent(ctx, intent, method);
}

json retrieve_checkout_session(Ctx& ctx, const Call& call) {
  return ctx.account.get(call.id(), "checkout.session", "checkout.session");
}

json list_checkout_sessions(Ctx& ctx, const Call& call) {
  auto link = get_string(call.params, "payment_link");
  auto intent = get_string(call.params, "payment_intent");
  return list_of(ctx, call, "checkout.session", [&](const json& s) {
    if (link && s["payment_link"] != *link) return false;
    return !intent || s["payment_intent"] == *intent;
  });
}

}  // namespace settle::sandbox
