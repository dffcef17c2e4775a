#include "src/server/core_service.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <utility>

#include "src/core/assert.h"

namespace intsim::server {

// Holds outbound requests while a store layer exists (their cause may not be durable yet), each
// until the newest layer at send time is durable, and tags each sent request with the core
// generation that sent it, so a rebuilt core never gets a result for a request it did not make.
// Requests go out under ids of this client's own: a rebuilt core numbers its requests from the
// start again, and the old core's answer to its request 1 must not pass for the new one's.
class CoreService::HeldHttpClient final : public core::HttpClient {
 public:
  HeldHttpClient(core::HttpClient* inner, const GroupCommitStore* store)
      : inner_(inner), store_(store) {}

  void send(core::RequestId id, std::string_view peer, core::HttpRequest request,
            core::TimeUs deadline_us) override {
    if (const std::uint64_t layer = store_->newest_layer(); layer != 0) {
      held_.push_back({layer, id, std::string(peer), std::move(request), deadline_us});
      return;
    }
    forward(id, peer, std::move(request), deadline_us);
  }

  // Sends the held requests that waited for `layer` (or an older one) to be durable.
  void release(std::uint64_t layer) {
    std::vector<Request> out;
    while (!held_.empty() && held_.front().layer <= layer) {
      out.push_back(std::move(held_.front()));
      held_.pop_front();
    }
    for (Request& r : out) forward(r.id, r.peer, std::move(r.request), r.deadline_us);
  }
  void drop() { held_.clear(); }
  std::size_t size() const { return held_.size(); }
  void next_generation() { ++generation_; }

  // Whether the result of the request sent as `wire_id` belongs to the current core object, and
  // then the core's id for it; forgets `wire_id` either way.
  bool take_current(core::RequestId wire_id, core::RequestId* core_id) {
    const auto it = sent_.find(wire_id);
    if (it == sent_.end()) return false;
    const bool current = it->second.generation == generation_;
    *core_id = it->second.core_id;
    sent_.erase(it);
    return current;
  }

 private:
  struct Request {
    std::uint64_t layer;
    core::RequestId id;
    std::string peer;
    core::HttpRequest request;
    core::TimeUs deadline_us;
  };

  void forward(core::RequestId id, std::string_view peer, core::HttpRequest request,
               core::TimeUs deadline_us) {
    const core::RequestId wire_id = next_wire_id_++;
    sent_[wire_id] = {generation_, id};
    inner_->send(wire_id, peer, std::move(request), deadline_us);
  }

  struct Sent {
    std::uint64_t generation;
    core::RequestId core_id;
  };

  core::HttpClient* inner_;
  const GroupCommitStore* store_;
  std::deque<Request> held_;              // in layer order (layer ids only grow)
  std::map<core::RequestId, Sent> sent_;  // in flight, by wire id
  core::RequestId next_wire_id_ = 1;
  std::uint64_t generation_ = 0;
};

// Holds the alerts the core raises until the layer holding the state change they report is
// durable: that change may be lost to a failed flush, and the rebuilt core raises the alert
// again when the redelivered event makes the change again. The core raises an alert once the
// batch holding its change is committed (core/alerting_store.h), which here means taken into
// the open layer, not durable; some (the dispatcher's) it raises right after its own commit. So
// an alert is tagged once the core's call has returned (settle()), with the newest layer then.
class CoreService::HeldAlerts final : public core::Alerts {
 public:
  HeldAlerts(core::Alerts* inner, const GroupCommitStore* store, CoreServiceStats* stats)
      : inner_(inner), store_(store), stats_(stats) {}

  void raise(const core::Alert& alert) override { raised_.push_back(alert); }

  // After each call into the core: the alerts it raised wait for the newest layer, or go now.
  void settle() {
    if (raised_.empty()) return;
    std::vector<core::Alert> raised;
    raised.swap(raised_);
    if (const std::uint64_t layer = store_->newest_layer(); layer != 0) {
      for (core::Alert& a : raised) held_.push_back({layer, std::move(a)});
      stats_->alerts_held += raised.size();
      return;
    }
    for (const core::Alert& a : raised) inner_->raise(a);
  }

  // Raises the held alerts that waited for `layer` (or an older one) to be durable.
  void release(std::uint64_t layer) {
    std::vector<core::Alert> out;
    while (!held_.empty() && held_.front().layer <= layer) {
      out.push_back(std::move(held_.front().alert));
      held_.pop_front();
    }
    for (const core::Alert& a : out) inner_->raise(a);
  }
  void drop() {
    stats_->alerts_dropped += held_.size();
    held_.clear();
  }

