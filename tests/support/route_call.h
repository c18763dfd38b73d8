#pragma once
// Calls a route of an http::Router in-process, as the server would: a request with
// `method`, `path` and the raw `query` string. A missing route fails the test and
// answers 404.
#include <gtest/gtest.h>

#include <string>

#include "http/router.h"

namespace perfwatch::testing {

inline http::Response CallRoute(const http::Router& router, const std::string& method, const std::string& path,
                                const std::string& query = "") {
  http::Request req;
  req.method = method;
  req.path = path;
  req.query = query;
  http::Response res;
  auto match = router.Find(method, path);
  EXPECT_NE(match.handler, nullptr) << method << " " << path;
  if (match.handler) {
    (*match.handler)(req, res);
  } else {
    res.status = 404;
  }
  return res;
}

}  // namespace perfwatch::testing
