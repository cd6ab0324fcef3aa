#include "crm/demo.hpp"
#include "crm/workspace_profile.hpp"

#include <chrono>

namespace settle::crm {

using nlohmann::json;

namespace {

// Makes a record through the same domain functions the API uses, so the demo data obeys
// every rule real data does.
Result<json> make(Records& records, const Actor& actor, const char* object, const json& body) {
  return records.create(actor, *find_object(object), body);
}

}  // namespace

Result<json> seed_demo(Accounts& accounts, Records& records) {
  json out = {{"subdomain", kDemoSubdomain}, {"adminEmail", kDemoAdminEmail}, {"adminPassword", kDemoAdminPassword}};
  auto existing = accounts.workspace_id_for(kDemoSubdomain);
  if (existing) {
    Actor admin{*existing, "", "demo seeding", Role::Admin};
    auto key = accounts.create_api_key(admin, json{{"name", "demo"}, {"role", "ADMIN"}});
    if (!key) return fail(key.error());
    out["workspaceId"] = *existing;
    out["apiKey"] = (*key)["key"];
    out["created"] = false;
    return out;
  }

  auto ws = accounts.create_workspace("Phos Industries", kDemoSubdomain, kDemoAdminEmail, std::string(kDemoAdminPassword));
  if (!ws) return fail(ws.error());
  Actor admin{ws->workspace_id, ws->user_id, kDemoAdminEmail, Role::Admin};
  out["workspaceId"] = ws->workspace_id;
  out["apiKey"] = ws->api_key;
  out["created"] = true;
  // What its documents show of it.
  if (auto p = WorkspaceProfile(records.database()).update(admin, json{{"address", "12 Harbour Road\nCork T12 X8Y2, Ireland"}}); !p)
    return fail(p.error());

  auto domain = accounts.add_domain(admin, json{{"domain", "phos-ind.com"}, {"validationEmail", kDemoAdminEmail}});
  if (!domain) return fail(domain.error());
  // The demo validates its domain the way its postmaster would: with the code in the mail.
  auto mail_id = records.db().read<std::string>([&](store::Tx& tx) -> Result<std::string> {
    auto r = tx.query_one("SELECT id FROM outbox WHERE workspace_id = :ws AND kind = 'domain_validation'",
                          {{"ws", ws->workspace_id}});
    if (!r) return fail(Error::internal("demo: the domain validation mail was not queued"));
    return store::RowView(*r, 0).text("id");
  });
  if (!mail_id) return fail(mail_id.error());
  auto mail = accounts.open_outbox_message(*mail_id);
  if (!mail) return fail(mail.error());
  if (auto v = accounts.validate_domain(mail->data.value("code", std::string())); !v) return fail(v.error());
  // Not sent: the address is the demo's own.
  records.db().write<bool>([&](store::Tx& tx) -> Result<bool> {
    tx.exec("UPDATE outbox SET status = 'cancelled', next_attempt_at = NULL WHERE id = :id", {{"id", *mail_id}});
    return true;
  });
  if (auto m = accounts.add_user(kDemoSubdomain, "sales@phos-ind.com", std::string(kDemoAdminPassword), Role::Member); !m)
    return fail(m.error());

  json companies = json::array();
  for (const auto& c : {json{{"name", "Lumen Aesthetics Clinic"}, {"domainName", "lumen-clinic.com"},
                             {"address", "12 Harbor St, Boston, MA 02110"}},
                        json{{"name", "Northwind Dermatology"}, {"domainName", "northwind-derm.com"},
                             {"address", "400 Pine Ave, Seattle, WA 98101"}},
                        json{{"name", "LVN Laser Service"}, {"domainName", "lvnlaser.com"},
                             {"address", "88 Industrial Way, Austin, TX 78701"}}}) {
    auto r = make(records, admin, "companies", c);
    if (!r) return fail(r.error());
    companies.push_back(*r);
  }
  const std::string lumen = companies[0]["id"], northwind = companies[1]["id"], lvn = companies[2]["id"];
  auto ada = make(records, admin, "people",
                  {{"firstName", "Ada"}, {"lastName", "Moreau"}, {"email", "ada@lumen-clinic.com"},
                   {"phone", "+1 617 555 0101"}, {"companyId", lumen}});
  if (!ada) return fail(ada.error());
  for (const auto& p : {json{{"firstName", "Ben"}, {"lastName", "Okafor"}, {"email", "ben@northwind-derm.com"},
                             {"companyId", northwind}},
                        json{{"firstName", "Chen"}, {"lastName", "Li"}, {"email", "chen@lvnlaser.com"},
                             {"companyId", lvn}}})
    if (auto r = make(records, admin, "people", p); !r) return fail(r.error());

  auto laser = make(records, admin, "products",
                    {{"name", "PX-810 Diode Laser System"}, {"description", "810 nm diode laser, 1600 W"},
                     {"unitAmount", 2450000}, {"currency", "USD"}});
  auto handpiece = make(records, admin, "products",
                        {{"name", "Replacement Handpiece"}, {"unitAmount", 185000}, {"currency", "USD"}});
  auto service = make(records, admin, "products",
                      {{"name", "Annual Service Plan"}, {"unitAmount", 420000}, {"currency", "USD"}});
  if (!laser || !handpiece || !service) return fail((!laser ? laser : !handpiece ? handpiece : service).error());
  if (auto r = make(records, admin, "projects",
                    {{"name", "Lumen clinic roll-out"}, {"status", "Active"}, {"budget", 5000000}, {"currency", "USD"},
                     {"companyId", lumen}});
      !r)
    return fail(r.error());

  auto quote = [&](const std::string& company, const json& lines, std::int64_t tax, const std::string& expires)
      -> Result<json> {
    return make(records, admin, "quotes",
                {{"companyId", company}, {"currency", "USD"}, {"taxAmount", tax}, {"lineItems", lines},
                 {"expiresAt", expires}});
  };
  const auto& quotes = *find_object("quotes");
  json laser_line = {{"productId", (*laser)["id"]}, {"quantity", 1}};
  json handpiece_line = {{"productId", (*handpiece)["id"]}, {"quantity", 2}};
  json service_line = {{"productId", (*service)["id"]}, {"quantity", 1}};

  // Draft
  if (auto r = quote(lumen, json::array({laser_line, service_line}), 0, store::timestamp_from_now(std::chrono::days(30))); !r) return fail(r.error());
  // Open
  auto open = quote(northwind, json::array({handpiece_line}), 29600, store::timestamp_from_now(std::chrono::days(14)));
  if (!open) return fail(open.error());
  if (auto r = records.act(admin, quotes, (*open)["id"].get<std::string>(), "finalize", json::object()); !r)
    return fail(r.error());
  // Accepted (with its order)
  auto accepted = quote(lumen, json::array({laser_line, handpiece_line}), 196000, store::timestamp_from_now(std::chrono::days(30)));
  if (!accepted) return fail(accepted.error());
  for (const char* a : {"finalize", "accept"})
    if (auto r = records.act(admin, quotes, (*accepted)["id"].get<std::string>(), a, json::object()); !r)
      return fail(r.error());
  // Expired: finalized with a validity that has already run out, then swept by the expiry job.
  auto expired = quote(lvn, json::array({service_line}), 0, store::timestamp_from_now(std::chrono::days(-1)));
  if (!expired) return fail(expired.error());
  if (auto r = records.act(admin, quotes, (*expired)["id"].get<std::string>(), "finalize", json::object()); !r)
    return fail(r.error());
  if (auto r = records.expire_due_quotes(admin); !r) return fail(r.error());
  // Canceled
  auto canceled = quote(northwind, json::array({laser_line}), 0, store::timestamp_from_now(std::chrono::days(30)));
  if (!canceled) return fail(canceled.error());
  if (auto r = records.act(admin, quotes, (*canceled)["id"].get<std::string>(), "cancel", json::object()); !r)
    return fail(r.error());
  return out;
}

}  // namespace settle::crm
