#include "sim/network.h"

#include <fmt/format.h>

#include <algorithm>

#include "src/core/assert.h"

namespace intsim::sim {

using core::HttpError;
using core::HttpRequest;
using core::HttpResponse;
using core::HttpResult;
using core::Status;

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// floor(a / b) for b > 0.
__extension__ using Int128 = __int128;
Int128 floor_div(Int128 a, Int128 b) {
  Int128 q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

int status_of(FaultKind kind) {
  switch (kind) {
    case FaultKind::kHttp500:
      return 500;
    case FaultKind::kHttp502:
      return 502;
    case FaultKind::kHttp503:
      return 503;
    case FaultKind::kHttp504:
      return 504;
    case FaultKind::kHttp429:
      return 429;
    default:
      return 0;
  }
}

}  // namespace

Network::Network(Simulation& sim, NetworkConfig config)
    : sim_(sim),
      config_(config),
      start_us_(sim.now_us()),
      net_rng_(sim.rng("net")),
      crash_rng_(sim.rng("net.crash")) {
  k_request_ = sim.register_kind("net.request", this);
  k_response_ = sim.register_kind("net.response", this);
  k_deadline_ = sim.register_kind("net.deadline", this);
  k_connect_fail_ = sim.register_kind("net.connect_failed", this);
  k_timer_ = sim.register_kind("node.timer", this);
  k_crash_ = sim.register_kind("node.crash_due", this);
  k_restart_ = sim.register_kind("node.restart_due", this);
  k_window_ = sim.register_kind("fault.window", this);
  k_note_restart_ = sim.register_kind("node.restart", nullptr);
  k_note_heal_ = sim.register_kind("fault.heal", nullptr);
  k_note_window_close_ = sim.register_kind("fault.window_close", nullptr);
  for (std::size_t i = 0; i < kFaultKindCount; ++i) {
    k_fault_[i] = sim.register_kind(
        fmt::format("fault.{}", fault_kind_name(static_cast<FaultKind>(i))), nullptr);
  }
}

// ---- Nodes ------------------------------------------------------------------------------

NodeId Network::add_node(std::string name) {
  INTSIM_ASSERT_MSG(!find_node(name), "two nodes with one name");
  const auto id = static_cast<NodeId>(nodes_.size());
  Node n;
  n.actor = sim_.register_actor(name);
  n.http_rng = net_rng_.child("http." + name);
  n.store_rng = net_rng_.child("store." + name);
  n.name = std::move(name);
  if (actor_to_node_.size() <= n.actor) actor_to_node_.resize(n.actor + 1, kNoNode);
  actor_to_node_[n.actor] = id;
  nodes_.push_back(std::move(n));

  // Grow the link matrix, keeping the state (RNG position, FIFO) of the links that exist.
  const std::size_t side = nodes_.size();
  std::vector<Link> grown(side * side);
  for (std::size_t f = 0; f < side; ++f) {
    for (std::size_t t = 0; t < side; ++t) {
      Link& l = grown[f * side + t];
      if (f < links_side_ && t < links_side_) {
        l = std::move(links_[f * links_side_ + t]);
      } else {
        l.rng = net_rng_.child(nodes_[f].name + "->" + nodes_[t].name);
        l.last_arrival_us = 0;
      }
    }
  }
  links_ = std::move(grown);
  links_side_ = side;
  rules_dirty_ = true;
  return id;
}

std::optional<NodeId> Network::find_node(std::string_view name) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].name == name) return static_cast<NodeId>(i);
  return std::nullopt;
}

Network::Node& Network::node(NodeId id) {
  INTSIM_ASSERT(id < nodes_.size());
  return nodes_[id];
}
const Network::Node& Network::node(NodeId id) const {
  INTSIM_ASSERT(id < nodes_.size());
  return nodes_[id];
}
const std::string& Network::node_name(NodeId id) const { return node(id).name; }
std::uint32_t Network::node_actor(NodeId id) const { return node(id).actor; }

std::vector<std::string> Network::node_names() const {
  std::vector<std::string> names;
  for (const Node& n : nodes_) names.push_back(n.name);
  return names;
}

NodeId Network::node_of_actor(std::uint32_t actor) const {
  INTSIM_ASSERT(actor < actor_to_node_.size() && actor_to_node_[actor] != kNoNode);
  return actor_to_node_[actor];
}

Network::Link& Network::link(NodeId from, NodeId to) {
  INTSIM_ASSERT(from < links_side_ && to < links_side_);
  return links_[from * links_side_ + to];
}

