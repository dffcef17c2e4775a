#include "src/peers/peer_host.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "src/peers/peer_test_support.h"

namespace intsim::peers {
namespace {

constexpr core::TimeUs kHoldUs = 80 * core::kUsPerMs;

// A peer whose every request is held kHoldUs, and until the key "gate" is opened if the
// request asks for it: the host's holding and waking, with no model in the way.
class PeerHostTest : public testing::LoopbackTest {
 protected:
  PeerHostTest() : host(io, clock, {}) {
    host.route_prefix("GET", "/", [this](const core::HttpRequest& r, server::Responder respond) {
      const core::TimeUs now = host.now_us();
      host.hold(std::move(respond), server::text_response(200, r.target), now + kHoldUs,
                r.target == "/gated" ? "gate" : "");
      settle(now);
    });
    host.on_wake([this](core::TimeUs now) {
      ++wakes;
      settle(now);
    });
    EXPECT_TRUE(host.start().is_ok());
  }

  void settle(core::TimeUs now) {
    host.release(now, [this](const std::string& key) { return key != "gate" || gate_open; });
    host.wake_at(host.next_release_us(now), now);
  }

  PeerHost host;
  bool gate_open = false;
  int wakes = 0;
};

TEST_F(PeerHostTest, AHeldResponseGoesWhenItsTimeComesAndNotBefore) {
  const core::TimeUs sent = clock.now_us();
  const core::HttpResult r = call(host.port(), {"GET", "/plain", {}, ""});
  ASSERT_TRUE(r.has_response());
  EXPECT_EQ(r.response.body, "/plain");
  EXPECT_GE(clock.now_us() - sent, kHoldUs);
  EXPECT_GE(wakes, 1);  // released by the wakeup, not by another request
}

TEST_F(PeerHostTest, AHeldResponseWaitsForItsKeyAsWell) {
  core::HttpRequest request{"GET", "/gated", {}, ""};
  server::HttpClientOptions c;
  c.base_urls["peer"] = "http://127.0.0.1:" + std::to_string(host.port());
  server::BeastHttpClient gated(io, clock, std::move(c));
  ASSERT_TRUE(gated.init().is_ok());
  gated.set_sink(this);
  gated.send(99, "peer", request, clock.now_us() + 5 * core::kUsPerSec);
  EXPECT_FALSE(run_until([&] { return results.contains(99); }, std::chrono::milliseconds(300)));
  gate_open = true;
  settle(host.now_us());
  EXPECT_TRUE(run_until([&] { return results.contains(99); }));
  EXPECT_EQ(results[99].response.status, 200);
}

TEST_F(PeerHostTest, WithoutACoreASendFailsAsAConnectionFailure) {
  std::vector<core::HttpError> errors;
  host.on_result([&](std::uint64_t tag, const core::HttpResult& r, core::TimeUs) {
    EXPECT_EQ(tag, 7u);
    errors.push_back(r.error);
  });
  EXPECT_FALSE(host.has_core());
  host.send_to_core(7, {"GET", "/x", {}, ""}, clock.now_us() + core::kUsPerSec);
  EXPECT_TRUE(errors.empty());  // never from inside the call
  EXPECT_TRUE(run_until([&] { return !errors.empty(); }));
  EXPECT_EQ(errors, std::vector<core::HttpError>{core::HttpError::kConnectionFailed});
}

TEST_F(PeerHostTest, AStoppedHostAnswersWhatItHeldAndNothingMore) {
  server::HttpClientOptions c;
  c.base_urls["peer"] = "http://127.0.0.1:" + std::to_string(host.port());
  server::BeastHttpClient held(io, clock, std::move(c));
  ASSERT_TRUE(held.init().is_ok());
  held.set_sink(this);
  held.send(5, "peer", {"GET", "/gated", {}, ""}, clock.now_us() + 5 * core::kUsPerSec);
  run_until([&] { return false; }, std::chrono::milliseconds(100));
  host.stop();
  EXPECT_TRUE(run_until([&] { return results.contains(5); }));
  EXPECT_EQ(results[5].response.status, 503);
}

}  // namespace
}  // namespace intsim::peers
