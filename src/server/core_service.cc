#include "src/server/core_service.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <utility>

#include "src/core/assert.h"

namespace intsim::server {

// Holds outbound requests while the store has pending batches (their cause is not durable yet)
// and tags each sent request with the core generation that sent it, so a rebuilt core never
// gets a result for a request it did not make.
class CoreService::HeldHttpClient final : public core::HttpClient {
 public:
  HeldHttpClient(core::HttpClient* inner, const GroupCommitStore* store)
      : inner_(inner), store_(store) {}

  void send(core::RequestId id, std::string_view peer, core::HttpRequest request,
            core::TimeUs deadline_us) override {
    if (store_->pending()) {
      held_.push_back({id, std::string(peer), std::move(request), deadline_us});
      return;
    }
    forward(id, peer, std::move(request), deadline_us);
  }

  void release() {
    std::vector<Request> out;
    out.swap(held_);
    for (Request& r : out) forward(r.id, r.peer, std::move(r.request), r.deadline_us);
  }
  void drop() { held_.clear(); }
  void next_generation() { ++generation_; }

  // Whether the result of `id` belongs to the current core object; forgets `id` either way.
  bool take_current(core::RequestId id) {
    const auto it = sent_.find(id);
    if (it == sent_.end()) return false;
    const bool current = it->second == generation_;
    sent_.erase(it);
    return current;
  }

 private:
  struct Request {
    core::RequestId id;
    std::string peer;
    core::HttpRequest request;
    core::TimeUs deadline_us;
  };

  void forward(core::RequestId id, std::string_view peer, core::HttpRequest request,
               core::TimeUs deadline_us) {
    sent_[id] = generation_;
    inner_->send(id, peer, std::move(request), deadline_us);
  }

  core::HttpClient* inner_;
  const GroupCommitStore* store_;
  std::vector<Request> held_;
  std::map<core::RequestId, std::uint64_t> sent_;  // in flight: id -> generation
  std::uint64_t generation_ = 0;
};

CoreService::CoreService(boost::asio::io_context& io, core::app::IntegrationConfig config,
                         core::Ports ports)
    : io_(io),
      config_(std::move(config)),
      base_(ports),
      alive_(std::make_shared<CoreService*>(this)) {
  INTSIM_ASSERT(base_.store != nullptr && base_.http != nullptr && base_.clock != nullptr);
  store_ = std::make_unique<GroupCommitStore>(base_.store, [this] { schedule_flush(); });
  http_ = std::make_unique<HeldHttpClient>(base_.http, store_.get());
}

CoreService::~CoreService() { *alive_ = nullptr; }

core::Status CoreService::start() { return rebuild(base_.clock->now_us()); }

core::Status CoreService::rebuild(core::TimeUs now_us) {
  core_.reset();
  http_->next_generation();
  core::Ports ports = base_;
  ports.store = store_.get();
  ports.http = http_.get();
  std::unique_ptr<core::app::Integration> made;
  if (core::Status st = core::app::Integration::create(config_, ports, &made); !st.is_ok()) {
    return st;
  }
  if (core::Status st = made->recover(now_us); !st.is_ok()) return st;
  core_ = std::move(made);
  return core::Status::ok();
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
  router.add_prefix_async("GET", "/ical/", h);
}

void CoreService::handle(const core::HttpRequest& request, Responder respond) {
  const core::TimeUs now_us = base_.clock->now_us();
  if (!core_) {
    // A rebuild failed earlier (the store was unavailable): try again, else ask for a retry.
    if (core::Status st = rebuild(now_us); !st.is_ok()) {
      respond(text_response(503, "unavailable"));
      return;
    }
  }
  core::HttpResponse response = core_->handle(request, now_us);
  if (!store_->pending()) {
    respond(std::move(response));
    return;
  }
  ++stats_.responses_held;
  held_.push_back({std::move(respond), std::move(response)});
}

void CoreService::on_timer(core::TimerId id, core::TimeUs now_us) {
  if (core_) core_->on_timer(id, now_us);
}

void CoreService::on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs now_us) {
  if (http_->take_current(id) && core_) core_->on_http_result(id, std::move(result), now_us);
}

void CoreService::schedule_flush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  // Behind every handler already queued (requests whose bytes arrived in this turn), so they
  // all join this flush.
  boost::asio::post(io_, [alive = alive_] {
    if (*alive != nullptr) (*alive)->flush();
  });
}

void CoreService::flush() {
  flush_posted_ = false;
  const std::size_t batches = store_->batches_pending();
  std::vector<Held> held;
  held.swap(held_);
  const core::Status st = store_->flush();
  if (st.is_ok()) {
    stats_.flushes = store_->flushes();
    stats_.batches_flushed = store_->batches_flushed();
    if (base_.metrics != nullptr) {
      base_.metrics->count("group_commit_batches", "store", "ok",
                           static_cast<std::int64_t>(batches));
      base_.metrics->count("group_commits", "store", "ok");
    }
    http_->release();
    for (Held& h : held) h.respond(std::move(h.response));
    return;
  }
  ++stats_.flush_failures;
  const core::TimeUs now_us = base_.clock->now_us();
  if (base_.log != nullptr) {
    base_.log->write(now_us, core::LogLevel::kError, "serve.group_commit_failed",
                     {{"error", st.to_string()}, {"batches", std::to_string(batches)}});
  }
  if (base_.metrics != nullptr) base_.metrics->count("group_commits", "store", "error");
  store_->discard();
  http_->drop();
  for (Held& h : held) h.respond(text_response(500, "store unavailable, retry later"));
  ++stats_.rebuilds;
  if (core::Status rebuilt = rebuild(now_us); !rebuilt.is_ok() && base_.log != nullptr) {
    base_.log->write(now_us, core::LogLevel::kError, "serve.recover_failed",
                     {{"error", rebuilt.to_string()}});
  }
}

CoreServiceStats CoreService::stats() const { return stats_; }

void LogAlerts::raise(const core::Alert& alert) {
  log_->write(alert.at_us, core::LogLevel::kError, "alert",
              {{"kind", alert.kind}, {"subject", alert.subject}, {"message", alert.message}});
}

}  // namespace intsim::server
