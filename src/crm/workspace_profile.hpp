// The workspace as its documents show it: its name, postal address and logo on every quote
// and invoice PDF, the locale amounts are written in, the currency new records default to.
// Any member reads it; only an ADMIN changes it. The logo is a PNG (docs::check_logo) kept
// in the workspace's row; its hash names the version, so a PDF stored once keeps the logo
// it was made with.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "crm/records.hpp"
#include "store/database.hpp"

namespace settle::crm {

class WorkspaceProfile {
 public:
  explicit WorkspaceProfile(std::shared_ptr<store::Database> db);

  // {name, subdomain, address, locale, defaultCurrency, timeZone, logo: {sha256, bytes} | null}
  Result<nlohmann::json> get(const Actor& actor);
  // ADMIN: any of name, address, locale ("de-DE"), defaultCurrency ("EUR"); a bad one is
  // refused naming it and nothing changes.
  Result<nlohmann::json> update(const Actor& actor, const nlohmann::json& body);
  // ADMIN: {"png": "<base64>"} or {"dataUrl": "data:image/png;base64,..."}.
  Result<nlohmann::json> put_logo(const Actor& actor, const nlohmann::json& body);
  Status delete_logo(const Actor& actor);
  // The PNG bytes, or none.
  Result<std::optional<std::string>> logo(const Actor& actor);
  // The same, in the caller's transaction (documents read it with their record).
  static std::optional<std::string> logo(store::Tx& tx, const std::string& workspace_id);

 private:
  std::shared_ptr<store::Database> db_;
};

}  // namespace settle::crm
