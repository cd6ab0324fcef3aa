#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "net/client.hpp"
#include "net/router.hpp"
#include "net/server.hpp"

namespace settle::net {
namespace {

TEST(Url, DecodeAndEncodeRoundTrip) {
  struct Case {
    std::string in;
    bool plus;
    std::optional<std::string> out;
  } cases[] = {
      {"a%20b", false, "a b"}, {"a+b", true, "a b"},   {"a+b", false, "a+b"},
      {"%zz", false, std::nullopt}, {"%4", false, std::nullopt}, {"%", false, std::nullopt},
      {"caf%C3%A9", false, "caf\xC3\xA9"},
  };
  for (const auto& c : cases) EXPECT_EQ(url_decode(c.in, c.plus), c.out) << c.in;
  EXPECT_EQ(url_encode("a b/é"), "a%20b%2F%C3%A9");
  EXPECT_EQ(url_decode(url_encode("x=1&y[0]=é"), false), "x=1&y[0]=é");
}

TEST(Url, ParseForm) {
  auto f = parse_form("a=1&b=x+y&c=&d&metadata%5Bk%5D=v");
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f[1].second, "x y");
  EXPECT_EQ(f[2].second, "");
  EXPECT_EQ(f[3].first, "d");
  EXPECT_EQ(f[4].first, "metadata[k]");
}

TEST(Router, LiteralBeatsCaptureAndWildcardIsLast) {
  Router r;
  r.add("GET", "/static/*", [](Request&) { return Response::text(200, "static"); });
  r.add("GET", "/rest/{object}/{id}", [](Request& q) { return Response::text(200, "generic:" + std::string(q.param("object"))); });
  r.add("POST", "/rest/quotes/{id}/accept", [](Request& q) { return Response::text(200, "accept:" + std::string(q.param("id"))); });
  r.add("GET", "/rest/quotes/{id}", [](Request& q) { return Response::text(200, "quote:" + std::string(q.param("id"))); });

  struct Case {
    std::string method, path;
    Router::Outcome outcome;
    std::string body;
  } cases[] = {
      {"GET", "/rest/quotes/q1", Router::Outcome::Found, "quote:q1"},
      {"GET", "/rest/orders/o1", Router::Outcome::Found, "generic:orders"},
      {"POST", "/rest/quotes/q1/accept", Router::Outcome::Found, "accept:q1"},
      {"GET", "/rest/quotes/q1/accept", Router::Outcome::MethodNotAllowed, ""},
      {"GET", "/static/a/b.js", Router::Outcome::Found, "static"},
      {"GET", "/nothing", Router::Outcome::NotFound, ""},
  };
  for (auto& c : cases) {
    Request q;
    q.method = c.method;
    q.path = c.path;
    auto m = r.match(q);
    EXPECT_EQ(m.outcome, c.outcome) << c.path;
    if (m.outcome == Router::Outcome::Found) {
      EXPECT_EQ((*m.handler)(q).body, c.body);
    }
  }
  Request q;
  q.method = "GET";
  q.path = "/static/a/b.js";
  r.match(q);
  EXPECT_EQ(q.param("*"), "a/b.js");
}

TEST(Server, AnswersOverLoopbackWithKeepAliveAndLimits) {
  global_init();
  std::atomic<int> calls{0};
  ServerOptions opts;
  opts.port = 0;
  opts.max_body = 1024;
  Server server(opts, [&](Request& q) {
    ++calls;
    return Response::json(200, "{\"path\":\"" + q.path + "\",\"q\":\"" + q.query + "\",\"len\":" +
                                   std::to_string(q.body.size()) + "}");
  });
  server.start();
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());

  auto r = perform({"GET", base + "/a%20b?x=1", {}, {}, 5000, 1000});
  ASSERT_TRUE(r) << r.error().log;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"path":"/a b","q":"x=1","len":0})");
  EXPECT_EQ(r->header("content-type"), "application/json");

  auto big = perform({"POST", base + "/", {}, std::string(4096, 'x'), 5000, 1000});
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);

  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto x = perform({"POST", base + "/p", {}, "hello", 5000, 1000});
        if (x && x->status == 200 && x->body.find("\"len\":5") != std::string::npos) ++ok;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);
  server.stop();
  auto after = perform({"GET", base + "/", {}, {}, 1000, 500});
  EXPECT_FALSE(after);
}

}  // namespace
}  // namespace settle::net

namespace settle::net {
namespace {

TEST(Html, EscapesTextAndAttributeSpecials) {
  EXPECT_EQ(html_escape(R"(<a href="x">Tom & Jerry's</a>)"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  EXPECT_EQ(html_escape("plain"), "plain");
  EXPECT_EQ(html_escape(""), "");
}

}  // namespace
}  // namespace settle::net
