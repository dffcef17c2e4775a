#include "src/server/core_service.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "src/core/app/test_fakes.h"
#include "src/core/forwarding_store.h"
#include "src/core/webhook/intake.h"
#include "src/core/webhook/signature.h"
#include "src/server/sqlite_store.h"
#include "src/server/temp_dir_for_test.h"

namespace intsim::server {
namespace {

constexpr core::TimeUs kStartUs = 1'767'225'600 * core::kUsPerSec;  // 2026-01-01
constexpr std::string_view kSecret = "whsec_core_service_test";

// The durable store under the group commit: counts commits and can be made to fail them.
class DurableStore final : public core::ForwardingStore {
 public:
  DurableStore() : ForwardingStore(&inner) {}
  core::Status commit(const core::WriteBatch& b) override {
    if (fail) return core::Status::io_error("disk full");
    ++commits;
    return inner.commit(b);
  }
  bool durable(std::string_view table, std::string_view key) {
    std::string v;
    return inner.get(table, key, &v).is_ok();
  }
  core::MemoryStore inner;
  int commits = 0;
  bool fail = false;
};

// A committer the test drives: it keeps each submitted batch until told how the commit went.
class ManualCommitter final : public Committer {
 public:
  ManualCommitter(boost::asio::io_context& io, core::Store* durable) : io_(io), durable_(durable) {}
  void commit_async(core::WriteBatch batch, CommitDone done) override {
    queue.push_back({std::move(batch), std::move(done)});
  }
  // Finishes the oldest submitted commit (really committing it unless `fail`).
  void complete(bool fail = false) {
    ASSERT_FALSE(queue.empty());
    Pending p = std::move(queue.front());
    queue.erase(queue.begin());
    core::Status st = fail ? core::Status::io_error("disk full") : durable_->commit(p.batch);
    boost::asio::post(io_, [st, done = std::move(p.done)] { done(st); });
  }
  struct Pending {
    core::WriteBatch batch;
    CommitDone done;
  };
  std::vector<Pending> queue;

 private:
  boost::asio::io_context& io_;
  core::Store* durable_;
};

class CoreServiceTest : public ::testing::Test {
 protected:
  CoreServiceTest() {
    fp.clock.now = kStartUs;
    config.units = {{"u1", "std"}};
    config.webhooks.stripe_secrets = {std::string(kSecret)};
    service.emplace(io, config, fp.ports(&durable));
    EXPECT_TRUE(service->start().is_ok());
    run();
    durable.commits = 0;
  }
  // Restarts the service on a committer the test completes by hand.
  void use_manual_committer() {
    service.reset();
    manual.emplace(io, &durable);
    CoreServiceOptions options = manual_options;
    options.committer = &*manual;
    options.after_durable = [this] { ++after_durable; };
    service.emplace(io, config, fp.ports(&durable), options);
    ASSERT_TRUE(service->start().is_ok());
    run();
    if (!manual->queue.empty()) manual->complete();
    run();
    after_durable = 0;
    durable.commits = 0;
  }
  bool answered(const std::vector<std::optional<core::HttpResponse>*>& slots, int status) {
    for (auto* s : slots) {
      if (!s->has_value() || (*s)->status != status) return false;
    }
    return true;
  }
  bool none_answered(const std::vector<std::optional<core::HttpResponse>*>& slots) {
    for (auto* s : slots) {
      if (s->has_value()) return false;
    }
    return true;
  }
  std::vector<std::optional<core::HttpResponse>*> send_events(int from, int to) {
    std::vector<std::optional<core::HttpResponse>*> slots;
    for (int i = from; i < to; ++i) slots.push_back(send(stripe_event("evt_" + std::to_string(i))));
    return slots;
  }