void Network::set_endpoint(NodeId id, HttpEndpoint* endpoint) { node(id).endpoint = endpoint; }
void Network::set_process(NodeId id, NodeProcess* process) { node(id).process = process; }
void Network::set_interceptor(NodeId id, RequestInterceptor* interceptor) {
  node(id).interceptor = interceptor;
}
void Network::attach_store(NodeId id, CrashableStore* store) {
  node(id).store = store;
  if (store != nullptr) store->set_fault_source(this, id);
}

// ---- Rules ------------------------------------------------------------------------------

bool Network::active(const FaultSpec& spec) const {
  if (healed_ && spec.kind != FaultKind::kLatency) return false;
  return spec.active_at(sim_.now_us() - start_us_);
}

bool Network::name_matches(const std::string& pattern, NodeId id) const {
  return pattern == "*" || pattern == nodes_[id].name;
}

bool Network::link_matches(const FaultSpec& spec, NodeId from, NodeId to) const {
  if (name_matches(spec.link_from, from) && name_matches(spec.link_to, to)) return true;
  return spec.both_directions && name_matches(spec.link_from, to) &&
         name_matches(spec.link_to, from);
}

void Network::rebuild_rules() {
  for (Link& l : links_) l.rules.clear();
  for (Node& n : nodes_) n.http_rules.clear();
  for (std::size_t i = 0; i < plan_.specs.size(); ++i) {
    const FaultSpec& s = plan_.specs[i];
    const auto idx = static_cast<std::uint16_t>(i);
    switch (fault_layer(s.kind)) {
      case FaultLayer::kNetwork:
        for (NodeId f = 0; f < nodes_.size(); ++f)
          for (NodeId t = 0; t < nodes_.size(); ++t)
            if (link_matches(s, f, t)) link(f, t).rules.push_back(idx);
        break;
      case FaultLayer::kHttp:
        for (NodeId n = 0; n < nodes_.size(); ++n)
          if (name_matches(s.peer, n)) nodes_[n].http_rules.push_back(idx);
        break;
      case FaultLayer::kProcess:
      case FaultLayer::kSecurity:
        break;
    }
  }
  rules_dirty_ = false;
}

bool Network::partitioned(NodeId from, NodeId to) {
  if (rules_dirty_) rebuild_rules();
  if (healed_) return false;
  const Time since = sim_.now_us() - start_us_;
  for (std::uint16_t r : link(from, to).rules) {
    const FaultSpec& s = plan_.specs[r];
    if (s.kind == FaultKind::kPartition && s.active_at(since)) return true;
  }
  return false;
}

void Network::count_fault(FaultKind kind, std::string_view place) {
  ++counts_.by_kind[static_cast<std::size_t>(kind)];
  std::string key(fault_kind_name(kind));
  key.append("{peer=").append(place).append("}");
  ++counts_.by_peer[key];
}

void Network::fault(FaultKind kind, NodeId a, NodeId b, std::uint64_t arg) {
  detail_.clear();
  if (a == b) {
    detail_ = nodes_[a].name;
    count_fault(kind, nodes_[a].name);
  } else {
    detail_.append(nodes_[a].name).append("->").append(nodes_[b].name);
    // A link to or from the core is named by its other end: that is the peer it concerns.
    const bool a_core = nodes_[a].name == "core", b_core = nodes_[b].name == "core";
    count_fault(kind, a_core ? nodes_[b].name : b_core ? nodes_[a].name : detail_);
  }
  sim_.note(k_fault_[static_cast<std::size_t>(kind)], nodes_[a].actor, arg, detail_);
}

void Network::record_fault(FaultKind kind, NodeId id, std::uint64_t arg, std::string_view detail) {
  count_fault(kind, node(id).name);
  sim_.note(k_fault_[static_cast<std::size_t>(kind)], node(id).actor, arg, detail);
}

bool Network::spec_applies(const FaultSpec& spec, NodeId from, NodeId to,
                           std::string_view target) const {
  return active(spec) && link_matches(spec, from, to) && starts_with(target, spec.path_prefix);
}

// ---- Transmission -----------------------------------------------------------------------

Time Network::latency_us(Link& l, NodeId, NodeId) {
  const Time since = sim_.now_us() - start_us_;
  for (std::uint16_t r : l.rules) {
    const FaultSpec& s = plan_.specs[r];
    if (s.kind == FaultKind::kLatency && s.active_at(since)) return s.latency.sample_us(l.rng);
  }
  return config_.default_latency.sample_us(l.rng);
}

