// What one feed fetch costs the sync engine, for a unit whose Vrbo feed holds 60 stays
// (about 16 KB): the whole on_http_result path when the feed is unchanged (only the DTSTAMP
// moved: a content hash, no parse), when one stay changed (parse + reconcile + ledger +
// snapshot commit), and a 304. Prints microseconds per fetch and the ratio changed/unchanged.
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/app/test_fakes.h"
#include "src/core/bookings/conflict_resolver.h"
#include "src/core/ical/flavours.h"
#include "src/core/sync/sync_engine.h"

namespace {

namespace bk = intsim::core::bookings;
namespace sy = intsim::core::sync;
using intsim::core::HttpResult;
using intsim::core::kUsPerMin;
using intsim::core::Status;
using intsim::core::TimeUs;
using Clock = std::chrono::steady_clock;

struct LedgerSink final : sy::ChannelStaySink {
  bk::Ledger ledger_{{{"u1", "double"}}};
  const bk::Ledger& ledger() const override { return ledger_; }
  Status upsert_channel_stay(const bk::Stay& stay, TimeUs) override {
    ledger_.upsert_channel_stay(stay);
    return Status::ok();
  }
  Status cancel_channel_stay(std::string_view id, TimeUs) override {
    ledger_.cancel(id);
    return Status::ok();
  }
};

std::string vrbo_feed(int stays, int shift, TimeUs stamp_us) {
  std::vector<intsim::core::ical::Stay> v;
  for (int i = 0; i < stays; ++i) {
    intsim::core::ical::Stay s;
    s.uid = intsim::core::ical::format_uuid(0x1234 + i, 0x5678 * (i + 1));
    s.first_night_days = 20'500 + 3 * i + (i == 0 ? shift : 0);
    s.end_days = s.first_night_days + 2;
    v.push_back(s);
  }
  return intsim::core::ical::write_vrbo(v, stamp_us, intsim::core::ical::VrboLanguage::kEnglish);
}

// Microseconds per fetch answered with what `body_of(i)` returns.
template <typename BodyOf>
double per_fetch_us(int rounds, BodyOf body_of) {
  intsim::core::testing::FakePorts fp;
  LedgerSink sink;
  sy::SyncConfig config;
  config.channels = {{bk::Source::kVrbo, "ota.vrbo", 5 * kUsPerMin, false}};
  config.units = {"u1"};
  sy::SyncEngine engine(config, fp.ports(), &sink);
  (void)engine.recover(0);
  double total_us = 0;
  for (int i = 0; i < rounds + 1; ++i) {
    fp.clock.now = fp.timers.armed.at(config.timer_id);
    engine.on_timer(fp.clock.now);
    HttpResult r = body_of(i);
    const auto t0 = Clock::now();
    engine.on_http_result(fp.http.sent.back().id, std::move(r), fp.clock.now);
    const auto t1 = Clock::now();
    if (i > 0) total_us += std::chrono::duration<double, std::micro>(t1 - t0).count();
  }
  return total_us / rounds;
}

}  // namespace

int main() {
  constexpr int kRounds = 2000;
  constexpr int kStays = 60;
  const std::string sample = vrbo_feed(kStays, 0, 0);
  const double unchanged = per_fetch_us(kRounds, [](int i) {
    return HttpResult::of({200, {}, vrbo_feed(kStays, 0, i * 60'000'000LL)});
  });
  const double changed = per_fetch_us(kRounds, [](int i) {
    return HttpResult::of({200, {}, vrbo_feed(kStays, i % 2, i * 60'000'000LL)});
  });
  const double not_modified = per_fetch_us(kRounds, [](int i) {
    return HttpResult::of({i == 0 ? 200 : 304, {}, ""});
  });
  fmt::print("feed: {} stays, {} bytes\n", kStays, sample.size());
  fmt::print("unchanged (hash only)      {:8.2f} us/fetch\n", unchanged);
  fmt::print("changed (parse+reconcile)  {:8.2f} us/fetch\n", changed);
  fmt::print("304 not modified           {:8.2f} us/fetch\n", not_modified);
  fmt::print("changed / unchanged        {:8.1f}x\n", changed / unchanged);
  return 0;
}
