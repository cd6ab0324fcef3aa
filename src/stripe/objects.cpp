// Parsing of Stripe objects into the typed views of objects.hpp.
//
// The readers below throw a ParseFailure naming the offending path; each public
// parse_* function catches it at the boundary and turns it into an Error, so that the
// field-by-field code reads like the object it describes.
#include "stripe/objects.hpp"

#include <limits>
#include <utility>

namespace settle::stripe {
namespace {

struct ParseFailure {
  std::string path;
  std::string expected;  // "a string", "an integer", "a customer object", ...
};

const char* kind_of(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a decimal number";
    default: return "something else";
  }
}

// A JSON object found at `path`, with typed accessors for its fields. "Optional"
// accessors accept a missing field and null; required ones accept neither.
class Obj {
 public:
  // `type`, when given, must match the object's own "object" field if it has one.
  Obj(const json& j, std::string path, std::string_view type = {}) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) throw ParseFailure{path_, "an object (got " + std::string(kind_of(j_)) + ")"};
    if (!type.empty()) {
      auto it = j_.find("object");
      if (it != j_.end() && it->is_string() && it->get_ref<const std::string&>() != type)
        throw ParseFailure{path_, "a " + std::string(type) + " object (got a " + it->get<std::string>() + " object)"};
    }
  }

  const std::string& path() const { return path_; }
  std::string path(std::string_view key) const { return path_ + "." + std::string(key); }

  // The field's value, or nullptr when missing (a missing field and null are the same
  // to every optional reader).
  const json* find(std::string_view key) const {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  const json& raw(std::string_view key) const {
    static const json kNull;
    const json* v = find(key);
    return v ? *v : kNull;
  }

  std::optional<std::string> opt_str(std::string_view key) const {
    const json* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) throw failure(key, "a string", *v);
    return v->get<std::string>();
  }
  std::string str(std::string_view key) const { return require(opt_str(key), key, "a string"); }

  std::optional<std::int64_t> opt_int(std::string_view key) const {
    const json* v = find(key);
    if (!v) return std::nullopt;
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw ParseFailure{path(key), "an integer within 64 bits"};
    if (!v->is_number_integer()) throw failure(key, "an integer", *v);
    return v->get<std::int64_t>();
  }
  std::int64_t integer(std::string_view key) const { return require(opt_int(key), key, "an integer"); }

  std::optional<bool> opt_bool(std::string_view key) const {
    const json* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) throw failure(key, "a boolean", *v);
    return v->get<bool>();
  }
  bool boolean(std::string_view key) const { return require(opt_bool(key), key, "a boolean"); }

  // A reference to another object: its id, or the object itself when expanded.
  std::optional<std::string> opt_ref(std::string_view key) const {
    const json* v = find(key);
    if (!v) return std::nullopt;
    if (v->is_string()) return v->get<std::string>();
    if (v->is_object()) return Obj(*v, path(key)).str("id");
    throw failure(key, "an id or an expanded object", *v);
  }
  std::string ref(std::string_view key) const { return require(opt_ref(key), key, "an id or an expanded object"); }

  std::optional<Obj> opt_obj(std::string_view key) const {
    const json* v = find(key);
    if (!v) return std::nullopt;
    return Obj(*v, path(key));
  }
  Obj obj(std::string_view key) const { return require(opt_obj(key), key, "an object"); }

  std::vector<std::string> strings(std::string_view key) const {
    const json* v = find(key);
    if (!v) throw ParseFailure{path(key), "an array of strings (missing)"};
    if (!v->is_array()) throw failure(key, "an array of strings", *v);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v->size(); ++i) {
      const json& element = (*v)[i];
      if (!element.is_string())
        throw ParseFailure{path(key) + "[" + std::to_string(i) + "]", "a string (got " + std::string(kind_of(element)) + ")"};
      out.push_back(element.get<std::string>());
    }
    return out;
  }

  // Stripe metadata: string keys to string values; missing or null is empty.
  Metadata metadata() const {
    Metadata out;
    const json* v = find("metadata");
    if (!v) return out;
    if (!v->is_object()) throw failure("metadata", "an object", *v);
    for (const auto& [key, value] : v->items()) {
      if (!value.is_string())
        throw ParseFailure{path("metadata") + "." + key, "a string (got " + std::string(kind_of(value)) + ")"};
      out.emplace(key, value.get<std::string>());
    }
    return out;
  }

 private:
  ParseFailure failure(std::string_view key, const std::string& expected, const json& got) const {
    return ParseFailure{path(key), expected + " (got " + kind_of(got) + ")"};
  }
  template <class T>
  T require(std::optional<T> value, std::string_view key, const std::string& expected) const {
    if (!value) throw ParseFailure{path(key), expected + (j_.contains(key) ? " (got null)" : " (missing)")};
    return std::move(*value);
  }

  const json& j_;
  std::string path_;
};

