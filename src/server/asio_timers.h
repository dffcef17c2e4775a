// The Timers port on an Asio io_context: TimerSink::on_timer runs on the thread that runs the
// io_context, never from inside arm() or disarm() (the core is not re-entrant).
//
// Deadlines are absolute wall-clock times (core::TimeUs since the epoch); each is turned into a
// delay from Clock::now_us() when armed and waited for on the steady clock, so a wall-clock
// step after arming does not move a timer that is already running.
#pragma once

#include <memory>

#include "src/core/ports.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace intsim::server {

class AsioTimers final : public core::Timers {
 public:
  // `clock` and the sink must outlive this object. Destroying it drops every armed timer; a
  // callback already queued on the io_context is then skipped, never delivered.
  AsioTimers(boost::asio::io_context& io, const core::Clock& clock);
  ~AsioTimers() override;
  AsioTimers(const AsioTimers&) = delete;
  AsioTimers& operator=(const AsioTimers&) = delete;

  // Where on_timer goes; set before the first timer fires.
  void set_sink(core::TimerSink* sink);

  void arm(core::TimerId id, core::TimeUs at_us) override;
  void disarm(core::TimerId id) override;

  // Armed timers (for tests and metrics).
  std::size_t armed() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace intsim::server
