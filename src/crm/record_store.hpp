// Internal to src/crm: the SQL-facing helpers shared by records.cpp (generic CRUD) and
// documents.cpp (quotes, orders, invoices, payments). Every statement is scoped by
// workspace_id; table and column names come only from the object catalog, values are bound.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "crm/records.hpp"

namespace settle::crm::detail {

using store::SqlValue;
using Values = std::map<std::string, SqlValue>;  // column -> value

// SELECT <all catalog columns> FROM <table> (no WHERE), built once per object.
const std::string& select_columns(const ObjectDef& object);

json to_json(const ObjectDef& object, const store::Rows& rows, size_t index);
json value_to_json(const FieldDef& field, const SqlValue& value);

// The live (or, with include_deleted, any) record as stored, or nullopt.
std::optional<store::Rows> load(store::Tx& tx, const ObjectDef& object, const std::string& workspace_id,
                                std::string_view id, bool include_deleted = false);
// The record as the API shows it: fields plus lineItems for documents.
Result<json> load_json(store::Tx& tx, const ObjectDef& object, const std::string& workspace_id, std::string_view id,
                       bool include_deleted = false);

// Line items of several documents at once, in position order.
std::map<std::string, json> load_lines(store::Tx& tx, const std::string& workspace_id,
                                       const std::vector<std::string>& document_ids);

// Converts and checks the client's JSON for the given fields; refuses unknown, read-only
// (and on update create-only) fields, wrong types, over-long text, bad enums and currencies.
Result<Values> convert_input(const ObjectDef& object, const json& body, bool creating);
// Every Id field with a `references` object must name a live record of this workspace.
Status check_references(store::Tx& tx, const ObjectDef& object, const std::string& workspace_id,
                        const Values& values);

void insert(store::Tx& tx, const ObjectDef& object, const std::string& workspace_id, const Values& values);
void update_columns(store::Tx& tx, const ObjectDef& object, const std::string& workspace_id, std::string_view id,
                    const Values& values);

void add_event(store::Tx& tx, const Actor& actor, const ObjectDef& object, std::string_view record_id,
               std::string_view kind, std::string_view field = {}, const SqlValue& old_value = nullptr,
               const SqlValue& new_value = nullptr);

std::string text_of(const SqlValue& v);  // "" for NULL

}  // namespace settle::crm::detail