 private:
  struct Held {
    std::uint64_t layer;
    core::Alert alert;
  };
  core::Alerts* inner_;
  const GroupCommitStore* store_;
  CoreServiceStats* stats_;
  std::deque<Held> held_;            // in layer order
  std::vector<core::Alert> raised_;  // by the core call under way
};

CoreService::CoreService(boost::asio::io_context& io, core::app::IntegrationConfig config,
                         core::Ports ports, CoreServiceOptions options)
    : io_(io),
      config_(std::move(config)),
      base_(ports),
      options_(std::move(options)),
      committer_(options_.committer),
      alive_(std::make_shared<CoreService*>(this)) {
  INTSIM_ASSERT(base_.store != nullptr && base_.http != nullptr && base_.clock != nullptr);
  if (committer_ == nullptr) {
    own_committer_ = std::make_unique<InlineCommitter>(io_, base_.store);
    committer_ = own_committer_.get();
  }
  store_ = std::make_unique<GroupCommitStore>(base_.store, [this] { on_first_pending(); });
  http_ = std::make_unique<HeldHttpClient>(base_.http, store_.get());
  if (base_.alerts != nullptr) {
    alerts_ = std::make_unique<HeldAlerts>(base_.alerts, store_.get(), &stats_);
  }
}

CoreService::~CoreService() { *alive_ = nullptr; }

core::Status CoreService::start() { return rebuild(base_.clock->now_us()); }

core::Status CoreService::rebuild(core::TimeUs now_us) {
  core_.reset();
  http_->next_generation();
  core::Ports ports = base_;
  ports.store = store_.get();
  ports.http = http_.get();
  if (alerts_) ports.alerts = alerts_.get();
  std::unique_ptr<core::app::Integration> made;
  if (core::Status st = core::app::Integration::create(config_, ports, &made); !st.is_ok()) {
    return st;
  }
  core::Status recovered = made->recover(now_us);
  settle_alerts();
  if (!recovered.is_ok()) return recovered;
  core_ = std::move(made);
  return core::Status::ok();
}

void CoreService::settle_alerts() {
  if (alerts_) alerts_->settle();
}

void CoreService::add_routes(Router& router) {
  const AsyncHandler h = [this](const core::HttpRequest& request, Responder respond) {
    handle(request, std::move(respond));
  };
  router.add_async("POST", "/webhooks/stripe", h);
  router.add_async("POST", "/webhooks/standard", h);
  router.add_async("GET", "/webhooks/whatsapp", h);
  router.add_async("POST", "/webhooks/whatsapp", h);
  router.add_async("POST", "/api/bookings", h);
  router.add_prefix_async("GET", "/api/bookings/", h);
  router.add_prefix_async("POST", "/api/bookings/", h);  // /api/bookings/{id}/cancel
  router.add_async("POST", "/api/subscriptions", h);
  router.add_prefix_async("GET", "/api/subscriptions/", h);
  router.add_prefix_async("POST", "/api/subscriptions/", h);  // /api/subscriptions/{id}/cancel
  router.add_prefix_async("GET", "/ical/", h);
}

bool CoreService::overloaded(core::TimeUs now_us) {
  const bool too_many = held_.size() >= options_.pending_requests_max;
  const bool too_slow =
      flushing_layer_ != 0 && now_us - flush_started_us_ >= options_.flush_age_us_max;
  const bool now = too_many || too_slow;
  if (now != overloaded_ && base_.log != nullptr) {
    if (now) {
      base_.log->write(now_us, core::LogLevel::kWarn, "serve.overloaded",
                       {{"reason", too_many ? "pending_requests_max" : "flush_age_ms_max"},
                        {"responses_waiting", std::to_string(held_.size())},
                        {"flush_age_ms", std::to_string(flush_age_us() / core::kUsPerMs)}});
    } else {
      base_.log->write(now_us, core::LogLevel::kInfo, "serve.overload_ended",
                       {{"requests_refused", std::to_string(stats_.requests_refused)}});
    }
  }
  overloaded_ = now;
  return now;
}

void CoreService::handle(const core::HttpRequest& request, Responder respond) {
  const core::TimeUs now_us = base_.clock->now_us();
  if (overloaded(now_us)) {
    // Before the core: a refused request must leave no write behind (nothing would answer for
    // it) and its answer must not wait for the stalled flush.
    ++stats_.requests_refused;
    if (base_.metrics != nullptr) base_.metrics->count("requests_refused", "store", "overloaded");
    core::HttpResponse refused = text_response(503, "overloaded: the store is behind, retry later");
    refused.headers.push_back({"Retry-After", "1"});
    respond(std::move(refused));
    return;
  }
  if (!core_) {
    // A rebuild failed earlier (the store was unavailable): try again, else ask for a retry.
    // (Not while a flush is in flight: the rebuilt core would read its undurable layer.)
    if (flushing_layer_ != 0 || !rebuild(now_us).is_ok()) {
      core::HttpResponse unavailable = text_response(503, "unavailable");
      unavailable.headers.push_back({"Retry-After", "1"});
      respond(std::move(unavailable));
      return;
    }
  }
  core::HttpResponse response = core_->handle(request, now_us);
  settle_alerts();
  // Even a request that wrote nothing may have read a row that is not durable yet (a duplicate
  // of a webhook still being flushed): it waits for the newest layer too.
  const std::uint64_t layer = store_->newest_layer();
  if (layer == 0) {
    respond(std::move(response));
    return;
  }
  ++stats_.responses_held;
  held_.push_back({layer, std::move(respond), std::move(response)});
}

void CoreService::on_timer(core::TimerId id, core::TimeUs now_us) {
  if (core_) core_->on_timer(id, now_us);
  settle_alerts();
}

void CoreService::on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs now_us) {
  core::RequestId core_id = 0;
  if (http_->take_current(id, &core_id) && core_) {
    core_->on_http_result(core_id, std::move(result), now_us);
  }
  settle_alerts();
}