std::uint32_t Network::transmit(Msg msg, NodeId from, NodeId to, Handle handle,
                                Time not_before_us) {
  if (rules_dirty_) rebuild_rules();
  Link& l = link(from, to);
  const Time now = sim_.now_us();
  const Time since = now - start_us_;
  bool duplicate = false;
  if (!healed_) {
    for (std::uint16_t r : l.rules) {
      const FaultSpec& s = plan_.specs[r];
      if (!s.active_at(since)) continue;
      switch (s.kind) {
        case FaultKind::kPartition:
          ++stats_.blocked_by_partition;
          return 0;
        case FaultKind::kDrop:
          if (l.rng.bernoulli(s.probability)) {
            fault(FaultKind::kDrop, from, to, handle);
            return 0;
          }
          break;
        case FaultKind::kDuplicate:
          if (!duplicate && l.rng.bernoulli(s.probability)) {
            duplicate = true;
            fault(FaultKind::kDuplicate, from, to, handle);
          }
          break;
        default:
          break;
      }
    }
  }
  const std::uint16_t kind = msg == Msg::kRequest ? k_request_ : k_response_;
  const std::uint32_t copies = duplicate ? 2 : 1;
  for (std::uint32_t c = 0; c < copies; ++c) {
    const Time latency = latency_us(l, from, to);
    // The base latency keeps the link's order (a connection's FIFO); fault delays come on top
    // and let later messages overtake.
    Time at = std::max(now + latency, l.last_arrival_us);
    l.last_arrival_us = at;
    if (!healed_) {
      for (std::uint16_t r : l.rules) {
        const FaultSpec& s = plan_.specs[r];
        if (!s.active_at(since)) continue;
        switch (s.kind) {
          case FaultKind::kDelaySpike:
            if (l.rng.bernoulli(s.probability)) {
              at += l.rng.uniform_range(s.extra_us_min, s.extra_us_max);
              fault(FaultKind::kDelaySpike, from, to, handle);
            }
            break;
          case FaultKind::kReorder:
            if (l.rng.bernoulli(s.probability)) {
              at += l.rng.uniform_range(0, s.extra_us_max);
              fault(FaultKind::kReorder, from, to, handle);
            }
            break;
          case FaultKind::kClog:
            if (s.until_us != kForever) {
              at = std::max(at, start_us_ + s.until_us + latency);
              ++stats_.held_by_clog;
            }
            break;
          default:
            break;
        }
      }
    }
    at = std::max(at, not_before_us);
    sim_.at(at, kind, nodes_[to].actor, handle);
    ++stats_.messages_sent;
  }
  return copies;
}

// ---- Client side ------------------------------------------------------------------------

void Network::send(const Outgoing& out, HttpRequest request) {
  Node& src = node(out.from);
  Node& dst = node(out.to);
  INTSIM_ASSERT_MSG(src.up, "a node that is down cannot send");
  const Time now = sim_.now_us();
  ++stats_.requests_sent;
  const Handle h = calls_.add();
  Call& c = calls_.at(h);
  c.request = std::move(request);
  c.sink = out.sink;
  c.request_id = out.request_id;
  c.from = out.from;
  c.to = out.to;
  c.from_incarnation = src.incarnation;
  c.to_incarnation = dst.incarnation;
  c.tag = out.tag;
  c.sent_at_us = now;
  c.deadline_us = std::max(out.deadline_us, now);
  c.refs = 1;  // the deadline event
  c.arrivals = 0;
  c.done = false;
  c.timed_out = false;
  c.deadline_event = sim_.at(c.deadline_us, k_deadline_, src.actor, h);

  const bool blocked = partitioned(out.from, out.to);
  if (blocked || !dst.up) {
    // The connection cannot be made: the request never leaves (kConnectionFailed), reported
    // after a round of latency unless the deadline comes first.
    if (blocked) ++stats_.blocked_by_partition;
    const Time delay = latency_us(link(out.from, out.to), out.from, out.to);
    sim_.after(delay, k_connect_fail_, src.actor, h);
    ++c.refs;
    return;
  }
  c.refs += transmit(Msg::kRequest, out.from, out.to, h, 0);
}

void Network::release_call(Handle h) {
  Call& c = calls_.at(h);
  INTSIM_ASSERT(c.refs > 0);
  if (--c.refs == 0) {
    INTSIM_ASSERT(c.done);
    calls_.remove(h);
  }
}

void Network::release_exchange(Handle h) {
  const Handle call = exchanges_.at(h).call;
  exchanges_.remove(h);
  release_call(call);
}