template <class F>
auto guarded(F&& read) -> Result<decltype(read())> {
  try {
    return read();
  } catch (const ParseFailure& failure) {
    std::string text = "Stripe sent data Settle cannot read: " + failure.path + " must be " + failure.expected;
    Error e = Error::upstream(text, text);
    e.details = {{"path", failure.path}};
    return fail(std::move(e));
  }
}

// ---- Readers, one per object type ---------------------------------------------------

Customer read_customer(const Obj& o) {
  Customer c;
  c.id = o.str("id");
  c.deleted = o.opt_bool("deleted").value_or(false);
  if (c.deleted) return c;  // {"id", "object", "deleted": true} and nothing else
  c.name = o.opt_str("name");
  c.email = o.opt_str("email");
  c.phone = o.opt_str("phone");
  c.description = o.opt_str("description");
  c.currency = o.opt_str("currency");
  c.metadata = o.metadata();
  c.created = o.opt_int("created").value_or(0);
  c.livemode = o.opt_bool("livemode").value_or(false);
  return c;
}

Product read_product(const Obj& o) {
  Product p;
  p.id = o.str("id");
  p.name = o.str("name");
  p.active = o.opt_bool("active").value_or(true);
  p.description = o.opt_str("description");
  p.default_price = o.opt_ref("default_price");
  p.metadata = o.metadata();
  p.created = o.opt_int("created").value_or(0);
  p.livemode = o.opt_bool("livemode").value_or(false);
  return p;
}

Price read_price(const Obj& o) {
  Price p;
  p.id = o.str("id");
  p.product = o.ref("product");
  p.currency = o.str("currency");
  p.unit_amount = o.opt_int("unit_amount");
  p.unit_amount_decimal = o.opt_str("unit_amount_decimal");
  p.type = o.str("type");
  if (auto recurring = o.opt_obj("recurring")) p.recurring_interval = recurring->str("interval");
  p.lookup_key = o.opt_str("lookup_key");
  p.active = o.opt_bool("active").value_or(true);
  p.metadata = o.metadata();
  p.created = o.opt_int("created").value_or(0);
  p.livemode = o.opt_bool("livemode").value_or(false);
  return p;
}

InvoiceItem read_invoice_item(const Obj& o) {
  InvoiceItem item;
  item.id = o.str("id");
  item.customer = o.ref("customer");
  item.amount = o.integer("amount");
  item.currency = o.str("currency");
  item.description = o.opt_str("description");
  item.invoice = o.opt_ref("invoice");
  item.quantity = o.opt_int("quantity");
  item.metadata = o.metadata();
  item.livemode = o.opt_bool("livemode").value_or(false);
  return item;
}

InvoiceLineItem read_line_item(const Obj& o) {
  InvoiceLineItem line;
  line.id = o.str("id");
  line.amount = o.integer("amount");
  line.currency = o.str("currency");
  line.description = o.opt_str("description");
  line.quantity = o.opt_int("quantity");
  if (auto parent = o.opt_obj("parent"))
    if (auto details = parent->opt_obj("invoice_item_details")) line.invoice_item = details->opt_ref("invoice_item");
  line.metadata = o.metadata();
  return line;
}

// The list frame: "object" list/search_result, "data", "has_more", "url", "next_page".
template <class T, class ReadElement>
List<T> read_list(const Obj& o, ReadElement&& read_element) {
  if (auto object = o.opt_str("object"); object && *object != "list" && *object != "search_result")
    throw ParseFailure{o.path("object"), "\"list\" or \"search_result\" (got \"" + *object + "\")"};
  List<T> list;
  list.has_more = o.boolean("has_more");
  list.url = o.opt_str("url").value_or("");
  list.next_page = o.opt_str("next_page");
  const json& data = o.raw("data");
  if (!data.is_array()) throw ParseFailure{o.path("data"), "an array (got " + std::string(kind_of(data)) + ")"};
  for (std::size_t i = 0; i < data.size(); ++i)
    list.data.push_back(read_element(data[i], o.path("data") + "[" + std::to_string(i) + "]"));
  return list;
}

