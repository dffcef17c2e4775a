#include "src/core/ical/content_line.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <vector>

namespace intsim::core::ical {
namespace {

std::vector<std::pair<std::int64_t, std::string>> lines_of(std::string_view text,
                                                           std::size_t max = 1000) {
  LineReader reader(text, max);
  LineReader::Line line;
  std::vector<std::pair<std::int64_t, std::string>> out;
  while (reader.next(&line)) {
    std::string t(line.text);
    if (line.orphan) t = "<orphan>";
    if (line.too_long) t = "<too long>";
    out.emplace_back(line.number, t);
  }
  return out;
}

using Lines = std::vector<std::pair<std::int64_t, std::string>>;

TEST(IcalContentLine, UnfoldsSpaceAndTabContinuationsWithCrlfOrLf) {
  EXPECT_EQ(lines_of("A:1\r\nB:long\r\n  line\r\n\tend\r\nC:3\r\n"), (Lines{{1, "A:1"},
                                                                            {2,
                                                                             "B:long line"
                                                                             "end"},
                                                                            {5, "C:3"}}));
  EXPECT_EQ(lines_of("A:1\nB:x\n y\nC:3"), (Lines{{1, "A:1"}, {2, "B:xy"}, {4, "C:3"}}));
}

TEST(IcalContentLine, SkipsBlankLinesAndCountsThem) {
  EXPECT_EQ(lines_of("\r\nA:1\r\n\r\n\nB:2\r\n"), (Lines{{2, "A:1"}, {5, "B:2"}}));
}

TEST(IcalContentLine, OrphanContinuationAndTooLongLines) {
  EXPECT_EQ(lines_of(" x\nA:1\n"), (Lines{{1, "<orphan>"}, {2, "A:1"}}));
  EXPECT_EQ(lines_of("A:1\n\n y\n"), (Lines{{1, "A:1"}, {3, "<orphan>"}}));
  EXPECT_EQ(lines_of("A:123456\nB:1\n", 6), (Lines{{1, "<too long>"}, {2, "B:1"}}));
  EXPECT_EQ(lines_of("A:12\n 3456\nB:1\n", 6), (Lines{{1, "<too long>"}, {3, "B:1"}}));
  EXPECT_EQ(lines_of("A:12\n 34\nB:1\n", 6), (Lines{{1, "A:1234"}, {3, "B:1"}}));
}

TEST(IcalContentLine, SplitsNameParamsAndValue) {
  ContentLine cl;
  const char* error = nullptr;
  ASSERT_TRUE(split_content_line(
      "DTSTART;TZID=\"America/New_York;x\";VALUE=DATE-TIME:20240101T100000", &cl, &error));
  EXPECT_EQ(cl.name, "DTSTART");
  EXPECT_EQ(cl.param("tzid"), "America/New_York;x");
  EXPECT_EQ(cl.param("VALUE"), "DATE-TIME");
  EXPECT_EQ(cl.param("X"), "");
  EXPECT_EQ(cl.value, "20240101T100000");
  ASSERT_TRUE(split_content_line("DESCRIPTION:a:b;c", &cl, &error));
  EXPECT_EQ(cl.value, "a:b;c");
  ASSERT_TRUE(split_content_line("X-A;M=a,\"b:c\",d:v", &cl, &error));
  EXPECT_EQ(cl.param("M"), "a,\"b:c\",d");
  EXPECT_EQ(cl.value, "v");
  EXPECT_FALSE(split_content_line("no colon here", &cl, &error));
  EXPECT_FALSE(split_content_line(":value", &cl, &error));
  EXPECT_FALSE(split_content_line("A;B:v", &cl, &error));
  EXPECT_FALSE(split_content_line("A;B=\"v:x", &cl, &error));
  EXPECT_FALSE(split_content_line("SUMMARY", &cl, &error));
}

TEST(IcalContentLine, TextEscapes) {
  std::string out;
  unescape_text("a\\\\b\\;c\\,d\\ne\\Nf", &out);
  EXPECT_EQ(out, "a\\b;c,d\ne\nf");
  unescape_text("x\\:y\\", &out);
  EXPECT_EQ(out, "x:y\\");
  out.clear();
  append_escaped_text("a\\b;c,d\ne", &out);
  EXPECT_EQ(out, "a\\\\b\\;c\\,d\\ne");
}

TEST(IcalContentLine, FoldsAt75OctetsWithoutSplittingUtf8) {
  std::string out;
  append_folded_line(std::string(75, 'a'), &out);
  EXPECT_EQ(out, std::string(75, 'a') + "\r\n");
  out.clear();
  append_folded_line(std::string(76, 'a'), &out);
  EXPECT_EQ(out, std::string(75, 'a') + "\r\n a\r\n");
  // 74 ASCII + a 2-octet character: it would straddle octets 75 and 76, so it moves down.
  out.clear();
  append_folded_line(std::string(74, 'a') + "\xC3\xA9" + "b", &out);
  EXPECT_EQ(out, std::string(74, 'a') +
                     "\r\n \xC3\xA9"
                     "b\r\n");
}

RC_GTEST_PROP(IcalContentLine, FoldedLinesAreShortWholeUtf8AndUnfoldBack, ()) {
  // Lines of ASCII and 2-, 3- and 4-octet characters.
  const auto pieces = *rc::gen::container<std::vector<std::string>>(rc::gen::element<std::string>(
      "a", "Z", ";", " ", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x8F\xA0"));
  std::string line = "X:";
  for (const auto& p : pieces) line += p;
  std::string out;
  append_folded_line(line, &out);
  std::size_t start = 0;
  bool first = true;
  while (start < out.size()) {
    const std::size_t end = out.find("\r\n", start);
    RC_ASSERT(end != std::string::npos);
    RC_ASSERT(end - start <= kFoldOctets);
    if (!first) RC_ASSERT(out[start] == ' ');
    // A physical line never begins with a UTF-8 continuation octet (after the fold space).
    const std::size_t content = first ? start : start + 1;
    if (content < end) RC_ASSERT((static_cast<unsigned char>(out[content]) & 0xC0) != 0x80);
    first = false;
    start = end + 2;
  }
  LineReader reader(out, 1 << 20);
  LineReader::Line l;
  RC_ASSERT(reader.next(&l));
  RC_ASSERT(l.text == line);
  RC_ASSERT(!reader.next(&l));
}

RC_GTEST_PROP(IcalContentLine, EscapeThenUnescapeIsIdentity, (const std::string& s)) {
  std::string escaped, back;
  append_escaped_text(s, &escaped);
  RC_ASSERT(escaped.find('\n') == std::string::npos);
  unescape_text(escaped, &back);
  RC_ASSERT(back == s);
}

}  // namespace
}  // namespace intsim::core::ical
