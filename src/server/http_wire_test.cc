#include "src/server/http_wire.h"

#include <gtest/gtest.h>

namespace intsim::server {
namespace {

TEST(SerializeResponse, StatusLineHeadersLengthAndBody) {
  const core::HttpResponse r{200, {{"Content-Type", "application/json"}}, R"({"received":true})"};
  EXPECT_EQ(serialize_response(r, 11, true),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n"
            R"({"received":true})");
}

TEST(SerializeResponse, ConnectionFollowsTheVersionsDefault) {
  const core::HttpResponse r{503, {{"Retry-After", "1"}}, ""};
  EXPECT_EQ(serialize_response(r, 11, false),
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n");
  EXPECT_EQ(serialize_response(r, 10, true),
            "HTTP/1.0 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
            "Connection: keep-alive\r\n\r\n");
  EXPECT_EQ(serialize_response(r, 10, false),
            "HTTP/1.0 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n");
}

TEST(SerializeResponse, TheServerOwnsFramingAndNoHeaderSplitsTheResponse) {
  const core::HttpResponse r{201,
                             {{"content-length", "999"},
                              {"Transfer-Encoding", "chunked"},
                              {"CONNECTION", "upgrade"},
                              {"X-Evil", "a\r\nSet-Cookie: x=1"},
                              {"X-Bad\n", "v"},
                              {"Location", "/api/bookings/bk_1"}},
                             "{}"};
  EXPECT_EQ(serialize_response(r, 11, true),
            "HTTP/1.1 201 Created\r\nLocation: /api/bookings/bk_1\r\nContent-Length: 2\r\n\r\n{}");
}

TEST(SerializeResponse, AnImpossibleStatusIsAServerError) {
  EXPECT_EQ(serialize_response({42, {}, ""}, 11, true).substr(0, 35),
            "HTTP/1.1 500 Internal Server Error\r");
}

}  // namespace
}  // namespace intsim::server
