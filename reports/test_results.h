// Small result files for the renderers' tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "src/harness/results.h"

namespace intsim::reports::testing {

// reports/testdata/small_results.json: one scenario, three seeds, the third a double charge.
inline harness::Results small_results() {
  harness::Results r;
  const core::Status st =
      harness::read_results_file(std::string(INTSIM_REPORTS_TESTDATA) + "/small_results.json", &r);
  EXPECT_TRUE(st.is_ok()) << st.message();
  return r;
}

// How many times `part` occurs in `text`.
inline std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// "" when every element opened is closed in order (self-closing and HTML void elements aside);
// else the first mismatch. Enough to catch a renderer that forgets a closing tag.
inline std::string unbalanced(const std::string& markup) {
  std::vector<std::string> open;
  for (std::size_t at = markup.find('<'); at != std::string::npos; at = markup.find('<', at + 1)) {
    const std::size_t end = markup.find('>', at);
    if (end == std::string::npos) return "unterminated tag at " + std::to_string(at);
    const std::string tag = markup.substr(at + 1, end - at - 1);
    if (tag.empty() || tag[0] == '!' || tag[0] == '?' || tag.back() == '/') continue;
    const bool closing = tag[0] == '/';
    const std::string name =
        tag.substr(closing ? 1 : 0, tag.find_first_of(" \t\n") - (closing ? 1 : 0));
    if (name == "meta" || name == "br" || name == "link" || name == "img") continue;
    if (!closing) {
      open.push_back(name);
    } else if (open.empty() || open.back() != name) {
      return "</" + name + "> closes " + (open.empty() ? "nothing" : "<" + open.back() + ">");
    } else {
      open.pop_back();
    }
  }
  return open.empty() ? "" : "<" + open.back() + "> is never closed";
}

}  // namespace intsim::reports::testing
