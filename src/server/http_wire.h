// The bytes of an HTTP/1.x response, built in one buffer: one allocation and one send per
// answer, where assembling a Beast message and running its serializer cost a tenth of the
// server's CPU per webhook (bench/serve_bench.sh).
#pragma once

#include <string>
#include <string_view>

#include "src/core/http.h"

namespace intsim::server {

// Framing is the server's: Content-Length, Transfer-Encoding and Connection from a handler are
// ignored (the body written decides the length, the connection's state decides Connection).
bool is_framing_header(std::string_view name);

// "HTTP/1.<minor> <status> <reason>", the handler's headers in order (framing ones dropped, and
// any whose name or value holds CR or LF, which would split the response), Content-Length,
// Connection when it differs from the version's default (close on 1.1, keep-alive on 1.0), then
// the body. `version` is Beast's: 10 or 11.
std::string serialize_response(const core::HttpResponse& response, unsigned version,
                               bool keep_alive);

}  // namespace intsim::server
