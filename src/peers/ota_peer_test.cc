#include "src/peers/ota_peer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "src/core/ical/flavours.h"
#include "src/peers/peer_test_support.h"

namespace intsim::peers {
namespace {

namespace ota = models::ota;

class OtaPeerTest : public testing::LoopbackTest {
 protected:
  static ota::ChannelConfig channel(ota::Flavour flavour, double bookings_per_day) {
    ota::ChannelConfig c;
    c.flavour = flavour;
    c.units = {"u1", "u2"};
    c.bookings_per_day = bookings_per_day;  // 0: no guests
    c.cancel_probability = 0;
    c.import_interval_us = 30 * core::kUsPerMs;
    return c;
  }

  // The core stand-in exports u1 with nights [today + 3, today + 5) taken.
  void start(std::vector<ota::ChannelConfig> channels) {
    today = static_cast<ota::Night>(clock.now_us() / core::kUsPerDay);
    server::Router router;
    router.add_prefix("GET", "/ical/", [this](const core::HttpRequest& r) {
      ++core_exports;
      std::vector<core::ical::Stay> stays;
      if (r.target == "/ical/u1.ics") {
        core::ical::Stay blocked;
        blocked.first_night_days = today + 3;
        blocked.end_days = today + 5;
        stays.push_back(blocked);
      }
      return core::HttpResponse{200,
                                {{"Content-Type", "text/calendar"}},
                                core::ical::write_availability("u1", stays, clock.now_us())};
    });
    start_core(std::move(router));
    OtaPeerOptions o;
    o.core_url = core_url();
    o.channels = std::move(channels);
    peer = std::make_unique<OtaPeer>(io, clock, std::move(o));
    ASSERT_TRUE(peer->start().is_ok());
  }

  core::HttpResult feed(const std::string& target) {
    return call(peer->port(), {"GET", target, {}, ""});
  }

  ota::Night today = 0;
  int core_exports = 0;
  std::unique_ptr<OtaPeer> peer;
};

TEST_F(OtaPeerTest, ServesEachChannelsFeedInItsOwnShapeUnderItsName) {
  start({channel(ota::Flavour::kAirbnb, 0), channel(ota::Flavour::kVrbo, 0)});
  const core::HttpResult airbnb = feed("/airbnb/ical/u1.ics");
  ASSERT_EQ(airbnb.response.status, 200) << airbnb.response.body;
  EXPECT_NE(airbnb.response.body.find("Airbnb Inc"), std::string::npos) << airbnb.response.body;
  const core::HttpResult vrbo = feed("/vrbo/ical/u2.ics");
  ASSERT_EQ(vrbo.response.status, 200);
  EXPECT_NE(vrbo.response.body.find("HomeAway"), std::string::npos) << vrbo.response.body;
  EXPECT_EQ(feed("/booking_com/ical/u1.ics").response.status, 404);
  EXPECT_EQ(feed("/airbnb/ical/u9.ics").response.status, 404);
  EXPECT_EQ(feed("/airbnb").response.status, 404);
}

TEST_F(OtaPeerTest, ImportsTheCoresExportOfEveryUnit) {
  start({channel(ota::Flavour::kAirbnb, 0)});
  const ota::ChannelModel& airbnb = *peer->channel("airbnb");
  EXPECT_TRUE(run_until([&] {
    return airbnb.imports().at("u1").imported_at_us > 0 &&
           airbnb.imports().at("u2").imported_at_us > 0;
  }));
  EXPECT_FALSE(airbnb.believes_free("u1", today + 4, today + 5));
  EXPECT_TRUE(airbnb.believes_free("u1", today + 5, today + 7));
  EXPECT_TRUE(airbnb.believes_free("u2", today + 3, today + 5));
  EXPECT_GE(peer->stats().imports_ok, 2u);
}

TEST_F(OtaPeerTest, ItsGuestsBookOnTheWallClockAndTheStaysShowInTheFeed) {
  start({channel(ota::Flavour::kBookingCom, 100.0 * 86400)});  // about 100 guests a second
  const ota::ChannelModel& booking = *peer->channel("booking_com");
  ASSERT_TRUE(run_until([&] { return booking.stats().sold >= 1; }));
  const ota::SoldStay stay = booking.stays().front();  // a copy: guests keep booking
  const core::HttpResult r = feed("/booking_com/ical/" + stay.unit + ".ics");
  ASSERT_EQ(r.response.status, 200);
  EXPECT_NE(r.response.body.find(stay.uids.back()), std::string::npos) << r.response.body;
  EXPECT_NE(r.response.body.find("CLOSED - Not available"), std::string::npos);
}

TEST_F(OtaPeerTest, ServesTheFaultsTheModelIsConfiguredWith) {
  ota::ChannelConfig c = channel(ota::Flavour::kAirbnb, 0);
  c.error_probability = 1.0;
  start({c});
  EXPECT_EQ(feed("/airbnb/ical/u1.ics").response.status, 503);
  EXPECT_EQ(peer->channel("airbnb")->stats().errors, 1u);
}

TEST_F(OtaPeerTest, RefusesChannelsItsModelCannotRun) {
  const auto refused = [&](std::vector<ota::ChannelConfig> channels) {
    OtaPeerOptions o;
    o.channels = std::move(channels);
    const core::Status st = OtaPeer(io, clock, std::move(o)).start();
    EXPECT_FALSE(st.is_ok());
    return st.message();
  };
  EXPECT_EQ(refused({channel(ota::Flavour::kVrbo, 1), channel(ota::Flavour::kVrbo, 1)}),
            "OTA peer: channel 'vrbo' configured twice");
  ota::ChannelConfig no_units = channel(ota::Flavour::kAirbnb, 1);
  no_units.units.clear();
  EXPECT_EQ(refused({no_units}), "OTA peer: channel 'airbnb': no units");
  ota::ChannelConfig bad_nights = channel(ota::Flavour::kAirbnb, 1);
  bad_nights.nights_min = 0;
  EXPECT_EQ(refused({bad_nights}), "OTA peer: channel 'airbnb': nights must be 1 <= min <= max");
  ota::ChannelConfig busy = channel(ota::Flavour::kAirbnb, 1e12);
  EXPECT_EQ(refused({busy}),
            "OTA peer: channel 'airbnb': bookings per day must be from 0 to 86400000");
  EXPECT_EQ(refused({}), "OTA peer: no channel");
}

}  // namespace
}  // namespace intsim::peers
