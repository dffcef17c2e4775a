// What the loopback tests of the peers share: one io_context on the real clock, a client that
// calls a peer and waits for the answer, and a stand-in for the core whose routes a test sets.
// Every wait is bounded, so a broken peer fails a test instead of hanging it.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "src/server/http_client.h"
#include "src/server/http_server.h"
#include "src/server/system_ports.h"

namespace intsim::peers::testing {

class LoopbackTest : public ::testing::Test, public core::HttpResultSink {
 protected:
  // Starts the core stand-in with `router`; core_url() is its base URL afterwards.
  void start_core(server::Router router) {
    core = std::make_unique<server::HttpServer>(io, std::move(router), server::HttpServerOptions{});
    ASSERT_TRUE(core->start().is_ok());
  }
  std::string core_url() const { return "http://127.0.0.1:" + std::to_string(core->port()); }

  // Sends `request` to the peer on `port` and waits (5 s at most) for the outcome.
  core::HttpResult call(std::uint16_t port, core::HttpRequest request) {
    if (!client) {
      server::HttpClientOptions c;
      c.base_urls["peer"] = "http://127.0.0.1:" + std::to_string(port);
      client = std::make_unique<server::BeastHttpClient>(io, clock, std::move(c));
      EXPECT_TRUE(client->init().is_ok());
      client->set_sink(this);
    }
    const core::RequestId id = next_id++;
    client->send(id, "peer", std::move(request), clock.now_us() + 5 * core::kUsPerSec);
    run_until([&] { return results.contains(id); });
    EXPECT_TRUE(results.contains(id)) << "no answer from the peer";
    return results[id];
  }

  // Runs the loop until `done` or `timeout` of wall time; returns done().
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.run_for(std::chrono::milliseconds(5));
      if (io.stopped()) io.restart();
    }
    return done();
  }

  void on_http_result(core::RequestId id, core::HttpResult r, core::TimeUs) override {
    results[id] = std::move(r);
  }

  boost::asio::io_context io;
  server::SystemClock clock;
  std::unique_ptr<server::HttpServer> core;
  std::unique_ptr<server::BeastHttpClient> client;
  std::map<core::RequestId, core::HttpResult> results;
  core::RequestId next_id = 1;
};

}  // namespace intsim::peers::testing
