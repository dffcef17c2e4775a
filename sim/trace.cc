#include "sim/trace.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "sim/rng.h"

namespace intsim::sim {

void Trace::add_event(core::TimeUs at_us, std::uint16_t kind, std::uint32_t actor,
                      std::uint64_t arg) {
  fold(static_cast<std::uint64_t>(at_us));
  fold((static_cast<std::uint64_t>(kind) << 32) | actor);
  fold(arg);
  if (mode_ == Mode::kRecord) records_.push_back({count_, at_us, kind, actor, arg, {}, hash_});
  ++count_;
}

void Trace::add_note(core::TimeUs at_us, std::uint16_t kind, std::uint32_t actor, std::uint64_t arg,
                     std::string_view detail) {
  fold(static_cast<std::uint64_t>(at_us));
  fold((static_cast<std::uint64_t>(kind) << 32) | actor);
  fold(arg);
  fold(stream_name_hash(detail));
  if (mode_ == Mode::kRecord) {
    records_.push_back({count_, at_us, kind, actor, arg, std::string(detail), hash_});
  }
  ++count_;
}

std::string format_hash(std::uint64_t hash) { return fmt::format("{:016x}", hash); }

std::string format_record(const TraceRecord& r, const TraceNames& names) {
  std::string out = fmt::format("#{} t={}us {} actor={} arg={}", r.index, r.at_us,
                                names.kind_name(r.kind), names.actor_name(r.actor), r.arg);
  if (!r.detail.empty()) out += fmt::format(" \"{}\"", r.detail);
  return out;
}

void Trace::write_jsonl(std::ostream& out, const TraceNames& names) const {
  for (const TraceRecord& r : records_) {
    nlohmann::ordered_json line;
    line["i"] = r.index;
    line["t_us"] = r.at_us;
    line["kind"] = names.kind_name(r.kind);
    line["actor"] = names.actor_name(r.actor);
    line["arg"] = r.arg;
    if (!r.detail.empty()) line["detail"] = r.detail;
    line["hash"] = format_hash(r.hash);
    out << line.dump() << '\n';
  }
}

std::optional<Divergence> first_divergence(const Trace& first, const Trace& second) {
  const auto& a = first.records();
  const auto& b = second.records();
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i].hash != b[i].hash) return Divergence{i, a[i], b[i]};
  }
  if (a.size() == b.size()) return std::nullopt;
  Divergence d{n, std::nullopt, std::nullopt};
  if (n < a.size()) d.first = a[n];
  if (n < b.size()) d.second = b[n];
  return d;
}

}  // namespace intsim::sim
