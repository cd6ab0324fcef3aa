// A fixture for suites that work in one workspace through the real API: a TestServer on
// the test's backend, a workspace with its ADMIN API key, and one company to bill.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "harness.hpp"

namespace settle::testing {

class OneWorkspaceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    srv = std::make_unique<TestServer>(GetParam());
    auto ws = srv->accounts->create_workspace("Acme", "acme", "admin@acme-lasers.com", std::string("correct horse 1"));
    ASSERT_TRUE(ws);
    key = ws->api_key;
    workspace_id = ws->workspace_id;
    auto c = call("POST", "/rest/companies", {{"name", "Lumen Clinic"}});
    ASSERT_EQ(c.status, 201) << c.raw;
    company = c.body["data"]["id"];
  }
  Reply call(const std::string& method, const std::string& path, const json& body = nullptr) {
    return srv->call(method, path, body, key);
  }

  std::unique_ptr<TestServer> srv;
  std::string key, workspace_id, company;
};

}  // namespace settle::testing
