// The HTTP client against real loopback peers: our own server, a peer that never answers, a
// closed port, a peer that speaks garbage, and a TLS peer with a certificate made on the spot.
#include "src/server/http_client.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <fstream>
#include <thread>

#include "src/server/http_server.h"
#include "src/server/system_ports.h"
#include "src/server/temp_dir_for_test.h"
#include "src/server/test_loopback.h"

namespace intsim::server {
namespace {

namespace net = testing::net;
namespace http = testing::http;
namespace beast = testing::beast;
namespace ssl = net::ssl;
using std::chrono::milliseconds;
using testing::run_until;
using testing::tcp;

struct Delivery {
  core::RequestId id;
  core::HttpResult result;
  core::TimeUs at_us;
};

class CollectingSink : public core::HttpResultSink {
 public:
  void on_http_result(core::RequestId id, core::HttpResult result, core::TimeUs now_us) override {
    deliveries.push_back({id, std::move(result), now_us});
  }
  std::vector<Delivery> deliveries;
};

class HttpClientTest : public ::testing::Test {
 protected:
  // A client with the given peers, its sink set.
  std::unique_ptr<BeastHttpClient> make_client(std::map<std::string, std::string, std::less<>> urls,
                                               std::string ca_file = "") {
    HttpClientOptions options;
    options.base_urls = std::move(urls);
    options.ca_file = std::move(ca_file);
    auto client = std::make_unique<BeastHttpClient>(io_, clock_, options);
    const core::Status st = client->init();
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    client->set_sink(&sink_);
    return client;
  }
  core::TimeUs in_ms(int ms) { return clock_.now_us() + ms * core::kUsPerMs; }
  bool wait_for(std::size_t deliveries, int timeout_ms = 3000) {
    return run_until(
        io_, [&] { return sink_.deliveries.size() >= deliveries; }, milliseconds(timeout_ms));
  }
  std::string url(std::string_view scheme, std::uint16_t port, std::string_view path = "") {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port) + std::string(path);
  }

  net::io_context io_;
  SystemClock clock_;
  CollectingSink sink_;
};

TEST(BaseUrl, ParsesSchemeHostPortAndPathPrefix) {
  BaseUrl b;
  ASSERT_TRUE(parse_base_url("https://api.stripe.com", &b));
  EXPECT_TRUE(b.tls);
  EXPECT_EQ(b.host, "api.stripe.com");
  EXPECT_EQ(b.port, "443");
  EXPECT_EQ(b.path_prefix, "");
  ASSERT_TRUE(parse_base_url("http://127.0.0.1:9000/graph/v19.0/", &b));
  EXPECT_FALSE(b.tls);
  EXPECT_EQ(b.host, "127.0.0.1");
  EXPECT_EQ(b.port, "9000");
  EXPECT_EQ(b.path_prefix, "/graph/v19.0");
  ASSERT_TRUE(parse_base_url("http://[::1]:81", &b));
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, "81");
  EXPECT_FALSE(parse_base_url("ftp://x", &b));
  EXPECT_FALSE(parse_base_url("http://", &b));
  EXPECT_FALSE(parse_base_url("http://x:0", &b));
  EXPECT_FALSE(parse_base_url("http://x:70000", &b));
  EXPECT_FALSE(parse_base_url("http://x:8a", &b));
}

TEST_F(HttpClientTest, InitNamesThePeerOfABadUrlAndAMissingCaFile) {
  HttpClientOptions options;
  options.base_urls = {{"stripe", "stripe.com"}};
  BeastHttpClient bad_url(io_, clock_, options);
  const core::Status st = bad_url.init();
  EXPECT_EQ(st.code(), core::Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("peer 'stripe'"), std::string::npos) << st.message();
  HttpClientOptions no_ca;
  no_ca.ca_file = "/nonexistent/ca.pem";
  BeastHttpClient bad_ca(io_, clock_, no_ca);
  const core::Status st2 = bad_ca.init();
  EXPECT_NE(st2.message().find("/nonexistent/ca.pem"), std::string::npos) << st2.message();
}

