// Hosted pages for people (and for browser tests): the page behind an invoice's
// hosted_invoice_url where the customer pays with a test card or a test bank account,
// the invoice PDF, a quote's page where the customer accepts it, a payment link's page,
// and charge receipts. Plain HTML with labelled inputs and stable ids:
//   #card-number ("Card number"), #pay-button ("Pay"), #pay-with-bank ("Use test bank
//   account"), #email ("Email", payment links), #accept-quote ("Accept quote"),
//   #result (role=status; "Payment succeeded", "Your card was declined.", ...).
#include <map>
#include <optional>
#include <tuple>
#include <variant>

#include "net/http.hpp"
#include "sandbox/api_error.hpp"
#include "sandbox/core.hpp"
#include "sandbox/pdf.hpp"

namespace settle::sandbox {
namespace {

using net::html_escape;

std::string text_of(const json& v, const std::string& fallback = "") { return v.is_string() ? v.get<std::string>() : fallback; }

constexpr const char* kStyle = R"(
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f6f8fa;color:#1a1f36;margin:0}
main{max-width:560px;margin:40px auto;background:#fff;border-radius:8px;padding:32px;box-shadow:0 2px 8px rgba(0,0,0,.08)}
.banner{background:#fff4e5;color:#8a4b00;padding:6px 10px;border-radius:4px;font-size:13px}
table{width:100%;border-collapse:collapse;margin:16px 0}th,td{text-align:left;padding:6px 4px;border-bottom:1px solid #e3e8ee}
td.num,th.num{text-align:right}label{display:block;margin-top:12px;font-weight:600}
input{width:100%;box-sizing:border-box;padding:10px;font-size:16px;border:1px solid #cfd7df;border-radius:4px;margin-top:4px}
button{margin-top:16px;padding:10px 18px;font-size:16px;border:0;border-radius:4px;background:#635bff;color:#fff;cursor:pointer}
button.secondary{background:#e3e8ee;color:#1a1f36}
#result{padding:10px;border-radius:4px}#result.success{background:#e6f6ec;color:#0e6245}#result.error{background:#fdecea;color:#a41c1c}
#result.info{background:#eef3fd;color:#1d3f8f}.hint{font-size:13px;color:#697386}
)";

std::string page(const std::string& title, const std::string& body) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
         "<title>" + html_escape(title) + " · Stripe sandbox</title><style>" + kStyle + "</style></head><body><main>"
         "<p class=\"banner\">Test mode · Settle's Stripe sandbox. No real money moves.</p>" + body + "</main></body></html>\n";
}

net::Response html(int status, const std::string& title, const std::string& body) {
  return net::Response::text(status, page(title, body), "text/html; charset=utf-8");
}

net::Response not_found() {
  return html(404, "Not found", "<h1>Not found</h1><p id=\"result\" role=\"status\" class=\"error\">This page does not exist.</p>");
}

struct Result {
  std::string message;
  std::string kind;  // success, error, info
};

std::string result_html(const std::optional<Result>& result) {
  if (!result) return "";
  return "<p id=\"result\" role=\"status\" class=\"" + result->kind + "\">" + html_escape(result->message) + "</p>";
}

std::string items_table(const std::vector<std::tuple<std::string, std::int64_t, std::string>>& rows) {
  std::string out = "<table id=\"lines\"><thead><tr><th>Description</th><th class=\"num\">Qty</th><th class=\"num\">Amount</th></tr></thead><tbody>";
  for (const auto& [description, quantity, amount] : rows)
    out += "<tr><td>" + html_escape(description) + "</td><td class=\"num\">" + std::to_string(quantity) +
           "</td><td class=\"num\">" + html_escape(amount) + "</td></tr>";
  return out + "</tbody></table>";
}

std::string payment_forms(const std::string& action, bool with_email) {
  std::string email = with_email ? "<label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\">" : "";
  return "<form method=\"post\" action=\"" + action + "\" id=\"card-form\">" + email +
         "<input type=\"hidden\" name=\"method\" value=\"card\">"
         "<label for=\"card-number\">Card number</label>"
         "<input id=\"card-number\" name=\"card_number\" inputmode=\"numeric\" autocomplete=\"cc-number\" placeholder=\"4242 4242 4242 4242\" required>"
         "<button type=\"submit\" id=\"pay-button\">Pay</button></form>"
         "<form method=\"post\" action=\"" + action + "\" id=\"bank-form\">" +
         (with_email ? "<input type=\"hidden\" name=\"email\" value=\"\">" : "") +
         "<input type=\"hidden\" name=\"method\" value=\"bank\">"
         "<button type=\"submit\" class=\"secondary\" id=\"pay-with-bank\">Use test bank account</button></form>"
         "<p class=\"hint\">Test cards: 4242 4242 4242 4242 succeeds · 4000 0000 0000 0002 is declined · "
         "4000 0000 0000 9995 has insufficient funds · 4000 0000 0000 0069 is expired. The test bank account "
         "(STRIPE TEST BANK ····6789) is debited after a short processing time.</p>";
}

std::map<std::string, std::string> form_of(const net::Request& request) {
  std::map<std::string, std::string> out;
  for (auto& [k, v] : net::parse_form(request.body)) out[k] = v;
  return out;
}

// The payment method a person chose on a page, or the message explaining why not.
std::variant<json*, Result> chosen_method(Ctx& ctx, const std::map<std::string, std::string>& form, const std::string& customer) {
  auto method = form.count("method") ? form.at("method") : "card";
  if (method == "bank") return &payment_method_from_test(ctx, test_bank_account(), customer);
  std::string number = form.count("card_number") ? form.at("card_number") : "";
  if (!luhn_valid(number)) return Result{"Your card number is incorrect.", "error"};
  const TestPaymentMethod* card = test_card_by_number(number);
  if (!card)
    return Result{"Your card was declined. Your request was in test mode, but used a non test card. For a list of valid test cards, see the hint below.",
                  "error"};
  return &payment_method_from_test(ctx, *card, customer);
}

Result outcome_of(const json& intent) {
  if (intent["status"] == "processing")
    return {"Payment processing. The bank debit settles shortly; this page shows it once it has.", "info"};
  return {"Payment succeeded", "success"};
}

// ---- Invoices ------------------------------------------------------------------------------------

std::string invoice_page(Ctx& ctx, const json& invoice, const std::optional<Result>& result) {
  const std::string id = invoice["id"];
  const std::string currency = invoice["currency"];
  const std::string status = invoice["status"];
  std::vector<std::tuple<std::string, std::int64_t, std::string>> rows;
  for (const auto& item_id : ctx.account.facts(id)["items"]) {
    const json& item = ctx.account.objects.at(item_id.get<std::string>());
    rows.emplace_back(text_of(item["description"], "Item"), item["quantity"].get<std::int64_t>(),
                      format_amount(item["amount"], currency));
  }
  const json* customer = ctx.account.find(invoice["customer"], "customer");
  std::string body = "<h1>Invoice " + html_escape(text_of(invoice["number"], "(draft)")) + "</h1>";
  if (customer) body += "<p>Billed to " + html_escape(text_of((*customer)["name"], text_of((*customer)["email"], "customer"))) + "</p>";
  if (invoice["description"].is_string()) body += "<p>" + html_escape(invoice["description"].get<std::string>()) + "</p>";
  body += items_table(rows);
  body += "<p>Total: <strong id=\"amount-total\">" + html_escape(format_amount(invoice["total"], currency)) + "</strong><br>"
          "Amount paid: <span id=\"amount-paid\">" + html_escape(format_amount(invoice["amount_paid"], currency)) + "</span><br>"
          "Amount due: <strong id=\"amount-due\">" + html_escape(format_amount(invoice["amount_remaining"], currency)) + "</strong></p>";
  if (invoice["due_date"].is_number() && status == "open" && invoice["due_date"].get<std::int64_t>() < ctx.now)
    body += "<p class=\"error\" id=\"past-due\">This invoice is past due.</p>";
  body += "<p>Status: <span id=\"invoice-status\">" + html_escape(status) + "</span></p>";
  body += result_html(result);
  const json& facts = ctx.account.facts(id);
  bool processing = facts.contains("payment_intent") &&
                    ctx.account.objects.at(facts["payment_intent"].get<std::string>())["status"] == "processing";
  if (status == "paid") {
    if (!result) body += result_html(Result{"This invoice has been paid.", "success"});
  } else if (status == "void") {
    body += "<p class=\"hint\">This invoice has been voided and can no longer be paid.</p>";
  } else if (status == "draft") {
    body += "<p class=\"hint\">This invoice is not finalized yet.</p>";
  } else if (processing) {
    if (!result) body += result_html(outcome_of(ctx.account.objects.at(facts["payment_intent"].get<std::string>())));
  } else {
    body += payment_forms("/hosted/invoices/" + id + "/pay", false);
  }
  if (status != "draft") body += "<p><a id=\"download-pdf\" href=\"/hosted/invoices/" + id + "/pdf\">Download PDF</a></p>";
  return body;
}

// ---- Quotes ----------------------------------------------------------------------------------------

std::string quote_page(Ctx& ctx, const json& quote, const std::optional<Result>& result) {
  const std::string id = quote["id"];
  const std::string currency = text_of(quote["currency"], "usd");
  std::vector<std::tuple<std::string, std::int64_t, std::string>> rows;
  for (const auto& item : ctx.account.facts(id)["line_items"])
    rows.emplace_back(text_of(item["description"], "Item"), item["quantity"].get<std::int64_t>(),
                      format_amount(item["amount_total"], currency));
  std::string status = quote["status"];
  std::string body = "<h1>Quote " + html_escape(text_of(quote["number"], "(draft)")) + "</h1>";
  if (quote["header"].is_string()) body += "<p>" + html_escape(quote["header"].get<std::string>()) + "</p>";
  if (quote["description"].is_string()) body += "<p>" + html_escape(quote["description"].get<std::string>()) + "</p>";
  body += items_table(rows);
  body += "<p>Total: <strong id=\"amount-total\">" + html_escape(format_amount(quote["amount_total"], currency)) + "</strong></p>";
  body += "<p>Status: <span id=\"quote-status\">" + html_escape(status) + "</span></p>";
  body += result_html(result);
  if (status == "open") {
    body += "<form method=\"post\" action=\"/hosted/quotes/" + id + "/accept\" id=\"accept-form\">"
            "<button type=\"submit\" id=\"accept-quote\">Accept quote</button></form>";
  } else if (!result) {
    if (status == "accepted") body += result_html(Result{"This quote has been accepted.", "success"});
    if (status == "canceled") body += result_html(Result{"This quote is no longer available (canceled or expired).", "error"});
    if (status == "draft") body += "<p class=\"hint\">This quote is not finalized yet.</p>";
  }
  if (status != "draft") body += "<p><a id=\"download-pdf\" href=\"/hosted/quotes/" + id + "/pdf\">Download PDF</a></p>";
  if (quote["footer"].is_string()) body += "<p class=\"hint\">" + html_escape(quote["footer"].get<std::string>()) + "</p>";
  return body;
}

// ---- Payment links ---------------------------------------------------------------------------------

std::string payment_link_page(Ctx& ctx, const json& link, const std::optional<Result>& result, bool completed) {
  const std::string id = link["id"];
  const std::string currency = link["currency"];
  std::vector<std::tuple<std::string, std::int64_t, std::string>> rows;
  std::int64_t total = 0;
  for (const auto& item : payment_link_items(ctx, id)) {
    rows.emplace_back(text_of(item["description"], "Item"), item["quantity"].get<std::int64_t>(),
                      format_amount(item["amount_total"], currency));
    total += item["amount_total"].get<std::int64_t>();
  }
  std::string body = "<h1>Pay " + html_escape(format_amount(total, currency)) + "</h1>" + items_table(rows);
  body += result_html(result);
  if (completed) return body;
  if (link["active"] != true) {
    if (!result) body += result_html(Result{text_of(link["inactive_message"], "This payment link is no longer active."), "error"});
    return body;
  }
  return body + payment_forms("/hosted/payment_links/" + id + "/pay", true);
}

// Runs `fn` on the account owning `id` (hosted pages have no API key).
template <class F>
bool on_owner(Core& core, const std::string& id, bool mutating, F&& fn) {
  return core.transact([&](State& state) { return state.account_owning(id); }, RequestInfo{}, mutating,
                       [&](Ctx& ctx) { fn(ctx); });
}

}  // namespace

void add_hosted_pages(net::Router& router, Core& core) {
  router.add("GET", "/", [](net::Request&) {
    return html(200, "Stripe sandbox",
                "<h1>Settle's Stripe sandbox</h1><p>A Stripe-compatible API for offline development and tests. Point a "
                "Stripe client at this address with any <code>sk_test_</code> key.</p><p>Control API: "
                "<a href=\"/_sandbox/state\">/_sandbox/state</a>. See docs/stripe-sandbox.md in the Settle repository.</p>");
  });

  router.add("GET", "/hosted/invoices/{id}", [&core](net::Request& request) {
    std::string id(request.param("id"));
    std::string body;
    bool found = on_owner(core, id, false, [&](Ctx& ctx) {
      if (json* invoice = ctx.account.find(id, "invoice"); invoice && !invoice->value("deleted", false))
        body = invoice_page(ctx, *invoice, std::nullopt);
    });
    if (!found || body.empty()) return not_found();
    return html(200, "Invoice", body);
  });

  router.add("POST", "/hosted/invoices/{id}/pay", [&core](net::Request& request) {
    std::string id(request.param("id"));
    auto form = form_of(request);
    std::string body;
    int status = 200;
    bool found = on_owner(core, id, true, [&](Ctx& ctx) {
      json* invoice = ctx.account.find(id, "invoice");
      if (!invoice || invoice->value("deleted", false)) return;
      auto method = chosen_method(ctx, form, text_of((*invoice)["customer"]));
      std::optional<Result> result;
      if (auto* message = std::get_if<Result>(&method)) {
        result = *message;
        status = 402;
      } else {
        try {
          pay_invoice_with(ctx, *invoice, (*std::get<json*>(method))["id"], "payment_method");
          const json& facts = ctx.account.facts(id);
          result = outcome_of(ctx.account.objects.at(facts["payment_intent"].get<std::string>()));
        } catch (const ApiError& e) {
          result = Result{e.what(), "error"};
          status = e.status;
        }
      }
      body = invoice_page(ctx, *invoice, result);
    });
    if (!found || body.empty()) return not_found();
    return html(status, "Invoice", body);
  });

  router.add("GET", "/hosted/invoices/{id}/pdf", [&core](net::Request& request) {
    std::string id(request.param("id"));
    std::string pdf;
    on_owner(core, id, false, [&](Ctx& ctx) {
      json* invoice = ctx.account.find(id, "invoice");
      if (invoice && !invoice->value("deleted", false) && (*invoice)["status"] != "draft")
        pdf = render_pdf("Invoice " + text_of((*invoice)["number"]), document_lines(ctx, *invoice));
    });
    if (pdf.empty()) return not_found();
    net::Response r = net::Response::text(200, std::move(pdf), "application/pdf");
    r.set_header("Content-Disposition", "inline; filename=\"invoice-" + id + ".pdf\"");
    return r;
  });

  router.add("GET", "/hosted/quotes/{id}", [&core](net::Request& request) {
    std::string id(request.param("id"));
    std::string body;
    on_owner(core, id, false, [&](Ctx& ctx) {
      if (json* quote = ctx.account.find(id, "quote")) body = quote_page(ctx, *quote, std::nullopt);
    });
    if (body.empty()) return not_found();
    return html(200, "Quote", body);
  });

  router.add("POST", "/hosted/quotes/{id}/accept", [&core](net::Request& request) {
    std::string id(request.param("id"));
    std::string body;
    int status = 200;
    on_owner(core, id, true, [&](Ctx& ctx) {
      json* quote = ctx.account.find(id, "quote");
      if (!quote) return;
      std::optional<Result> result;
      try {
        accept_quote_now(ctx, *quote);
        result = Result{"Quote accepted. Thank you! Your invoice will follow.", "success"};
      } catch (const ApiError& e) {
        result = Result{e.what(), "error"};
        status = 409;
      }
      body = quote_page(ctx, *quote, result);
    });
    if (body.empty()) return not_found();
    return html(status, "Quote", body);
  });

  router.add("GET", "/hosted/quotes/{id}/pdf", [&core](net::Request& request) {
    std::string id(request.param("id"));
    std::string pdf;
    on_owner(core, id, false, [&](Ctx& ctx) {
      json* quote = ctx.account.find(id, "quote");
      if (quote && (*quote)["status"] != "draft")
        pdf = render_pdf("Quote " + text_of((*quote)["number"]), document_lines(ctx, *quote));
    });
    if (pdf.empty()) return not_found();
    return net::Response::text(200, std::move(pdf), "application/pdf");
  });

  router.add("GET", "/hosted/payment_links/{id}", [&core](net::Request& request) {
    std::string id(request.param("id"));
    std::string body;
    on_owner(core, id, false, [&](Ctx& ctx) {
      if (json* link = ctx.account.find(id, "payment_link")) body = payment_link_page(ctx, *link, std::nullopt, false);
    });
    if (body.empty()) return not_found();
    return html(200, "Pay", body);
  });

  router.add("POST", "/hosted/payment_links/{id}/pay", [&core](net::Request& request) {
    std::string id(request.param("id"));
    auto form = form_of(request);
    std::string body;
    std::string redirect;
    int status = 200;
    on_owner(core, id, true, [&](Ctx& ctx) {
      json* link = ctx.account.find(id, "payment_link");
      if (!link) return;
      auto method = chosen_method(ctx, form, "");
      std::optional<Result> result;
      bool completed = false;
      if (auto* message = std::get_if<Result>(&method)) {
        result = *message;
        status = 402;
      } else if (auto error = pay_payment_link(ctx, *link, *std::get<json*>(method), form.count("email") ? form.at("email") : "")) {
        result = Result{error->what(), "error"};
        status = error->status;
      } else {
        completed = true;
        const std::string session_id = ctx.account.order["checkout.session"].back();
        const json& session = ctx.account.objects.at(session_id);
        const json& intent = ctx.account.objects.at(session["payment_intent"].get<std::string>());
        result = outcome_of(intent);
        const json& after = (*link)["after_completion"];
        if (after["type"] == "redirect") {
          redirect = after["redirect"]["url"];
          auto at = redirect.find("{CHECKOUT_SESSION_ID}");
          if (at != std::string::npos) redirect.replace(at, 21, session_id);
        } else if (after["hosted_confirmation"]["custom_message"].is_string() && intent["status"] == "succeeded") {
          result->message = "Payment succeeded. " + after["hosted_confirmation"]["custom_message"].get<std::string>();
        }
      }
      body = payment_link_page(ctx, *link, result, completed);
    });
    if (!redirect.empty()) {
      net::Response r = net::Response::text(303, "", "text/plain");
      r.set_header("Location", redirect);
      return r;
    }
    if (body.empty()) return not_found();
    return html(status, "Pay", body);
  });

  router.add("GET", "/hosted/receipts/{id}", [&core](net::Request& request) {
    std::string id(request.param("id"));
    std::string body;
    on_owner(core, id, false, [&](Ctx& ctx) {
      json* charge = ctx.account.find(id, "charge");
      if (!charge) return;
      const std::string currency = (*charge)["currency"];
      const json& details = (*charge)["payment_method_details"];
      std::string method = details["type"] == "card"
                               ? text_of(details["card"]["brand"]) + " ····" + text_of(details["card"]["last4"])
                               : text_of(details["us_bank_account"]["bank_name"]) + " ····" + text_of(details["us_bank_account"]["last4"]);
      body = "<h1>Receipt</h1><p>Amount: <strong id=\"amount\">" + html_escape(format_amount((*charge)["amount"], currency)) +
             "</strong></p><p>Paid with " + html_escape(method) + "</p><p>Status: <span id=\"charge-status\">" +
             html_escape((*charge)["status"].get<std::string>()) + "</span></p>";
      if ((*charge)["amount_refunded"].get<std::int64_t>() > 0)
        body += "<p>Refunded: <span id=\"amount-refunded\">" + html_escape(format_amount((*charge)["amount_refunded"], currency)) + "</span></p>";
    });
    if (body.empty()) return not_found();
    return html(200, "Receipt", body);
  });
}

}  // namespace settle::sandbox