Invoice read_invoice(const Obj& o) {
  Invoice inv;
  inv.id = o.str("id");
  inv.status = o.str("status");
  inv.number = o.opt_str("number");
  inv.customer = o.ref("customer");
  inv.currency = o.str("currency");
  inv.amount_due = o.integer("amount_due");
  inv.amount_paid = o.integer("amount_paid");
  inv.amount_remaining = o.integer("amount_remaining");
  inv.total = o.integer("total");
  inv.subtotal = o.opt_int("subtotal");
  inv.collection_method = o.opt_str("collection_method");
  inv.hosted_invoice_url = o.opt_str("hosted_invoice_url");
  inv.invoice_pdf = o.opt_str("invoice_pdf");
  inv.due_date = o.opt_int("due_date");
  inv.created = o.opt_int("created").value_or(0);
  inv.metadata = o.metadata();
  if (auto parent = o.opt_obj("parent"))
    if (auto quote_details = parent->opt_obj("quote_details")) inv.quote = quote_details->opt_ref("quote");
  if (auto lines = o.opt_obj("lines"))
    inv.lines = read_list<InvoiceLineItem>(*lines, [](const json& j, const std::string& path) {
      return read_line_item(Obj(j, path, "line_item"));
    });
  inv.livemode = o.opt_bool("livemode").value_or(false);
  return inv;
}

InvoicePayment read_invoice_payment(const Obj& o) {
  InvoicePayment p;
  p.id = o.str("id");
  p.invoice = o.ref("invoice");
  p.status = o.str("status");
  p.amount_paid = o.opt_int("amount_paid");
  p.amount_requested = o.integer("amount_requested");
  p.currency = o.str("currency");
  p.is_default = o.opt_bool("is_default").value_or(false);
  Obj payment = o.obj("payment");
  p.payment_type = payment.str("type");
  p.payment_intent = payment.opt_ref("payment_intent");
  p.charge = payment.opt_ref("charge");
  if (auto transitions = o.opt_obj("status_transitions")) p.paid_at = transitions->opt_int("paid_at");
  p.created = o.opt_int("created").value_or(0);
  p.livemode = o.opt_bool("livemode").value_or(false);
  return p;
}

PaymentIntent read_payment_intent(const Obj& o) {
  PaymentIntent pi;
  pi.id = o.str("id");
  pi.status = o.str("status");
  pi.amount = o.integer("amount");
  pi.amount_received = o.integer("amount_received");
  pi.currency = o.str("currency");
  pi.customer = o.opt_ref("customer");
  pi.latest_charge = o.opt_ref("latest_charge");
  pi.payment_method = o.opt_ref("payment_method");
  if (auto error = o.opt_obj("last_payment_error"))
    pi.last_payment_error =
        PaymentError{error->str("type"), error->opt_str("code"), error->opt_str("decline_code"), error->opt_str("message")};
  pi.metadata = o.metadata();
  pi.created = o.opt_int("created").value_or(0);
  pi.livemode = o.opt_bool("livemode").value_or(false);
  return pi;
}

Charge read_charge(const Obj& o) {
  Charge c;
  c.id = o.str("id");
  c.status = o.str("status");
  c.amount = o.integer("amount");
  c.amount_captured = o.opt_int("amount_captured").value_or(0);
  c.amount_refunded = o.integer("amount_refunded");
  c.refunded = o.boolean("refunded");
  c.paid = o.boolean("paid");
  c.currency = o.str("currency");
  c.customer = o.opt_ref("customer");
  c.payment_intent = o.opt_ref("payment_intent");
  if (auto details = o.opt_obj("payment_method_details")) c.payment_method_type = details->str("type");
  c.failure_code = o.opt_str("failure_code");
  c.failure_message = o.opt_str("failure_message");
  c.receipt_url = o.opt_str("receipt_url");
  c.metadata = o.metadata();
  c.created = o.opt_int("created").value_or(0);
  c.livemode = o.opt_bool("livemode").value_or(false);
  return c;
}

Refund read_refund(const Obj& o) {
  Refund r;
  r.id = o.str("id");
  r.amount = o.integer("amount");
  r.currency = o.str("currency");
  r.status = o.opt_str("status");
  r.charge = o.opt_ref("charge");
  r.payment_intent = o.opt_ref("payment_intent");
  r.reason = o.opt_str("reason");
  r.metadata = o.metadata();
  r.created = o.opt_int("created").value_or(0);
  return r;
}

Quote read_quote(const Obj& o) {
  Quote q;
  q.id = o.str("id");
  q.status = o.str("status");
  q.number = o.opt_str("number");
  q.customer = o.opt_ref("customer");
  q.currency = o.opt_str("currency");
  q.amount_subtotal = o.integer("amount_subtotal");
  q.amount_total = o.integer("amount_total");
  q.invoice = o.opt_ref("invoice");
  q.expires_at = o.opt_int("expires_at");
  q.metadata = o.metadata();
  q.created = o.opt_int("created").value_or(0);
  q.livemode = o.opt_bool("livemode").value_or(false);
  return q;
}

