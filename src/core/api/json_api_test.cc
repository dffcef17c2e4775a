#include "src/core/api/json_api.h"

#include <gtest/gtest.h>

#include "src/core/memory_store.h"

namespace intsim::core::api {
namespace {

constexpr std::string_view kTable = "requests";

HttpRequest post(std::string body, std::optional<std::string> key) {
  HttpRequest r{"POST", "/api/things", {}, std::move(body)};
  if (key) r.headers.push_back({"Idempotency-Key", *key});
  return r;
}

TEST(JsonApi, ErrorsAreShapedLikeStripes) {
  const HttpResponse r = error_response(400, "parameter_missing", "guest", "guest");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(
      nlohmann::json::parse(r.body),
      (nlohmann::json{
          {"error", {{"code", "parameter_missing"}, {"message", "guest"}, {"param", "guest"}}}}));
  EXPECT_EQ(r.header("Content-Type"), "application/json");
}

TEST(JsonApi, AKeyedAnswerIsReplayedForTheSameBodyOnly) {
  MemoryStore store;
  const HttpRequest first = post(R"({"a":1})", "k1");
  EXPECT_FALSE(replay_or_refuse(store, kTable, first));  // new: answer it
  WriteBatch batch;
  remember_answer(kTable, first, json_response(201, {{"id", "x_1"}}), batch);
  ASSERT_TRUE(store.commit(batch).is_ok());

  const std::optional<HttpResponse> again = replay_or_refuse(store, kTable, first);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 201);
  EXPECT_EQ(again->body, R"({"id":"x_1"})");
  EXPECT_EQ(again->header("Idempotent-Replayed"), "true");

  const std::optional<HttpResponse> other = replay_or_refuse(store, kTable, post("{}", "k1"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 422);
  EXPECT_FALSE(replay_or_refuse(store, kTable, post(R"({"a":1})", "k2")));  // another key
}

TEST(JsonApi, RequestsWithoutAKeyAreNeverRememberedAndBadKeysAreRefused) {
  MemoryStore store;
  WriteBatch batch;
  remember_answer(kTable, post("{}", std::nullopt), json_response(201, {}), batch);
  EXPECT_TRUE(batch.empty());
  EXPECT_FALSE(replay_or_refuse(store, kTable, post("{}", std::nullopt)));
  EXPECT_EQ(replay_or_refuse(store, kTable, post("{}", ""))->status, 400);
  EXPECT_EQ(replay_or_refuse(store, kTable, post("{}", std::string(256, 'k')))->status, 400);
  EXPECT_FALSE(replay_or_refuse(store, kTable, post("{}", std::string(255, 'k'))));
}

}  // namespace
}  // namespace intsim::core::api