  core::HttpRequest stripe_event(const std::string& id) const {
    const nlohmann::json event = {{"id", id},
                                  {"object", "event"},
                                  {"type", "customer.created"},
                                  {"created", fp.clock.now / core::kUsPerSec},
                                  {"data", {{"object", {{"id", "cus_1"}}}}}};
    const std::string body = event.dump();
    return {"POST",
            "/webhooks/stripe",
            {{"Stripe-Signature", core::webhook::stripe_signature_header(
                                      kSecret, fp.clock.now / core::kUsPerSec, body)}},
            body};
  }
  // Sends a request; the answer lands in the returned slot when the service gives it.
  std::optional<core::HttpResponse>* send(const core::HttpRequest& request) {
    answers.push_back(std::make_unique<std::optional<core::HttpResponse>>());
    auto* slot = answers.back().get();
    service->handle(request, [slot](core::HttpResponse r) { *slot = std::move(r); });
    return slot;
  }
  void run() {
    io.restart();
    io.run();
  }

  boost::asio::io_context io;
  core::testing::FakePorts fp;
  DurableStore durable;
  core::app::IntegrationConfig config;
  std::optional<ManualCommitter> manual;  // declared before the service that uses it
  CoreServiceOptions manual_options;      // what use_manual_committer() starts the service with
  int after_durable = 0;
  std::optional<CoreService> service;
  std::vector<std::unique_ptr<std::optional<core::HttpResponse>>> answers;
};

TEST_F(CoreServiceTest, WebhooksOfOneTurnAreAnsweredAfterOneDurableCommit) {
  std::vector<std::optional<core::HttpResponse>*> slots;
  for (int i = 0; i < 10; ++i) slots.push_back(send(stripe_event("evt_" + std::to_string(i))));
  auto* dup = send(stripe_event("evt_3"));  // a redelivery in the same turn: seen as one
  for (auto* s : slots) EXPECT_FALSE(s->has_value()) << "answered before its row was durable";
  EXPECT_FALSE(dup->has_value());
  EXPECT_FALSE(durable.durable(core::webhook::kInboxTable, "stripe/evt_0"));
  run();
  EXPECT_EQ(durable.commits, 1);
  for (auto* s : slots) {
    ASSERT_TRUE(s->has_value());
    EXPECT_EQ((*s)->status, 200) << (*s)->body;
  }
  ASSERT_TRUE(dup->has_value());
  EXPECT_NE((*dup)->body.find("already_processed"), std::string::npos) << (*dup)->body;
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(durable.durable(core::webhook::kInboxTable, "stripe/evt_" + std::to_string(i)));
  }
  EXPECT_EQ(service->stats().batches_flushed, 10u);
}

TEST_F(CoreServiceTest, ReadsThatWriteNothingAreAnsweredAtOnce) {
  auto* r = send({"GET", "/api/bookings/bk_missing", {}, ""});
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->status, 404);
  core::HttpRequest tampered = stripe_event("evt_t");
  tampered.body[tampered.body.size() - 2] = 'X';
  auto* t = send(tampered);
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->status, 400);
}

TEST_F(CoreServiceTest, AFailedGroupCommitAnswers500AndTheRebuiltCoreForgetsTheEffects) {
  durable.fail = true;
  auto* a = send(stripe_event("evt_a"));
  run();
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ((*a)->status, 500);
  EXPECT_EQ(service->stats().flush_failures, 1u);
  EXPECT_EQ(service->stats().rebuilds, 1u);
  // The redelivery is processed as new, not "already processed" from lost memory.
  durable.fail = false;
  auto* again = send(stripe_event("evt_a"));
  run();
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->status, 200);
  EXPECT_EQ((*again)->body.find("already_processed"), std::string::npos) << (*again)->body;
  EXPECT_TRUE(durable.durable(core::webhook::kInboxTable, "stripe/evt_a"));
}

