#include "src/harness/core_node.h"

#include "src/core/assert.h"

namespace intsim::harness {

CoreNode::CoreNode(sim::Network& network, core::app::IntegrationConfig config, std::string name)
    : network_(network),
      config_(std::move(config)),
      ports_(network, network.add_node(name), network.simulation().rng("node." + name)) {
  network_.set_endpoint(ports_.node, this);
  network_.set_process(ports_.node, this);
  network_.attach_store(ports_.node, &store_);
  ports_.timers.set_sink(this);
  ports_.http.set_sink(this);
  retry_kind_ = network_.simulation().register_kind(name + ".recover_retry", this);
}

CoreNode::~CoreNode() = default;

core::Status CoreNode::start() {
  recover(network_.node_now_us(ports_.node));
  return last_recovery_;
}

void CoreNode::on_request(sim::ExchangeId exchange, const core::HttpRequest& request,
                          core::TimeUs now_us) {
  if (!app_) {
    // The process is down or failed to recover: the front door answers 503.
    ++requests_refused_;
    network_.respond(exchange, {503, {}, "{\"error\":\"unavailable\"}"});
    return;
  }
  network_.respond(exchange, app_->handle(request, now_us));
}

void CoreNode::crash() {
  ++crashes_;
  app_.reset();
}

void CoreNode::recover(core::TimeUs now_us) {
  core::Ports p = ports_.ports(&store_);
  p.log = &log_;
  p.metrics = &metrics_;
  p.alerts = &alerts_;
  std::unique_ptr<core::app::Integration> app;
  last_recovery_ = core::app::Integration::create(config_, p, &app);
  if (last_recovery_) last_recovery_ = app->recover(now_us);
  if (last_recovery_) {
    app_ = std::move(app);
    return;
  }
  network_.simulation().after(kRecoveryRetryUs, retry_kind_, network_.node_actor(ports_.node),
                              network_.incarnation(ports_.node));
}

void CoreNode::on_event(const sim::Event& event) {
  // Only the incarnation that failed retries; a crash in between started a new one.
  if (app_ || !network_.is_up(ports_.node) || event.arg != network_.incarnation(ports_.node)) {
    return;
  }
  recover(network_.node_now_us(ports_.node));
}

void CoreNode::on_timer(core::TimerId id, core::TimeUs now_us) {
  if (app_) app_->on_timer(id, now_us);
}

void CoreNode::on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs now_us) {
  if (app_) app_->on_http_result(id, std::move(result), now_us);
}

}  // namespace intsim::harness
