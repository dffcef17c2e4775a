#include "src/server/shutdown_signals.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>

namespace intsim::server {

struct ShutdownSignals::Impl {
  Impl(boost::asio::io_context& io, std::function<void(int)> on_signal)
      : signals(io, SIGTERM, SIGINT), on_signal(std::move(on_signal)) {}
  boost::asio::signal_set signals;
  std::function<void(int)> on_signal;
};

ShutdownSignals::ShutdownSignals(boost::asio::io_context& io, std::function<void(int)> on_signal)
    : impl_(std::make_shared<Impl>(io, std::move(on_signal))) {
  // Held weakly: a completion still queued when this object is destroyed does nothing.
  std::weak_ptr<Impl> weak = impl_;
  impl_->signals.async_wait([weak](const boost::system::error_code& ec, int signal_number) {
    const std::shared_ptr<Impl> impl = weak.lock();
    if (ec || !impl) return;
    impl->on_signal(signal_number);
  });
}

ShutdownSignals::~ShutdownSignals() = default;

void ShutdownSignals::cancel() {
  boost::system::error_code ignored;
  impl_->signals.cancel(ignored);
}

}  // namespace intsim::server