void Network::finish(Handle call_handle, HttpResult result) {
  Call& c = calls_.at(call_handle);
  INTSIM_ASSERT(!c.done);
  c.done = true;
  if (sim_.cancel(c.deadline_event)) {
    INTSIM_ASSERT(c.refs > 1);  // the event that finishes the call holds one too
    --c.refs;
  }
  switch (result.error) {
    case HttpError::kNone:
      ++stats_.responses_delivered;
      break;
    case HttpError::kTimeout:
      ++stats_.timeouts;
      break;
    case HttpError::kConnectionFailed:
      ++stats_.connection_failures;
      break;
    case HttpError::kMalformedResponse:
      ++stats_.malformed;
      break;
  }
  if (observer_ != nullptr) observer_->on_result(c.from, c.to, c.request, result);
  core::HttpResultSink* sink = c.sink;
  const core::RequestId id = c.request_id;
  const NodeId from = c.from;
  if (sink != nullptr) sink->on_http_result(id, std::move(result), node_now_us(from));
}

void Network::on_deadline(const Event& ev) {
  Call& c = calls_.at(ev.arg);
  if (!c.done) {
    c.timed_out = true;
    finish(ev.arg, HttpResult::failed(HttpError::kTimeout));
  }
  release_call(ev.arg);
}

void Network::on_connect_failure(const Event& ev) {
  Call& c = calls_.at(ev.arg);
  if (!c.done) finish(ev.arg, HttpResult::failed(HttpError::kConnectionFailed));
  release_call(ev.arg);
}

// ---- Server side ------------------------------------------------------------------------

FaultKind Network::draw_http_fault(Node& server, NodeId, const HttpRequest& request) {
  if (healed_) return FaultKind::kCount;
  for (std::uint16_t r : server.http_rules) {
    const FaultSpec& s = plan_.specs[r];
    if (!active(s)) continue;
    if (!starts_with(request.target, s.path_prefix)) continue;
    if (server.http_rng.bernoulli(s.probability)) {
      last_http_spec_ = r;
      return s.kind;
    }
  }
  return FaultKind::kCount;
}

void Network::on_request_arrival(const Event& ev) {
  const Handle h = ev.arg;
  Call& c = calls_.at(h);
  const NodeId to = c.to;
  Node& server = node(to);
  if (!server.up || server.incarnation != c.to_incarnation) {
    ++stats_.lost_to_crash;
    release_call(h);
    return;
  }
  if (partitioned(c.from, to)) {  // it was in flight when the partition began
    ++stats_.blocked_by_partition;
    release_call(h);
    return;
  }
  ++stats_.messages_arrived;
  DeliveryInfo info;
  info.delivery_id = next_delivery_id_++;
  info.from = c.from;
  info.to = to;
  info.tag = c.tag;
  info.copy = c.arrivals++;
  info.sent_at_us = c.sent_at_us;
  info.arrived_at_us = sim_.now_us();
  if (observer_ != nullptr) observer_->on_request_arrival(info, c.request);

  if (server.interceptor != nullptr &&
      server.interceptor->on_request(info, c.request) == RequestInterceptor::Verdict::kSwallow) {
    server.interceptor->on_outcome(info, {});
    release_call(h);
    return;
  }

  if (rules_dirty_) rebuild_rules();
  const FaultKind f = draw_http_fault(server, to, c.request);
  if (f == FaultKind::kRequestTimeout) {
    fault(f, c.from, to, info.delivery_id);
    if (server.interceptor != nullptr) {
      RequestInterceptor::Outcome outcome;
      outcome.fault = f;
      server.interceptor->on_outcome(info, outcome);
    }
    release_call(h);
    return;
  }

  const Handle xh = exchanges_.add();
  Exchange& x = exchanges_.at(xh);
  x.call = h;
  x.info = info;
  x.server_incarnation = server.incarnation;
  x.pending_messages = 0;
  x.fault = ResponseFault::kNone;
  x.fault_kind = FaultKind::kCount;
  x.spec = 0;
  ++c.refs;  // the exchange refers to the call until it is released

  if (const int status = status_of(f); status != 0) {
    // Answered at the front door: the endpoint never sees it.
    const FaultSpec& s = plan_.specs[last_http_spec_];
    fault(f, c.from, to, info.delivery_id);
    x.open = false;
    x.fault_kind = f;
    HttpResponse& r = x.response;
    r.status = status;
    r.headers.clear();
    r.headers.push_back({"Content-Type", "application/json"});
    if (f == FaultKind::kHttp429)
      r.headers.push_back({"Retry-After", std::to_string(s.retry_after_s)});
    r.body = fmt::format(R"({{"error":{{"type":"simulated","message":"injected {}"}}}})", status);
    if (server.interceptor != nullptr) {
      RequestInterceptor::Outcome outcome;
      outcome.fault = f;
      outcome.response = &x.response;
      server.interceptor->on_outcome(info, outcome);
    }
    const NodeId client = c.from;
    x.pending_messages = transmit(Msg::kResponse, to, client, xh, 0);
    if (x.pending_messages == 0) release_exchange(xh);
    release_call(h);
    return;
  }

  x.open = true;
  switch (f) {
    case FaultKind::kAmbiguousCommit:
      x.fault = ResponseFault::kAmbiguous;
      break;
    case FaultKind::kSlowResponse:
      x.fault = ResponseFault::kSlow;
      break;
    case FaultKind::kTruncatedBody:
      x.fault = ResponseFault::kTruncated;
      break;
    case FaultKind::kGarbledBody:
      x.fault = ResponseFault::kGarbled;
      break;
    default:
      break;
  }
  if (x.fault != ResponseFault::kNone) {
    x.fault_kind = f;
    x.spec = last_http_spec_;
  }
  INTSIM_ASSERT_MSG(server.endpoint != nullptr, "a request reached a node that serves no HTTP");
  ++stats_.requests_delivered;
  // The call (and so the request) stays alive during the call: this event still holds its ref.
  server.endpoint->on_request(xh, c.request, node_now_us(to));
  release_call(h);
}

