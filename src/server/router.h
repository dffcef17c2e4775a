// Routes HTTP requests to handlers by method and path. Handlers are plain functions of
// core::HttpRequest -> core::HttpResponse, run on the server's single thread, so a handler is
// the core's webhook intake or booking API with no I/O type in sight.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/http.h"

namespace intsim::server {

using Handler = std::function<core::HttpResponse(const core::HttpRequest&)>;

class Router {
 public:
  // Exact path match ("/webhooks/stripe"); the query string is ignored when matching.
  void add(std::string method, std::string path, Handler handler);
  // Every path that starts with `prefix` ("/ical/"), for resources named in the path. Exact
  // routes win over prefixes; among prefixes the longest wins.
  void add_prefix(std::string method, std::string prefix, Handler handler);

  // 404 when no route has the path, 405 (with Allow) when routes have it for other methods.
  core::HttpResponse dispatch(const core::HttpRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::string path;
    bool prefix;
    Handler handler;
  };
  std::vector<Route> routes_;
};

// The path of a request target: "/a/b?x=1" -> "/a/b".
std::string_view target_path(std::string_view target);

core::HttpResponse text_response(int status, std::string body);

}  // namespace intsim::server
