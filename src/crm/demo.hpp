// The demo workspace `make run` starts with: Phos Industries (a laser and medical-device
// maker running several brands), its approved domain, an admin, companies, contacts,
// products and one quote in every status. Seeding is idempotent: a second run finds the
// workspace and only issues a fresh API key.
#pragma once

#include <nlohmann/json.hpp>

#include "crm/accounts.hpp"
#include "crm/records.hpp"

namespace settle::crm {

inline constexpr const char* kDemoSubdomain = "phos-ind";
inline constexpr const char* kDemoAdminEmail = "admin@phos-ind.com";
inline constexpr const char* kDemoAdminPassword = "phos-demo-2026";

// Answers {"workspaceId","subdomain","adminEmail","adminPassword","apiKey","created"}.
Result<nlohmann::json> seed_demo(Accounts& accounts, Records& records);

}  // namespace settle::crm
