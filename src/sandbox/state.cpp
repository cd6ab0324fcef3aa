// Accounts, objects and the sandbox clock (see state.hpp).
#include "sandbox/state.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "sandbox/api_error.hpp"

namespace settle::sandbox {

json& Account::insert(json object) {
  std::string id = object.at("id").get<std::string>();
  std::string type = object.at("object").get<std::string>();
  order[type].push_back(id);
  auto [it, inserted] = objects.insert_or_assign(id, std::move(object));
  return it->second;
}

json* Account::find(const std::string& id) {
  auto it = objects.find(id);
  return it == objects.end() ? nullptr : &it->second;
}

json* Account::find(const std::string& id, std::string_view type) {
  json* o = find(id);
  if (!o || !o->contains("object") || (*o)["object"] != type) return nullptr;
  return o;
}

json& Account::get(const std::string& id, std::string_view type, const std::string& kind, const std::string& param) {
  json* o = find(id, type);
  if (!o || o->value("deleted", false)) throw no_such(kind, id, param);
  return *o;
}

void Account::erase(const std::string& id) {
  auto it = objects.find(id);
  if (it == objects.end()) return;
  auto& ids = order[it->second.value("object", "")];
  ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
  objects.erase(it);
  internal.erase(id);
}

std::vector<std::string> Account::newest_first(const std::string& type) const {
  auto it = order.find(type);
  if (it == order.end()) return {};
  return {it->second.rbegin(), it->second.rend()};
}

json& Account::facts(const std::string& id) {
  json& f = internal[id];
  if (!f.is_object()) f = json::object();
  return f;
}

std::int64_t State::now() const {
  auto wall = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  return wall.count() + clock_offset_;
}

Account& State::account(const std::string& key) {
  auto [it, inserted] = accounts_.try_emplace(key);
  if (inserted) it->second.key = key;
  return it->second;
}

Account* State::account_owning(const std::string& object_id) {
  for (auto& [key, account] : accounts_)
    if (account.objects.count(object_id)) return &account;
  return nullptr;
}

void State::clear() {
  clock_offset_ = 0;
  accounts_.clear();
}

json State::to_json() const {
  json accounts = json::array();
  for (const auto& [key, a] : accounts_) {
    json idem = json::object();
    for (const auto& [k, r] : a.idempotency)
      idem[k] = {{"fingerprint", r.fingerprint}, {"status", r.status}, {"body", r.body},
                 {"request_id", r.request_id}, {"created", r.created}};
    accounts.push_back({{"key", key}, {"api_version", a.api_version}, {"objects", a.objects}, {"order", a.order}, {"internal", a.internal},
                        {"idempotency", idem}});
  }
  return {{"format", "settle-stripe-sandbox/1"}, {"clock_offset", clock_offset_}, {"accounts", accounts}};
}

void State::load(const json& document) {
  if (document.value("format", "") != "settle-stripe-sandbox/1")
    throw std::runtime_error("not a Stripe sandbox state file");
  std::map<std::string, Account> loaded;
  for (const auto& a : document.at("accounts")) {
    Account account;
    account.key = a.at("key").get<std::string>();
    account.api_version = a.value("api_version", "");
    account.objects = a.at("objects").get<std::map<std::string, json>>();
    account.order = a.at("order").get<std::map<std::string, std::vector<std::string>>>();
    account.internal = a.at("internal").get<std::map<std::string, json>>();
    for (const auto& [k, r] : a.at("idempotency").items())
      account.idempotency[k] = {r.at("fingerprint"), r.at("status"), r.at("body"), r.at("request_id"), r.at("created")};
    loaded[account.key] = std::move(account);
  }
  clock_offset_ = document.at("clock_offset").get<std::int64_t>();
  accounts_ = std::move(loaded);
}

std::string random_token(std::size_t length, std::string_view alphabet) {
  static constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  if (alphabet.empty()) alphabet = kBase62;
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i)
    out.push_back(alphabet[randombytes_uniform(static_cast<std::uint32_t>(alphabet.size()))]);
  return out;
}

std::string new_id(std::string_view prefix, std::size_t random_chars) {
  return std::string(prefix) + "_" + random_token(random_chars);
}

}  // namespace settle::sandbox
