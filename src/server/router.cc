#include "src/server/router.h"

#include "src/core/assert.h"

namespace intsim::server {

std::string_view target_path(std::string_view target) { return target.substr(0, target.find('?')); }

core::HttpResponse text_response(int status, std::string body) {
  core::HttpResponse response;
  response.status = status;
  response.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  response.body = std::move(body);
  return response;
}

namespace {

AsyncHandler answer_at_once(Handler handler) {
  INTSIM_ASSERT(handler != nullptr);
  return [handler = std::move(handler)](const core::HttpRequest& request, Responder respond) {
    respond(handler(request));
  };
}

}  // namespace

void Router::add(std::string method, std::string path, Handler handler) {
  add_async(std::move(method), std::move(path), answer_at_once(std::move(handler)));
}

void Router::add_prefix(std::string method, std::string prefix, Handler handler) {
  add_prefix_async(std::move(method), std::move(prefix), answer_at_once(std::move(handler)));
}

void Router::add_async(std::string method, std::string path, AsyncHandler handler) {
  INTSIM_ASSERT(handler != nullptr);
  routes_.push_back({std::move(method), std::move(path), false, std::move(handler)});
}

void Router::add_prefix_async(std::string method, std::string prefix, AsyncHandler handler) {
  INTSIM_ASSERT(handler != nullptr);
  routes_.push_back({std::move(method), std::move(prefix), true, std::move(handler)});
}

void Router::dispatch(const core::HttpRequest& request, const Responder& respond) const {
  const std::string_view path = target_path(request.target);
  const Route* best = nullptr;
  std::string allow;
  for (const Route& route : routes_) {
    const bool matches =
        route.prefix ? path.substr(0, route.path.size()) == route.path : path == route.path;
    if (!matches) continue;
    if (route.method != request.method) {
      if (allow.find(route.method) == std::string::npos) {
        if (!allow.empty()) allow += ", ";
        allow += route.method;
      }
      continue;
    }
    const bool better = best == nullptr || (best->prefix && !route.prefix) ||
                        (best->prefix && route.prefix && route.path.size() > best->path.size());
    if (better) best = &route;
  }
  if (best != nullptr) return best->handler(request, respond);
  if (!allow.empty()) {
    core::HttpResponse response = text_response(405, "method not allowed\n");
    response.headers.push_back({"Allow", allow});
    return respond(std::move(response));
  }
  respond(text_response(404, "not found\n"));
}

}  // namespace intsim::server
