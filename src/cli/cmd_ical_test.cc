#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "src/cli/commands.h"

namespace intsim::cli {
namespace {

struct LintRun {
  int status;
  nlohmann::json out;  // null when stdout was not JSON
};

// Runs `intsim ical lint PATH` in-process, capturing stdout.
LintRun lint(const std::string& path) {
  std::string a0 = "ical", a1 = "lint", a2 = path;
  char* argv[] = {a0.data(), a1.data(), a2.data()};
  testing::internal::CaptureStdout();
  const int status = cmd_ical(3, argv);
  std::fflush(stdout);
  const std::string text = testing::internal::GetCapturedStdout();
  return {status, nlohmann::json::parse(text, nullptr, false)};
}

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("intsim_ical_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

TEST(CliIcalLint, CleanFeedPrintsEventsAndExitsZero) {
  const std::string path = write_temp(
      "clean.ics",
      "BEGIN:VCALENDAR\r\nPRODID:-//HomeAway.com, Inc.//EN\r\nBEGIN:VEVENT\r\nUID:u1\r\n"
      "DTSTAMP:20240301T081530Z\r\nDTSTART;VALUE=DATE:20240402\r\nDTEND;VALUE=DATE:20240406\r\n"
      "SUMMARY:Reserved\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:u2\r\n"
      "DTSTART;TZID=Europe/Madrid:20240410T150000\r\nDTEND;TZID=Europe/Madrid:20240412T110000\r\n"
      "END:VEVENT\r\nEND:VCALENDAR\r\n");
  const LintRun r = lint(path);
  EXPECT_EQ(r.status, 0);
  ASSERT_TRUE(r.out.is_object());
  EXPECT_EQ(r.out["prodid"], "-//HomeAway.com, Inc.//EN");
  EXPECT_EQ(r.out["complete"], true);
  EXPECT_TRUE(r.out["problems"].empty());
  ASSERT_EQ(r.out["events"].size(), 2u);
  const auto& e = r.out["events"][0];
  EXPECT_EQ(e["line"], 3);
  EXPECT_EQ(e["uid"], "u1");
  EXPECT_EQ(e["all_day"], true);
  EXPECT_EQ(e["start"], "2024-04-02");
  EXPECT_EQ(e["end"], "2024-04-06");
  EXPECT_EQ(e["nights"], 4);
  EXPECT_EQ(e["summary"], "Reserved");
  EXPECT_EQ(e["stamp"], "2024-03-01T08:15:30Z");
  EXPECT_EQ(r.out["events"][1]["start"], "2024-04-10T15:00:00[Europe/Madrid]");
  EXPECT_EQ(r.out["events"][1]["nights"], 2);
  std::filesystem::remove(path);
}

TEST(CliIcalLint, ProblemsCarryLineNumbersAndExitOne) {
  const std::string path =
      write_temp("broken.ics",
                 "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20241301\nEND:VEVENT\n"
                 "BEGIN:VEVENT\nUID:b\nDTSTART:20240101\nEND:VEVENT\n");
  const LintRun r = lint(path);
  EXPECT_EQ(r.status, 1);
  ASSERT_TRUE(r.out.is_object());
  EXPECT_EQ(r.out["complete"], false);  // no END:VCALENDAR
  ASSERT_EQ(r.out["events"].size(), 1u);
  EXPECT_EQ(r.out["events"][0]["uid"], "b");
  ASSERT_EQ(r.out["problems"].size(), 2u);
  EXPECT_EQ(r.out["problems"][0]["line"], 4);
  EXPECT_EQ(r.out["problems"][1]["line"], 9);
  std::filesystem::remove(path);
}

TEST(CliIcalLint, InvalidUtf8IsReplacedNotFatal) {
  const std::string path =
      write_temp("latin1.ics",
                 "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20240101\nSUMMARY:R\xE9serv\xE9\n"
                 "END:VEVENT\nEND:VCALENDAR\n");
  const LintRun r = lint(path);
  EXPECT_EQ(r.status, 0);
  ASSERT_TRUE(r.out.is_object());
  EXPECT_EQ(r.out["events"][0]["summary"], "R\xEF\xBF\xBDserv\xEF\xBF\xBD");
  std::filesystem::remove(path);
}

TEST(CliIcalLint, UnreadableFileOrBadUsageExitsTwo) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(lint("/nonexistent/feed.ics").status, 2);
  EXPECT_EQ(lint(std::filesystem::temp_directory_path().string()).status, 2);
  std::string a0 = "ical", a1 = "check";
  char* argv[] = {a0.data(), a1.data()};
  EXPECT_EQ(cmd_ical(2, argv), 2);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("cannot read '/nonexistent/feed.ics'"), std::string::npos);
  EXPECT_NE(err.find("usage: intsim ical lint FEED.ics"), std::string::npos);
}

}  // namespace
}  // namespace intsim::cli
