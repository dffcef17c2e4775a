#include "src/server/shutdown_signals.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <csignal>

#include "src/server/test_loopback.h"

namespace intsim::server {
namespace {

TEST(ShutdownSignals, SigtermBecomesOneCallOnTheIoThread) {
  boost::asio::io_context io;
  std::vector<int> received;
  ShutdownSignals signals(io, [&](int signal_number) { received.push_back(signal_number); });
  ASSERT_EQ(std::raise(SIGTERM), 0);  // the process survives: the default action is replaced
  EXPECT_TRUE(received.empty()) << "delivered inside the signal handler";
  ASSERT_TRUE(testing::run_until(
      io, [&] { return !received.empty(); }, std::chrono::milliseconds(2000)));
  EXPECT_EQ(received, std::vector<int>{SIGTERM});
  ASSERT_EQ(std::raise(SIGINT), 0);
  testing::run_until(
      io, [] { return false; }, std::chrono::milliseconds(20));
  EXPECT_EQ(received.size(), 1u);
}

TEST(ShutdownSignals, CancelLetsTheEventLoopFinish) {
  boost::asio::io_context io;
  ShutdownSignals signals(io, [](int) {});
  signals.cancel();
  io.run();  // returns: nothing keeps it alive
  SUCCEED();
}

}  // namespace
}  // namespace intsim::server
