#include "reports/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>

#include "reports/charts.h"

namespace intsim::reports {
namespace {

// Lanes in the order a reader expects them: the guest on the left, then the core, then the
// peers, the attacker last.
int lane_rank(std::string_view name) {
  if (name.starts_with("guest")) return 0;
  if (name == "core") return 1;
  if (name == "stripe") return 2;
  if (name.starts_with("ota")) return 3;
  if (name == "whatsapp") return 4;
  if (name == "attacker") return 6;
  return 5;
}

// Identifiers in a witness's text ("pi_00012", "bk-7", "evt_3"), to highlight the messages
// that carry them: a word of 4+ characters with a digit and a letter.
std::vector<std::string> id_tokens(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  const auto flush = [&] {
    const bool digit =
        std::any_of(word.begin(), word.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    const bool alpha =
        std::any_of(word.begin(), word.end(), [](unsigned char c) { return std::isalpha(c) != 0; });
    if (word.size() >= 4 && digit && alpha) out.push_back(word);
    word.clear();
  };
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-') {
      word += c;
    } else {
      flush();
    }
  }
  flush();
  return out;
}

std::string format_at(core::TimeUs at_us) {
  const std::int64_t ms = at_us / 1000;
  return fmt::format("{}:{:02}:{:02}.{:03}", ms / 3'600'000, ms / 60'000 % 60, ms / 1000 % 60,
                     ms % 1000);
}

std::string shorten(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max - 1)) + "\xE2\x80\xA6";  // an ellipsis
}

}  // namespace

