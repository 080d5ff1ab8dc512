// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/kube/rest_client.h"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "client_test_util.h"
#include "internal/tls/certs.h"
#include "kube/rate_limiter.h"
#include "test_util.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/testing/fake_clock.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {
namespace {

using test::SeenRequest;
using test::TestServer;
namespace ihttp = vkubelet::internal::http;
namespace tls = vkubelet::internal::tls;

// The suite runs once per transport (see tests/kube/meson.build).
ClientConfig BaseConfig() {
  ClientConfig cfg;
  const char* t = getenv("VKUBELET_TEST_HTTP_TRANSPORT");
  cfg.transport = t != nullptr && std::string_view(t) == "cpprest" ? HttpTransportKind::kCppRest
                                                                   : HttpTransportKind::kNative;
  return cfg;
}

ClientConfig ConfigFor(const TestServer& server) {
  ClientConfig cfg = BaseConfig();
  cfg.server = server.url();
  cfg.retry.initial_backoff = absl::Milliseconds(1);
  cfg.retry.max_backoff = absl::Milliseconds(5);
  return cfg;
}

std::shared_ptr<RestClient> MustCreate(ClientConfig cfg, const Clock* clock = Clock::Real()) {
  auto c = RestClient::Create(std::move(cfg), clock);
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  return *c;
}

bool Contains(const absl::Status& s, std::string_view needle) {
  return absl::StrContains(s.message(), absl::string_view(needle.data(), needle.size()));
}

void SendText(const std::shared_ptr<ihttp::Response>& resp, int code, const std::string& body,
              ihttp::Headers extra = {}) {
  ihttp::Headers h = {{"Content-Type", "text/plain"}};
  for (const auto& e : extra) h.Add(e.first, e.second);
  resp->Send(code, h, body);
}

TEST_CASE("request line, headers and query encoding") {
  TestServer server;
  server.SetHandler([](const SeenRequest&, std::shared_ptr<ihttp::Response> resp) {
    resp->Send(200, {{"Content-Type", "application/json"}, {"X-Test", "yes"}}, R"({"ok":true})");
  });
  ClientConfig cfg = ConfigFor(server);
  cfg.server += "/prefix/";  // a path prefix (and a trailing slash) is allowed
  cfg.bearer_token = "secret-token";
  auto client = MustCreate(cfg);
  RestRequest req;
  req.path = "/api/v1/namespaces/default/pods";
  req.query = {{"fieldSelector", "spec.nodeName=node-1,status.phase!=Failed"},
               {"labelSelector", "app in (a, b)"},
               {"limit", "500"}};
  absl::StatusOr<RestResponse> resp = client->Do(Context::Background(), req);
  VK_REQUIRE_OK(resp);
  CHECK(resp->status_code == 200);
  CHECK(resp->body == R"({"ok":true})");
  CHECK(resp->Header("x-test") == "yes");
  CHECK(resp->content_type == "application/json");

  auto seen = server.Requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].path == "/prefix/api/v1/namespaces/default/pods");
  CHECK(seen[0].Query("fieldSelector") == "spec.nodeName=node-1,status.phase!=Failed");
  CHECK(seen[0].Query("labelSelector") == "app in (a, b)");
  CHECK(seen[0].Query("limit") == "500");
  CHECK(seen[0].headers.Get("Accept") == "application/vnd.kubernetes.protobuf, application/json");
  CHECK(seen[0].headers.Get("Authorization") == "Bearer secret-token");
  CHECK(absl::StartsWith(seen[0].headers.Get("User-Agent"), "vkubelet/" VKUBELET_VERSION));
  CHECK(client->DefaultAccept() == "application/vnd.kubernetes.protobuf, application/json");

  // JSON-only configuration and an explicit Accept.
  cfg.content_type = ContentType::kJson;
  cfg.user_agent = "my-provider/1.2";
  auto json_client = MustCreate(cfg);
  req.accept = "";
  VK_REQUIRE_OK(json_client->Do(Context::Background(), req));
  seen = server.Requests();
  CHECK(seen.back().headers.Get("Accept") == "application/json");
  CHECK(seen.back().headers.Get("User-Agent") == "my-provider/1.2");
}

