#include "src/core/sync/sync_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "src/core/assert.h"
#include "src/core/ical/parser.h"
#include "src/core/sync/availability_export.h"

namespace intsim::core::sync {
namespace {

std::string feed_key(std::string_view channel, std::string_view unit) {
  return fmt::format("{}/{}", channel, unit);
}

std::string encode_row(const FeedState& f) {
  nlohmann::ordered_json j;
  j["etag"] = f.etag;
  j["hash"] = fmt::format("{:016x}", f.content_hash);
  j["stays"] = nlohmann::ordered_json::parse(encode_snapshot(f.stays));
  return j.dump();
}

Status decode_row(std::string_view row, FeedState* f) {
  const auto j = nlohmann::json::parse(row, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("etag") || !j["etag"].is_string() ||
      !j.contains("hash") || !j["hash"].is_string() || !j.contains("stays")) {
    return Status::invalid_argument("feed row lacks etag, hash or stays");
  }
  f->etag = j["etag"].get<std::string>();
  f->content_hash = std::strtoull(j["hash"].get<std::string>().c_str(), nullptr, 16);
  return decode_snapshot(j["stays"].dump(), &f->stays);
}

}  // namespace

std::uint64_t feed_content_hash(std::string_view body) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find('\n', pos);
    end = end == std::string_view::npos ? body.size() : end + 1;
    const std::string_view line = body.substr(pos, end - pos);
    // DTSTAMP is the export time (Vrbo, Booking.com): it changes when nothing else does.
    if (!line.starts_with("DTSTAMP")) h = fnv1a64(line, h);
    pos = end;
  }
  return h == 0 ? 1 : h;
}

bool same_feed_content(std::string_view a, std::string_view b) {
  if (a == b) return true;
  // The next line that is not a DTSTAMP line, as feed_content_hash cuts lines; none at the end.
  auto next = [](std::string_view body, std::size_t& pos) -> std::optional<std::string_view> {
    while (pos < body.size()) {
      std::size_t end = body.find('\n', pos);
      end = end == std::string_view::npos ? body.size() : end + 1;
      const std::string_view line = body.substr(pos, end - pos);
      pos = end;
      if (!line.starts_with("DTSTAMP")) return line;
    }
    return std::nullopt;
  };
  std::size_t i = 0, j = 0;
  while (true) {
    const std::optional<std::string_view> la = next(a, i);
    const std::optional<std::string_view> lb = next(b, j);
    if (!la || !lb) return !la && !lb;
    if (*la != *lb) return false;
  }
}

SyncEngine::SyncEngine(SyncConfig config, Ports ports, ChannelStaySink* sink)
    : config_(std::move(config)), ports_(ports), sink_(sink) {
  INTSIM_ASSERT(sink_ && ports_.timers && ports_.http && ports_.store && ports_.random &&
                ports_.log && ports_.metrics);
  for (std::size_t c = 0; c < config_.channels.size(); ++c) {
    INTSIM_ASSERT(config_.channels[c].poll_interval_us > 0);
    for (const std::string& unit : config_.units) {
      FeedState f;
      f.channel = c;
      f.unit = unit;
      f.key = feed_key(bookings::source_name(config_.channels[c].source), unit);
      const std::string key = f.key;
      feeds_.emplace(key, std::move(f));
    }
  }
}

std::string_view SyncEngine::channel_name(const FeedState& feed) const {
  return bookings::source_name(config_.channels[feed.channel].source);
}

Status SyncEngine::recover(TimeUs now_us) {
  Status first_error;
  std::size_t i = 0;
  const std::size_t n = std::max<std::size_t>(feeds_.size(), 1);
  for (auto& [key, feed] : feeds_) {
    std::string row;
    const Status s = ports_.store->get(kFeedsTable, key, &row);
    if (s.is_ok()) {
      if (Status d = decode_row(row, &feed); !d.is_ok()) {
        // A damaged row: start this feed afresh (its stays are still in the ledger, and the
        // next complete fetch re-adds them under their ids or reports them cancelled).
        ports_.log->write(now_us, LogLevel::kError, "sync.bad_feed_row",
                          {{"feed", key}, {"error", d.to_string()}});
        feed.stays.clear();
        feed.etag.clear();
        feed.content_hash = 0;
      }
      feed.hashed_body.reset();
    } else if (s.code() != Status::Code::kNotFound) {
      if (first_error.is_ok()) first_error = s;
    }
    const TimeUs interval = config_.channels[feed.channel].poll_interval_us;
    feed.in_flight = false;
    set_next_poll(feed, now_us + interval * static_cast<TimeUs>(i) / static_cast<TimeUs>(n));
    feed.failures = 0;
    ++i;
  }
  if (!first_error.is_ok()) return first_error;
  rearm();
  return Status::ok();
}

void SyncEngine::on_timer(TimeUs now_us) {
  poll_due(now_us);
  rearm();
}

void SyncEngine::poll_due(TimeUs now_us) {
  std::vector<std::string> keys;
  for (auto it = due_.begin(); it != due_.end() && it->first <= now_us; ++it) {
    keys.push_back(it->second);
  }
  // In key order, as a walk over feeds_ would send them: request ids follow this order.
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) send_fetch(feeds_.find(key)->second, now_us);
}