Timeline build_timeline(const TimelineInput& input, std::size_t rows_max) {
  rows_max = std::max<std::size_t>(rows_max, 8);
  std::vector<TimelineRow> rows;
  std::set<std::string> lanes;
  // Faults and notes from the trace.
  if (input.trace != nullptr && input.names != nullptr) {
    for (const sim::TraceRecord& r : input.trace->records()) {
      const std::string_view kind = input.names->kind_name(r.kind);
      TimelineRow row;
      row.trace_index = r.index;
      row.at_us = r.at_us - input.start_us;
      if (kind == "fault.heal") {
        row.kind = TimelineRow::Kind::kNote;
        row.label = "every fault healed: the liveness phase begins";
      } else if (kind == "node.restart") {
        row.kind = TimelineRow::Kind::kNote;
        row.from = std::string(input.names->actor_name(r.actor));
        row.label = "restarted";
      } else if (kind.starts_with("fault.") && kind != "fault.window" &&
                 kind != "fault.window_close") {
        row.kind = TimelineRow::Kind::kFault;
        row.label = std::string(kind.substr(6));
        const auto arrow = r.detail.find("->");
        if (arrow != std::string::npos) {
          row.from = r.detail.substr(0, arrow);
          row.to = r.detail.substr(arrow + 2);
        } else {
          row.from = std::string(input.names->actor_name(r.actor));
          if (!r.detail.empty() && r.detail != row.from) row.label += ": " + r.detail;
        }
      } else {
        continue;
      }
      rows.push_back(std::move(row));
    }
  }
  for (const MessageEvent& m : input.messages) {
    TimelineRow row;
    row.trace_index = m.trace_index;
    row.at_us = m.at_us;
    row.from = m.from;
    row.to = m.to;
    row.label = m.duplicate ? m.label + " (duplicate)" : m.label;
    row.kind = m.kind == MessageEvent::Kind::kFailure ? TimelineRow::Kind::kFailure
                                                      : TimelineRow::Kind::kMessage;
    if (m.kind == MessageEvent::Kind::kFailure) {
      // A failure is the client's own observation: a mark on its lane.
      row.from = m.to;
      row.to.clear();
      row.label = fmt::format("{} (to {})", m.label, m.from);
    }
    rows.push_back(std::move(row));
  }
  for (const TimelineRow& r : rows) {
    if (!r.from.empty()) lanes.insert(r.from);
    if (!r.to.empty()) lanes.insert(r.to);
  }
  // Witnesses, and the messages that carry the identifiers they name.
  std::vector<std::string> tokens;
  for (const harness::Witness& w : input.witnesses) {
    TimelineRow row;
    row.kind = TimelineRow::Kind::kWitness;
    row.trace_index = w.trace_index;
    row.at_us = w.at_us;
    row.from = lanes.count(w.actor) ? w.actor : std::string();
    row.label = w.text;
    row.highlighted = true;
    rows.push_back(std::move(row));
    for (std::string& t : id_tokens(w.text)) tokens.push_back(std::move(t));
  }
  for (TimelineRow& r : rows) {
    if (r.kind != TimelineRow::Kind::kMessage) continue;
    for (const std::string& t : tokens) {
      if (r.label.find(t) != std::string::npos) r.highlighted = true;
    }
  }
  // A witness names the moment the oracle saw the problem; it goes after whatever happened at
  // that instant (stable_sort keeps insertion order, and witnesses were added last).
  std::stable_sort(rows.begin(), rows.end(), [](const TimelineRow& a, const TimelineRow& b) {
    return std::tie(a.at_us, a.trace_index) < std::tie(b.at_us, b.trace_index);
  });

  Timeline t;
  t.lanes.assign(lanes.begin(), lanes.end());
  std::stable_sort(t.lanes.begin(), t.lanes.end(), [](const std::string& a, const std::string& b) {
    return lane_rank(a) < lane_rank(b);
  });
  t.rows_total = rows.size();
  for (const TimelineRow& r : rows) {
    if (r.kind != TimelineRow::Kind::kFault) continue;
    const std::string where = r.to.empty() ? r.from : r.from + "->" + r.to;
    ++t.faults_by_place[fmt::format("{} {}", r.label.substr(0, r.label.find(':')), where)];
  }
  if (rows.size() <= rows_max) {
    t.rows = std::move(rows);
    return t;
  }
  // The cut: windows around the witnesses, or the end of the run when there is none (a
  // liveness failure shows what was still going on).
  std::vector<bool> keep(rows.size(), false);
  std::vector<std::size_t> focus;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].kind == TimelineRow::Kind::kWitness) focus.push_back(i);
  }
  if (focus.empty()) {
    std::fill(keep.end() - static_cast<std::ptrdiff_t>(rows_max), keep.end(), true);
  } else {
    const std::size_t share = std::max<std::size_t>(rows_max / focus.size(), 2);
    const std::size_t before = share * 3 / 4, after = share - before - 1;
    for (std::size_t f : focus) {
      const std::size_t lo = f > before ? f - before : 0;
      const std::size_t hi = std::min(rows.size() - 1, f + after);
      for (std::size_t i = lo; i <= hi; ++i) keep[i] = true;
    }
  }
  std::uint64_t gap = 0;
  const auto close_gap = [&](std::size_t next) {
    if (gap == 0) return;
    TimelineRow g;
    g.kind = TimelineRow::Kind::kGap;
    g.trace_index = rows[next].trace_index;
    g.at_us = rows[next].at_us;
    g.label = fmt::format("{} events omitted", gap);
    t.rows.push_back(std::move(g));
    t.rows_omitted += gap;
    gap = 0;
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!keep[i]) {
      ++gap;
      continue;
    }
    close_gap(i);
    t.rows.push_back(std::move(rows[i]));
  }
  close_gap(rows.size() - 1);
  return t;
}

