#include "src/server/system_ports.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <ctime>
#include <set>

#include "src/server/asio_timers.h"
#include "src/server/test_loopback.h"

namespace intsim::server {
namespace {

using std::chrono::milliseconds;

TEST(SystemClock, IsMicrosecondsSinceTheUnixEpoch) {
  const core::TimeUs now_us = SystemClock().now_us();
  const std::int64_t now_s = static_cast<std::int64_t>(std::time(nullptr));
  EXPECT_NEAR(static_cast<double>(core::unix_seconds(now_us)), static_cast<double>(now_s), 2.0);
}

TEST(OsRandom, SameSeedSameStreamAndOsSeedsDiffer) {
  OsRandom a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    EXPECT_NE(x, c.next_u64());
  }
  // Two OS-seeded generators colliding on their first word would mean a constant seed.
  EXPECT_NE(OsRandom().next_u64(), OsRandom().next_u64());
  // Every bit position takes both values within a few hundred draws.
  OsRandom r;
  std::uint64_t ones = 0, zeros = 0;
  for (int i = 0; i < 256; ++i) {
    const std::uint64_t x = r.next_u64();
    ones |= x;
    zeros |= ~x;
  }
  EXPECT_EQ(ones, ~0ull);
  EXPECT_EQ(zeros, ~0ull);
}

TEST(JsonLineLog, FormatsOneEscapedObjectAndRedactsSecretLikeFields) {
  const std::string line =
      JsonLineLog::format(1'767'225'600'000'000, core::LogLevel::kWarn, "webhook.rejected",
                          {{"peer", "stripe"},
                           {"reason", "bad \"sig\"\n\x01"},
                           {"stripe_webhook_secret", "whsec_live_abc"},
                           {"Authorization", "Bearer sk_live_xyz"},
                           {"verify_token", "tok123"},
                           {"signature_header", "t=1,v1=deadbeef"}});
  EXPECT_EQ(line,
            "{\"ts_us\":1767225600000000,\"level\":\"warn\",\"event\":\"webhook.rejected\","
            "\"peer\":\"stripe\",\"reason\":\"bad \\\"sig\\\"\\n\\u0001\","
            "\"stripe_webhook_secret\":\"[redacted]\",\"Authorization\":\"[redacted]\","
            "\"verify_token\":\"[redacted]\",\"signature_header\":\"[redacted]\"}");
  for (const char* secret : {"whsec_live_abc", "sk_live_xyz", "tok123", "deadbeef"}) {
    EXPECT_EQ(line.find(secret), std::string::npos) << secret;
  }
  EXPECT_FALSE(looks_like_secret("event_id"));
  EXPECT_FALSE(looks_like_secret("idempotency_key"));
  EXPECT_TRUE(looks_like_secret("API_KEY"));
}

TEST(JsonLineLog, WritesWholeLinesAtOrAboveTheMinimumLevel) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  JsonLineLog log(out, core::LogLevel::kInfo);
  log.write(1, core::LogLevel::kDebug, "too.chatty", {});
  log.write(2, core::LogLevel::kInfo, "server.started", {{"port", "8080"}});
  log.write(3, core::LogLevel::kError, "store.failed", {{"password", "hunter2"}});
  std::rewind(out);
  std::string text;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, out) != nullptr) text += buffer;
  std::fclose(out);
  EXPECT_EQ(text,
            "{\"ts_us\":2,\"level\":\"info\",\"event\":\"server.started\",\"port\":\"8080\"}\n"
            "{\"ts_us\":3,\"level\":\"error\",\"event\":\"store.failed\","
            "\"password\":\"[redacted]\"}\n");
}

std::string read_all(std::FILE* out) {
  std::fflush(out);
  std::rewind(out);
  std::string text;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, out) != nullptr) text += buffer;
  return text;
}

TEST(JsonLineLog, DeferredLinesWaitForTheFlushButAWarningWritesEverythingInOrder) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  int scheduled = 0;
  {
    JsonLineLog log(out, core::LogLevel::kInfo);
    log.set_deferred([&] { ++scheduled; });
    log.write(1, core::LogLevel::kInfo, "a", {});
    log.write(2, core::LogLevel::kInfo, "b", {});
    EXPECT_EQ(scheduled, 1);  // once per buffer
    EXPECT_EQ(read_all(out), "");
    log.flush();
    EXPECT_EQ(read_all(out),
              "{\"ts_us\":1,\"level\":\"info\",\"event\":\"a\"}\n"
              "{\"ts_us\":2,\"level\":\"info\",\"event\":\"b\"}\n");
    log.write(3, core::LogLevel::kInfo, "c", {});
    EXPECT_EQ(scheduled, 2);
    log.write(4, core::LogLevel::kWarn, "d", {});
    const std::string text = read_all(out);
    EXPECT_NE(text.find("\"c\"}\n{\"ts_us\":4"), std::string::npos) << text;
    log.write(5, core::LogLevel::kInfo, "e", {});
  }  // the destructor writes what is left
  EXPECT_NE(read_all(out).find("\"event\":\"e\""), std::string::npos);
  std::fclose(out);
}