void SyncEngine::set_next_poll(FeedState& feed, TimeUs at_us) {
  due_.erase({feed.next_poll_us, feed.key});
  feed.next_poll_us = at_us;
  if (!feed.in_flight) due_.emplace(at_us, feed.key);
}

void SyncEngine::send_fetch(FeedState& feed, TimeUs now_us) {
  const ChannelConfig& ch = config_.channels[feed.channel];
  HttpRequest req;
  req.method = "GET";
  req.target = fmt::format("/ical/{}.ics", feed.unit);
  if (!feed.etag.empty()) req.headers.push_back({"If-None-Match", feed.etag});
  const RequestId id = config_.base_request_id | next_request_++;
  in_flight_.emplace(id, feed.key);
  due_.erase({feed.next_poll_us, feed.key});
  feed.in_flight = true;
  ++stats_.fetches;
  ports_.http->send(id, ch.peer, std::move(req), now_us + config_.request_timeout_us);
}

bool SyncEngine::owns_request(RequestId id) const { return in_flight_.count(id) > 0; }

void SyncEngine::on_http_result(RequestId id, HttpResult result, TimeUs now_us) {
  const auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;  // a previous incarnation's request
  FeedState& feed = feeds_.at(it->second);
  in_flight_.erase(it);
  feed.in_flight = false;
  const std::string_view channel = channel_name(feed);
  const ChannelConfig& ch = config_.channels[feed.channel];

  if (!result.has_response()) {
    failed(feed, http_error_name(result.error), now_us);
  } else if (result.response.status == 304) {
    ++stats_.not_modified;
    ports_.metrics->count("ota_fetch", channel, "not_modified");
    if (apply(feed, nullptr, /*complete=*/true, now_us)) {
      succeeded(feed, now_us);
    } else {
      failed(feed, "apply_failed", now_us);
    }
  } else if (result.response.status != 200) {
    failed(feed, fmt::format("http_{}", result.response.status / 100 * 100), now_us);
  } else {
    const std::string& body = result.response.body;
    // Most polls return what the last one did (but for DTSTAMP): compare instead of hashing.
    const std::uint64_t hash =
        feed.content_hash != 0 && feed.hashed_body && same_feed_content(body, *feed.hashed_body)
            ? feed.content_hash
            : feed_content_hash(body);
    const std::string etag(result.response.header("ETag").value_or(""));
    if (hash == feed.content_hash) {
      ++stats_.unchanged;
      ports_.metrics->count("ota_fetch", channel, "unchanged");
      if (!feed.hashed_body) feed.hashed_body = body;  // after a restart
      if (apply(feed, nullptr, /*complete=*/true, now_us)) {
        feed.etag = etag;
        succeeded(feed, now_us);
      } else {
        failed(feed, "apply_failed", now_us);
      }
    } else {
      ++stats_.parsed;
      const ical::ParseResult parsed = ical::parse(body);
      const bool complete =
          parsed.status.is_ok() && (!parsed.empty_body || ch.empty_body_is_calendar);
      const std::vector<FeedStay> shown = feed_stays(parsed.calendar);
      if (!complete) {
        ++stats_.partial;
        // The snapshot now holds stays the last complete fetch did not show, so "same content
        // as then" no longer means "same stays as the snapshot": the next fetch is parsed.
        feed.etag.clear();
        feed.content_hash = 0;
        feed.hashed_body.reset();
        // What it shows is real; what it does not show proves nothing.
        apply(feed, &shown, /*complete=*/false, now_us);
        failed(feed, parsed.empty_body ? "empty_body" : "incomplete", now_us);
      } else {
        const std::string previous_etag = feed.etag;
        const std::uint64_t previous_hash = feed.content_hash;
        std::optional<std::string> previous_body = std::move(feed.hashed_body);
        feed.etag = etag;
        feed.content_hash = hash;
        feed.hashed_body = body;
        if (apply(feed, &shown, /*complete=*/true, now_us)) {
          ports_.metrics->count("ota_fetch", channel, "changed");
          succeeded(feed, now_us);
        } else {
          feed.etag = previous_etag;
          feed.content_hash = previous_hash;
          feed.hashed_body = std::move(previous_body);
          failed(feed, "apply_failed", now_us);
        }
      }
    }
  }
  rearm();
}