TEST_CASE("request bodies keep their media type") {
  TestServer server;
  server.SetHandler([](const SeenRequest& r, std::shared_ptr<ihttp::Response> resp) {
    resp->Send(201, {{"Content-Type", r.headers.Get("Content-Type")}}, r.body);
  });
  auto client = MustCreate(ConfigFor(server));
  RestRequest req;
  req.method = "POST";
  req.path = "/api/v1/namespaces/default/configmaps";
  req.body = std::string("k8s\0binary\xff", 11);
  req.content_type = std::string(kProtobufMediaType);
  auto resp = client->Do(Context::Background(), req);
  VK_REQUIRE_OK(resp);
  CHECK(resp->status_code == 201);
  CHECK(resp->body == req.body);
  CHECK(server.Requests()[0].headers.Get("Content-Type") == "application/vnd.kubernetes.protobuf");

  req.method = "PATCH";
  req.body = R"({"metadata":{"labels":{"a":"b"}}})";
  req.content_type = std::string(kStrategicMergePatchMediaType);
  VK_REQUIRE_OK(client->Do(Context::Background(), req));
  CHECK(server.Requests()[1].method == "PATCH");
  CHECK(server.Requests()[1].headers.Get("Content-Type") == "application/strategic-merge-patch+json");
  CHECK(server.Requests()[1].body == req.body);
}

TEST_CASE("errors are decoded from meta/v1 Status in protobuf and JSON") {
  TestServer server;
  const std::string pb = test::ReadTestdata("kube-apiserver-1.28.7/status-notfound.pb");
  const std::string json = test::ReadTestdata("kube-apiserver-1.28.7/status-conflict.json");
  server.SetHandler([&](const SeenRequest& r, std::shared_ptr<ihttp::Response> resp) {
    if (r.path == "/pb") {
      resp->Send(404, {{"Content-Type", "application/vnd.kubernetes.protobuf"}}, pb);
    } else if (r.path == "/json") {
      resp->Send(409, {{"Content-Type", "application/json"}}, json);
    } else if (r.path == "/html") {
      resp->Send(403, {{"Content-Type", "text/html"}}, "<html>forbidden by proxy</html>");
    } else {
      resp->Send(400, {{"Content-Type", "application/json"}}, "{not json");
    }
  });
  auto client = MustCreate(ConfigFor(server));
  RestRequest req;
  req.path = "/pb";
  absl::Status s = client->Do(Context::Background(), req).status();
  CHECK(errdefs::IsNotFound(s));
  CHECK(s.message() == "pods \"nosuch\" not found");
  metav1::Status st;
  REQUIRE(errdefs::GetKubernetesStatus(s, &st));
  CHECK(st.reason() == "NotFound");
  CHECK(st.details().name() == "nosuch");
  CHECK(HttpStatusOf(s) == 404);

  req.path = "/json";
  req.method = "PUT";
  s = client->Do(Context::Background(), req).status();
  CHECK(errdefs::IsConflict(s));
  CHECK(Contains(s, "the object has been modified"));
  CHECK(HttpStatusOf(s) == 409);

  req.path = "/html";
  req.method = "GET";
  s = client->Do(Context::Background(), req).status();
  CHECK(errdefs::IsForbidden(s));
  CHECK(Contains(s, "HTTP 403"));
  CHECK(Contains(s, "forbidden by proxy"));
  CHECK(HttpStatusOf(s) == 403);

  req.path = "/garbage";
  s = client->Do(Context::Background(), req).status();
  CHECK(errdefs::IsInvalidInput(s));
  CHECK(HttpStatusOf(s) == 400);
  CHECK(server.RequestCount() == 4);  // none of these are retried
}

TEST_CASE("500 three times then success: idempotent requests are retried") {
  TestServer server;
  std::atomic<int> calls{0};
  server.SetHandler([&](const SeenRequest&, std::shared_ptr<ihttp::Response> resp) {
    if (calls.fetch_add(1) < 3) {
      SendText(resp, 500, "internal error");
    } else {
      resp->Send(200, {{"Content-Type", "application/json"}}, "{}");
    }
  });
  auto client = MustCreate(ConfigFor(server));
  RestRequest req;
  req.path = "/api/v1/pods";
  auto resp = client->Do(Context::Background(), req);
  VK_REQUIRE_OK(resp);
  CHECK(server.RequestCount() == 4);
  RequestMetrics m = client->Metrics();
  CHECK(m.retries == 3);
  uint64_t errors = 0, ok = 0;
  for (const auto& s : m.requests) {
    CHECK(s.method == "GET");
    if (s.code == 500) errors = s.count;
    if (s.code == 200) ok = s.count;
  }
  CHECK(errors == 3);
  CHECK(ok == 1);
}

