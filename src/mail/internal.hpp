// What the files of src/mail share and nobody else needs (mail.cpp, reminders.cpp).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "crm/records.hpp"
#include "store/database.hpp"

namespace settle::mail::detail {

using crm::require_admin;
// The workspace as templates see it: {name, subdomain, locale}.
nlohmann::json workspace_json(store::Tx& tx, const std::string& ws);
std::string text_or(const nlohmann::json& j, const char* key, std::string fallback = {});
std::int64_t int_or(const nlohmann::json& j, const char* key);
std::string date_part(const std::string& iso);  // "2026-12-04" of "2026-12-04T10:00:00Z"

}  // namespace settle::mail::detail
