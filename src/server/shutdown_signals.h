// Graceful shutdown for real mode: SIGTERM (what service managers send) and SIGINT (Ctrl-C)
// become calls on the io_context thread, where stopping the server is safe. Every signal is
// delivered, numbered: the first asks for a graceful stop (drain, bounded by a deadline), a
// second one for an immediate stop (an operator who will not wait; src/cli/cmd_serve.cc).
#pragma once

#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace intsim::server {

class ShutdownSignals {
 public:
  // `on_signal(signal_number, count)` runs for each SIGTERM or SIGINT, `count` being 1 for the
  // first, 2 for the second, and so on. While this object lives the process's default action
  // for SIGTERM and SIGINT (terminate) is replaced.
  ShutdownSignals(boost::asio::io_context& io, std::function<void(int, int)> on_signal);
  // `on_signal(signal_number)` runs for the first signal only; later ones are ignored (a
  // command whose stop is quick, such as intsim peers).
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
