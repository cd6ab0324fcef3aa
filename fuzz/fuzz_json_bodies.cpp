// The JSON bodies of POST and PATCH /rest/{object}: parsed as http/api.cpp's parse_body
// does (json::parse; malformed input is a 400 and goes no further), then through the
// domain's input validation for every object (crm::detail::convert_input) and, for the
// object the input names, crm::Records::create and update on a real SQLite database with
// line items, product lookups, references, totals and document numbering.
//
// Input: the object's name ("quotes"), optionally followed by lifecycle actions to apply to
// the created record in turn ("quotes finalize accept"), a newline, the body; each action
// gets the body too (an order's `invoice` reads dueDate from it). String values "@company",
// "@person", "@project", "@product", "@quote", "@order", "@invoice" and "@member" are
// replaced by the ids of records made at start-up, so that references can resolve.
//
// Beyond "does not crash", it checks that
//  * every refusal, of a create, an update or an action, is a client error (BadRequest,
//    Validation, Conflict, NotFound), never Internal: a body or a move can be wrong, but it
//    can never break the server;
//  * converted input names only catalog columns, and on create every required field;
//  * a created or updated record shows every non-null field of the body as sent (in its
//    canonical form), and a document's subtotal is the sum of its lines' amounts and its
//    total the subtotal plus the tax.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "crm/accounts.hpp"
#include "crm/record_store.hpp"
#include "crm/records.hpp"
#include "store/database.hpp"

namespace {

using namespace settle;
using nlohmann::json;

[[noreturn]] void violation(const char* what, std::string_view object, const json& body, std::string_view detail) {
  std::fprintf(stderr, "fuzz_json_bodies: %s (%.*s): %.*s\n  body: %s\n", what, static_cast<int>(object.size()),
               object.data(), static_cast<int>(detail.size()), detail.data(),
               body.dump(-1, ' ', true, json::error_handler_t::replace).c_str());
  __builtin_trap();
}

bool is_client_error(ErrorCode code) {
  return code == ErrorCode::BadRequest || code == ErrorCode::Validation || code == ErrorCode::Conflict ||
         code == ErrorCode::NotFound;
}

template <class T>
T must(Result<T> result, const char* step) {
  if (!result) {
    std::fprintf(stderr, "fuzz_json_bodies: setting up, %s failed: %s %s\n", step, result.error().message.c_str(),
                 result.error().log.c_str());
    std::abort();
  }
  return std::move(*result);
}

// One workspace in a SQLite file of its own, with a record of each kind to refer to.
struct Fixture {
  std::filesystem::path dir;
  std::shared_ptr<store::Database> db;
  std::unique_ptr<crm::Records> records;
  crm::Actor actor;
  std::map<std::string, std::string> ids;      // "@company" -> the id of the company to refer to
  std::map<std::string, std::string> scratch;  // "companies" -> another one, for updates to change

  Fixture() {
    spdlog::set_level(spdlog::level::off);
    std::string pattern = (std::filesystem::temp_directory_path() / "settle-fuzz-XXXXXX").string();
    if (!mkdtemp(pattern.data())) std::abort();
    dir = pattern;
    db = must(store::Database::open("sqlite:" + (dir / "fuzz.db").string(), 1), "open");
    if (!db->migrate()) std::abort();
    crm::AccountsOptions options;
    options.cost = PasswordHashCost::MinimalForTests;
    crm::Accounts accounts(db, options);
    auto workspace = must(accounts.create_workspace("Fuzz", "fuzz", "fuzz@example.com", std::nullopt), "workspace");
    actor = crm::Actor{workspace.workspace_id, workspace.user_id, "fuzz@example.com", crm::Role::Admin};
    records = std::make_unique<crm::Records>(db);
    ids["@member"] = workspace.user_id;

    make("companies", "@company", {{"name", "Phos Industries"}});
    make("people", "@person", {{"firstName", "Ada"}, {"companyId", ids["@company"]}});
    make("projects", "@project", {{"name", "Rollout"}, {"companyId", ids["@company"]}});
    make("products", "@product", {{"name", "Widget"}, {"unitAmount", 1500}, {"currency", "USD"}});
    const json lines = {{{"productId", ids["@product"]}, {"quantity", 2}}};
    make("quotes", "@quote", {{"companyId", ids["@company"]}, {"lineItems", lines}});
    make("orders", "@order", {{"companyId", ids["@company"]}, {"lineItems", lines}});
    // Finalized and large, so that payments have something to apply to for a long run.
    make("invoices", "@invoice",
         {{"companyId", ids["@company"]},
          {"lineItems", {{{"description", "Retainer"}, {"quantity", 1000000}, {"unitAmount", 100000}}}}});
    must(records->act(actor, *crm::find_object("invoices"), ids["@invoice"], "finalize", json::object()), "finalize");
    make("expenses", "", {{"description", "Train"}, {"amount", 4200}, {"currency", "EUR"}, {"date", "2026-11-02"}});
    make("tasks", "", {{"title", "Call back"}, {"assigneeId", ids["@member"]}});
    std::atexit([] { std::filesystem::remove_all(instance().dir); });
  }

