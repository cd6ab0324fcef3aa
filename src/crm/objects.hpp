// The catalog of CRM objects exposed under /rest/{object}: for each, its table, its fields
// (API name, column, type, who may write them) and what it references. One table drives
// list queries, JSON rendering, input validation and the OpenAPI document, so adding a
// field is a one-line change that cannot leave them out of step.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/query.hpp"

namespace settle::crm {

enum class Access {
  ReadOnly,    // set by the server (ids, numbers, totals, Stripe ids, timestamps)
  CreateOnly,  // given when creating, fixed afterwards (a payment's invoice)
  Writable,
};

enum class DocumentKind { None, Quote, Order, Invoice, Payment };

struct FieldDef {
  store::FieldSpec spec;
  Access access = Access::Writable;
  bool required = false;        // on create
  bool money = false;           // integer minor units of the record's currency
  size_t max_length = 2000;     // for text
  std::string references;       // object name of the referenced record ("companies"), if an Id
  std::string description;      // for the OpenAPI document
};

struct ObjectDef {
  std::string name;       // "companies" (the URL segment)
  std::string singular;   // "company" (for messages and events)
  DocumentKind kind = DocumentKind::None;
  bool has_line_items = false;
  store::ObjectSpec spec;        // table + query fields (same order as `fields`)
  std::vector<FieldDef> fields;

  const FieldDef* field(std::string_view api_name) const;
};

const std::vector<ObjectDef>& all_objects();
const ObjectDef* find_object(std::string_view name);

// Statuses of the non-document objects (documents use billing/lifecycle).
inline const std::vector<std::string> kProjectStatuses = {"Planned", "Active", "On Hold", "Completed", "Cancelled"};
inline const std::vector<std::string> kTaskStatuses = {"TODO", "IN_PROGRESS", "DONE"};

}  // namespace settle::crm