TEST_F(CoreServiceTest, OutboundRequestsWaitForTheirCauseToBeDurable) {
  const nlohmann::json body = {
      {"guest", "g_1"}, {"unit", "u1"},      {"first_night", "2026-01-10"},
      {"nights", 2},    {"currency", "USD"}, {"payment_method", "pm_card_visa"}};
  fp.http.sent.clear();
  auto* r = send({"POST", "/api/bookings", {}, body.dump()});
  EXPECT_FALSE(r->has_value());
  EXPECT_TRUE(fp.http.sent.empty()) << "a Stripe call left before its outbox row was durable";
  run();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->status, 201) << (*r)->body;
  EXPECT_FALSE(fp.http.sent.empty());
}

// A rebuilt core numbers its requests from the start again (the channel sync's ids are
// base | n): the old core's answer to a feed it polled must never pass for the new core's poll
// of another feed under the same number.
TEST_F(CoreServiceTest, AfterARebuildRequestsGoOutUnderIdsNeverUsedBefore) {
  service.reset();
  config.sync.channels = {
      {core::bookings::Source::kAirbnb, "ota.airbnb", 5 * core::kUsPerMin, false}};
  fp.http.sent.clear();
  service.emplace(io, config, fp.ports(&durable));
  ASSERT_TRUE(service->start().is_ok());
  run();
  // Fires the core's timers in time order until `sent` requests have gone out.
  auto until_sent = [&](std::size_t sent) {
    for (int i = 0; i < 100 && fp.http.sent.size() < sent && !fp.timers.armed.empty(); ++i) {
      auto next = fp.timers.armed.begin();
      for (auto it = fp.timers.armed.begin(); it != fp.timers.armed.end(); ++it) {
        if (it->second < next->second) next = it;
      }
      const auto [id, at_us] = *next;
      fp.timers.armed.erase(next);
      fp.clock.now = std::max(fp.clock.now, at_us);
      service->on_timer(id, fp.clock.now);
      run();
    }
  };
  until_sent(1);
  ASSERT_EQ(fp.http.sent.size(), 1u);  // the first core polls the unit's feed
  durable.fail = true;
  send(stripe_event("evt_rebuild"));
  run();
  durable.fail = false;
  ASSERT_EQ(service->stats().rebuilds, 1u);
  until_sent(2);
  ASSERT_EQ(fp.http.sent.size(), 2u);  // the rebuilt core polls it again
  EXPECT_NE(fp.http.sent[0].id, fp.http.sent[1].id);
}

// Double buffering: while layer 1 is being committed, later webhooks go to layer 2 (one flush in
// flight at a time) and read layer 1's rows; each layer's answers wait for its own commit.
TEST_F(CoreServiceTest, WhileALayerFlushesTheNextTakesWritesAndEachIsAnsweredWhenItIsDurable) {
  use_manual_committer();
  const auto first = send_events(0, 5);
  run();
  ASSERT_EQ(manual->queue.size(), 1u);  // layer 1 sealed at the end of the turn
  // Its first delivery is not durable yet; the duplicate writes nothing, yet must wait.
  auto* dup = send(stripe_event("evt_2"));
  EXPECT_FALSE(dup->has_value()) << "answered on the strength of an undurable row";
  const auto second = send_events(5, 10);
  run();
  EXPECT_EQ(manual->queue.size(), 1u) << "a second flush started while one was in flight";
  EXPECT_TRUE(none_answered(first));
  EXPECT_TRUE(none_answered(second));
  EXPECT_FALSE(dup->has_value()) << "answered on the strength of an undurable row";

  manual->complete();
  run();
  EXPECT_TRUE(answered(first, 200));
  EXPECT_TRUE(none_answered(second));
  ASSERT_TRUE(dup->has_value());  // it depended on layer 1 only
  EXPECT_NE((*dup)->body.find("already_processed"), std::string::npos) << (*dup)->body;
  EXPECT_EQ(after_durable, 1);
  EXPECT_TRUE(durable.durable(core::webhook::kInboxTable, "stripe/evt_4"));
  EXPECT_FALSE(durable.durable(core::webhook::kInboxTable, "stripe/evt_5"));
  ASSERT_EQ(manual->queue.size(), 1u);  // layer 2 sealed as soon as layer 1 was done

  manual->complete();
  run();
  EXPECT_TRUE(answered(second, 200));
  EXPECT_TRUE(durable.durable(core::webhook::kInboxTable, "stripe/evt_9"));
  EXPECT_EQ(service->stats().flushes, 2u);
  EXPECT_EQ(service->stats().batches_flushed, 10u);
  EXPECT_TRUE(manual->queue.empty());
  EXPECT_FALSE(service->store().pending());
}