bool Network::respond(ExchangeId xh, HttpResponse response) {
  Exchange* x = exchanges_.get(xh);
  if (x == nullptr) return false;
  INTSIM_ASSERT_MSG(x->open, "an exchange was answered twice");
  x->open = false;
  x->response = std::move(response);
  const NodeId server = x->info.to;
  Call& c = calls_.at(x->call);
  const NodeId client = c.from;
  Node& s = node(server);
  if (s.interceptor != nullptr) {
    RequestInterceptor::Outcome outcome;
    outcome.reached_endpoint = true;
    outcome.fault = x->fault_kind;
    outcome.response = &x->response;
    s.interceptor->on_outcome(x->info, outcome);
  }
  Time not_before = 0;
  switch (x->fault) {
    case ResponseFault::kNone:
      break;
    case ResponseFault::kAmbiguous:
      fault(FaultKind::kAmbiguousCommit, server, client, x->info.delivery_id);
      release_exchange(xh);
      return true;
    case ResponseFault::kSlow: {
      const FaultSpec& spec = plan_.specs[x->spec];
      not_before =
          c.deadline_us + 1 + s.http_rng.uniform_range(spec.extra_us_min, spec.extra_us_max);
      fault(FaultKind::kSlowResponse, server, client, x->info.delivery_id);
      break;
    }
    case ResponseFault::kTruncated:
      fault(FaultKind::kTruncatedBody, server, client, x->info.delivery_id);
      break;
    case ResponseFault::kGarbled: {
      std::string& body = x->response.body;
      if (!body.empty()) body.resize(s.http_rng.uniform(body.size()));
      body.append("#~garbled\x01");
      fault(FaultKind::kGarbledBody, server, client, x->info.delivery_id);
      break;
    }
  }
  x->pending_messages = transmit(Msg::kResponse, server, client, xh, not_before);
  if (x->pending_messages == 0) release_exchange(xh);
  return true;
}

const DeliveryInfo* Network::exchange_info(ExchangeId xh) const {
  const Exchange* x = exchanges_.get(xh);
  return x != nullptr && x->open ? &x->info : nullptr;
}

void Network::on_response_arrival(const Event& ev) {
  const Handle xh = ev.arg;
  Exchange& x = exchanges_.at(xh);
  INTSIM_ASSERT(x.pending_messages > 0);
  --x.pending_messages;
  const Handle ch = x.call;
  Call& c = calls_.at(ch);
  const Node& client = node(c.from);
  if (!client.up || client.incarnation != c.from_incarnation) {
    ++stats_.lost_to_crash;
  } else if (partitioned(x.info.to, c.from)) {
    ++stats_.blocked_by_partition;
  } else {
    ++stats_.messages_arrived;
    if (c.done) {
      if (c.timed_out)
        ++stats_.late_responses;
      else
        ++stats_.duplicate_responses;
    } else if (x.fault == ResponseFault::kTruncated) {
      finish(ch, HttpResult::failed(HttpError::kMalformedResponse));
    } else if (x.pending_messages == 0) {
      finish(ch, HttpResult::of(std::move(x.response)));
    } else {
      finish(ch, HttpResult::of(x.response));
    }
  }
  if (x.pending_messages == 0) release_exchange(xh);
}