class RecordingTimerSink : public core::TimerSink {
 public:
  void on_timer(core::TimerId id, core::TimeUs now_us) override {
    fired.emplace_back(id, now_us);
    if (on_fire) on_fire(id);
  }
  std::vector<std::pair<core::TimerId, core::TimeUs>> fired;
  std::function<void(core::TimerId)> on_fire;
};

TEST(AsioTimers, FireInDeadlineOrderNotBeforeTheirTimeAndNeverInsideArm) {
  boost::asio::io_context io;
  SystemClock clock;
  RecordingTimerSink sink;
  AsioTimers timers(io, clock);
  timers.set_sink(&sink);
  const core::TimeUs t0 = clock.now_us();
  timers.arm(3, t0 + 60 * core::kUsPerMs);
  timers.arm(1, t0 + 20 * core::kUsPerMs);
  timers.arm(2, t0 - core::kUsPerSec);  // already due: fires soon, but not from inside arm()
  EXPECT_TRUE(sink.fired.empty());
  EXPECT_EQ(timers.armed(), 3u);
  ASSERT_TRUE(testing::run_until(
      io, [&] { return sink.fired.size() == 3; }, milliseconds(2000)));
  EXPECT_EQ(sink.fired[0].first, 2u);
  EXPECT_EQ(sink.fired[1].first, 1u);
  EXPECT_EQ(sink.fired[2].first, 3u);
  EXPECT_GE(sink.fired[1].second, t0 + 20 * core::kUsPerMs);
  EXPECT_GE(sink.fired[2].second, t0 + 60 * core::kUsPerMs);
  EXPECT_EQ(timers.armed(), 0u);
}

TEST(AsioTimers, ReArmingMovesATimerAndDisarmCancelsIt) {
  boost::asio::io_context io;
  SystemClock clock;
  RecordingTimerSink sink;
  AsioTimers timers(io, clock);
  timers.set_sink(&sink);
  const core::TimeUs t0 = clock.now_us();
  timers.arm(1, t0);                        // due now...
  timers.arm(1, t0 + 80 * core::kUsPerMs);  // ...moved later: fires once, at the new time
  timers.arm(2, t0 + 10 * core::kUsPerMs);
  timers.disarm(2);
  timers.disarm(99);  // unknown: a no-op
  testing::run_until(
      io, [] { return false; }, milliseconds(150));
  ASSERT_EQ(sink.fired.size(), 1u);
  EXPECT_EQ(sink.fired[0].first, 1u);
  EXPECT_GE(sink.fired[0].second, t0 + 80 * core::kUsPerMs);
}

TEST(AsioTimers, TheSinkMayReArmTheSameIdFromOnTimer) {
  boost::asio::io_context io;
  SystemClock clock;
  RecordingTimerSink sink;
  AsioTimers timers(io, clock);
  timers.set_sink(&sink);
  sink.on_fire = [&](core::TimerId id) {
    if (sink.fired.size() < 3) timers.arm(id, clock.now_us() + core::kUsPerMs);
  };
  timers.arm(5, clock.now_us());
  ASSERT_TRUE(testing::run_until(
      io, [&] { return sink.fired.size() == 3; }, milliseconds(2000)));
  testing::run_until(
      io, [] { return false; }, milliseconds(20));
  EXPECT_EQ(sink.fired.size(), 3u);
}

TEST(AsioTimers, NothingFiresAfterTheTimersObjectIsGone) {
  boost::asio::io_context io;
  SystemClock clock;
  RecordingTimerSink sink;
  {
    AsioTimers timers(io, clock);
    timers.set_sink(&sink);
    timers.arm(1, clock.now_us());
  }
  testing::run_until(
      io, [] { return false; }, milliseconds(20));
  EXPECT_TRUE(sink.fired.empty());
}

}  // namespace
}  // namespace intsim::server
