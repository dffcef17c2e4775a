#include "src/server/shutdown_signals.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <csignal>
#include <utility>
#include <vector>

#include "src/server/test_loopback.h"

namespace intsim::server {
namespace {

TEST(ShutdownSignals, EachSignalBecomesANumberedCallOnTheIoThread) {
  boost::asio::io_context io;
  std::vector<std::pair<int, int>> received;  // signal, count
  ShutdownSignals signals(
      io, [&](int signal_number, int count) { received.emplace_back(signal_number, count); });
  ASSERT_EQ(std::raise(SIGTERM), 0);  // the process survives: the default action is replaced
  EXPECT_TRUE(received.empty()) << "delivered inside the signal handler";
  ASSERT_TRUE(testing::run_until(
      io, [&] { return !received.empty(); }, std::chrono::milliseconds(2000)));
  EXPECT_EQ(received, (std::vector<std::pair<int, int>>{{SIGTERM, 1}}));
  // The second one (what forces an immediate stop) is delivered too, numbered.
  ASSERT_EQ(std::raise(SIGINT), 0);
  ASSERT_TRUE(testing::run_until(
      io, [&] { return received.size() == 2; }, std::chrono::milliseconds(2000)));
  EXPECT_EQ(received, (std::vector<std::pair<int, int>>{{SIGTERM, 1}, {SIGINT, 2}}));
}

TEST(ShutdownSignals, TheFirstSignalOnlyFormRunsOnce) {
  boost::asio::io_context io;
  std::vector<int> received;
  ShutdownSignals signals(io, [&](int signal_number) { received.push_back(signal_number); });
  ASSERT_EQ(std::raise(SIGTERM), 0);
  ASSERT_EQ(std::raise(SIGINT), 0);
  testing::run_until(
      io, [] { return false; }, std::chrono::milliseconds(50));
  EXPECT_EQ(received, std::vector<int>{SIGTERM});
}

TEST(ShutdownSignals, CancelLetsTheEventLoopFinish) {
  boost::asio::io_context io;
  ShutdownSignals signals(io, [](int, int) {});
  signals.cancel();
  io.run();  // returns: nothing keeps it alive
  SUCCEED();
}

}  // namespace
}  // namespace intsim::server
