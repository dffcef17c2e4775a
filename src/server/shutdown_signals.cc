#include "src/server/shutdown_signals.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <memory>

namespace intsim::server {

struct ShutdownSignals::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& io, std::function<void(int, int)> on_signal)
      : signals(io, SIGTERM, SIGINT), on_signal(std::move(on_signal)) {}

  void wait() {
    // Held weakly: a completion still queued when the owner is destroyed does nothing.
    std::weak_ptr<Impl> weak = weak_from_this();
    signals.async_wait([weak](const boost::system::error_code& ec, int signal_number) {
      const std::shared_ptr<Impl> impl = weak.lock();
      if (ec || !impl) return;
      // Waiting again first: the callback may cancel().
      impl->wait();
      impl->on_signal(signal_number, ++impl->count);
    });
  }

  boost::asio::signal_set signals;
  std::function<void(int, int)> on_signal;
  int count = 0;
};

ShutdownSignals::ShutdownSignals(boost::asio::io_context& io,
                                 std::function<void(int, int)> on_signal)
    : impl_(std::make_shared<Impl>(io, std::move(on_signal))) {
  impl_->wait();
}

ShutdownSignals::ShutdownSignals(boost::asio::io_context& io, std::function<void(int)> on_signal)
    : ShutdownSignals(io, [on_signal = std::move(on_signal)](int signal_number, int count) {
        if (count == 1) on_signal(signal_number);
      }) {}

ShutdownSignals::~ShutdownSignals() = default;

void ShutdownSignals::cancel() {
  boost::system::error_code ignored;
  impl_->signals.cancel(ignored);
}

}  // namespace intsim::server
