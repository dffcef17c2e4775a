#include "src/harness/smoke.h"

#include <string>
#include <vector>

#include "sim/simulation.h"

namespace intsim::harness {
namespace {

constexpr int kClients = 8;
constexpr core::TimeUs kDurationUs = 60 * core::kUsPerSec;

class SmokeModel : public sim::Handler {
 public:
  explicit SmokeModel(sim::Simulation& sim) : sim_(sim), rng_(sim.rng("smoke")) {
    request_ = sim.register_kind("smoke.request", this);
    response_ = sim.register_kind("smoke.response", this);
    server_ = sim.register_actor("server");
    for (int i = 0; i < kClients; ++i) {
      clients_.push_back(sim.register_actor("client" + std::to_string(i)));
      sent_at_us_.push_back(0);
    }
    for (std::size_t i = 0; i < clients_.size(); ++i) send(i);
  }

  void on_event(const sim::Event& ev) override {
    if (ev.kind == request_) {
      sim_.after(latency_us(), response_, clients_[ev.arg], ev.arg);
      return;
    }
    const core::TimeUs rtt_us = sim_.now_us() - sent_at_us_[ev.arg];
    if (rtt_us > summary.latency_us_max) summary.latency_us_max = rtt_us;
    ++summary.requests_completed;
    send(ev.arg);
  }

  SmokeSummary summary;

 private:
  core::TimeUs latency_us() {
    return static_cast<core::TimeUs>(rng_.lognormal(8.0, 0.6));  // median about 3 ms
  }
  void send(std::uint64_t client) {
    sent_at_us_[client] = sim_.now_us();
    sim_.after(latency_us(), request_, server_, client);
  }

  sim::Simulation& sim_;
  sim::Rng rng_;
  std::uint16_t request_ = 0, response_ = 0;
  std::uint32_t server_ = 0;
  std::vector<std::uint32_t> clients_;
  std::vector<core::TimeUs> sent_at_us_;
};

}  // namespace

SmokeResult run_smoke(std::uint64_t seed, sim::Trace::Mode mode) {
  sim::Simulation sim(seed, mode);
  SmokeModel model(sim);
  sim.run_until(sim::kEpochUs + kDurationUs, 10'000'000);
  SmokeResult result{model.summary, sim.trace(), sim.name_table()};
  result.summary.seed = seed;
  result.summary.events = sim.steps();
  result.summary.simulated_us = sim.now_us() - sim::kEpochUs;
  result.summary.trace_hash = sim.trace().hash();
  return result;
}

}  // namespace intsim::harness
