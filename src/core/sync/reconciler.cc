#include "src/core/sync/reconciler.h"

#include <nlohmann/json.hpp>

#include "src/core/assert.h"

namespace intsim::core::sync {

std::vector<FeedStay> feed_stays(const ical::Calendar& calendar) {
  std::vector<FeedStay> out;
  out.reserve(calendar.events.size());
  for (const ical::Event& e : calendar.events) {
    if (e.end_night_days() <= e.first_night_days()) continue;
    out.push_back({e.uid, e.first_night_days(), e.end_night_days()});
  }
  return out;
}

Diff reconcile(const ReconcileInput& in) {
  INTSIM_ASSERT(in.known && in.feed);
  const std::vector<KnownStay>& known = *in.known;
  const std::vector<FeedStay>& feed = *in.feed;
  // matched[i]: the feed event known[i] was matched to, or -1.
  std::vector<std::ptrdiff_t> matched(known.size(), -1);
  std::vector<bool> used(feed.size(), false);
  // By UID first (quadratic, but a unit's feed holds a few dozen stays at most).
  for (std::size_t k = 0; k < known.size(); ++k) {
    for (std::size_t f = 0; f < feed.size(); ++f) {
      if (!used[f] && feed[f].uid == known[k].uid) {
        matched[k] = static_cast<std::ptrdiff_t>(f);
        used[f] = true;
        break;
      }
    }
  }
  // Then UID churn: same dates on the same unit's feed is the same stay under a new UID.
  for (std::size_t k = 0; k < known.size(); ++k) {
    if (matched[k] >= 0) continue;
    for (std::size_t f = 0; f < feed.size(); ++f) {
      if (!used[f] && feed[f].first_night == known[k].first_night &&
          feed[f].end_night == known[k].end_night) {
        matched[k] = static_cast<std::ptrdiff_t>(f);
        used[f] = true;
        break;
      }
    }
  }

  Diff d;
  std::vector<std::string> ids_in_use;
  for (std::size_t k = 0; k < known.size(); ++k) {
    KnownStay s = known[k];
    if (matched[k] >= 0) {
      const FeedStay& f = feed[static_cast<std::size_t>(matched[k])];
      const bool differs =
          s.uid != f.uid || s.first_night != f.first_night || s.end_night != f.end_night;
      s.uid = f.uid;
      s.first_night = f.first_night;
      s.end_night = f.end_night;
      s.missing_since_us = -1;
      if (differs) d.changed.push_back(s);
    } else if (in.complete) {
      if (s.missing_since_us < 0) s.missing_since_us = in.now_us;
      if (in.now_us - s.missing_since_us >= in.cancel_after_missing_us) {
        d.cancelled.push_back(s);
        continue;
      }
    }
    ids_in_use.push_back(s.stay_id);
    d.next.push_back(std::move(s));
  }
  for (std::size_t f = 0; f < feed.size(); ++f) {
    if (used[f]) continue;
    const std::string base = std::string(in.channel) + ":" + feed[f].uid;
    std::string id = base;
    auto taken = [&](const std::string& candidate) {
      for (const std::string& u : ids_in_use) {
        if (u == candidate) return true;
      }
      return in.id_taken && in.id_taken(candidate);
    };
    for (int n = 2; taken(id); ++n) id = base + "#" + std::to_string(n);
    ids_in_use.push_back(id);
    KnownStay s{id, feed[f].uid, feed[f].first_night, feed[f].end_night, -1};
    d.added.push_back(s);
    d.next.push_back(std::move(s));
  }
  return d;
}

std::string encode_snapshot(const std::vector<KnownStay>& stays) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const KnownStay& s : stays) {
    nlohmann::ordered_json j;
    j["id"] = s.stay_id;
    j["uid"] = s.uid;
    j["first"] = s.first_night;
    j["end"] = s.end_night;
    j["missing_since_us"] = s.missing_since_us;
    arr.push_back(std::move(j));
  }
  return arr.dump();
}

Status decode_snapshot(std::string_view row, std::vector<KnownStay>* out) {
  const auto arr = nlohmann::json::parse(row, nullptr, /*allow_exceptions=*/false);
  if (arr.is_discarded() || !arr.is_array()) {
    return Status::invalid_argument("feed snapshot row is not a JSON array");
  }
  std::vector<KnownStay> stays;
  for (const auto& j : arr) {
    if (!j.is_object() || !j.contains("id") || !j["id"].is_string() || !j.contains("uid") ||
        !j["uid"].is_string() || !j.contains("first") || !j["first"].is_number_integer() ||
        !j.contains("end") || !j["end"].is_number_integer() || !j.contains("missing_since_us") ||
        !j["missing_since_us"].is_number_integer()) {
      return Status::invalid_argument(
          "feed snapshot entry lacks id, uid, first, end or "
          "missing_since_us");
    }
    stays.push_back({j["id"].get<std::string>(), j["uid"].get<std::string>(),
                     j["first"].get<Night>(), j["end"].get<Night>(),
                     j["missing_since_us"].get<TimeUs>()});
  }
  *out = std::move(stays);
  return Status::ok();
}

}  // namespace intsim::core::sync
