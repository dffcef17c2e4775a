// Faults as data: the kinds the simulator can inject, a plan of fault windows parsed and
// validated from JSON, its JSON form again (for reports and repro files), and the swarm draw.
//
// The JSON format is documented with examples in sim/FAULTS.md. In short, a fragment is
//
//   {"faults": [ {"kind": "drop", "link": {"from": "core", "to": "stripe"},
//                 "direction": "both", "from_s": 60, "until_s": 600, "probability": 0.1},
//                {"kind": "http_503", "peer": "stripe", "probability": 0.05},
//                {"kind": "crash", "node": "core", "at_s": 300, "restart_after_s": 20} ],
//    "swarm": {"phase_s": 600}}
//
// Validation errors name the JSON pointer and what was expected:
//   /faults/3/probability: expected a number in [0, 1], got 1.5
//
// Times in a plan are relative to the start of the run (the Network's start time).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"
#include "src/core/time.h"

namespace intsim::sim {

class Rng;

// Every kind of fault, grouped by layer. Each value names what it does to a message, a request
// or a process; FAULTS.md has the parameters of each.
enum class FaultKind : std::uint8_t {
  // Network: per link (from -> to), per direction, per time window.
  kLatency,     // the latency distribution of a link (configuration; never counted)
  kDrop,        // the message is lost
  kDuplicate,   // the message arrives twice (the copy with its own latency)
  kReorder,     // the message leaves the link's FIFO order and is held back a random delay
  kDelaySpike,  // the message takes a large extra delay
  kPartition,   // nothing crosses the link while the window is open
  kClog,        // messages queue up and are released when the window closes
  // HTTP: per serving peer, decided when a request reaches the peer's front door.
  kHttp500,          // answered 500 without reaching the peer
  kHttp502,          // answered 502 without reaching the peer
  kHttp503,          // answered 503 without reaching the peer
  kHttp504,          // answered 504 without reaching the peer
  kHttp429,          // answered 429 with Retry-After without reaching the peer
  kRequestTimeout,   // the request hangs unprocessed: the client times out at its deadline
  kAmbiguousCommit,  // the peer processes the request, the response is lost
  kSlowResponse,     // the peer processes the request, the response arrives past the deadline
  kTruncatedBody,    // the response arrives cut short: the client sees kMalformedResponse
  kGarbledBody,      // the response arrives with its status but a corrupted body
  // Process: per node.
  kCrash,         // the node crashes (volatile state lost) and restarts after a delay
  kClockSkew,     // the node's clock is offset from virtual time and may drift
  kStoreFailure,  // a commit to the node's store fails with kIoError, writing nothing
  // Security: the attacker on links into a node (models/attacker), per authentic webhook.
  kReplayInside,      // replay of a captured webhook inside the signature tolerance window
  kReplayOutside,     // replay of a captured webhook after the tolerance window
  kTamperedBody,      // the body is altered, the signature kept
  kForgedSignature,   // the signature is replaced by a random one
  kMissingSignature,  // the signature header is stripped
  kWrongSecret,       // re-signed with a secret that was never the peer's
  kRetiredSecret,     // re-signed with the peer's retired (rotated-out) secret
  kCount
};
inline constexpr std::size_t kFaultKindCount = static_cast<std::size_t>(FaultKind::kCount);

// The JSON name ("drop", "http_503", "webhook_replay_inside"); also the trace note "fault.<name>".
std::string_view fault_kind_name(FaultKind kind);
std::optional<FaultKind> fault_kind_from_name(std::string_view name);

enum class FaultLayer { kNetwork, kHttp, kProcess, kSecurity };
FaultLayer fault_layer(FaultKind kind);

// How many faults of each kind were injected in a run (for reports).
struct FaultCounts {
  std::array<std::uint64_t, kFaultKindCount> by_kind{};
  // The same counts by where they hit, as "<kind>{peer=<place>}": the node for process faults,
  // the far end of a link to or from the core ("stripe"), else "<from>-><to>". Ordered, so
  // reports list them deterministically.
  std::map<std::string, std::uint64_t, std::less<>> by_peer;
  std::uint64_t operator[](FaultKind k) const { return by_kind[static_cast<std::size_t>(k)]; }
  std::uint64_t total() const;
};

// A latency distribution, drawn in microseconds, clamped to [0, 1 h].
struct LatencyDist {
  enum class Shape { kConstant, kUniform, kNormal, kLognormal, kExponential, kPareto };
  Shape shape = Shape::kLognormal;
  // Parameters in milliseconds (sigma and shape are unitless):
  //   constant: a = ms; uniform: a = min_ms, b = max_ms; normal: a = mean_ms, b = stddev_ms;
  //   lognormal: a = median_ms, b = sigma; exponential: a = mean_ms; pareto: a = min_ms, b = shape
  double a = 20.0;
  double b = 0.5;