// ---- Clocks -----------------------------------------------------------------------------

namespace {
Time node_time_at(Time t, Time offset_us, std::int64_t drift_ppb, Time since_us) {
  if (drift_ppb == 0) return t + offset_us;
  const Int128 drift = floor_div(static_cast<Int128>(t - since_us) * drift_ppb, 1'000'000'000);
  return t + offset_us + static_cast<Time>(drift);
}
}  // namespace

Time Network::node_now_us(NodeId id) const {
  const Node& n = node(id);
  return node_time_at(sim_.now_us(), n.skew_offset_us, n.drift_ppb, n.skew_since_us);
}

Time Network::kernel_time_for(NodeId id, Time node_time_us) const {
  const Node& n = node(id);
  if (n.drift_ppb == 0) return node_time_us - n.skew_offset_us;
  // Solve t + offset + (t - since) * ppb / 1e9 = T for t, then step to the earliest t whose
  // (floored) node time reaches T.
  const Int128 rhs =
      static_cast<Int128>(node_time_us - n.skew_offset_us - n.skew_since_us) * 1'000'000'000;
  Time t = n.skew_since_us + static_cast<Time>(floor_div(rhs, 1'000'000'000 + n.drift_ppb));
  while (node_time_at(t, n.skew_offset_us, n.drift_ppb, n.skew_since_us) < node_time_us) ++t;
  while (node_time_at(t - 1, n.skew_offset_us, n.drift_ppb, n.skew_since_us) >= node_time_us) --t;
  return t;
}

void Network::set_clock_skew(NodeId id, Time offset_us, double drift_ppm) {
  INTSIM_ASSERT(drift_ppm > -1e5 - 1 && drift_ppm < 1e5 + 1);
  Node& n = node(id);
  n.skew_offset_us = offset_us;
  n.drift_ppb = static_cast<std::int64_t>(drift_ppm * 1000.0 + (drift_ppm < 0 ? -0.5 : 0.5));
  n.skew_since_us = sim_.now_us();
  // Armed timers are due on the node's clock: move them to the kernel time at which the new
  // clock reaches their due time (in handle order, so the run stays a function of its seed).
  std::vector<Handle> armed;
  for (const auto& [timer, h] : n.timers) armed.push_back(h);
  std::sort(armed.begin(), armed.end());
  for (Handle h : armed) {
    Timer& t = timers_.at(h);
    sim_.cancel(t.event);
    t.event =
        sim_.at(std::max(sim_.now_us(), kernel_time_for(id, t.node_at_us)), k_timer_, n.actor, h);
  }
}

// ---- Timers -----------------------------------------------------------------------------

void Network::arm_timer(NodeId id, core::TimerSink* sink, core::TimerId timer, Time node_at_us) {
  Node& n = node(id);
  INTSIM_ASSERT_MSG(n.up, "a node that is down cannot arm a timer");
  INTSIM_ASSERT(sink != nullptr);
  const Time at = std::max(sim_.now_us(), kernel_time_for(id, node_at_us));
  Handle h;
  if (const auto it = n.timers.find(timer); it != n.timers.end()) {
    h = it->second;
    sim_.cancel(timers_.at(h).event);
  } else {
    h = timers_.add();
    n.timers.emplace(timer, h);
  }
  Timer& t = timers_.at(h);
  t.node = id;
  t.incarnation = n.incarnation;
  t.id = timer;
  t.sink = sink;
  t.node_at_us = node_at_us;
  t.event = sim_.at(at, k_timer_, n.actor, h);
}

void Network::disarm_timer(NodeId id, core::TimerId timer) {
  Node& n = node(id);
  const auto it = n.timers.find(timer);
  if (it == n.timers.end()) return;
  sim_.cancel(timers_.at(it->second).event);
  timers_.remove(it->second);
  n.timers.erase(it);
}

std::size_t Network::armed_timers(NodeId id) const { return node(id).timers.size(); }

void Network::on_timer_event(const Event& ev) {
  Timer* t = timers_.get(ev.arg);
  if (t == nullptr) return;  // disarmed (cancellation is lazy only in the scheduler's heap)
  Node& n = node(t->node);
  INTSIM_ASSERT(n.up && n.incarnation == t->incarnation);  // a crash removes its timers
  const Time now = node_now_us(t->node);
  if (now < t->node_at_us) {  // the node's clock was set back since it was armed
    t->event = sim_.at(std::max(sim_.now_us() + 1, kernel_time_for(t->node, t->node_at_us)),
                       k_timer_, n.actor, ev.arg);
    return;
  }
  core::TimerSink* sink = t->sink;
  const core::TimerId id = t->id;
  n.timers.erase(id);
  timers_.remove(ev.arg);
  sink->on_timer(id, now);
}

// ---- Crashes ----------------------------------------------------------------------------

bool Network::is_up(NodeId id) const { return node(id).up; }
std::uint32_t Network::incarnation(NodeId id) const { return node(id).incarnation; }

void Network::crash(NodeId id, Time restart_after_us) {
  Node& n = node(id);
  if (!n.up) return;
  fault(FaultKind::kCrash, id, id, n.incarnation);
  n.up = false;
  ++n.incarnation;

  // Timers. Freed in handle order, not the hash map's order: the free list decides the handles
  // that later events carry into the trace.
  std::vector<Handle> doomed;
  for (const auto& [timer, h] : n.timers) doomed.push_back(h);
  n.timers.clear();
  std::sort(doomed.begin(), doomed.end());
  for (Handle h : doomed) {
    sim_.cancel(timers_.at(h).event);
    timers_.remove(h);
  }

  // Requests it was serving: never answered.
  doomed.clear();
  exchanges_.for_each([&](Handle h, Exchange& x) {
    if (x.info.to == id && x.open) doomed.push_back(h);
  });
  for (Handle h : doomed) {
    Exchange& x = exchanges_.at(h);
    x.open = false;
    if (x.pending_messages == 0) release_exchange(h);
  }

  // Its own calls: nobody is left to receive their results.
  doomed.clear();
  calls_.for_each([&](Handle h, Call& c) {
    if (c.from == id && !c.done) doomed.push_back(h);
  });
  for (Handle h : doomed) {
    Call& c = calls_.at(h);
    c.done = true;
    if (sim_.cancel(c.deadline_event)) release_call(h);
  }

  if (n.store != nullptr) n.store->crash();
  if (n.process != nullptr) n.process->crash();
  n.restart_event = restart_after_us >= 0
                        ? sim_.after(restart_after_us, k_restart_, n.actor, n.incarnation)
                        : EventId{};
}

void Network::restart(NodeId id) {
  Node& n = node(id);
  if (n.up) return;
  if (n.restart_event.valid()) sim_.cancel(n.restart_event);
  n.restart_event = {};
  n.up = true;
  sim_.note(k_note_restart_, n.actor, n.incarnation, n.name);
  if (n.store != nullptr) n.store->restart();
  if (n.process != nullptr) n.process->recover(node_now_us(id));
}

void Network::schedule_random_crash(std::size_t spec_index, Time after_us) {
  const FaultSpec& s = plan_.specs[spec_index];
  const Time gap =
      static_cast<Time>(crash_rng_.exponential(static_cast<double>(s.mean_interval_us)));
  const Time at = after_us + std::max<Time>(gap, 1);
  if (at - start_us_ >= s.until_us) return;
  const NodeId id = *find_node(s.node);
  plan_events_.push_back(sim_.at(at, k_crash_, node(id).actor, spec_index));
}

void Network::on_crash_event(const Event& ev) {
  if (healed_) return;
  const FaultSpec& s = plan_.specs[ev.arg];
  const NodeId id = node_of_actor(ev.target);
  if (!s.active_at(sim_.now_us() - start_us_) && s.mean_interval_us > 0) return;
  crash(id, s.restart_after_us);
  if (s.mean_interval_us > 0) schedule_random_crash(ev.arg, sim_.now_us() + s.restart_after_us);
}

// ---- Plans ------------------------------------------------------------------------------

Status Network::apply(const FaultPlan& plan) {
  INTSIM_ASSERT_MSG(!plan.swarm, "resolve the swarm (resolve_plan) before Network::apply");
  if (Status s = check_node_names(plan, node_names()); !s) return s;
  INTSIM_ASSERT(plan.specs.size() < 0xffff);
  for (EventId e : plan_events_) sim_.cancel(e);
  plan_events_.clear();
  plan_ = plan;
  rules_dirty_ = true;
  healed_ = false;
  const Time now = sim_.now_us();
  for (std::size_t i = 0; i < plan_.specs.size(); ++i) {
    const FaultSpec& s = plan_.specs[i];
    switch (s.kind) {
      case FaultKind::kPartition:
      case FaultKind::kClog:
      case FaultKind::kClockSkew: {
        const std::uint32_t actor =
            s.kind == FaultKind::kClockSkew ? node(*find_node(s.node)).actor : 0;
        plan_events_.push_back(
            sim_.at(std::max(now, start_us_ + s.from_us), k_window_, actor, i * 2));
        if (s.until_us != kForever && start_us_ + s.until_us >= now)
          plan_events_.push_back(sim_.at(start_us_ + s.until_us, k_window_, actor, i * 2 + 1));
        break;
      }
      case FaultKind::kCrash:
        if (s.mean_interval_us > 0) {
          schedule_random_crash(i, std::max(now, start_us_ + s.from_us));
        } else if (start_us_ + s.at_us >= now) {
          plan_events_.push_back(
              sim_.at(start_us_ + s.at_us, k_crash_, node(*find_node(s.node)).actor, i));
        }
        break;
      default:
        break;
    }
  }
  return Status::ok();
}

void Network::on_window_event(const Event& ev) {
  const FaultSpec& s = plan_.specs[ev.arg / 2];
  const bool close = (ev.arg % 2) == 1;
  if (s.kind == FaultKind::kClockSkew) {
    const NodeId id = *find_node(s.node);
    if (close) {
      set_clock_skew(id, 0, 0.0);
      sim_.note(k_note_window_close_, node(id).actor, ev.arg / 2, "clock_skew " + s.node);
    } else {
      set_clock_skew(id, s.offset_us, s.drift_ppm);
      ++counts_.by_kind[static_cast<std::size_t>(FaultKind::kClockSkew)];
      sim_.note(k_fault_[static_cast<std::size_t>(FaultKind::kClockSkew)], node(id).actor,
                ev.arg / 2,
                fmt::format("{} offset {} us drift {} ppm", s.node, s.offset_us, s.drift_ppm));
    }
    return;
  }
  const std::string what =
      fmt::format("{}{}{}", s.link_from, s.both_directions ? "<->" : "->", s.link_to);
  if (close) {
    sim_.note(k_note_window_close_, 0, ev.arg / 2,
              fmt::format("{} {}", fault_kind_name(s.kind), what));
  } else {
    ++counts_.by_kind[static_cast<std::size_t>(s.kind)];
    sim_.note(k_fault_[static_cast<std::size_t>(s.kind)], 0, ev.arg / 2,
              s.until_us == kForever
                  ? what
                  : fmt::format("{} until {} s", what, s.until_us / core::kUsPerSec));
  }
}

void Network::heal_all() {
  if (healed_) return;
  healed_ = true;
  for (EventId e : plan_events_) sim_.cancel(e);
  plan_events_.clear();
  sim_.note(k_note_heal_, 0, 0, "every fault off");
  for (NodeId id = 0; id < nodes_.size(); ++id) {
    Node& n = nodes_[id];
    if (n.skew_offset_us != 0 || n.drift_ppb != 0) set_clock_skew(id, 0, 0.0);
    if (!n.up && !n.restart_event.valid()) restart(id);
  }
}

bool Network::commit_fails(std::uint32_t id) {
  if (healed_) return false;
  Node& n = node(id);
  for (const FaultSpec& s : plan_.specs) {
    if (s.kind != FaultKind::kStoreFailure || s.node != n.name || !active(s)) continue;
    if (n.store_rng.bernoulli(s.probability)) {
      fault(FaultKind::kStoreFailure, id, id, 0);
      return true;
    }
  }
  return false;
}

// ---- Dispatch ---------------------------------------------------------------------------

void Network::on_event(const Event& ev) {
  if (ev.kind == k_request_) {
    on_request_arrival(ev);
  } else if (ev.kind == k_response_) {
    on_response_arrival(ev);
  } else if (ev.kind == k_deadline_) {
    on_deadline(ev);
  } else if (ev.kind == k_connect_fail_) {
    on_connect_failure(ev);
  } else if (ev.kind == k_timer_) {
    on_timer_event(ev);
  } else if (ev.kind == k_crash_) {
    on_crash_event(ev);
  } else if (ev.kind == k_restart_) {
    const NodeId id = node_of_actor(ev.target);
    Node& n = node(id);
    if (!n.up && n.incarnation == ev.arg) {
      n.restart_event = {};
      restart(id);
    }
  } else if (ev.kind == k_window_) {
    on_window_event(ev);
  } else {
    INTSIM_ASSERT_MSG(false, "an event kind the network did not register");
  }
}

}  // namespace intsim::sim
