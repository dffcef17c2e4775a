#include "src/server/asio_timers.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>

#include "src/core/assert.h"

namespace intsim::server {

struct AsioTimers::Impl {
  struct Entry {
    explicit Entry(boost::asio::io_context& io) : timer(io) {}
    boost::asio::steady_timer timer;
    // Bumped on every arm: a completion whose generation is not the current one belongs to a
    // moved or disarmed timer (cancel() cannot recall a completion that is already queued).
    std::uint64_t generation = 0;
  };

  Impl(boost::asio::io_context& io, const core::Clock& clock) : io(io), clock(clock) {}

  boost::asio::io_context& io;
  const core::Clock& clock;
  core::TimerSink* sink = nullptr;
  std::map<core::TimerId, std::unique_ptr<Entry>> entries;
  std::uint64_t generation_next = 1;
};

AsioTimers::AsioTimers(boost::asio::io_context& io, const core::Clock& clock)
    : impl_(std::make_shared<Impl>(io, clock)) {}

AsioTimers::~AsioTimers() = default;

void AsioTimers::set_sink(core::TimerSink* sink) { impl_->sink = sink; }

void AsioTimers::arm(core::TimerId id, core::TimeUs at_us) {
  auto& slot = impl_->entries[id];
  if (!slot) slot = std::make_unique<Impl::Entry>(impl_->io);
  Impl::Entry& entry = *slot;
  entry.generation = impl_->generation_next++;
  const core::TimeUs delay_us = std::max<core::TimeUs>(0, at_us - impl_->clock.now_us());
  entry.timer.expires_after(std::chrono::microseconds(delay_us));
  // The handler holds the Impl weakly: once AsioTimers is gone, late completions do nothing.
  std::weak_ptr<Impl> weak = impl_;
  entry.timer.async_wait([weak, id, generation = entry.generation](boost::system::error_code) {
    const std::shared_ptr<Impl> impl = weak.lock();
    if (!impl) return;
    const auto it = impl->entries.find(id);
    if (it == impl->entries.end() || it->second->generation != generation) return;
    // Erased before the callback, so the sink may re-arm the same id from on_timer.
    impl->entries.erase(it);
    INTSIM_ASSERT_MSG(impl->sink != nullptr, "AsioTimers: a timer fired before set_sink");
    impl->sink->on_timer(id, impl->clock.now_us());
  });
}

void AsioTimers::disarm(core::TimerId id) {
  // Destroying the steady_timer cancels its wait; the queued completion finds no entry.
  impl_->entries.erase(id);
}

std::size_t AsioTimers::armed() const { return impl_->entries.size(); }

}  // namespace intsim::server