// A failed flush fails its layer and the later one that may have read it: every held answer is
// a 500, nothing of either is durable, and the rebuilt core processes the redeliveries as new.
TEST_F(CoreServiceTest, AFailedFlushFailsItsLayerAndEveryLaterOne) {
  use_manual_committer();
  const auto first = send_events(0, 3);
  run();
  const auto second = send_events(3, 6);
  auto* dup = send(stripe_event("evt_1"));
  run();
  manual->complete(/*fail=*/true);
  run();
  EXPECT_TRUE(answered(first, 500));
  EXPECT_TRUE(answered(second, 500));
  ASSERT_TRUE(dup->has_value());
  EXPECT_EQ((*dup)->status, 500);
  EXPECT_TRUE(manual->queue.empty()) << "a layer that read the failed one was still flushed";
  EXPECT_EQ(service->stats().flush_failures, 1u);
  EXPECT_EQ(service->stats().layers_failed, 2u);
  EXPECT_EQ(service->stats().rebuilds, 1u);
  EXPECT_EQ(durable.commits, 0);

  auto* again1 = send(stripe_event("evt_1"));
  auto* again4 = send(stripe_event("evt_4"));
  run();
  manual->complete();
  run();
  for (auto* again : {again1, again4}) {
    ASSERT_TRUE(again->has_value());
    EXPECT_EQ((*again)->status, 200);
    EXPECT_EQ((*again)->body.find("already_processed"), std::string::npos) << (*again)->body;
  }
  EXPECT_TRUE(durable.durable(core::webhook::kInboxTable, "stripe/evt_4"));
  EXPECT_FALSE(durable.durable(core::webhook::kInboxTable, "stripe/evt_0"));
}

// A Stripe call caused by a write in layer 2 stays held when layer 1 becomes durable.
TEST_F(CoreServiceTest, AnOutboundRequestWaitsForItsOwnLayerNotAnOlderOne) {
  use_manual_committer();
  send_events(0, 1);
  run();
  ASSERT_EQ(manual->queue.size(), 1u);
  const nlohmann::json body = {
      {"guest", "g_1"}, {"unit", "u1"},      {"first_night", "2026-01-10"},
      {"nights", 2},    {"currency", "USD"}, {"payment_method", "pm_card_visa"}};
  fp.http.sent.clear();
  auto* booking = send({"POST", "/api/bookings", {}, body.dump()});
  run();
  manual->complete();  // layer 1 (the webhook) is durable, the booking's layer 2 is not
  run();
  EXPECT_FALSE(booking->has_value());
  EXPECT_TRUE(fp.http.sent.empty()) << "a Stripe call left before its outbox row was durable";
  manual->complete();
  run();
  ASSERT_TRUE(booking->has_value());
  EXPECT_EQ((*booking)->status, 201) << (*booking)->body;
  EXPECT_FALSE(fp.http.sent.empty());
}