TEST_F(HttpClientTest, SendsToThePeersBaseUrlAndDeliversTheResponse) {
  Router router;
  router.add("POST", "/api/v1/payment_intents", [](const core::HttpRequest& r) {
    core::HttpResponse out;
    out.status = 402;  // any status is a response, not an error
    out.headers.push_back({"X-Host", std::string(r.header("host").value_or(""))});
    out.headers.push_back({"X-Key", std::string(r.header("idempotency-key").value_or(""))});
    out.body = "got " + r.body + " at " + r.target;
    return out;
  });
  HttpServer server(io_, std::move(router), {});
  ASSERT_TRUE(server.start());
  auto client = make_client({{"stripe", url("http", server.port(), "/api/")}});

  core::HttpRequest request{
      "POST", "/v1/payment_intents?expand=x", {{"Idempotency-Key", "k1"}}, "amount=100"};
  client->send(7, "stripe", request, in_ms(2000));
  EXPECT_TRUE(sink_.deliveries.empty()) << "delivered from inside send()";
  ASSERT_TRUE(wait_for(1));
  const Delivery& d = sink_.deliveries[0];
  EXPECT_EQ(d.id, 7u);
  ASSERT_TRUE(d.result.has_response()) << http_error_name(d.result.error);
  EXPECT_EQ(d.result.response.status, 402);
  EXPECT_EQ(d.result.response.body, "got amount=100 at /api/v1/payment_intents?expand=x");
  EXPECT_EQ(d.result.response.header("x-key"), "k1");
  EXPECT_EQ(d.result.response.header("x-host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(client->in_flight(), 0u);
  server.stop();
}

// A peer that accepts the connection and never answers: the result is kTimeout, at the
// deadline (not before it, not much after), and nothing else is delivered later.
TEST_F(HttpClientTest, APeerThatNeverAnswersTimesOutAtTheDeadlineExactlyOnce) {
  tcp::acceptor silent(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  tcp::socket held(io_);
  silent.async_accept(held, [](beast::error_code) {});
  auto client = make_client({{"slow", url("http", silent.local_endpoint().port())}});
  const core::TimeUs deadline_us = in_ms(200);
  client->send(1, "slow", {"GET", "/never", {}, ""}, deadline_us);
  ASSERT_TRUE(wait_for(1));
  const Delivery& d = sink_.deliveries[0];
  EXPECT_EQ(d.result.error, core::HttpError::kTimeout);
  EXPECT_GE(d.at_us, deadline_us);
  EXPECT_LT(d.at_us, deadline_us + 500 * core::kUsPerMs);
  run_until(
      io_, [] { return false; }, milliseconds(100));
  EXPECT_EQ(sink_.deliveries.size(), 1u);
  EXPECT_EQ(client->in_flight(), 0u);
}

// The configuration's per-peer timeout replaces the core's deadline: a far deadline from the
// core still times out after the peer's 150 ms, and a peer without one keeps the core's.
TEST_F(HttpClientTest, APeersConfiguredTimeoutReplacesTheCoresDeadline) {
  tcp::acceptor silent(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  tcp::socket held_a(io_);
  tcp::socket held_b(io_);
  silent.async_accept(
      held_a, [&](beast::error_code) { silent.async_accept(held_b, [](beast::error_code) {}); });
  const std::string silent_url = url("http", silent.local_endpoint().port());
  HttpClientOptions options;
  options.base_urls = {{"quick", silent_url}, {"default", silent_url}};
  options.timeouts_us = {{"quick", 150 * core::kUsPerMs}};
  BeastHttpClient client(io_, clock_, options);
  ASSERT_TRUE(client.init().is_ok());
  client.set_sink(&sink_);
  const core::TimeUs sent_us = clock_.now_us();
  client.send(1, "quick", {"GET", "/never", {}, ""}, in_ms(60'000));
  client.send(2, "default", {"GET", "/never", {}, ""}, in_ms(400));
  ASSERT_TRUE(wait_for(1));
  EXPECT_EQ(sink_.deliveries[0].id, 1u);
  EXPECT_EQ(sink_.deliveries[0].result.error, core::HttpError::kTimeout);
  EXPECT_GE(sink_.deliveries[0].at_us, sent_us + 150 * core::kUsPerMs);
  EXPECT_LT(sink_.deliveries[0].at_us, sent_us + 350 * core::kUsPerMs);
  ASSERT_TRUE(wait_for(2));
  EXPECT_EQ(sink_.deliveries[1].id, 2u);
  EXPECT_GE(sink_.deliveries[1].at_us, sent_us + 400 * core::kUsPerMs);
}

TEST_F(HttpClientTest, AClosedPortIsConnectionFailedAndAnUnknownPeerToo) {
  std::uint16_t closed_port = 0;
  {
    tcp::acceptor probe(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    closed_port = probe.local_endpoint().port();
  }
  auto client = make_client({{"down", url("http", closed_port)}});
  client->send(1, "down", {"GET", "/", {}, ""}, in_ms(2000));
  client->send(2, "nobody", {"GET", "/", {}, ""}, in_ms(2000));
  EXPECT_TRUE(sink_.deliveries.empty());
  ASSERT_TRUE(wait_for(2));
  for (const Delivery& d : sink_.deliveries) {
    EXPECT_EQ(d.result.error, core::HttpError::kConnectionFailed) << "request " << d.id;
  }
}

TEST_F(HttpClientTest, GarbageOrACutResponseIsMalformed) {
  tcp::acceptor peer(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  std::vector<std::string> replies = {"SMTP ready\r\n\r\n",
                                      "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort"};
  std::function<void()> accept_next = [&] {
    auto socket = std::make_shared<tcp::socket>(io_);
    peer.async_accept(*socket, [&, socket](beast::error_code ec) {
      if (ec || replies.empty()) return;
      sockets.push_back(socket);
      auto reply = std::make_shared<std::string>(replies.front());
      replies.erase(replies.begin());
      net::async_write(*socket, net::buffer(*reply),
                       [socket, reply](beast::error_code, std::size_t) {
                         beast::error_code ignored;
                         socket->shutdown(tcp::socket::shutdown_both, ignored);
                         socket->close(ignored);
                       });
      accept_next();
    });
  };
  accept_next();
  auto client = make_client({{"odd", url("http", peer.local_endpoint().port())}});
  client->send(1, "odd", {"GET", "/", {}, ""}, in_ms(2000));
  ASSERT_TRUE(wait_for(1));
  client->send(2, "odd", {"GET", "/", {}, ""}, in_ms(2000));
  ASSERT_TRUE(wait_for(2));
  EXPECT_EQ(sink_.deliveries[0].result.error, core::HttpError::kMalformedResponse);
  EXPECT_EQ(sink_.deliveries[1].result.error, core::HttpError::kMalformedResponse);
}

// ---- TLS ----------------------------------------------------------------------------------

struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed certificate for `subject_alt_name` ("IP:127.0.0.1"), made with OpenSSL so the
// test needs no files.
TestCertificate make_certificate(const char* subject_alt_name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  INTSIM_ASSERT(key != nullptr);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  // A distinct subject per certificate: OpenSSL finds trust anchors by subject name, and two
  // anchors with one name would make verification fail for the wrong reason.
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(subject_alt_name), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  const std::pair<int, const char*> extensions[] = {
      {NID_subject_alt_name, subject_alt_name},
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,digitalSignature,keyCertSign"}};
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    INTSIM_ASSERT(ext != nullptr);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  INTSIM_ASSERT(X509_sign(cert, key, EVP_sha256()) > 0);
  auto to_pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return pem;
  };
  TestCertificate out;
  out.cert_pem = to_pem([&](BIO* bio) { PEM_write_bio_X509(bio, cert); });
  out.key_pem = to_pem(
      [&](BIO* bio) { PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr); });
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

// Accepts TLS connections on 127.0.0.1 and answers every request 200 "tls ok <target>".
class TlsPeer {
 public:
  TlsPeer(net::io_context& io, const TestCertificate& certificate)
      : io_(io),
        context_(ssl::context::tls_server),
        acceptor_(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    context_.use_certificate_chain(net::buffer(certificate.cert_pem));
    context_.use_private_key(net::buffer(certificate.key_pem), ssl::context::pem);
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  struct Connection {
    Connection(tcp::socket s, ssl::context& c) : stream(std::move(s), c) {}
    beast::ssl_stream<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
  };
  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto c = std::make_shared<Connection>(std::move(socket), context_);
      c->stream.async_handshake(ssl::stream_base::server, [c](beast::error_code ec) {
        if (ec) return;  // the client refused our certificate
        http::async_read(c->stream, c->buffer, c->request, [c](beast::error_code ec, std::size_t) {
          if (ec) return;
          c->response = {http::status::ok, 11};
          c->response.body() = "tls ok " + std::string(c->request.target());
          c->response.prepare_payload();
          http::async_write(c->stream, c->response, [c](beast::error_code, std::size_t) {});
        });
      });
      accept();
    });
  }
  net::io_context& io_;
  ssl::context context_;
  tcp::acceptor acceptor_;
};

TEST_F(HttpClientTest, HttpsVerifiesTheCertificateAgainstTheConfiguredCaAndTheHostName) {
  const TestCertificate right = make_certificate("IP:127.0.0.1");
  const TestCertificate wrong_name = make_certificate("IP:127.0.0.2");
  TempDir dir;
  const std::string ca_file = dir.file("ca.pem");
  std::ofstream(ca_file) << right.cert_pem << wrong_name.cert_pem;
  TlsPeer peer(io_, right);
  TlsPeer impostor(io_, wrong_name);

  auto trusting = make_client(
      {{"stripe", url("https", peer.port())}, {"impostor", url("https", impostor.port())}},
      ca_file);
  trusting->send(1, "stripe", {"GET", "/v1/charges", {}, ""}, in_ms(3000));
  ASSERT_TRUE(wait_for(1));
  ASSERT_TRUE(sink_.deliveries[0].result.has_response())
      << http_error_name(sink_.deliveries[0].result.error);
  EXPECT_EQ(sink_.deliveries[0].result.response.body, "tls ok /v1/charges");

  // A trusted certificate for another host (127.0.0.2) must not be accepted for 127.0.0.1.
  trusting->send(2, "impostor", {"GET", "/", {}, ""}, in_ms(3000));
  ASSERT_TRUE(wait_for(2));
  EXPECT_EQ(sink_.deliveries[1].result.error, core::HttpError::kConnectionFailed);

  // Without the CA file the self-signed certificate is not trusted.
  auto default_trust = make_client({{"stripe", url("https", peer.port())}});
  default_trust->send(3, "stripe", {"GET", "/", {}, ""}, in_ms(3000));
  ASSERT_TRUE(wait_for(3));
  EXPECT_EQ(sink_.deliveries[2].result.error, core::HttpError::kConnectionFailed);
}

}  // namespace
}  // namespace intsim::server