void CoreService::on_first_pending() {
  // With a flush in flight the new layer waits for it (on_flushed seals it): that wait is what
  // gathers the writes of many turns into one commit.
  if (flush_posted_ || flushing_layer_ != 0) return;
  flush_posted_ = true;
  // Behind every handler already queued (requests whose bytes arrived in this turn), so they
  // all join this layer.
  boost::asio::post(io_, [alive = alive_] {
    if (*alive != nullptr) (*alive)->flush_turn();
  });
}

void CoreService::flush_turn() {
  flush_posted_ = false;
  if (flushing_layer_ == 0 && store_->batches_open() > 0) start_flush();
}

void CoreService::start_flush() {
  INTSIM_ASSERT(flushing_layer_ == 0);
  core::WriteBatch batch;
  const std::size_t batches = store_->batches_open();
  flushing_layer_ = store_->seal(&batch);
  flush_started_us_ = base_.clock->now_us();
  committer_->commit_async(std::move(batch),
                           [alive = alive_, layer = flushing_layer_, batches](core::Status st) {
                             if (*alive != nullptr)
                               (*alive)->on_flushed(layer, batches, std::move(st));
                           });
}

void CoreService::on_flushed(std::uint64_t layer, std::size_t batches, core::Status st) {
  INTSIM_ASSERT(layer == flushing_layer_);
  flushing_layer_ = 0;
  if (st.is_ok()) {
    store_->retire(layer);
    if (options_.after_durable) options_.after_durable();
    stats_.flushes = store_->flushes();
    stats_.batches_flushed = store_->batches_flushed();
    if (base_.metrics != nullptr) {
      base_.metrics->count("group_commit_batches", "store", "ok",
                           static_cast<std::int64_t>(batches));
      base_.metrics->count("group_commits", "store", "ok");
      // From the seal to the answer on this thread: the commit and its fsync, plus the wait
      // for the loop. A held response waits up to about twice this.
      base_.metrics->observe_us("group_commit_latency", "store", "ok",
                                base_.clock->now_us() - flush_started_us_);
    }
    http_->release(layer);
    if (alerts_) alerts_->release(layer);
    // Answering may re-enter (a responder that writes synchronously in a test): take them first.
    std::vector<Held> ready;
    while (!held_.empty() && held_.front().layer <= layer) {
      ready.push_back(std::move(held_.front()));
      held_.pop_front();
    }
    for (Held& h : ready) h.respond(std::move(h.response));
    // The next layer filled up while this one was being flushed: its turn now.
    if (flushing_layer_ == 0 && store_->batches_open() > 0) start_flush();
    return;
  }
  ++stats_.flush_failures;
  const std::size_t layers = 1 + (store_->batches_open() > 0 ? 1 : 0);
  stats_.layers_failed += layers;
  const core::TimeUs now_us = base_.clock->now_us();
  if (base_.log != nullptr) {
    base_.log->write(now_us, core::LogLevel::kError, "serve.group_commit_failed",
                     {{"error", st.to_string()},
                      {"batches", std::to_string(batches)},
                      {"layers_failed", std::to_string(layers)}});
  }
  if (base_.metrics != nullptr) base_.metrics->count("group_commits", "store", "error");
  // The failed layer and every later one: they may hold effects of reads of its writes.
  store_->discard();
  if (options_.after_durable) options_.after_durable();
  http_->drop();
  if (alerts_) alerts_->drop();
  std::deque<Held> failed;
  failed.swap(held_);
  for (Held& h : failed) h.respond(text_response(500, "store unavailable, retry later"));
  ++stats_.rebuilds;
  if (core::Status rebuilt = rebuild(now_us); !rebuilt.is_ok() && base_.log != nullptr) {
    base_.log->write(now_us, core::LogLevel::kError, "serve.recover_failed",
                     {{"error", rebuilt.to_string()}});
  }
}

CoreServiceStats CoreService::stats() const { return stats_; }

std::size_t CoreService::requests_waiting() const { return http_->size(); }

core::TimeUs CoreService::flush_age_us() const {
  return flushing_layer_ == 0 ? 0 : base_.clock->now_us() - flush_started_us_;
}

void LogAlerts::raise(const core::Alert& alert) {
  log_->write(alert.at_us, core::LogLevel::kError, "alert",
              {{"kind", alert.kind}, {"subject", alert.subject}, {"message", alert.message}});
}

}  // namespace intsim::server
