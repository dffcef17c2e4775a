// Routes HTTP requests to handlers by method and path. Handlers are plain functions of
// core::HttpRequest -> core::HttpResponse, run on the server's single thread, so a handler is
// the core's webhook intake or booking API with no I/O type in sight.
//
// An asynchronous handler answers later through a Responder instead. That is what group commit
// needs: a webhook is answered 2xx only after its inbox row is durable, and one SQLite commit
// (one fsync) for all the webhooks received in one turn of the event loop is what makes tens of
// thousands per second possible where one fsync per webhook would not.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/http.h"

namespace intsim::server {

using Handler = std::function<core::HttpResponse(const core::HttpRequest&)>;
// Answers the request; call it exactly once, on the io_context thread (later calls are ignored).
// The connection waits for it: a handler that never answers holds its connection open.
using Responder = std::function<void(core::HttpResponse)>;
using AsyncHandler = std::function<void(const core::HttpRequest&, Responder)>;

class Router {
 public:
  // Exact path match ("/webhooks/stripe"); the query string is ignored when matching.
  void add(std::string method, std::string path, Handler handler);
  // Every path that starts with `prefix` ("/ical/"), for resources named in the path. Exact
  // routes win over prefixes; among prefixes the longest wins.
  void add_prefix(std::string method, std::string prefix, Handler handler);
  void add_async(std::string method, std::string path, AsyncHandler handler);
  void add_prefix_async(std::string method, std::string prefix, AsyncHandler handler);

  // Runs the matching handler, which answers through `respond` (at once for a plain Handler);
  // 404 when no route has the path, 405 (with Allow) when routes have it for other methods.
  void dispatch(const core::HttpRequest& request, const Responder& respond) const;

 private:
  struct Route {
    std::string method;
    std::string path;
    bool prefix;
    AsyncHandler handler;
  };
  std::vector<Route> routes_;
};

// The path of a request target: "/a/b?x=1" -> "/a/b".
std::string_view target_path(std::string_view target);

core::HttpResponse text_response(int status, std::string body);

}  // namespace intsim::server