TEST_CASE("POST and PATCH are not retried after a 500 unless the server sends Retry-After") {
  TestServer server;
  std::atomic<int> calls{0};
  server.SetHandler([&](const SeenRequest& r, std::shared_ptr<ihttp::Response> resp) {
    int n = calls.fetch_add(1);
    if (r.path == "/retry-after" && n == 0) {
      SendText(resp, 503, "busy", {{"Retry-After", "0"}});
    } else if (r.path == "/retry-after") {
      resp->Send(201, {{"Content-Type", "application/json"}}, "{}");
    } else {
      SendText(resp, 500, "boom");
    }
  });
  auto client = MustCreate(ConfigFor(server));
  RestRequest req;
  req.method = "POST";
  req.path = "/plain";
  req.body = "{}";
  absl::Status s = client->Do(Context::Background(), req).status();
  CHECK(s.code() == absl::StatusCode::kInternal);
  CHECK(server.RequestCount() == 1);
  req.method = "PATCH";
  s = client->Do(Context::Background(), req).status();
  CHECK(s.code() == absl::StatusCode::kInternal);
  CHECK(server.RequestCount() == 2);

  calls = 0;
  req.method = "POST";
  req.path = "/retry-after";
  VK_CHECK_OK(client->Do(Context::Background(), req));
  CHECK(server.RequestCount() == 4);
}

TEST_CASE("the number of retries is bounded") {
  TestServer server;
  server.SetHandler([](const SeenRequest&, std::shared_ptr<ihttp::Response> resp) { SendText(resp, 503, "down"); });
  ClientConfig cfg = ConfigFor(server);
  cfg.retry.max_retries = 2;
  auto client = MustCreate(cfg);
  RestRequest req;
  req.path = "/x";
  absl::Status s = client->Do(Context::Background(), req).status();
  CHECK(errdefs::IsUnavailable(s));
  CHECK(server.RequestCount() == 3);

  cfg.retry.max_retries = 0;
  client = MustCreate(cfg);
  s = client->Do(Context::Background(), req).status();
  CHECK(errdefs::IsUnavailable(s));
  CHECK(server.RequestCount() == 4);
}

