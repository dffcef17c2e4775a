// Graceful shutdown for real mode: SIGTERM (what service managers send) and SIGINT (Ctrl-C)
// become one call on the io_context thread, where stopping the server is safe. A second signal
// while shutting down is ignored; the in-flight work is bounded by the read timeout anyway.
#pragma once

#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace intsim::server {

class ShutdownSignals {
 public:
  // `on_signal(signal_number)` runs at most once. While this object lives the process's
  // default action for SIGTERM and SIGINT (terminate) is replaced.
  ShutdownSignals(boost::asio::io_context& io, std::function<void(int)> on_signal);
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Stops listening, so io_context::run() is not kept alive by the pending wait.
  void cancel();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace intsim::server
