#include "crm/workspace_profile.hpp"

#include <regex>

#include "common/crypto.hpp"
#include "common/money.hpp"
#include "docs/document_pdf.hpp"

namespace settle::crm {
namespace {

using json = nlohmann::json;
using store::RowView;
using store::Tx;

constexpr const char* kSelectProfile =
    "SELECT name, subdomain, address, locale, default_currency, time_zone, logo_sha256, LENGTH(logo_png) AS logo_chars "
    "FROM workspaces WHERE id = :ws";
constexpr const char* kUpdateProfile =
    "UPDATE workspaces SET name = :name, address = :address, locale = :locale, default_currency = :currency "
    "WHERE id = :ws";
constexpr const char* kUpdateLogo = "UPDATE workspaces SET logo_png = :png, logo_sha256 = :sha WHERE id = :ws";
constexpr const char* kSelectLogo = "SELECT logo_png FROM workspaces WHERE id = :ws";

constexpr std::size_t kMaxName = 200, kMaxAddress = 1000;

Result<json> read_profile(Tx& tx, const std::string& ws) {
  auto r = tx.query_one(kSelectProfile, {{"ws", ws}});
  if (!r) return fail(Error::not_found("workspace"));
  RowView w(*r, 0);
  json logo = nullptr;
  if (auto sha = w.opt_text("logo_sha256"))
    // Unpadded base64url: three bytes in every four characters; the logo itself is not read.
    logo = {{"sha256", *sha}, {"bytes", w.integer("logo_chars") * 3 / 4}};
  return json{{"name", w.text("name")},
              {"subdomain", w.text("subdomain")},
              {"address", w.opt_text("address").value_or("")},
              {"locale", w.text("locale")},
              {"defaultCurrency", w.text("default_currency")},
              {"timeZone", w.text("time_zone")},
              {"logo", logo}};
}

// "en-US", "de-DE", "fr", "de-CH": a language, optionally a region.
bool valid_locale(const std::string& s) {
  static const std::regex kLocale("^[a-z]{2,3}(-[A-Z]{2})?$");
  return std::regex_match(s, kLocale);
}

}  // namespace

WorkspaceProfile::WorkspaceProfile(std::shared_ptr<store::Database> db) : db_(std::move(db)) {}

Result<json> WorkspaceProfile::get(const Actor& actor) {
  return db_->read<json>([&](Tx& tx) { return read_profile(tx, actor.workspace_id); });
}

Result<json> WorkspaceProfile::update(const Actor& actor, const json& body) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  if (!body.is_object()) return fail(Error::validation("body", "an object: {\"name\", \"address\", \"locale\", \"defaultCurrency\"}"));
  for (const auto& [key, value] : body.items()) {
    if (key != "name" && key != "address" && key != "locale" && key != "defaultCurrency")
      return fail(Error::validation(key, "not a workspace setting here (name, address, locale, defaultCurrency)"));
    if (!value.is_string()) return fail(Error::validation(key, "a string"));
  }
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    auto current = read_profile(tx, actor.workspace_id);
    if (!current) return fail(current.error());
    auto take = [&](const char* key) { return body.contains(key) ? body[key].get<std::string>() : (*current)[key].get<std::string>(); };
    std::string name = take("name"), address = take("address"), locale = take("locale"), currency = take("defaultCurrency");
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(" \t\r\n"));
      s.erase(s.find_last_not_of(" \t\r\n") + 1);
      return s;
    };
    name = trim(name);
    address = trim(address);
    if (name.empty() || name.size() > kMaxName) return fail(Error::validation("name", "1 to 200 characters"));
    if (address.size() > kMaxAddress) return fail(Error::validation("address", "at most 1000 characters"));
    if (!valid_locale(locale)) return fail(Error::validation("locale", "a language and region such as en-US or de-DE"));
    auto normalized = normalize_currency(currency, "defaultCurrency");
    if (!normalized) return fail(normalized.error());
    tx.exec(kUpdateProfile, {{"ws", actor.workspace_id}, {"name", name},
                             {"address", address.empty() ? store::SqlValue(nullptr) : store::SqlValue(address)},
                             {"locale", locale}, {"currency", *normalized}});
    return read_profile(tx, actor.workspace_id);
  });
}

Result<json> WorkspaceProfile::put_logo(const Actor& actor, const json& body) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  std::string encoded;
  if (body.is_object() && body.contains("png") && body["png"].is_string()) {
    encoded = body["png"].get<std::string>();
  } else if (body.is_object() && body.contains("dataUrl") && body["dataUrl"].is_string()) {
    std::string url = body["dataUrl"];
    constexpr std::string_view kPrefix = "data:image/png;base64,";
    if (url.rfind(kPrefix, 0) != 0) return fail(Error::validation("logo", "a PNG image (data:image/png;base64,...)"));
    encoded = url.substr(kPrefix.size());
  } else {
    return fail(Error::validation("logo", "{\"png\": \"<base64>\"} or {\"dataUrl\": \"data:image/png;base64,...\"}"));
  }
  if (encoded.size() > docs::kMaxLogoBytes / 3 * 4 + 8) return fail(Error::validation("logo", "a logo is at most 512 KB"));
  auto png = base64_decode(encoded);
  if (!png) return fail(Error::validation("logo", "not base64"));
  if (auto st = docs::check_logo(*png); !st) return fail(st.error());
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    tx.exec(kUpdateLogo, {{"ws", actor.workspace_id}, {"png", base64url_encode(*png)}, {"sha", sha256_hex(*png)}});
    return read_profile(tx, actor.workspace_id);
  });
}

Status WorkspaceProfile::delete_logo(const Actor& actor) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  auto r = db_->write<long long>([&](Tx& tx) -> Result<long long> {
    return tx.exec(kUpdateLogo, {{"ws", actor.workspace_id}, {"png", nullptr}, {"sha", nullptr}});
  });
  if (!r) return fail(r.error());
  return {};
}

Result<std::optional<std::string>> WorkspaceProfile::logo(const Actor& actor) {
  return db_->read<std::optional<std::string>>(
      [&](Tx& tx) -> Result<std::optional<std::string>> { return logo(tx, actor.workspace_id); });
}

std::optional<std::string> WorkspaceProfile::logo(Tx& tx, const std::string& ws) {
  auto r = tx.query_one(kSelectLogo, {{"ws", ws}});
  if (!r) return std::nullopt;
  auto stored = RowView(*r, 0).opt_text("logo_png");
  if (!stored) return std::nullopt;
  return base64url_decode(*stored);
}

}  // namespace settle::crm
