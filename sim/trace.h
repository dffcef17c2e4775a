// The trace of a run: every event the kernel runs, and every note a model or the harness adds
// (a fault injected, a request sent), folded into a running 64-bit hash.
//
// Hash-only mode costs a few multiplications per event and is always on, so every run has a
// fingerprint. Record mode also keeps the records, to write them as JSON Lines and to name the
// first event where two runs of one seed diverge.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/time.h"

namespace intsim::sim {

struct TraceRecord {
  std::uint64_t index = 0;  // position in the run, from 0
  core::TimeUs at_us = 0;
  std::uint16_t kind = 0;   // a kind registered with the Simulation (kernel event or note)
  std::uint32_t actor = 0;  // the actor it concerns
  std::uint64_t arg = 0;
  std::string detail;      // notes only: a short human-readable description
  std::uint64_t hash = 0;  // the running hash after this record
};

// Names for kinds and actors, so a trace reads as words, not numbers.
class TraceNames {
 public:
  virtual ~TraceNames() = default;
  virtual std::string_view kind_name(std::uint16_t kind) const = 0;
  virtual std::string_view actor_name(std::uint32_t actor) const = 0;
};

// Names copied out of a finished run, to render its trace after the Simulation is gone.
class TraceNameTable final : public TraceNames {
 public:
  std::vector<std::string> kinds;
  std::vector<std::string> actors;
  std::string_view kind_name(std::uint16_t kind) const override {
    return kind < kinds.size() ? std::string_view(kinds[kind]) : "unknown";
  }
  std::string_view actor_name(std::uint32_t actor) const override {
    return actor < actors.size() ? std::string_view(actors[actor]) : "unknown";
  }
};

class Trace {
 public:
  enum class Mode { kHashOnly, kRecord };
  explicit Trace(Mode mode = Mode::kHashOnly) : mode_(mode) {}

  void add_event(core::TimeUs at_us, std::uint16_t kind, std::uint32_t actor, std::uint64_t arg);
  void add_note(core::TimeUs at_us, std::uint16_t kind, std::uint32_t actor, std::uint64_t arg,
                std::string_view detail);

  std::uint64_t hash() const { return hash_; }
  std::uint64_t count() const { return count_; }
  Mode mode() const { return mode_; }
  const std::vector<TraceRecord>& records() const { return records_; }

  void write_jsonl(std::ostream& out, const TraceNames& names) const;

 private:
  void fold(std::uint64_t word) {
    hash_ ^= word;
    hash_ *= 0x9e3779b97f4a7c15ULL;
    hash_ ^= hash_ >> 29;
  }
  Mode mode_;
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
  std::uint64_t count_ = 0;
  std::vector<TraceRecord> records_;
};

std::string format_record(const TraceRecord& r, const TraceNames& names);
std::string format_hash(std::uint64_t hash);  // 16 lowercase hex digits

// The first position where two recorded traces differ (a record missing on one side counts).
struct Divergence {
  std::uint64_t index = 0;
  std::optional<TraceRecord> first;
  std::optional<TraceRecord> second;
};
std::optional<Divergence> first_divergence(const Trace& first, const Trace& second);

}  // namespace intsim::sim
