// Guest notifications: the cost the notification trigger adds to a commit that confirms a
// booking (it writes the notification row and its outbox job into the same batch), next to the
// same commit without the trigger; a status webhook merged and committed; and the simulated
// WhatsApp's sends per second. Fake ports, so this measures the code's own cost (thread CPU
// time).
#include <fmt/format.h>
#include <time.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/whatsapp/whatsapp_model.h"
#include "sim/rng.h"
#include "src/core/bookings/booking_service.h"
#include "src/core/memory_store.h"
#include "src/core/notifications/notification_service.h"
#include "src/core/observability/metrics_registry.h"
#include "src/core/observability/recorders.h"

namespace {

namespace core = intsim::core;
namespace bk = intsim::core::bookings;
namespace nt = intsim::core::notifications;
// CPU time of this thread: the machine is shared, and wall time would measure the neighbours.
struct Clock {
  using time_point = double;
  static double now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
};

double seconds_since(Clock::time_point start) { return Clock::now() - start; }

struct FixedClock final : core::Clock {
  core::TimeUs now = 1'767'225'600LL * core::kUsPerSec;
  core::TimeUs now_us() const override { return now; }
};
struct NullTimers final : core::Timers {
  void arm(core::TimerId, core::TimeUs) override {}
  void disarm(core::TimerId) override {}
};
struct NullHttp final : core::HttpClient {
  void send(core::RequestId, std::string_view, core::HttpRequest, core::TimeUs) override {}
};

bk::Stay stay(int i, bk::StayState state) {
  bk::Stay s;
  s.id = fmt::format("bk_{:016x}", i);
  s.unit = "u1";
  s.first_night = 20'470;
  s.end_night = 20'472;
  s.state = state;
  s.guest = fmt::format("g_{}", i % 1000);
  return s;
}

// Commits held then confirmed for n stays; returns seconds spent on the confirming commits.
double confirm_commits(core::Store& store, int n) {
  double spent = 0;
  for (int i = 0; i < n; ++i) {
    core::WriteBatch held;
    held.put(bk::kStaysTable, stay(i, bk::StayState::kHeld).id,
             bk::encode_stay(stay(i, bk::StayState::kHeld)));
    store.commit(held);
    core::WriteBatch confirmed;
    confirmed.put(bk::kStaysTable, stay(i, bk::StayState::kConfirmed).id,
                  bk::encode_stay(stay(i, bk::StayState::kConfirmed)));
    const auto start = Clock::now();
    store.commit(confirmed);
    spent += seconds_since(start);
  }
  return spent;
}

}  // namespace

int main() {
  constexpr int kStays = 20'000;
  FixedClock clock;
  intsim::sim::Rng random(1);
  NullTimers timers;
  NullHttp http;
  core::observability::RecordingLog log(core::LogLevel::kError);
  core::observability::MetricsRegistry metrics;
  core::observability::RecordingAlerts alerts;

  core::MemoryStore plain;
  const double baseline_s = confirm_commits(plain, kStays);

  core::MemoryStore inner;
  nt::ObservedStore observed(&inner, &clock);
  core::Ports ports{&clock, &random, &timers, &http, &observed, &log, &metrics, &alerts};
  nt::NotificationConfig config;
  config.enabled = true;
  core::resilience::DispatcherConfig dc;
  dc.peers["whatsapp"] = nt::whatsapp_peer_policy(config);
  core::resilience::Dispatcher dispatcher(ports, dc);
  nt::NotificationService service(config, ports, &dispatcher);
  service.register_handlers();
  observed.set_observer(&service);
  const double triggered_s = confirm_commits(observed, kStays);
  service.take_enqueued();
  fmt::print("confirmation commit, plain store:            {:8.2f} us\n",
             baseline_s * 1e6 / kStays);
  fmt::print(
      "confirmation commit + notification + job:    {:8.2f} us  (x{:.1f}; {} notifications)\n",
      triggered_s * 1e6 / kStays, triggered_s / baseline_s, inner.size(nt::kNotificationsTable));

  // Status webhooks: sent, delivered, read for every notification, each merged and committed.
  std::vector<intsim::core::webhook::VerifiedEvent> events;
  for (int i = 0; i < kStays; ++i) {
    for (const char* st : {"sent", "delivered", "read"}) {
      intsim::core::webhook::VerifiedEvent ev;
      ev.endpoint = intsim::core::webhook::Endpoint::kWhatsApp;
      ev.type = "status";
      ev.payload = {
          {"id", fmt::format("wamid.{}", i)},
          {"status", st},
          {"timestamp", "1767225600"},
          {"biz_opaque_callback_data", nt::notification_id(nt::NotificationKind::kBookingConfirmed,
                                                           stay(i, bk::StayState::kConfirmed).id)}};
      events.push_back(std::move(ev));
    }
  }
  auto start = Clock::now();
  for (const auto& ev : events) {
    core::WriteBatch effects;
    service.apply(ev, effects, clock.now);
    observed.commit(effects);
  }
  const double status_s = seconds_since(start);
  fmt::print("status webhook event, merged + committed:    {:8.2f} us\n",
             status_s * 1e6 / static_cast<double>(events.size()));

  // The simulated WhatsApp: accepted template sends per second (distinct users, no limits hit).
  intsim::models::whatsapp::WhatsAppConfig wc;
  wc.throughput_per_sec = 1'000'000'000;
  intsim::models::whatsapp::WhatsAppModel model(wc, intsim::sim::Rng(2));
  constexpr int kSends = 100'000;
  std::vector<core::HttpRequest> requests;
  for (int i = 0; i < kSends; ++i) {
    nt::OutboundMessage m;
    m.to = fmt::format("1555{:07}", i);
    m.use_template = true;
    m.template_name = "booking_confirmation";
    m.body_params = {"bk_1"};
    m.callback_data = fmt::format("n_{}", i);
    requests.push_back({"POST",
                        "/v1/" + wc.phone_number_id + "/messages",
                        {{"Authorization", "Bearer " + wc.access_token}},
                        nt::send_body(m)});
  }
  start = Clock::now();
  core::TimeUs t = clock.now;
  int accepted = 0;
  for (const auto& r : requests) accepted += model.handle(r, t += 10).status == 200;
  const double model_s = seconds_since(start);
  fmt::print("WhatsApp model send (accepted {} of {}):   {:8.2f} us  ({:.0f} sends/s)\n", accepted,
             kSends, model_s * 1e6 / kSends, kSends / model_s);
  return 0;
}