TEST_CASE("429 with Retry-After is retried after the delay") {
  TestServer server;
  std::atomic<int> calls{0};
  server.SetHandler([&](const SeenRequest&, std::shared_ptr<ihttp::Response> resp) {
    if (calls.fetch_add(1) == 0) {
      metav1::Status st;
      st.set_status("Failure");
      st.set_reason("TooManyRequests");
      st.set_message("too many requests, please try again later");
      st.set_code(429);
      auto body = EncodeProtobuf(st, "v1", "Status");
      REQUIRE(body.ok());
      resp->Send(429, {{"Content-Type", "application/vnd.kubernetes.protobuf"}, {"Retry-After", "7"}}, *body);
    } else {
      resp->Send(201, {{"Content-Type", "application/json"}}, "{}");
    }
  });
  testing::FakeClock clock;
  auto client = MustCreate(ConfigFor(server), &clock);
  RestRequest req;
  req.method = "POST";  // 429 is retried for any method
  req.path = "/api/v1/namespaces/default/events";
  req.body = "{}";
  absl::StatusOr<RestResponse> result;
  absl::Notification done;
  std::thread t([&] {
    result = client->Do(Context::Background(), req);
    done.Notify();
  });
  REQUIRE(server.AwaitRequests(1));
  REQUIRE(clock.AwaitWaiters(1));
  clock.Advance(absl::Seconds(6));
  CHECK_FALSE(done.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
  CHECK(server.RequestCount() == 1);  // still waiting out Retry-After
  clock.Advance(absl::Seconds(1));
  REQUIRE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  t.join();
  VK_REQUIRE_OK(result);
  CHECK(result->status_code == 201);
  CHECK(server.RequestCount() == 2);
}

TEST_CASE("a Retry-After longer than the deadline ends the request with the server's error") {
  TestServer server;
  server.SetHandler([](const SeenRequest&, std::shared_ptr<ihttp::Response> resp) {
    SendText(resp, 429, "slow down", {{"Retry-After", "60"}});
  });
  auto client = MustCreate(ConfigFor(server));
  RestRequest req;
  req.path = "/x";
  absl::Status s = client->Do(Context::Background().WithTimeout(absl::Seconds(5)), req).status();
  CHECK(errdefs::IsTooManyRequests(s));
  REQUIRE(errdefs::RetryAfter(s).has_value());
  CHECK(*errdefs::RetryAfter(s) == absl::Seconds(60));
  CHECK(server.RequestCount() == 1);
}

TEST_CASE("connection refused is retried, then reported as Unavailable") {
  int port;
  {
    TestServer probe;
    port = probe.port();
  }  // closed: nothing listens on the port now
  ClientConfig cfg = BaseConfig();
  cfg.server = "http://127.0.0.1:" + std::to_string(port);
  cfg.retry.max_retries = 2;
  cfg.retry.initial_backoff = absl::Milliseconds(1);
  auto client = MustCreate(cfg);
  RestRequest req;
  req.method = "POST";  // nothing was sent, so even POST may be retried
  req.path = "/x";
  absl::Status s = client->Do(Context::Background(), req).status();
  CHECK(errdefs::IsUnavailable(s));
  CHECK(Contains(s, "connection refused"));
  CHECK(client->Metrics().retries == 2);
  CHECK(HttpStatusOf(s) == 0);
}

TEST_CASE("deadline and cancellation end a request in flight") {
  TestServer server;
  absl::Notification release;
  server.SetHandler([&](const SeenRequest&, std::shared_ptr<ihttp::Response> resp) {
    // Answer only when the test says so (or the client goes away).
    while (!release.HasBeenNotified() && !resp->context().Done()) absl::SleepFor(absl::Milliseconds(5));
    SendText(resp, 200, "late");
  });
  auto client = MustCreate(ConfigFor(server));
  RestRequest req;
  req.path = "/slow";
  absl::Time start = absl::Now();
  absl::Status s = client->Do(Context::Background().WithTimeout(absl::Milliseconds(100)), req).status();
  CHECK(s.code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(absl::Now() - start < absl::Seconds(5));
  CHECK(server.RequestCount() == 1);  // a timed-out request is not retried

  auto [ctx, cancel] = Context::Background().WithCancel();
  std::thread canceller([&, cancel = cancel] {
    server.AwaitRequests(2);
    cancel();
  });
  s = client->Do(ctx, req).status();
  canceller.join();
  CHECK(s.code() == absl::StatusCode::kCancelled);
  release.Notify();

  // Already cancelled: nothing is sent.
  s = client->Do(ctx, req).status();
  CHECK(s.code() == absl::StatusCode::kCancelled);
  CHECK(server.RequestCount() == 2);
}

TEST_CASE("a response body cut off by a connection reset: GET is retried, POST is not") {
  TestServer server;
  std::atomic<int> calls{0};
  server.SetHandler([&](const SeenRequest&, std::shared_ptr<ihttp::Response> resp) {
    if (calls.fetch_add(1) % 2 == 0) {
      // Headers promise 100 bytes; 10 arrive, then the connection drops.
      auto conn = resp->Hijack();
      REQUIRE(conn.ok());
      (*conn)->Start([](std::string_view) {}, [](const absl::Status&) {});
      (*conn)->Write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"partial\"");
      absl::SleepFor(absl::Milliseconds(20));
      (*conn)->Abort();
    } else {
      resp->Send(200, {{"Content-Type", "application/json"}}, R"({"whole":true})");
    }
  });
  auto client = MustCreate(ConfigFor(server));
  RestRequest req;
  req.path = "/x";
  auto resp = client->Do(Context::Background(), req);
  VK_REQUIRE_OK(resp);
  CHECK(resp->body == R"({"whole":true})");
  CHECK(server.RequestCount() == 2);

  req.method = "POST";
  req.body = "{}";
  absl::Status s = client->Do(Context::Background(), req).status();
  CHECK(errdefs::IsUnavailable(s));
  CHECK(server.RequestCount() == 3);
}

TEST_CASE("connections are reused") {
  TestServer server;
  server.SetHandler([](const SeenRequest&, std::shared_ptr<ihttp::Response> resp) { SendText(resp, 200, "ok"); });
  auto client = MustCreate(ConfigFor(server));
  RestRequest req;
  req.path = "/x";
  for (int i = 0; i < 20; ++i) VK_REQUIRE_OK(client->Do(Context::Background(), req));
  // A finished exchange goes back to the pool a moment after the caller has
  // its response, so a second connection may be opened; never one per request.
  std::set<std::string> peers;
  for (const auto& r : server.Requests()) peers.insert(r.remote_address);
  CHECK(peers.size() <= 3);
}

TEST_CASE("a kept-alive connection the server closed is replaced, and a POST is sent once") {
  if (BaseConfig().transport == HttpTransportKind::kCppRest) {
    // cpprestsdk reuses the dead connection and the POST fails ("Failed to
    // write request body"); documented at HttpTransportKind::kCppRest.
    return;
  }
  TestServer server(std::nullopt, 0, absl::Milliseconds(50));  // closes idle connections after 50 ms
  server.SetHandler([](const SeenRequest&, std::shared_ptr<ihttp::Response> resp) { SendText(resp, 200, "ok"); });
  auto client = MustCreate(ConfigFor(server));
  RestRequest req;
  req.path = "/x";
  VK_REQUIRE_OK(client->Do(Context::Background(), req));
  absl::SleepFor(absl::Milliseconds(500));  // well past the server's idle timeout
  req.method = "POST";
  req.body = "{}";
  auto resp = client->Do(Context::Background(), req);
  VK_REQUIRE_OK(resp);
  CHECK(resp->body == "ok");
  std::vector<SeenRequest> seen = server.Requests();
  REQUIRE(seen.size() == 2);  // the POST arrived exactly once
  CHECK(seen[0].remote_address != seen[1].remote_address);
  CHECK(client->Metrics().retries == 0);
}

TEST_CASE("client-side rate limit: burst, then qps, waiting on the clock") {
  TestServer server;
  server.SetHandler([](const SeenRequest&, std::shared_ptr<ihttp::Response> resp) { SendText(resp, 200, "ok"); });
  testing::FakeClock clock;
  ClientConfig cfg = ConfigFor(server);
  cfg.qps = 2;
  cfg.burst = 3;
  auto client = MustCreate(cfg, &clock);
  RestRequest req;
  req.path = "/x";
  for (int i = 0; i < 3; ++i) VK_REQUIRE_OK(client->Do(Context::Background(), req));  // the burst
  absl::Notification done;
  std::thread t([&] {
    CHECK(client->Do(Context::Background(), req).ok());
    done.Notify();
  });
  REQUIRE(clock.AwaitWaiters(1));
  CHECK(server.RequestCount() == 3);
  clock.Advance(absl::Milliseconds(500));  // one token at 2 qps
  REQUIRE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  t.join();
  CHECK(server.RequestCount() == 4);
  RequestMetrics m = client->Metrics();
  CHECK(m.rate_limited == 1);
  CHECK(m.rate_limiter_wait_seconds == doctest::Approx(0.5));

  // A wait that would pass the deadline fails at once without a request.
  absl::Status s = client->Do(Context::Background().WithTimeout(absl::Milliseconds(100)), req).status();
  CHECK(s.code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(Contains(s, "rate limiter"));
  CHECK(server.RequestCount() == 4);
}

TEST_CASE("token bucket") {
  testing::FakeClock clock;
  internal::TokenBucket bucket(10, 2, &clock);
  CHECK(bucket.TryAccept());
  CHECK(bucket.TryAccept());
  CHECK_FALSE(bucket.TryAccept());
  clock.Advance(absl::Milliseconds(100));
  CHECK(bucket.TryAccept());
  clock.Advance(absl::Seconds(10));  // refills to the burst, not beyond
  CHECK(bucket.TryAccept());
  CHECK(bucket.TryAccept());
  CHECK_FALSE(bucket.TryAccept());
  // A cancelled wait gives its reservation back.
  auto [ctx, cancel] = Context::Background().WithCancel();
  std::thread t([&, cancel = cancel] {
    clock.AwaitWaiters(1);
    cancel();
  });
  CHECK(bucket.Wait(ctx).code() == absl::StatusCode::kCancelled);
  t.join();
  clock.Advance(absl::Milliseconds(100));
  CHECK(bucket.TryAccept());

  internal::TokenBucket unlimited(0, 0, &clock);
  for (int i = 0; i < 1000; ++i) CHECK(unlimited.TryAccept());
}

TEST_CASE("streams deliver chunks as they arrive; Close ends a blocked read") {
  TestServer server;
  std::shared_ptr<ihttp::Response> stream;
  absl::Mutex mu;
  server.SetHandler([&](const SeenRequest&, std::shared_ptr<ihttp::Response> resp) {
    absl::MutexLock lock(&mu);
    stream = resp;
    resp->StartStream(200, {{"Content-Type", "application/json"}});
    resp->Write("first\n");
  });
  auto client = MustCreate(ConfigFor(server));
  RestRequest req;
  req.path = "/api/v1/pods";
  req.query = {{"watch", "true"}};
  auto s = client->Stream(Context::Background(), req);
  VK_REQUIRE_OK(s);
  CHECK((*s)->status_code() == 200);
  CHECK((*s)->content_type() == "application/json");
  CHECK(client->Metrics().open_streams == 1);
  std::string got;
  while (got.size() < 6) {
    auto more = (*s)->Read(&got);
    VK_REQUIRE_OK(more);
    REQUIRE(*more);
  }
  CHECK(got == "first\n");  // delivered before anything else was written
  {
    absl::MutexLock lock(&mu);
    stream->Write("second\n");
  }
  got.clear();
  while (got.size() < 7) REQUIRE(*(*s)->Read(&got));
  CHECK(got == "second\n");

  std::thread closer([&] {
    absl::SleepFor(absl::Milliseconds(50));
    (*s)->Close();
  });
  auto r = (*s)->Read(&got);
  closer.join();
  CHECK(r.status().code() == absl::StatusCode::kCancelled);
  s->reset();
  CHECK(client->Metrics().open_streams == 0);
}

TEST_CASE("a stream answered with an error status returns the error at once; 429 is retried") {
  TestServer server;
  std::atomic<int> calls{0};
  server.SetHandler([&](const SeenRequest&, std::shared_ptr<ihttp::Response> resp) {
    int n = calls.fetch_add(1);
    if (n == 0) {
      SendText(resp, 429, "slow down", {{"Retry-After", "0"}});
    } else if (n == 1) {
      SendText(resp, 403, "no watching");
    } else {
      resp->StartStream(200, {{"Content-Type", "application/json"}});
      resp->Write("event\n");
      resp->Finish();
    }
  });
  auto client = MustCreate(ConfigFor(server));
  RestRequest req;
  req.path = "/api/v1/pods";
  req.query = {{"watch", "true"}};
  absl::Time start = absl::Now();
  auto s = client->Stream(Context::Background().WithTimeout(absl::Seconds(20)), req);
  CHECK(errdefs::IsForbidden(s.status()));
  CHECK(absl::Now() - start < absl::Seconds(10));
  CHECK(server.RequestCount() == 2);
  s = client->Stream(Context::Background().WithTimeout(absl::Seconds(20)), req);
  VK_REQUIRE_OK(s);
  std::string got;
  for (;;) {
    auto more = (*s)->Read(&got);
    VK_REQUIRE_OK(more);
    if (!*more) break;
  }
  CHECK(got == "event\n");
}

TEST_CASE("a stream ends cleanly or with an error when the connection breaks") {
  TestServer server;
  server.SetHandler([&](const SeenRequest& r, std::shared_ptr<ihttp::Response> resp) {
    if (r.path == "/clean") {
      resp->StartStream(200, {{"Content-Type", "application/json"}});
      resp->Write("a");
      resp->Write("b");
      resp->Finish();
    } else {
      // A chunked response cut off in the middle.
      auto conn = resp->Hijack();
      REQUIRE(conn.ok());
      (*conn)->Start([](std::string_view) {}, [](const absl::Status&) {});
      (*conn)->Write(
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
      absl::SleepFor(absl::Milliseconds(50));
      (*conn)->Abort();
    }
  });
  auto client = MustCreate(ConfigFor(server));
  RestRequest req;
  req.path = "/clean";
  auto s = client->Stream(Context::Background(), req);
  VK_REQUIRE_OK(s);
  std::string got;
  absl::StatusOr<bool> more;
  while ((more = (*s)->Read(&got)).ok() && *more) {
  }
  VK_CHECK_OK(more);
  CHECK(got == "ab");

  req.path = "/cut";
  s = client->Stream(Context::Background(), req);
  VK_REQUIRE_OK(s);
  got.clear();
  while ((more = (*s)->Read(&got)).ok() && *more) {
  }
  CHECK(got == "hello");
  CHECK(errdefs::IsUnavailable(more.status()));
}

TEST_CASE("a stream ends when its context is cancelled") {
  TestServer server;
  absl::Mutex mu;
  std::shared_ptr<ihttp::Response> open;  // kept, so the stream stays open
  server.SetHandler([&](const SeenRequest&, std::shared_ptr<ihttp::Response> resp) {
    resp->StartStream(200, {{"Content-Type", "application/json"}});
    absl::MutexLock lock(&mu);
    open = resp;
  });
  auto client = MustCreate(ConfigFor(server));
  RestRequest req;
  req.path = "/watch";
  auto [ctx, cancel] = Context::Background().WithCancel();
  auto s = client->Stream(ctx, req);
  VK_REQUIRE_OK(s);
  std::thread t([cancel = cancel] {
    absl::SleepFor(absl::Milliseconds(50));
    cancel();
  });
  std::string got;
  auto r = (*s)->Read(&got);
  t.join();
  CHECK(r.status().code() == absl::StatusCode::kCancelled);
}

// --- TLS -------------------------------------------------------------------------

struct Pki {
  tls::CertKeyPem ca;
  tls::CertKeyPem server;
  tls::CertKeyPem client;
  Pki() {
    auto c = tls::GenerateCa({});
    REQUIRE(c.ok());
    ca = *c;
    tls::LeafOptions s;
    s.common_name = "apiserver";
    s.dns_names = {"kubernetes.default.svc"};
    s.ip_addresses = {"127.0.0.1"};
    auto sc = tls::IssueCertificate(ca, s);
    REQUIRE(sc.ok());
    server = *sc;
    tls::LeafOptions cl;
    cl.common_name = "system:node:vk-1";
    cl.organizations = {"system:nodes"};
    cl.server_auth = false;
    cl.client_auth = true;
    auto cc = tls::IssueCertificate(ca, cl);
    REQUIRE(cc.ok());
    client = *cc;
  }
};

TEST_CASE("TLS: CA, client certificate from files, insecure, and the server name") {
  Pki pki;
  ihttp::ServerTlsOptions tls_opts;
  tls_opts.cert_pem = pki.server.cert_pem;
  tls_opts.key_pem = pki.server.key_pem;
  tls_opts.client_ca_pem = pki.ca.cert_pem;
  TestServer server(tls_opts);
  server.SetHandler([](const SeenRequest& r, std::shared_ptr<ihttp::Response> resp) {
    SendText(resp, 200, r.client_cn.empty() ? "anonymous" : r.client_cn);
  });
  test::TempDir dir;
  RestRequest req;
  req.path = "/api";

  ClientConfig cfg = BaseConfig();
  cfg.server = server.url(true);
  cfg.retry.max_retries = 0;
  cfg.tls.ca_file = dir.Write("ca.crt", pki.ca.cert_pem);
  cfg.tls.cert_file = dir.Write("client.crt", pki.client.cert_pem);
  cfg.tls.key_file = dir.Write("client.key", pki.client.key_pem);
  auto resp = MustCreate(cfg)->Do(Context::Background(), req);
  VK_REQUIRE_OK(resp);
  CHECK(resp->body == "system:node:vk-1");

  // Inline PEM, no client certificate.
  ClientConfig inline_cfg = BaseConfig();
  inline_cfg.server = server.url(true);
  inline_cfg.tls.ca_pem = pki.ca.cert_pem;
  resp = MustCreate(inline_cfg)->Do(Context::Background(), req);
  VK_REQUIRE_OK(resp);
  CHECK(resp->body == "anonymous");

  // Without the CA the server is not trusted.
  ClientConfig untrusted = BaseConfig();
  untrusted.server = server.url(true);
  untrusted.retry.max_retries = 0;
  absl::Status s = MustCreate(untrusted)->Do(Context::Background(), req).status();
  CHECK(errdefs::IsUnavailable(s));

  // ...unless verification is skipped.
  untrusted.tls.insecure = true;
  VK_CHECK_OK(MustCreate(untrusted)->Do(Context::Background(), req));

  // The certificate names kubernetes.default.svc and 127.0.0.1 but not
  // "localhost"; tls-server-name makes a connection to localhost verify.
  ClientConfig by_name = BaseConfig();
  by_name.server = "https://localhost:" + std::to_string(server.port());
  by_name.retry.max_retries = 0;
  by_name.tls.ca_pem = pki.ca.cert_pem;
  CHECK_FALSE(MustCreate(by_name)->Do(Context::Background(), req).ok());
  by_name.tls.server_name = "kubernetes.default.svc";
  VK_CHECK_OK(MustCreate(by_name)->Do(Context::Background(), req));
}

TEST_CASE("large bodies arrive whole: Content-Length and chunked, plain and TLS") {
  Pki pki;
  ihttp::ServerTlsOptions tls_opts;
  tls_opts.cert_pem = pki.server.cert_pem;
  tls_opts.key_pem = pki.server.key_pem;
  std::string big(5 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7 + i / 1000) % 26);
  auto handler = [&](const SeenRequest& r, std::shared_ptr<ihttp::Response> resp) {
    if (r.path == "/chunked") {
      resp->StartStream(200, {{"Content-Type", "application/json"}});
      for (size_t off = 0; off < big.size(); off += 300000) resp->Write(big.substr(off, 300000));
      resp->Finish();
    } else {
      resp->Send(200, {{"Content-Type", "application/json"}}, big);
    }
  };
  for (bool tls : {false, true}) {
    CAPTURE(tls);
    TestServer server(tls ? std::optional<ihttp::ServerTlsOptions>(tls_opts) : std::nullopt);
    server.SetHandler(handler);
    ClientConfig cfg = ConfigFor(server);
    cfg.server = server.url(tls);
    cfg.tls.ca_pem = pki.ca.cert_pem;
    auto client = MustCreate(cfg);
    for (const char* path : {"/length", "/chunked", "/length"}) {
      CAPTURE(path);
      RestRequest req;
      req.path = path;
      auto resp = client->Do(Context::Background(), req);
      VK_REQUIRE_OK(resp);
      CHECK(resp->body.size() == big.size());
      CHECK(resp->body == big);
    }
  }
}

TEST_CASE("bad TLS material is reported at creation, naming the file") {
  Pki pki;
  test::TempDir dir;
  ClientConfig cfg = BaseConfig();
  cfg.server = "https://127.0.0.1:1";
  cfg.tls.ca_file = dir.Write("ca.crt", "not a certificate");
  auto c = RestClient::Create(cfg);
  CHECK(errdefs::IsInvalidInput(c.status()));
  CHECK(Contains(c.status(), dir.path() + "/ca.crt"));

  cfg.tls.ca_file.clear();
  cfg.tls.cert_pem = pki.client.cert_pem;
  cfg.tls.key_pem = pki.server.key_pem;  // does not match
  c = RestClient::Create(cfg);
  CHECK(errdefs::IsInvalidInput(c.status()));
  CHECK(Contains(c.status(), "client key"));

  cfg.tls.key_pem.clear();
  c = RestClient::Create(cfg);
  CHECK(errdefs::IsInvalidInput(c.status()));

  ClientConfig bad_url = BaseConfig();
  bad_url.server = "ftp://example.com";
  CHECK(errdefs::IsInvalidInput(RestClient::Create(bad_url).status()));
  CHECK(errdefs::IsInvalidInput(RestClient::Create(ClientConfig{}).status()));
}

TEST_CASE("the bearer token file is re-read when it rotates") {
  TestServer server;
  server.SetHandler([](const SeenRequest& r, std::shared_ptr<ihttp::Response> resp) {
    SendText(resp, 200, r.headers.Get("Authorization"));
  });
  test::TempDir dir;
  ClientConfig cfg = ConfigFor(server);
  cfg.bearer_token_file = dir.Write("token", "token-one\n");
  auto client = MustCreate(cfg);
  RestRequest req;
  req.path = "/x";
  CHECK(client->Do(Context::Background(), req)->body == "Bearer token-one");
  dir.Write("token.tmp", "token-two");
  std::filesystem::rename(dir.path() + "/token.tmp", cfg.bearer_token_file);
  CHECK(client->Do(Context::Background(), req)->body == "Bearer token-two");
}

TEST_CASE("a 401 runs the exec plugin again and retries once") {
  TestServer server;
  server.SetHandler([](const SeenRequest& r, std::shared_ptr<ihttp::Response> resp) {
    // Only the second credential the plugin prints is accepted.
    if (absl::EndsWith(r.headers.Get("Authorization"), "-run2")) {
      SendText(resp, 200, "welcome");
    } else {
      SendText(resp, 401, "Unauthorized");
    }
  });
  test::TempDir dir;
  ClientConfig cfg = ConfigFor(server);
  ExecConfig exec;
  exec.api_version = "client.authentication.k8s.io/v1";
  exec.command = std::string(VKUBELET_SOURCE_ROOT) + "/tests/kube/testdata/kubeconfig/plugins/exec-credential.sh";
  exec.interactive_mode = "Never";
  exec.env = {{"EXEC_COUNTER", dir.path() + "/runs"}};
  cfg.exec = exec;
  auto client = MustCreate(cfg);
  RestRequest req;
  req.path = "/x";
  auto resp = client->Do(Context::Background(), req);
  VK_REQUIRE_OK(resp);
  CHECK(resp->body == "welcome");
  CHECK(server.RequestCount() == 2);
  // Cached now: one more request, no new run, no 401.
  VK_REQUIRE_OK(client->Do(Context::Background(), req));
  CHECK(server.RequestCount() == 3);

  // A credential that keeps failing is reported after one retry.
  server.SetHandler([](const SeenRequest&, std::shared_ptr<ihttp::Response> resp) {
    SendText(resp, 401, "Unauthorized");
  });
  absl::Status s = client->Do(Context::Background(), req).status();
  CHECK(errdefs::IsUnauthorized(s));
  CHECK(server.RequestCount() == 5);
}

TEST_CASE("exec plugin client certificates are used for TLS") {
  Pki pki;
  ihttp::ServerTlsOptions tls_opts;
  tls_opts.cert_pem = pki.server.cert_pem;
  tls_opts.key_pem = pki.server.key_pem;
  tls_opts.client_ca_pem = pki.ca.cert_pem;
  tls_opts.require_client_cert = true;
  TestServer server(tls_opts);
  server.SetHandler([](const SeenRequest& r, std::shared_ptr<ihttp::Response> resp) {
    SendText(resp, 200, r.client_cn);
  });
  auto json_escape = [](const std::string& pem) {
    std::string out;
    for (char c : pem) {
      if (c == '\n') {
        out += "\\n";
      } else {
        out.push_back(c);
      }
    }
    return out;
  };
  ClientConfig cfg = BaseConfig();
  cfg.server = server.url(true);
  cfg.tls.ca_pem = pki.ca.cert_pem;
  ExecConfig exec;
  exec.api_version = "client.authentication.k8s.io/v1beta1";
  exec.command = std::string(VKUBELET_SOURCE_ROOT) + "/tests/kube/testdata/kubeconfig/plugins/exec-credential.sh";
  exec.interactive_mode = "IfAvailable";
  exec.env = {{"EXEC_MODE", "cert"},
              {"EXEC_CERT", json_escape(pki.client.cert_pem)},
              {"EXEC_KEY", json_escape(pki.client.key_pem)}};
  cfg.exec = exec;
  auto client = MustCreate(cfg);
  RestRequest req;
  req.path = "/x";
  auto resp = client->Do(Context::Background(), req);
  VK_REQUIRE_OK(resp);
  CHECK(resp->body == "system:node:vk-1");
}

}  // namespace
}  // namespace vkubelet::kube
