// Which databases count as a test run's throwaway ones. Some settings trade safety for test
// speed (SETTLE_INSECURE_FAST_PASSWORD_HASH makes password hashes cheap to crack); the
// server honours them only on such a database, so a stray environment variable cannot
// weaken a real deployment.
#pragma once

#include <string_view>

namespace settle::store {

// A SQLite file under the system's temporary directory, or a PostgreSQL database on this
// machine (loopback address or Unix socket) whose name starts with "test".
bool is_test_database(std::string_view url);

}  // namespace settle::store