WebhookEndpoint read_webhook_endpoint(const Obj& o) {
  WebhookEndpoint w;
  w.id = o.str("id");
  w.url = o.str("url");
  w.secret = o.opt_str("secret");
  w.enabled_events = o.strings("enabled_events");
  w.status = o.str("status");
  w.api_version = o.opt_str("api_version");
  w.metadata = o.metadata();
  w.livemode = o.opt_bool("livemode").value_or(false);
  return w;
}

Event read_event(const Obj& o) {
  Event e;
  e.id = o.str("id");
  e.type = o.str("type");
  e.created = o.integer("created");
  e.livemode = o.opt_bool("livemode").value_or(false);
  e.account = o.opt_str("account");
  e.api_version = o.opt_str("api_version");
  Obj data = o.obj("data");
  Obj object = data.obj("object");
  e.object_type = object.str("object");
  e.object_id = object.opt_str("id").value_or("");  // a few objects (balance) have no id
  e.object = data.raw("object");
  e.previous_attributes = data.raw("previous_attributes");
  // `request` is {"id", "idempotency_key"}, null for automatic events, and a bare
  // request id in events rendered for API versions before 2017-05-25.
  if (const json* request = o.find("request")) {
    if (request->is_string()) {
      e.request_id = request->get<std::string>();
    } else {
      Obj r(*request, o.path("request"));
      e.request_id = r.opt_str("id");
      e.request_idempotency_key = r.opt_str("idempotency_key");
    }
  }
  return e;
}

}  // namespace

Result<Customer> parse_customer(const json& j, const std::string& path) {
  return guarded([&] { return read_customer(Obj(j, path, "customer")); });
}
Result<Product> parse_product(const json& j, const std::string& path) {
  return guarded([&] { return read_product(Obj(j, path, "product")); });
}
Result<Price> parse_price(const json& j, const std::string& path) {
  return guarded([&] { return read_price(Obj(j, path, "price")); });
}
Result<InvoiceItem> parse_invoice_item(const json& j, const std::string& path) {
  return guarded([&] { return read_invoice_item(Obj(j, path, "invoiceitem")); });
}
Result<InvoiceLineItem> parse_invoice_line_item(const json& j, const std::string& path) {
  return guarded([&] { return read_line_item(Obj(j, path, "line_item")); });
}
Result<Invoice> parse_invoice(const json& j, const std::string& path) {
  return guarded([&] { return read_invoice(Obj(j, path, "invoice")); });
}
Result<InvoicePayment> parse_invoice_payment(const json& j, const std::string& path) {
  return guarded([&] { return read_invoice_payment(Obj(j, path, "invoice_payment")); });
}
Result<PaymentIntent> parse_payment_intent(const json& j, const std::string& path) {
  return guarded([&] { return read_payment_intent(Obj(j, path, "payment_intent")); });
}
Result<Charge> parse_charge(const json& j, const std::string& path) {
  return guarded([&] { return read_charge(Obj(j, path, "charge")); });
}
Result<Refund> parse_refund(const json& j, const std::string& path) {
  return guarded([&] { return read_refund(Obj(j, path, "refund")); });
}
Result<Quote> parse_quote(const json& j, const std::string& path) {
  return guarded([&] { return read_quote(Obj(j, path, "quote")); });
}
Result<WebhookEndpoint> parse_webhook_endpoint(const json& j, const std::string& path) {
  return guarded([&] { return read_webhook_endpoint(Obj(j, path, "webhook_endpoint")); });
}
Result<Event> parse_event(const json& j, const std::string& path) {
  return guarded([&] { return read_event(Obj(j, path, "event")); });
}
Result<Deleted> parse_deleted(const json& j, const std::string& path) {
  return guarded([&] {
    Obj o(j, path);
    return Deleted{o.str("id"), o.boolean("deleted")};
  });
}

Status parse_list_frame(const json& j, const std::string& path, bool& has_more, std::string& url,
                        std::optional<std::string>& next_page,
                        const std::function<Status(const json&, const std::string&)>& each) {
  // The elements are parsed by `each` (which reports its own errors); a frame error is
  // reported like any other parse failure.
  std::optional<Error> element_error;
  auto frame = guarded([&] {
    auto list = read_list<int>(Obj(j, path), [&](const json& element, const std::string& element_path) {
      if (!element_error)
        if (auto st = each(element, element_path); !st) element_error = st.error();
      return 0;
    });
    has_more = list.has_more;
    url = list.url;
    next_page = list.next_page;
    return true;
  });
  if (!frame) return fail(frame.error());
  if (element_error) return fail(std::move(*element_error));
  return {};
}

}  // namespace settle::stripe
