// The integration core on its simulated node: the driver that carries the core's requests,
// timers and results between the network and core::app::Integration, and that plays the
// process's part in crashes: a crash destroys the Integration object (its volatile state),
// the store keeps what was committed, and recovery builds a new Integration on that store.
#pragma once

#include <memory>

#include "sim/crashable_store.h"
#include "sim/network.h"
#include "sim/node_ports.h"
#include "src/core/app/integration.h"
#include "src/core/observability/metrics_registry.h"
#include "src/core/observability/recorders.h"

namespace intsim::harness {

class CoreNode final : public sim::HttpEndpoint,
                       public sim::NodeProcess,
                       public sim::Handler,
                       public core::TimerSink,
                       public core::HttpResultSink {
 public:
  CoreNode(sim::Network& network, core::app::IntegrationConfig config, std::string name = "core");
  ~CoreNode() override;

  // Creates the first Integration and runs its recovery (a cold start).
  core::Status start();

  sim::NodeId node() const { return ports_.node; }
  bool up() const { return app_ != nullptr; }
  // Null while the node is down.
  const core::app::Integration* app() const { return app_.get(); }
  const sim::CrashableStore& store() const { return store_; }
  const core::observability::RecordingAlerts& alerts() const { return alerts_; }
  const core::observability::MetricsRegistry& metrics() const { return metrics_; }
  std::uint64_t crashes() const { return crashes_; }
  // Requests that arrived while the process could not serve them (between crash and restart).
  std::uint64_t requests_refused() const { return requests_refused_; }
  // A recovery that failed (the store refused it): the node stays down and this says why.
  const core::Status& last_recovery() const { return last_recovery_; }

  void on_request(sim::ExchangeId exchange, const core::HttpRequest& request,
                  core::TimeUs now_us) override;
  void crash() override;
  void recover(core::TimeUs now_us) override;
  void on_timer(core::TimerId id, core::TimeUs now_us) override;
  void on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs now_us) override;
  // A failed recovery is retried after kRecoveryRetryUs, as a supervisor restarts a service.
  void on_event(const sim::Event& event) override;
  static constexpr core::TimeUs kRecoveryRetryUs = 5 * core::kUsPerSec;

 private:
  sim::Network& network_;
  core::app::IntegrationConfig config_;
  sim::NodePorts ports_;
  sim::CrashableStore store_;
  // Observability outlives crashes: it stands for the log shipper and the alerting system.
  core::observability::RecordingLog log_{core::LogLevel::kWarn};
  core::observability::RecordingAlerts alerts_;
  core::observability::MetricsRegistry metrics_;
  std::unique_ptr<core::app::Integration> app_;
  std::uint16_t retry_kind_ = 0;
  std::uint64_t crashes_ = 0;
  std::uint64_t requests_refused_ = 0;
  core::Status last_recovery_;
};

}  // namespace intsim::harness
