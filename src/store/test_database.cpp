#include "store/test_database.hpp"

#include <filesystem>
#include <string>
#include <system_error>

namespace settle::store {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool is_under_temp_directory(std::string_view path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path temp = fs::weakly_canonical(fs::temp_directory_path(ec), ec);
  if (ec || temp.empty()) return false;
  fs::path file = fs::weakly_canonical(fs::absolute(fs::path(std::string(path)), ec), ec);
  if (ec) return false;
  auto [t, f] = std::mismatch(temp.begin(), temp.end(), file.begin(), file.end());
  return t == temp.end() && f != file.end();
}

bool is_loopback_host(std::string_view host) {
  return host.empty() || host == "localhost" || host == "[::1]" || starts_with(host, "127.") || starts_with(host, "/");
}

// postgres://user:password@host:port/name?options -> host and name.
bool is_local_test_postgres(std::string_view url) {
  auto scheme_end = url.find("://");
  std::string_view rest = url.substr(scheme_end + 3);
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view authority = rest.substr(0, slash);
  std::string_view name = rest.substr(slash + 1);
  name = name.substr(0, name.find('?'));
  auto at = authority.rfind('@');
  std::string_view host = at == std::string_view::npos ? authority : authority.substr(at + 1);
  host = starts_with(host, "[") ? host.substr(0, host.find(']') + 1) : host.substr(0, host.find(':'));
  return is_loopback_host(host) && starts_with(name, "test");
}

}  // namespace

bool is_test_database(std::string_view url) {
  if (starts_with(url, "sqlite:")) return is_under_temp_directory(url.substr(7));
  if (starts_with(url, "postgres://") || starts_with(url, "postgresql://")) return is_local_test_postgres(url);
  return false;
}

}  // namespace settle::store