// Backpressure: with the writer stalled, held answers stop growing at pending_requests_max; a
// request past it is answered 503 with Retry-After at once and never reaches the core (it
// wrote nothing: its redelivery later is processed as new, not as already processed).
TEST_F(CoreServiceTest, WhileTooManyAnswersWaitNewRequestsAre503AndNeverReachTheCore) {
  manual_options.pending_requests_max = 3;
  use_manual_committer();
  const auto first = send_events(0, 3);
  run();
  ASSERT_EQ(manual->queue.size(), 1u);  // the writer has it and does not come back
  auto* refused = send(stripe_event("evt_3"));
  ASSERT_TRUE(refused->has_value()) << "a request past the bound waited for the stalled flush";
  EXPECT_EQ((*refused)->status, 503);
  EXPECT_EQ((*refused)->header("Retry-After").value_or(""), "1");
  auto* refused_get = send({"GET", "/api/bookings/bk_missing", {}, ""});
  ASSERT_TRUE(refused_get->has_value());
  EXPECT_EQ((*refused_get)->status, 503);
  EXPECT_EQ(service->store().batches_pending(), 3u) << "a refused request reached the core";
  EXPECT_EQ(service->stats().requests_refused, 2u);
  EXPECT_EQ(fp.metrics.counter("requests_refused", "store", "overloaded"), 2);
  EXPECT_EQ(fp.log.count("serve.overloaded"), 1u);

  manual->complete();
  run();
  EXPECT_TRUE(answered(first, 200));
  auto* again = send(stripe_event("evt_3"));
  EXPECT_FALSE(again->has_value()) << "still refused once the writer caught up";
  run();
  manual->complete();
  run();
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->status, 200);
  EXPECT_EQ((*again)->body.find("already_processed"), std::string::npos) << (*again)->body;
  EXPECT_TRUE(durable.durable(core::webhook::kInboxTable, "stripe/evt_3"));
}

// The other bound: a flush in flight for longer than flush_age_us_max (an fsync of seconds)
// refuses new requests however few wait.
TEST_F(CoreServiceTest, WhileTheFlushInFlightIsTooOldNewRequestsAre503) {
  manual_options.flush_age_us_max = 2 * core::kUsPerSec;
  use_manual_committer();
  auto* first = send(stripe_event("evt_0"));
  run();
  ASSERT_EQ(manual->queue.size(), 1u);
  fp.clock.now += core::kUsPerSec;
  auto* young = send(stripe_event("evt_1"));
  EXPECT_FALSE(young->has_value()) << "refused while the flush was younger than the bound";
  fp.clock.now += core::kUsPerSec;
  auto* old = send(stripe_event("evt_2"));
  ASSERT_TRUE(old->has_value());
  EXPECT_EQ((*old)->status, 503);
  EXPECT_EQ(service->stats().requests_refused, 1u);
  manual->complete();
  run();
  manual->complete();
  run();
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->status, 200);
  ASSERT_TRUE(young->has_value());
  EXPECT_EQ((*young)->status, 200);
  EXPECT_FALSE(durable.durable(core::webhook::kInboxTable, "stripe/evt_2"));
  EXPECT_TRUE(service->drained());
}

