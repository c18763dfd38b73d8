#include "http/router.h"

#include <gtest/gtest.h>

#include "http/url.h"

namespace perfwatch::http {
namespace {

Handler Named(std::string name) {
  return [name](const Request&, Response& res) { res.body = name; };
}

std::string Call(const Router::Match& m) {
  if (!m.handler) return "";
  Request req;
  Response res;
  (*m.handler)(req, res);
  return res.body;
}

TEST(RouterTest, ExactAndPrefixRoutes) {
  Router r;
  r.Handle("GET", "/api/v1/labels", Named("labels"));
  r.HandlePrefix("GET", "/api/v1/label/", Named("label_values"));
  r.HandlePrefix("GET", "/api/", Named("api"));
  r.HandlePrefix("GET", "/api/v1/label/x", Named("longer"));

  EXPECT_EQ(Call(r.Find("GET", "/api/v1/labels")), "labels");
  EXPECT_EQ(Call(r.Find("GET", "/api/v1/label/job/values")), "label_values");
  EXPECT_EQ(Call(r.Find("GET", "/api/v1/label/xyz")), "longer");  // longest prefix wins
  EXPECT_EQ(Call(r.Find("GET", "/api/other")), "api");
  EXPECT_EQ(r.Find("GET", "/api/v1/labels").metric_label, "/api/v1/labels");
  EXPECT_EQ(r.Find("GET", "/api/v1/label/job/values").metric_label, "/api/v1/label/");

  Router::Match none = r.Find("GET", "/nothing");
  EXPECT_EQ(none.handler, nullptr);
  EXPECT_FALSE(none.path_known);
  EXPECT_EQ(none.metric_label, "other");
  EXPECT_EQ(none.route_index, -1);
}

TEST(RouterTest, ExactBeatsPrefix) {
  Router r;
  r.HandlePrefix("GET", "/a/", Named("prefix"));
  r.Handle("GET", "/a/b", Named("exact"));
  EXPECT_EQ(Call(r.Find("GET", "/a/b")), "exact");
  EXPECT_EQ(Call(r.Find("GET", "/a/c")), "prefix");
}

TEST(RouterTest, HeadUsesGetAndWrongMethodIsKnown) {
  Router r;
  r.Handle("GET", "/healthz", Named("health"));
  r.Handle("POST", "/api/rum", Named("rum"), {.metric_label = "rum"});
  EXPECT_EQ(Call(r.Find("HEAD", "/healthz")), "health");
  Router::Match m = r.Find("GET", "/api/rum");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.path_known);
  EXPECT_EQ(m.metric_label, "rum");
  EXPECT_EQ(r.Find("HEAD", "/api/rum").handler, nullptr);  // HEAD only maps to GET
  EXPECT_EQ(r.AllowedMethods("/healthz"), "GET, HEAD");
  EXPECT_EQ(r.AllowedMethods("/api/rum"), "POST");
  EXPECT_EQ(r.AllowedMethods("/missing"), "");
}

TEST(RouterTest, SamePathSeveralMethods) {
  Router r;
  r.Handle("GET", "/api/v1/query", Named("get"));
  r.Handle("POST", "/api/v1/query", Named("post"));
  EXPECT_EQ(Call(r.Find("GET", "/api/v1/query")), "get");
  EXPECT_EQ(Call(r.Find("POST", "/api/v1/query")), "post");
  EXPECT_EQ(r.AllowedMethods("/api/v1/query"), "GET, HEAD, POST");
  EXPECT_EQ(r.route_count(), 2u);
  EXPECT_EQ(r.RouteLabel(1), "/api/v1/query");
  EXPECT_EQ(r.RouteLabel(7), "other");
}

TEST(RequestTest, HeaderLookupIsCaseInsensitive) {
  Request req;
  req.headers = {{"Content-Type", "text/plain"}, {"X-Thing", "1"}};
  EXPECT_EQ(req.Header("content-type"), "text/plain");
  EXPECT_EQ(req.Header("X-THING"), "1");
  EXPECT_EQ(req.Header("missing"), "");
}

TEST(RequestTest, QueryParamsAreDecoded) {
  Request req;
  req.method = "GET";
  req.query =
      "query=rate(x%5B5m%5D)&empty=&flag&match%5B%5D=up&match[]=a+b&match[]=%7Bjob%3D%22x%22%7D";
  EXPECT_EQ(req.Param("query"), "rate(x[5m])");
  EXPECT_EQ(req.Param("empty"), "");
  EXPECT_EQ(req.Param("flag"), "");
  EXPECT_EQ(req.Param("missing"), std::nullopt);
  EXPECT_EQ(req.Params("match[]"), (std::vector<std::string>{"up", "a b", "{job=\"x\"}"}));
  EXPECT_TRUE(req.Params("nothing").empty());
}

TEST(RequestTest, MalformedEscapesAreKept) {
  Request req;
  req.query = "a=100%&b=%zz&c=%4";
  EXPECT_EQ(req.Param("a"), "100%");
  EXPECT_EQ(req.Param("b"), "%zz");
  EXPECT_EQ(req.Param("c"), "%4");
}

TEST(RequestTest, FormBodyParams) {
  Request req;
  req.method = "POST";
  req.query = "match[]=fromquery";
  req.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
  req.body = "query=sum%28up%29&match%5B%5D=frombody&time=1700000000.5";
  EXPECT_EQ(req.Param("query"), "sum(up)");
  EXPECT_EQ(req.Param("time"), "1700000000.5");
  EXPECT_EQ(req.Params("match[]"), (std::vector<std::string>{"fromquery", "frombody"}));

  // Not a form: the body is not parsed.
  req.headers = {{"Content-Type", "application/json"}};
  EXPECT_EQ(req.Param("query"), std::nullopt);
}

TEST(UrlTest, PercentDecode) {
  std::string out;
  PercentDecode("a%20b+c%2B%e2%82%AC", out);
  EXPECT_EQ(out, "a b c+\xe2\x82\xac");
}

TEST(WriteApiErrorTest, PrometheusShape) {
  Response res;
  WriteApiError(res, 422, "execution", "bad \"thing\"");
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(res.content_type, "application/json");
  EXPECT_EQ(res.body, R"({"status":"error","errorType":"execution","error":"bad \"thing\""})");
}

}  // namespace
}  // namespace perfwatch::http
