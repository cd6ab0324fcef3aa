// Small text helpers shared across folders.
#pragma once

#include <string>
#include <string_view>

namespace settle {

// A-Z made a-z, every other byte kept: for case-insensitive names (emails, domains, HTTP
// header names, currency codes, query-string keys), never for prose.
std::string ascii_lower(std::string_view text);

}  // namespace settle
