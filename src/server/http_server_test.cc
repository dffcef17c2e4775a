// The HTTP server over real loopback sockets: routing, the built-in endpoints, keep-alive,
// limits, the read timeout and graceful stop. The server's io_context runs on a thread of its
// own; the test talks to it with blocking sockets, as an outside client would.
#include "src/server/http_server.h"

#include <gtest/gtest.h>

#include <future>
#include <stdexcept>
#include <thread>

#include "src/server/test_loopback.h"

namespace intsim::server {
namespace {

using testing::BlockingConnection;
using testing::make_request;
namespace http = testing::http;
namespace net = testing::net;
using testing::beast::error_code;

// Answers handed over by the asynchronous routes, to be given when a test says so.
std::vector<Responder>* g_pending = nullptr;

Router test_router() {
  Router router;
  router.add_async("POST", "/later", [](const core::HttpRequest& r, Responder respond) {
    if (r.body == "twice") {
      respond(text_response(200, "first"));
      respond(text_response(200, "second"));  // ignored
      return;
    }
    g_pending->push_back(std::move(respond));
  });
  router.add("POST", "/echo", [](const core::HttpRequest& r) {
    core::HttpResponse out;
    out.status = 201;
    out.headers.push_back(
        {"X-Seen-Signature", std::string(r.header("stripe-signature").value_or(""))});
    out.headers.push_back({"X-Target", r.target});
    // A handler's own framing headers must not reach the wire: the server computes them.
    out.headers.push_back({"Content-Length", "999"});
    out.body = "echo:" + r.body;
    return out;
  });
  router.add_prefix("GET", "/ical/", [](const core::HttpRequest& r) {
    return text_response(200, "calendar " + std::string(target_path(r.target)));
  });
  router.add("GET", "/boom", [](const core::HttpRequest&) -> core::HttpResponse {
    throw std::runtime_error("handler bug");
  });
  return router;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(io_, test_router(), std::move(options));
    const core::Status st = server_->start();
    ASSERT_TRUE(st.is_ok()) << st.to_string();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (!thread_.joinable()) return;
    net::post(io_, [this] { server_->stop(); });
    thread_.join();
  }
  HttpServerStats stats() {
    std::promise<HttpServerStats> p;
    net::post(io_, [&] { p.set_value(server_->stats()); });
    return p.get_future().get();
  }
  void stop_server() {
    std::promise<void> p;
    net::post(io_, [&] {
      server_->stop();
      p.set_value();
    });
    p.get_future().get();
  }

