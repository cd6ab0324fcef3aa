// The only translation unit that includes Boost.Beast (it costs ~25 s to compile).
#include "net/server.hpp"
#include "common/text.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "net/worker_pool.hpp"

namespace settle::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

const char* kOverloaded = R"({"error":{"code":"UNAVAILABLE","message":"server busy, retry shortly","field":null}})";
const char* kTooLarge = R"({"error":{"code":"PAYLOAD_TOO_LARGE","message":"request body exceeds the limit","field":null}})";
const char* kBadRequest = R"({"error":{"code":"BAD_REQUEST","message":"malformed HTTP request","field":null}})";

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::unique_ptr<WorkerPool> pool;
  std::vector<std::thread> io_threads;
  unsigned short bound_port = 0;

  std::mutex mu;  // guards stopped
  std::condition_variable stopped_cv;
  bool stopped = false;

  void accept();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {}

  void run() {
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::read, shared_from_this()));
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(server_.options.max_body);
    parser_->header_limit(32 * 1024);
    stream_.expires_after(std::chrono::seconds(server_.options.idle_timeout_seconds));
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream) return shutdown();
    if (ec == bhttp::error::body_limit) return write_fixed(413, kTooLarge, true);
    if (ec == bhttp::error::header_limit || (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
                                              ec != bhttp::error::partial_message))
      return write_fixed(400, kBadRequest, true);
    if (ec) return;  // timeout or reset: nothing to answer

    auto msg = parser_->release();
    version_ = msg.version();
    keep_alive_ = msg.keep_alive();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    auto q = req.target.find('?');
    std::string_view raw_path = std::string_view(req.target).substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    auto decoded = url_decode(raw_path, false);
    if (!decoded) return write_fixed(400, kBadRequest, true);
    req.path = std::move(*decoded);
    for (const auto& field : msg) req.headers.emplace_back(ascii_lower(field.name_string()), std::string(field.value()));
    req.body = std::move(msg.body());
    beast::error_code ignored;
    auto ep = stream_.socket().remote_endpoint(ignored);
    if (!ignored) req.remote_address = ep.address().to_string();

    auto self = shared_from_this();
    bool queued = server_.pool->try_submit([self, req = std::move(req)]() mutable {
      Response res;
      try {
        res = self->server_.handler(req);
      } catch (const std::exception& e) {
        res = Response::json(500, R"({"error":{"code":"INTERNAL_ERROR","message":"internal error","field":null}})");
      }
      asio::post(self->stream_.get_executor(),
                 [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
    });
    if (!queued) write_fixed(503, kOverloaded, false);
  }

  void write_fixed(int status, const char* body, bool close) {
    Response r = Response::json(status, body);
    r.close = close;
    if (status == 503) r.set_header("Retry-After", "1");
    write(std::move(r));
  }

  void write(Response res) {
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    out->version(version_ ? version_ : 11);
    out->result(static_cast<unsigned>(res.status));
    out->set(bhttp::field::server, "settle");
    for (auto& [k, v] : res.headers) out->insert(k, v);  // several Set-Cookie may come
    out->body() = std::move(res.body);
    bool close = res.close || !keep_alive_;
    out->keep_alive(!close);
    out->prepare_payload();
    response_ = out;
    stream_.expires_after(std::chrono::seconds(30));
    bhttp::async_write(stream_, *out,
                       [self = shared_from_this(), close](beast::error_code ec, std::size_t) {
                         self->response_.reset();
                         if (ec) return;
                         if (close) return self->shutdown();
                         self->buffer_.consume(0);
                         self->read();
                       });
  }

  // Ends the connection after the last answer. The client may still be sending (a body over
  // the limit, answered 413 before it was read): closing a socket with unread data makes the
  // kernel reset the connection, and the client can lose the answer it was sent. So, as web
  // servers do ("lingering close"), read and discard what still comes, until the client
  // closes or for at most kLingerSeconds.
  void shutdown() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    stream_.expires_after(std::chrono::seconds(kLingerSeconds));
    discard(std::make_shared<std::array<char, 8192>>());
  }
  void discard(std::shared_ptr<std::array<char, 8192>> sink) {
    stream_.async_read_some(asio::buffer(*sink), [self = shared_from_this(), sink](beast::error_code ec, std::size_t) {
      if (!ec) self->discard(sink);
    });
  }
  static constexpr int kLingerSeconds = 2;

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  Server::Impl& server_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<void> response_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
};

}  // namespace

void Server::Impl::accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), *this)->run();
    }
    accept();
  });
}

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

Server::~Server() { stop(); }

void Server::start() {
  auto& s = *impl_;
  beast::error_code ec;
  auto address = asio::ip::make_address(s.options.address, ec);
  if (ec) throw std::runtime_error("invalid listen address " + s.options.address);
  tcp::endpoint endpoint{address, s.options.port};
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + s.options.address + ":" + std::to_string(s.options.port) +
                             ": " + ec.message());
  s.bound_port = s.acceptor.local_endpoint().port();
  s.pool = std::make_unique<WorkerPool>(s.options.worker_threads, s.options.max_queue);
  s.accept();
  for (size_t i = 0; i < std::max<size_t>(1, s.options.io_threads); ++i)
    s.io_threads.emplace_back([&s] { s.ioc.run(); });
}

unsigned short Server::port() const { return impl_->bound_port; }

void Server::stop() {
  auto& s = *impl_;
  {
    std::lock_guard lock(s.mu);
    if (s.stopped) return;
    s.stopped = true;
  }
  asio::post(s.ioc, [&s] {
    beast::error_code ec;
    s.acceptor.close(ec);
  });
  if (s.pool) s.pool->stop();  // lets in-flight handlers finish and post their writes
  s.ioc.stop();
  for (auto& t : s.io_threads)
    if (t.joinable()) t.join();
  s.io_threads.clear();
  s.stopped_cv.notify_all();
}

void Server::wait() {
  std::unique_lock lock(impl_->mu);
  impl_->stopped_cv.wait(lock, [this] { return impl_->stopped; });
}

void wait_for_termination_signal() {
  asio::io_context ioc;
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([](beast::error_code, int) {});
  ioc.run();
}

}  // namespace settle::net