bool SyncEngine::apply(FeedState& feed, const std::vector<FeedStay>* shown, bool complete,
                       TimeUs now_us) {
  std::vector<FeedStay> present;
  const std::vector<FeedStay>* feed_now = shown;
  if (!shown) {
    // The feed is what it was at the last complete fetch: the stays not marked missing. Only
    // the missing clocks move, and only if some stay is missing.
    bool any_missing = false;
    for (const KnownStay& s : feed.stays) {
      if (s.missing_since_us >= 0) {
        any_missing = true;
      } else {
        present.push_back({s.uid, s.first_night, s.end_night});
      }
    }
    if (!any_missing) return true;
    feed_now = &present;
  }
  const std::string_view channel = channel_name(feed);
  const bookings::Ledger& ledger = sink_->ledger();
  ReconcileInput in;
  in.channel = channel;
  in.known = &feed.stays;
  in.feed = feed_now;
  in.complete = complete;
  in.now_us = now_us;
  in.cancel_after_missing_us = config_.cancel_after_missing_us;
  // An active stay with that id is ours from a diff applied before a crash: reuse it. Only an
  // id that ended (cancelled) must not come back.
  in.id_taken = [&ledger](std::string_view id) {
    const bookings::Stay* s = ledger.find(id);
    return s && !bookings::is_active(s->state);
  };
  const Diff d = reconcile(in);

  const bookings::Source source = config_.channels[feed.channel].source;
  auto upsert = [&](const KnownStay& k, bool is_new) {
    bookings::Stay stay;
    stay.id = k.stay_id;
    stay.unit = feed.unit;
    stay.first_night = k.first_night;
    stay.end_night = k.end_night;
    stay.source = source;
    stay.state = bookings::StayState::kConfirmed;
    stay.created_at_us = now_us;
    stay.external_uid = k.uid;
    const bookings::Stay* existing = ledger.find(k.stay_id);
    const std::string& unit_now = existing ? existing->unit : feed.unit;
    if (!ledger.is_free(unit_now, k.first_night, k.end_night, k.stay_id)) {
      // The channel sold nights someone else holds: a race-window conflict, resolved below.
      ++stats_.race_conflicts;
      ports_.metrics->count("ota_race_conflicts", channel, is_new ? "new" : "changed");
    }
    const Status s = sink_->upsert_channel_stay(stay, now_us);
    if (!s.is_ok()) {
      ports_.log->write(now_us, LogLevel::kWarn, "sync.upsert_failed",
                        {{"stay", k.stay_id}, {"error", s.to_string()}});
    }
    return s.is_ok();
  };
  for (const KnownStay& k : d.added) {
    if (!upsert(k, true)) return false;
    ++stats_.added;
  }
  for (const KnownStay& k : d.changed) {
    const bookings::Stay* existing = ledger.find(k.stay_id);
    // Never revive a stay we cancelled (a snapshot commit that failed after the cancel).
    if (existing && !bookings::is_active(existing->state)) continue;
    if (existing && existing->first_night == k.first_night && existing->end_night == k.end_night) {
      // Only the UID churned: the booking is the same, and the snapshot keeps the new UID.
      ++stats_.uid_changes;
      continue;
    }
    if (!upsert(k, false)) return false;
    ++stats_.changed;
  }
  for (const KnownStay& k : d.cancelled) {
    if (Status s = sink_->cancel_channel_stay(k.stay_id, now_us);
        !s.is_ok() && s.code() != Status::Code::kNotFound) {
      ports_.log->write(now_us, LogLevel::kWarn, "sync.cancel_failed",
                        {{"stay", k.stay_id}, {"error", s.to_string()}});
      return false;
    }
    ++stats_.cancelled;
    ports_.metrics->count("ota_cancellations", channel, "vanished");
  }
  if (!d.added.empty()) ports_.metrics->count("ota_stays", channel, "added", d.added.size());
  if (!d.changed.empty()) {
    ports_.metrics->count("ota_stays", channel, "changed", d.changed.size());
  }
  // The snapshot goes last: after a crash before this commit the same diff is applied again,
  // and every step of it is idempotent.
  FeedState next = feed;
  next.stays = d.next;
  WriteBatch batch;
  batch.put(kFeedsTable, feed.key, encode_row(next));
  if (Status s = ports_.store->commit(batch); !s.is_ok()) {
    ++stats_.apply_errors;
    ports_.log->write(now_us, LogLevel::kWarn, "sync.snapshot_failed",
                      {{"feed", feed.key}, {"error", s.to_string()}});
    return false;
  }
  feed.stays = std::move(next.stays);
  return true;
}

void SyncEngine::succeeded(FeedState& feed, TimeUs now_us) {
  feed.failures = 0;
  feed.previous_delay_us = 0;
  feed.last_success_us = now_us;
  set_next_poll(feed, now_us + config_.channels[feed.channel].poll_interval_us);
}

void SyncEngine::failed(FeedState& feed, std::string_view outcome, TimeUs now_us) {
  ++stats_.failed;
  ports_.metrics->count("ota_fetch", channel_name(feed), outcome);
  ++feed.failures;
  TimeUs delay = resilience::backoff_delay_us(config_.backoff, feed.failures,
                                              feed.previous_delay_us, *ports_.random);
  // Full jitter may draw almost nothing; a failing feed is still not hammered.
  delay = std::max<TimeUs>(delay, config_.backoff.base_delay_ms * kUsPerMs);
  feed.previous_delay_us = delay;
  set_next_poll(feed, now_us + delay);
}

void SyncEngine::rearm() {
  if (!due_.empty()) {
    ports_.timers->arm(config_.timer_id, due_.begin()->first);
  } else {
    ports_.timers->disarm(config_.timer_id);
  }
}

}  // namespace intsim::core::sync