  core::TimeUs sample_us(Rng& rng) const;
  friend bool operator==(const LatencyDist&, const LatencyDist&) = default;
};

inline constexpr core::TimeUs kForever = std::numeric_limits<core::TimeUs>::max();

// One entry of the "faults" list. Which fields mean something depends on the kind's layer;
// the others keep their defaults.
struct FaultSpec {
  FaultKind kind = FaultKind::kDrop;
  std::size_t index = 0;  // position in the list, for messages ("/faults/<index>")

  // When: [from_us, until_us) relative to the start of the run.
  core::TimeUs from_us = 0;
  core::TimeUs until_us = kForever;
  double probability = 1.0;

  // Where. Network and security kinds: a link (node names or "*"); direction both or forward.
  std::string link_from = "*";
  std::string link_to = "*";
  bool both_directions = true;
  // HTTP kinds: the serving node ("*" for any).
  std::string peer = "*";
  // HTTP and security kinds: only requests whose target starts with this.
  std::string path_prefix;
  // Process kinds: the node.
  std::string node;

  // Parameters.
  LatencyDist latency;                // kLatency
  core::TimeUs extra_us_min = 0;      // kDelaySpike extra delay, kReorder hold-back,
  core::TimeUs extra_us_max = 0;      // kSlowResponse lateness past the deadline
  std::int64_t retry_after_s = 1;     // kHttp429
  core::TimeUs at_us = -1;            // kCrash: one crash at this time (or -1)
  core::TimeUs mean_interval_us = 0;  // kCrash: crashes as a Poisson process (or 0)
  core::TimeUs restart_after_us = 10 * core::kUsPerSec;  // kCrash
  core::TimeUs offset_us = 0;                            // kClockSkew
  double drift_ppm = 0.0;                                // kClockSkew

  bool active_at(core::TimeUs since_start_us) const {
    return since_start_us >= from_us && since_start_us < until_us;
  }
  friend bool operator==(const FaultSpec&, const FaultSpec&) = default;
};

// Swarm testing: per seed, draw which kinds are on and at what rates.
struct SwarmOptions {
  core::TimeUs phase_us = 600 * core::kUsPerSec;  // faults are drawn inside [0, phase)
  std::vector<FaultKind> kinds;     // the kinds that may be drawn; empty: every swarmable kind
  double enable_probability = 0.5;  // chance that each kind is on
  double intensity = 1.0;           // scales every drawn rate (clamped to 1)
  friend bool operator==(const SwarmOptions&, const SwarmOptions&) = default;
};

struct FaultPlan {
  std::vector<FaultSpec> specs;
  std::optional<SwarmOptions> swarm;  // resolved into specs by draw_swarm before a run
  friend bool operator==(const FaultPlan&, const FaultPlan&) = default;
};

// Parses and validates a fragment {"faults": [...], "swarm": {...}} (both optional). Errors are
// kInvalidArgument with "<pointer_prefix>/faults/<i>/<field>: expected ..., got ...".
core::Status parse_fault_plan(const nlohmann::json& fragment, FaultPlan* out,
                              std::string_view pointer_prefix = "");
// Convenience for text (tests, files): a JSON syntax error is reported as kInvalidArgument.
core::Status parse_fault_plan_text(std::string_view text, FaultPlan* out);

// The fragment for a plan; parse_fault_plan(to_json(p)) gives p back.
nlohmann::json to_json(const FaultPlan& plan);
nlohmann::json to_json(const FaultSpec& spec);

// Checks that every node name a plan uses ("*" aside) is one of `nodes`:
//   /faults/2/link/to: unknown node "strip" (known: attacker, core, stripe)
core::Status check_node_names(const FaultPlan& plan, const std::vector<std::string>& nodes,
                              std::string_view pointer_prefix = "");

// Who takes part, for the swarm draw.
struct SwarmTopology {
  std::string core = "core";       // the node under test (crashes, skew, store failures)
  std::vector<std::string> peers;  // the peers it talks to ("stripe", "ota.airbnb", ...)
};

// The kinds the swarm can draw by default: every kind except kLatency.
std::vector<FaultKind> swarmable_kinds();

// Draws a plan: each kind in `options.kinds` is on with options.enable_probability, and an
// enabled kind gets rates and windows drawn from ranges that keep a run meaningful (FAULTS.md).
FaultPlan draw_swarm(const SwarmOptions& options, const SwarmTopology& topology, Rng& rng);

// The explicit specs of `plan` followed by its swarm draw (if any), with indexes renumbered.
FaultPlan resolve_plan(const FaultPlan& plan, const SwarmTopology& topology, Rng& rng);

}  // namespace intsim::sim