std::string svg_timeline(const Timeline& timeline, std::string_view id) {
  constexpr int kTimeCol = 96, kLaneWidth = 170, kHeader = 44, kRow = 22;
  const int lanes = static_cast<int>(timeline.lanes.size());
  // Room on the right for the marks' labels of the last lane.
  const int width = kTimeCol + std::max(lanes, 1) * kLaneWidth + 190;
  const int height = kHeader + static_cast<int>(timeline.rows.size()) * kRow + 12;
  const auto lane_x = [&](const std::string& name) -> int {
    for (int i = 0; i < lanes; ++i) {
      if (timeline.lanes[static_cast<std::size_t>(i)] == name) {
        return kTimeCol + i * kLaneWidth + kLaneWidth / 2;
      }
    }
    return -1;
  };
  const std::string marker = fmt::format("arrow-{}", escape_xml(id));
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" id=\"timeline-{0}\" "
      "role=\"img\" width=\"{1}\" height=\"{2}\" viewBox=\"0 0 {1} {2}\">"
      "<title>Sequence diagram of seed {0}</title>"
      "<defs><marker id=\"{3}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
      "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" "
      "class=\"arrow-head\"/></marker></defs>",
      escape_xml(id), width, height, marker);
  // Highlight bands first, so lines and text draw over them.
  for (std::size_t i = 0; i < timeline.rows.size(); ++i) {
    const TimelineRow& r = timeline.rows[i];
    const int y = kHeader + static_cast<int>(i) * kRow;
    if (r.highlighted) {
      out += fmt::format("<rect class=\"{}\" x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                         r.kind == TimelineRow::Kind::kWitness ? "witness-band" : "highlight-band",
                         y, width, kRow);
    }
  }
  // Lane headers and lifelines.
  for (const std::string& lane : timeline.lanes) {
    const int x = lane_x(lane);
    out += fmt::format(
        "<text class=\"lane-label\" x=\"{0}\" y=\"24\" text-anchor=\"middle\">{1}</text>"
        "<line class=\"lifeline\" x1=\"{0}\" y1=\"{2}\" x2=\"{0}\" y2=\"{3}\"/>",
        x, escape_xml(lane), kHeader - 10, height - 6);
  }
  for (std::size_t i = 0; i < timeline.rows.size(); ++i) {
    const TimelineRow& r = timeline.rows[i];
    const int y = kHeader + static_cast<int>(i) * kRow + kRow / 2;
    const std::string full = escape_xml(r.label);
    const std::string when = format_at(r.at_us);
    out += fmt::format("<g class=\"row row-{}\"><title>{} #{} {}</title>", static_cast<int>(r.kind),
                       when, r.trace_index, full);
    if (r.kind != TimelineRow::Kind::kGap) {
      out += fmt::format("<text class=\"time\" x=\"4\" y=\"{}\">{}</text>", y + 4, when);
    }
    const int xf = lane_x(r.from), xt = lane_x(r.to);
    switch (r.kind) {
      case TimelineRow::Kind::kMessage: {
        if (xf < 0 || xt < 0) break;
        const int x1 = xf, x2 = xt == xf ? xt + 30 : xt;
        out += fmt::format(
            "<line class=\"msg\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" marker-end=\"url(#{})\"/>"
            "<text class=\"msg-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x1, y + 4, x2, y + 4, marker, (x1 + x2) / 2, y, escape_xml(shorten(r.label, 40)));
        break;
      }
      case TimelineRow::Kind::kFault: {
        if (xf >= 0 && xt >= 0) {
          out += fmt::format("<line class=\"fault-link\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
                             xf, y + 2, xt, y + 2);
        }
        const int x = xf >= 0 ? xf : kTimeCol + 10;
        out += fmt::format(
            "<path class=\"fault-mark\" d=\"M{0},{1} l5,-9 l-1,6 l5,0 l-5,9 l1,-6 z\"/>"
            "<text class=\"fault-label\" x=\"{2}\" y=\"{3}\">{4}</text>",
            x - 4, y + 5, x + 8, y + 4, escape_xml(shorten(r.label, 40)));
        break;
      }
      case TimelineRow::Kind::kFailure:
        out += fmt::format(
            "<text class=\"failure-mark\" x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">\xE2\x9C\x95"
            "</text><text class=\"failure-label\" x=\"{2}\" y=\"{1}\">{3}</text>",
            xf, y + 5, xf + 8, escape_xml(shorten(r.label, 40)));
        break;
      case TimelineRow::Kind::kNote:
        out +=
            fmt::format("<text class=\"note\" x=\"{}\" y=\"{}\">{}</text>",
                        xf >= 0 ? xf + 6 : kTimeCol + 6, y + 4, escape_xml(shorten(r.label, 60)));
        break;
      case TimelineRow::Kind::kWitness:
        out += fmt::format(
            "<text class=\"witness-mark\" x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">\xE2\x98\x85"
            "</text><text class=\"witness-label\" x=\"{2}\" y=\"{1}\">witness: {3}</text>",
            xf >= 0 ? xf : kTimeCol + 6, y + 5, (xf >= 0 ? xf : kTimeCol + 6) + 10,
            escape_xml(shorten(r.label, 90)));
        break;
      case TimelineRow::Kind::kGap:
        out += fmt::format(
            "<text class=\"gap\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">\xE2\x8B\xAE {}</text>",
            width / 2, y + 4, full);
        break;
    }
    out += "</g>";
  }
  return out + "</svg>";
}

}  // namespace intsim::reports