  // Gives the oldest pending asynchronous answer, on the io thread.
  void answer_pending(std::string body) {
    std::promise<bool> p;
    net::post(io_, [&] {
      if (pending_.empty()) return p.set_value(false);
      Responder respond = std::move(pending_.front());
      pending_.erase(pending_.begin());
      respond(text_response(200, std::move(body)));
      p.set_value(true);
    });
    auto answered = p.get_future();
    // Bounded: if the io_context stopped running before the answer, this fails, not hangs.
    ASSERT_EQ(answered.wait_for(std::chrono::seconds(3)), std::future_status::ready)
        << "the io_context stopped before the answer could be given";
    ASSERT_TRUE(answered.get()) << "no request is waiting for an answer";
  }
  std::size_t pending_count() {
    std::promise<std::size_t> p;
    net::post(io_, [&] { p.set_value(pending_.size()); });
    return p.get_future().get();
  }
  void wait_for_pending(std::size_t n) {
    for (int i = 0; i < 500 && pending_count() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_EQ(pending_count(), n);
  }

  net::io_context io_;
  std::unique_ptr<HttpServer> server_;
  // After io_: a held answer keeps its session, which must go before the io_context does.
  std::vector<Responder> pending_;
  struct PendingScope {
    explicit PendingScope(std::vector<Responder>* p) { g_pending = p; }
    ~PendingScope() { g_pending = nullptr; }
  } pending_scope_{&pending_};
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(HttpServerTest, AnswersHealthzRoutesAndErrorsOnOneKeptAliveConnection) {
  start();
  BlockingConnection c(port_);
  error_code ec;
  auto r = c.roundtrip(make_request(http::verb::get, "/healthz"), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r.body(), "ok\n");
  EXPECT_TRUE(r.keep_alive());

  auto post = make_request(http::verb::post, "/echo?x=1", "{\"id\":\"evt_1\"}");
  post.set("Stripe-Signature", "t=1,v1=ab");
  r = c.roundtrip(post, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.result_int(), 201u);
  EXPECT_EQ(r.body(), "echo:{\"id\":\"evt_1\"}");
  EXPECT_EQ(r["X-Seen-Signature"], "t=1,v1=ab");
  EXPECT_EQ(r["X-Target"], "/echo?x=1");
  EXPECT_EQ(r[http::field::content_length], std::to_string(r.body().size()));

  r = c.roundtrip(make_request(http::verb::get, "/ical/unit-7.ics"), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(r.body(), "calendar /ical/unit-7.ics");

  r = c.roundtrip(make_request(http::verb::get, "/nowhere"), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(r.result_int(), 404u);

  r = c.roundtrip(make_request(http::verb::get, "/echo"), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(r.result_int(), 405u);
  EXPECT_EQ(r[http::field::allow], "POST");

  const HttpServerStats s = stats();
  EXPECT_EQ(s.connections_accepted, 1u);
  EXPECT_EQ(s.requests, 5u);
}

TEST_F(HttpServerTest, MetricsAreTheServersCountersThenTheHooksText) {
  HttpServerOptions options;
  options.metrics_text = [] { return std::string("intsim_test_total 3\n"); };
  start(options);
  BlockingConnection c(port_);
  error_code ec;
  const auto r = c.roundtrip(make_request(http::verb::get, "/metrics"), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_NE(r.body().find("\nintsim_http_requests_total 1\n"), std::string::npos) << r.body();
  EXPECT_TRUE(r.body().ends_with("\nintsim_test_total 3\n")) << r.body();
  EXPECT_EQ(r[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
}

TEST(ServerMetrics, FormatsEveryCounterWithHelpAndType) {
  HttpServerStats s;
  s.requests = 42;
  s.connections_open = 3;
  const std::string text = format_server_metrics(s);
  EXPECT_NE(text.find("# TYPE intsim_http_requests_total counter\nintsim_http_requests_total 42\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("# TYPE intsim_http_connections_open gauge\nintsim_http_connections_open 3\n"),
      std::string::npos);
}

TEST_F(HttpServerTest, ABodyOverTheLimitIsAnswered413AndTheConnectionClosed) {
  HttpServerOptions options;
  options.body_bytes_max = 16;
  start(options);
  BlockingConnection c(port_);
  error_code ec;
  auto r = c.roundtrip(make_request(http::verb::post, "/echo", std::string(16, 'x')), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(r.result_int(), 201u);  // exactly at the limit is fine
  r = c.roundtrip(make_request(http::verb::post, "/echo", std::string(17, 'x')), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.result_int(), 413u);
  EXPECT_FALSE(r.keep_alive());
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(stats().bad_requests, 1u);
}

TEST_F(HttpServerTest, GarbageIsAnswered400AndAThrowingHandler500) {
  start();
  {
    BlockingConnection c(port_);
    c.send_raw("NOT HTTP AT ALL\r\n\r\n");
    error_code ec;
    const auto r = c.read(ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(r.result_int(), 400u);
    EXPECT_TRUE(c.closed_by_peer());
  }
  BlockingConnection c(port_);
  error_code ec;
  auto r = c.roundtrip(make_request(http::verb::get, "/boom"), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(r.result_int(), 500u);
  r = c.roundtrip(make_request(http::verb::get, "/healthz"), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(stats().handler_errors, 1u);
}

TEST_F(HttpServerTest, AStalledRequestIsClosedAfterTheReadTimeout) {
  HttpServerOptions options;
  options.read_timeout_us = 150 * core::kUsPerMs;
  start(options);
  BlockingConnection c(port_);
  c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_by_peer());
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(100));
  EXPECT_LT(waited, std::chrono::milliseconds(2000));
  EXPECT_EQ(stats().read_timeouts, 1u);
}

TEST_F(HttpServerTest, ConnectionsOverTheLimitAreClosedAtOnce) {
  HttpServerOptions options;
  options.connections_max = 1;
  start(options);
  BlockingConnection first(port_);
  error_code ec;
  (void)first.roundtrip(make_request(http::verb::get, "/healthz"), ec);
  ASSERT_FALSE(ec);
  BlockingConnection second(port_);
  EXPECT_TRUE(second.closed_by_peer());
  EXPECT_EQ(stats().connections_rejected, 1u);
}

// Stop: the listener closes, an idle keep-alive connection is closed at once, and a request
// that was half received when stop came is still answered (with Connection: close).
TEST_F(HttpServerTest, StopFinishesTheRequestInFlightAndClosesIdleConnections) {
  start();
  BlockingConnection idle(port_);
  BlockingConnection busy(port_);
  error_code ec;
  (void)idle.roundtrip(make_request(http::verb::get, "/healthz"), ec);
  ASSERT_FALSE(ec);
  busy.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab");
  // Wait until the server has read the partial request, so it is in flight when stop comes.
  for (int i = 0; i < 200 && stats().connections_open < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop_server();
  EXPECT_TRUE(idle.closed_by_peer());
  busy.send_raw("cd");
  const auto r = busy.read(ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.result_int(), 201u);
  EXPECT_EQ(r.body(), "echo:abcd");
  EXPECT_FALSE(r.keep_alive());
  EXPECT_TRUE(busy.closed_by_peer());
  // With every connection gone the io_context runs out of work: run() returns by itself.
  thread_.join();
  net::io_context io;
  testing::tcp::socket late(io);
  late.connect(testing::tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
  EXPECT_EQ(ec, net::error::connection_refused);
}

TEST_F(HttpServerTest, AnAsynchronousHandlerAnswersLaterOnTheSameKeptAliveConnection) {
  start();
  BlockingConnection c(port_);
  c.send_raw("POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none");
  wait_for_pending(1);
  answer_pending("answered later");
  error_code ec;
  auto r = c.read(ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.body(), "answered later");
  EXPECT_TRUE(r.keep_alive());
  // A handler that answers twice: the second answer must not leak into the next request.
  r = c.roundtrip(make_request(http::verb::post, "/later", "twice"), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(r.body(), "first");
  r = c.roundtrip(make_request(http::verb::get, "/healthz"), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(r.body(), "ok\n");
}

TEST_F(HttpServerTest, StopWaitsForAPendingAsynchronousAnswer) {
  start();
  BlockingConnection c(port_);
  c.send_raw("POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none");
  wait_for_pending(1);
  stop_server();
  answer_pending("committed");
  error_code ec;
  const auto r = c.read(ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.body(), "committed");
  EXPECT_FALSE(r.keep_alive());
  EXPECT_TRUE(c.closed_by_peer());
  thread_.join();
}

}  // namespace
}  // namespace intsim::server
