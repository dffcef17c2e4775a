#include "src/core/sync/sync_engine.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "src/core/app/test_fakes.h"
#include "src/core/bookings/conflict_resolver.h"
#include "src/core/ical/flavours.h"

namespace intsim::core::sync {
namespace {

namespace bk = bookings;

// The bookings side: a real ledger and the real resolver, nothing persisted.
struct LedgerSink final : ChannelStaySink {
  bk::Ledger ledger_{{{"u1", "double"}, {"u2", "double"}}};
  std::vector<bk::Resolution> resolutions;
  const bk::Ledger& ledger() const override { return ledger_; }
  Status upsert_channel_stay(const bk::Stay& stay, TimeUs) override {
    ledger_.upsert_channel_stay(stay);
    for (auto& r : bk::resolve_conflicts(ledger_, {})) resolutions.push_back(r);
    return Status::ok();
  }
  Status cancel_channel_stay(std::string_view id, TimeUs) override {
    ledger_.cancel(id);
    return Status::ok();
  }
};

struct Harness {
  testing::FakePorts fake;
  LedgerSink sink;
  SyncConfig config;
  std::unique_ptr<SyncEngine> engine;

  explicit Harness(bk::Source source = bk::Source::kAirbnb, bool empty_ok = false) {
    config.channels = {{source, "ota.x", 5 * kUsPerMin, empty_ok}};
    config.units = {"u1"};
    restart();
  }
  void restart() {
    fake.http.sent.clear();
    engine = std::make_unique<SyncEngine>(config, fake.ports(), &sink);
    EXPECT_TRUE(engine->recover(fake.clock.now).is_ok());
  }
  // Fires the timer and answers the one fetch it sends.
  const testing::FakeHttp::Sent& poll() {
    fake.clock.now = fake.timers.armed.at(config.timer_id);
    const std::size_t before = fake.http.sent.size();
    engine->on_timer(fake.clock.now);
    EXPECT_EQ(fake.http.sent.size(), before + 1);
    return fake.http.sent.back();
  }
  void answer(const testing::FakeHttp::Sent& s, HttpResult r) {
    engine->on_http_result(s.id, std::move(r), fake.clock.now);
  }
  void serve(std::string body, int status = 200, std::string etag = "") {
    const auto& s = poll();
    HttpResponse resp{status, {}, std::move(body)};
    if (!etag.empty()) resp.headers.push_back({"ETag", etag});
    answer(s, HttpResult::of(std::move(resp)));
  }
  const FeedState& feed() const { return engine->feeds().begin()->second; }
  bool active(std::string_view id) const {
    const bk::Stay* s = sink.ledger_.find(id);
    return s && bk::is_active(s->state);
  }
};

// Calendar stays from (uid, first night, end night) triples.
std::vector<ical::Stay> cal(const std::vector<FeedStay>& in) {
  std::vector<ical::Stay> out;
  for (const FeedStay& f : in) {
    ical::Stay s;
    s.uid = f.uid;
    s.first_night_days = f.first_night;
    s.end_days = f.end_night;
    out.push_back(s);
  }
  return out;
}
std::string airbnb(const std::vector<FeedStay>& stays) { return ical::write_airbnb(cal(stays)); }

TEST(SyncEngine, PollsTheFeedAndAddsItsStays) {
  Harness h;
  const auto& s = h.poll();
  EXPECT_EQ(s.peer, "ota.x");
  EXPECT_EQ(s.request.target, "/ical/u1.ics");
  EXPECT_EQ(s.deadline_us, h.fake.clock.now + h.config.request_timeout_us);
  h.answer(s, HttpResult::of({200, {}, airbnb({{"a1", 10, 13}, {"a2", 20, 21}})}));
  EXPECT_TRUE(h.active("airbnb:a1"));
  EXPECT_TRUE(h.active("airbnb:a2"));
  EXPECT_EQ(h.sink.ledger_.find("airbnb:a1")->unit, "u1");
  EXPECT_EQ(h.fake.timers.armed.at(h.config.timer_id), h.fake.clock.now + 5 * kUsPerMin);
  std::string row;
  EXPECT_TRUE(h.fake.store.get(kFeedsTable, "airbnb/u1", &row).is_ok());
}

TEST(SyncEngine, UnchangedFeedsAreNotParsedAndEtagsAreSent) {
  Harness h(bk::Source::kVrbo);
  const std::vector<ical::Stay> stays = cal({{"v1", 10, 12}});
  h.serve(ical::write_vrbo(stays, 0, ical::VrboLanguage::kEnglish), 200, "\"e1\"");
  EXPECT_EQ(h.engine->stats().parsed, 1u);
  // A later export differs only in its DTSTAMP: the content hash sees through it.
  h.serve(ical::write_vrbo(stays, kUsPerHour, ical::VrboLanguage::kEnglish), 200, "\"e1\"");
  EXPECT_EQ(h.engine->stats().parsed, 1u);
  EXPECT_EQ(h.engine->stats().unchanged, 1u);
  const auto& s = h.poll();
  EXPECT_EQ(s.request.header("If-None-Match").value_or(""), "\"e1\"");
  h.answer(s, HttpResult::of({304, {}, ""}));
  EXPECT_EQ(h.engine->stats().not_modified, 1u);
  EXPECT_TRUE(h.active("vrbo:v1"));
}

TEST(SyncEngine, VanishedStayIsCancelledAfterTheGraceEvenIfTheFeedStopsChanging) {
  Harness h;
  h.serve(airbnb({{"a1", 10, 13}, {"a2", 20, 21}}));
  const TimeUs vanished_at = h.fake.clock.now + 5 * kUsPerMin;
  h.serve(airbnb({{"a2", 20, 21}}));
  EXPECT_TRUE(h.active("airbnb:a1"));
  // The feed now stays the same (hash unchanged, then 304): the clock still runs.
  while (h.fake.clock.now < vanished_at + h.config.cancel_after_missing_us) {
    h.serve(airbnb({{"a2", 20, 21}}));
  }
  EXPECT_FALSE(h.active("airbnb:a1"));
  EXPECT_TRUE(h.active("airbnb:a2"));
  EXPECT_EQ(h.engine->stats().cancelled, 1u);
}

TEST(SyncEngine, TruncatedOrFailedFeedsCancelNothingAndBackOff) {
  Harness h;
  h.config.cancel_after_missing_us = 0;
  h.restart();
  h.serve(airbnb({{"a1", 10, 13}, {"a2", 20, 21}}));
  const std::string full = airbnb({{"a3", 30, 31}});
  h.serve(full.substr(0, full.size() - 15));  // cut before END:VCALENDAR
  EXPECT_TRUE(h.active("airbnb:a1"));
  EXPECT_TRUE(h.active("airbnb:a2"));
  EXPECT_TRUE(h.active("airbnb:a3"));  // what a truncated feed shows is still real
  EXPECT_EQ(h.feed().failures, 1);
  h.serve("");  // Airbnb never sends an empty body: broken, not empty
  EXPECT_EQ(h.feed().failures, 2);
  h.serve("oops", 503);
  EXPECT_EQ(h.feed().failures, 3);
  const auto& s = h.poll();
  h.answer(s, HttpResult::failed(HttpError::kTimeout));
  EXPECT_EQ(h.feed().failures, 4);
  EXPECT_TRUE(h.active("airbnb:a1"));
  EXPECT_GE(h.fake.timers.armed.at(h.config.timer_id) - h.fake.clock.now,
            h.config.backoff.base_delay_ms * kUsPerMs);
  h.serve(airbnb({{"a1", 10, 13}, {"a3", 30, 31}}));
  EXPECT_EQ(h.feed().failures, 0);
  EXPECT_FALSE(h.active("airbnb:a2"));  // a complete fetch is a snapshot again
}

TEST(SyncEngine, AfterATruncatedFetchTheSameCompleteFeedIsParsedAgain) {
  Harness h;
  h.config.cancel_after_missing_us = 0;
  h.restart();
  h.serve(airbnb({}), 200, "\"empty\"");
  const std::string with_stay = airbnb({{"a1", 10, 13}});
  h.serve(with_stay.substr(0, with_stay.size() - 15));  // shows a1, but is not complete
  EXPECT_TRUE(h.active("airbnb:a1"));
  // The channel cancelled a1: the feed is byte for byte what it was before the truncated one.
  // Neither the ETag nor the content hash may call that "unchanged" now.
  const auto& s = h.poll();
  EXPECT_FALSE(s.request.header("If-None-Match").has_value());
  h.answer(s, HttpResult::of({200, {{"ETag", "\"empty\""}}, airbnb({})}));
  EXPECT_FALSE(h.active("airbnb:a1"));
}

TEST(SyncEngine, BookingComEmptyBodyIsAnEmptyCalendar) {
  Harness h(bk::Source::kBookingCom, /*empty_ok=*/true);
  h.config.cancel_after_missing_us = 0;
  h.restart();
  h.serve(ical::write_booking_com(cal({{"b1", 10, 13}}), 0, true));
  EXPECT_TRUE(h.active("booking_com:b1"));
  h.serve(ical::write_booking_com({}, 0, true));
  EXPECT_FALSE(h.active("booking_com:b1"));
}

TEST(SyncEngine, UidChurnDoesNotDuplicateStays) {
  Harness h;
  h.config.cancel_after_missing_us = 0;
  h.restart();
  h.serve(airbnb({{"a1", 10, 13}}));
  h.serve(airbnb({{"new-uid", 10, 13}}));
  EXPECT_TRUE(h.active("airbnb:a1"));
  EXPECT_EQ(h.sink.ledger_.stays().size(), 1u);
  EXPECT_EQ(h.feed().stays.at(0).uid, "new-uid");
  EXPECT_EQ(h.engine->stats().uid_changes, 1u);
  EXPECT_TRUE(h.sink.resolutions.empty());
  // Dates that change under the new UID are a change the ledger hears of.
  h.serve(airbnb({{"new-uid", 11, 13}}));
  EXPECT_EQ(h.sink.ledger_.find("airbnb:a1")->first_night, 11);
}

TEST(SyncEngine, ARaceWithADirectStayIsCountedAndResolved) {
  Harness h;
  bk::Stay direct;
  direct.id = "bk_1";
  direct.unit = "u1";
  direct.first_night = 11;
  direct.end_night = 12;
  direct.created_at_us = -1;  // sold first
  ASSERT_TRUE(h.sink.ledger_.place_hold(direct).is_ok());
  h.serve(airbnb({{"a1", 10, 13}}));
  EXPECT_EQ(h.engine->stats().race_conflicts, 1u);
  ASSERT_EQ(h.sink.resolutions.size(), 1u);
  EXPECT_TRUE(h.sink.ledger_.conflicts().empty());
}

TEST(SyncEngine, SnapshotSurvivesARestart) {
  Harness h;
  h.serve(airbnb({{"a1", 10, 13}}));
  h.restart();
  EXPECT_EQ(h.feed().stays.size(), 1u);
  h.serve(airbnb({{"a1", 10, 13}}));
  EXPECT_EQ(h.engine->stats().unchanged, 1u);  // the hash was durable too
  EXPECT_EQ(h.sink.ledger_.stays().size(), 1u);
}

TEST(SyncEngine, ResultsOfUnknownRequestsAreIgnored) {
  Harness h;
  const auto& s = h.poll();
  EXPECT_TRUE(h.engine->owns_request(s.id));
  EXPECT_FALSE(h.engine->owns_request(s.id + 1));
  EXPECT_FALSE(h.engine->owns_request(h.config.base_request_id | 99));
  h.answer(s, HttpResult::of({200, {}, airbnb({})}));
  EXPECT_FALSE(h.engine->owns_request(s.id));  // answered: no longer ours to route
  h.engine->on_http_result(h.config.base_request_id | 99, HttpResult::of({200, {}, ""}), 0);
  EXPECT_EQ(h.engine->stats().failed, 0u);
}

TEST(SyncContent, BodiesEqualButForDtstampHaveTheSameContent) {
  const std::string a = "BEGIN:VCALENDAR\r\nDTSTAMP:20260101T000000Z\r\nUID:x\r\nEND:VCALENDAR\r\n";
  const std::string b = "BEGIN:VCALENDAR\r\nDTSTAMP:20260102T101010Z\r\nUID:x\r\nEND:VCALENDAR\r\n";
  const std::string c = "BEGIN:VCALENDAR\r\nDTSTAMP:20260101T000000Z\r\nUID:y\r\nEND:VCALENDAR\r\n";
  EXPECT_TRUE(same_feed_content(a, b));
  EXPECT_FALSE(same_feed_content(a, c));
  EXPECT_FALSE(same_feed_content(a, a.substr(0, a.size() - 2)));  // a line cut short
  EXPECT_FALSE(same_feed_content(a, a + "X"));
  EXPECT_TRUE(same_feed_content("", ""));
  EXPECT_FALSE(same_feed_content("", "UID:x"));
  EXPECT_TRUE(same_feed_content("DTSTAMP:1\n", ""));  // only DTSTAMP: nothing to hash either
}

// The engine skips hashing a body whose content equals the last hashed one: that is sound only
// if equal content means an equal hash, whatever the lines.
RC_GTEST_PROP(SyncContentProperty, SameContentMeansTheSameHash, ()) {
  const std::vector<std::string> lines = {
      "BEGIN:VEVENT\r\n", "UID:a\r\n",  "UID:b\n", "DTSTAMP:20260101T000000Z\r\n",
      "DTSTAMP:2\n",      "END:VEVENT", "\n",      "DTSTAMP"};
  auto body = [&] {
    std::string out;
    for (const std::string& l :
         *rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(lines))) {
      out += l;
    }
    return out;
  };
  const std::string a = body(), b = body();
  if (same_feed_content(a, b)) RC_ASSERT(feed_content_hash(a) == feed_content_hash(b));
  RC_ASSERT(same_feed_content(a, a));
}

}  // namespace
}  // namespace intsim::core::sync