  void make(const std::string& object, const std::string& placeholder, const json& body) {
    auto create = [&] { return must(records->create(actor, *crm::find_object(object), body), object.c_str()); };
    scratch[object] = create()["id"].get<std::string>();
    if (!placeholder.empty()) ids[placeholder] = create()["id"].get<std::string>();
  }

  void substitute(json& value) const {
    if (value.is_string()) {
      const auto& text = value.get_ref<const std::string&>();
      if (!text.empty() && text.front() == '@')
        if (auto it = ids.find(text); it != ids.end()) value = it->second;
    } else if (value.is_structured()) {
      for (auto& child : value) substitute(child);
    }
  }

  static Fixture& instance() {
    static Fixture* fixture = new Fixture();  // kept to the end: the atexit handler uses it
    return *fixture;
  }
};

void check_conversion(const crm::ObjectDef& object, const json& body, bool creating) {
  auto values = crm::detail::convert_input(object, body, creating);
  if (!values) {
    if (values.error().code != ErrorCode::BadRequest && values.error().code != ErrorCode::Validation)
      violation("convert_input refused with neither BadRequest nor Validation", object.name, body,
                values.error().message);
    return;
  }
  for (const auto& [column, value] : *values) {
    bool known = false;
    for (const auto& field : object.fields) known = known || field.spec.column == column;
    if (!known) violation("convert_input produced a column outside the catalog", object.name, body, column);
  }
  if (creating)
    for (const auto& field : object.fields)
      if (field.required && !values->count(field.spec.column))
        violation("convert_input accepted a body without a required field", object.name, body, field.spec.name);
}

// A record, or a client error; false for the error.
bool check_answer(const crm::ObjectDef& object, const json& body, const Result<json>& record) {
  if (!record) {
    if (!is_client_error(record.error().code))
      violation("refused with a server error", object.name, body, record.error().message + " / " + record.error().log);
    return false;
  }
  if (!record->is_object() || !(*record)["id"].is_string()) violation("answer is not a record", object.name, body, "");
  return true;
}

void check_record(const crm::ObjectDef& object, const json& body, const Result<json>& record, bool creating) {
  if (!check_answer(object, body, record)) return;
  auto values = crm::detail::convert_input(object, body, creating);
  if (!values) violation("accepted a body convert_input refuses", object.name, body, values.error().message);
  for (const auto& [key, value] : body.items()) {
    if (key == "lineItems" || value.is_null()) continue;
    const crm::FieldDef* field = object.field(key);
    const json expected = crm::detail::value_to_json(*field, values->at(field->spec.column));
    if ((*record)[key] != expected) violation("record does not show the field as sent", object.name, body, key);
  }
  if (!object.has_line_items) return;
  std::int64_t subtotal = 0;
  for (const auto& line : (*record)["lineItems"]) subtotal += line["amount"].get<std::int64_t>();
  const char* total = object.kind == crm::DocumentKind::Order ? "totalAmount" : "total";
  if ((*record)["subtotal"] != subtotal) violation("subtotal is not the sum of the lines", object.name, body, "");
  if ((*record)[total] != subtotal + (*record)["taxAmount"].get<std::int64_t>())
    violation("total is not subtotal plus tax", object.name, body, "");
  if (body.contains("lineItems") && (*record)["lineItems"].size() != body["lineItems"].size())
    violation("line items lost or added", object.name, body, "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& fixture = Fixture::instance();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const std::string_view first_line = input.substr(0, newline);
  const std::string_view name = first_line.substr(0, first_line.find(' '));
  json body = json::parse(input.substr(newline + 1), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;  // parse_body's 400: the domain never sees it
  fixture.substitute(body);

  for (const auto& object : crm::all_objects()) {
    check_conversion(object, body, true);
    check_conversion(object, body, false);
  }
  const crm::ObjectDef* object = crm::find_object(name);
  if (!object) return 0;
  const auto created = fixture.records->create(fixture.actor, *object, body);
  check_record(*object, body, created, true);
  if (created) {
    std::string_view actions = first_line.substr(name.size());
    for (int taken = 0; taken < 4 && !actions.empty(); ++taken) {
      actions.remove_prefix(1);  // the space
      const std::string_view action = actions.substr(0, actions.find(' '));
      actions.remove_prefix(action.size());
      check_answer(*object, body,
                   fixture.records->act(fixture.actor, *object, (*created)["id"].get<std::string>(), action, body));
    }
  }
  if (auto it = fixture.scratch.find(object->name); it != fixture.scratch.end())
    check_record(*object, body, fixture.records->update(fixture.actor, *object, it->second, body), false);
  return 0;
}
