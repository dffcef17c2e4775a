#include "src/core/bookings/stay.h"

#include <nlohmann/json.hpp>

namespace intsim::core::bookings {
namespace {
constexpr std::string_view kSourceNames[] = {"direct", "airbnb", "booking_com", "vrbo"};
constexpr std::string_view kStateNames[] = {"held", "confirmed", "cancelled", "released"};
}  // namespace

std::string_view source_name(Source source) { return kSourceNames[static_cast<int>(source)]; }
std::string_view state_name(StayState state) { return kStateNames[static_cast<int>(state)]; }

bool parse_source(std::string_view name, Source* out) {
  for (int i = 0; i < 4; ++i) {
    if (kSourceNames[i] == name) {
      *out = static_cast<Source>(i);
      return true;
    }
  }
  return false;
}

std::string encode_stay(const Stay& s) {
  nlohmann::ordered_json j;
  j["id"] = s.id;
  j["unit"] = s.unit;
  j["first_night"] = s.first_night;
  j["end_night"] = s.end_night;
  j["source"] = source_name(s.source);
  j["state"] = state_name(s.state);
  j["created_at_us"] = s.created_at_us;
  j["hold_expires_at_us"] = s.hold_expires_at_us;
  j["guest"] = s.guest;
  j["external_uid"] = s.external_uid;
  return j.dump();
}

Status decode_stay(std::string_view row, Stay* out) {
  const auto j = nlohmann::json::parse(row, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::invalid_argument("stay row is not JSON");
  try {
    Stay s;
    s.id = j.at("id").get<std::string>();
    s.unit = j.at("unit").get<std::string>();
    s.first_night = j.at("first_night").get<Night>();
    s.end_night = j.at("end_night").get<Night>();
    if (!parse_source(j.at("source").get<std::string>(), &s.source)) {
      return Status::invalid_argument("stay row: unknown source");
    }
    const auto state = j.at("state").get<std::string>();
    bool found = false;
    for (int i = 0; i < 4; ++i) {
      if (kStateNames[i] == state) {
        s.state = static_cast<StayState>(i);
        found = true;
      }
    }
    if (!found) return Status::invalid_argument("stay row: unknown state '" + state + "'");
    s.created_at_us = j.at("created_at_us").get<TimeUs>();
    s.hold_expires_at_us = j.at("hold_expires_at_us").get<TimeUs>();
    s.guest = j.at("guest").get<std::string>();
    s.external_uid = j.at("external_uid").get<std::string>();
    *out = std::move(s);
  } catch (const nlohmann::json::exception& e) {
    return Status::invalid_argument(std::string("stay row: ") + e.what());
  }
  return Status::ok();
}

}  // namespace intsim::core::bookings