// An alert reports a state change: it reaches the Alerts port only once the layer holding that
// change is durable. A failed flush drops it; the rebuilt core raises it again on redelivery.
TEST_F(CoreServiceTest, AlertsWaitForTheirLayerAndAreDroppedWithAFailedOne) {
  use_manual_committer();
  const nlohmann::json body = {
      {"guest", "g_1"}, {"unit", "u1"},      {"first_night", "2026-01-10"},
      {"nights", 2},    {"currency", "USD"}, {"payment_method", "pm_card_visa"}};
  auto* booking = send({"POST", "/api/bookings", {}, body.dump()});
  run();
  manual->complete();
  run();
  ASSERT_TRUE(booking->has_value());
  ASSERT_EQ((*booking)->status, 201) << (*booking)->body;
  const std::string booking_id = nlohmann::json::parse((*booking)->body).at("booking_id");
  const auto dispute = [&] {
    const nlohmann::json event = {{"id", "evt_dispute"},
                                  {"object", "event"},
                                  {"type", "charge.dispute.created"},
                                  {"created", fp.clock.now / core::kUsPerSec},
                                  {"data",
                                   {{"object",
                                     {{"id", "dp_1"},
                                      {"object", "dispute"},
                                      {"status", "needs_response"},
                                      {"reason", "fraudulent"},
                                      {"metadata", {{"booking_id", booking_id}}}}}}}};
    const std::string text = event.dump();
    return core::HttpRequest{
        "POST",
        "/webhooks/stripe",
        {{"Stripe-Signature",
          core::webhook::stripe_signature_header(kSecret, fp.clock.now / core::kUsPerSec, text)}},
        text};
  };
  const std::size_t before = fp.alerts.count("dispute");
  auto* lost = send(dispute());
  run();
  EXPECT_EQ(fp.alerts.count("dispute"), before) << "alerted before the change was durable";
  manual->complete(/*fail=*/true);
  run();
  ASSERT_TRUE(lost->has_value());
  EXPECT_EQ((*lost)->status, 500);
  EXPECT_EQ(fp.alerts.count("dispute"), before) << "alerted about a change that was lost";
  EXPECT_EQ(service->stats().alerts_dropped, 1u);

  auto* redelivered = send(dispute());
  run();
  EXPECT_EQ(fp.alerts.count("dispute"), before);
  manual->complete();
  run();
  ASSERT_TRUE(redelivered->has_value());
  EXPECT_EQ((*redelivered)->status, 200) << (*redelivered)->body;
  EXPECT_EQ(fp.alerts.count("dispute"), before + 1);
}

// Real mode's wiring: the core reads through one SQLite connection that holds its snapshot, a
// ThreadCommitter commits on a second one on its own thread, and after_durable lets the reader
// see each commit. Without that release the reader's old snapshot would not have the first
// delivery's inbox row once its layer retired, and the redelivery would be processed again.
TEST_F(CoreServiceTest, OnTwoSqliteConnectionsARedeliveryAfterTheFlushIsSeenAsOne) {
  TempDir dir(TempDir::Where::kMemory);
  const std::string path = dir.file("store.db");
  std::unique_ptr<SqliteStore> reader;
  std::unique_ptr<SqliteStore> writer;
  SqliteStore::Options held;
  held.hold_read_snapshot = true;
  ASSERT_TRUE(SqliteStore::open(path, held, &reader).is_ok());
  ASSERT_TRUE(SqliteStore::open(path, &writer).is_ok());
  service.reset();
  {
    ThreadCommitter committer(io, writer.get());
    CoreServiceOptions options;
    options.committer = &committer;
    options.after_durable = [&] { ASSERT_TRUE(reader->release_snapshot().is_ok()); };
    CoreService real(io, config, fp.ports(reader.get()), options);
    ASSERT_TRUE(real.start().is_ok());
    const auto send_to = [&](const core::HttpRequest& r) {
      answers.push_back(std::make_unique<std::optional<core::HttpResponse>>());
      auto* slot = answers.back().get();
      real.handle(r, [slot](core::HttpResponse out) { *slot = std::move(out); });
      return slot;
    };
    auto* first = send_to(stripe_event("evt_r"));
    run();  // returns once the commit thread's outcome has been handled
    ASSERT_TRUE(first->has_value());
    EXPECT_EQ((*first)->status, 200);
    EXPECT_FALSE(real.store().pending());
    EXPECT_FALSE(reader->snapshot_held());
    auto* again = send_to(stripe_event("evt_r"));
    run();
    ASSERT_TRUE(again->has_value());
    EXPECT_NE((*again)->body.find("already_processed"), std::string::npos) << (*again)->body;
    EXPECT_EQ(real.stats().flushes, 1u);
  }
  std::string v;
  EXPECT_TRUE(writer->get(core::webhook::kInboxTable, "stripe/evt_r", &v).is_ok());
}

}  // namespace
}  // namespace intsim::server
