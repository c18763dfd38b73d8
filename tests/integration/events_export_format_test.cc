// GET /api/v1/events/export?format= over HTTP (issue 17): ndjson is the default's bytes,
// csv is RFC 4180 with the documented header, and an unknown format is a 400.
#include <gtest/gtest.h>

#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

TEST(EventsExportFormatTest, NdjsonIsTheDefaultAndCsvHasHeaderQuotingAndAttributes) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  ASSERT_EQ(client.Post("/api/rum?app=shop",
                        R"([{"type":"vital","name":"LCP","value":2345.6,"id":"v4-1","sessionId":"s1",
                             "url":"https://shop.example/p/42?q=\"a,b\"","connection":"4g","deviceMemory":8,
                             "userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120"},
                            {"type":"error","message":"boom,\nline 2","url":"/checkout"}])")
                .status,
            204);
  auto plain = client.Get("/api/v1/events/export");
  auto nd = client.Get("/api/v1/events/export?format=ndjson");
  ASSERT_EQ(plain.status, 200);
  ASSERT_EQ(nd.status, 200);
  EXPECT_EQ(nd.Header("content-type"), "application/x-ndjson");
  EXPECT_EQ(nd.body, plain.body);

  auto csv = client.Get("/api/v1/events/export?format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.Header("content-type"), "text/csv; charset=utf-8; header=present");
  const std::string header =
      "type,name,value,id,sessionId,url,timestamp,userAgent,connection,navigationType,rating,app,page,device,"
      "browser,received,attributes\r\n";
  ASSERT_TRUE(csv.body.starts_with(header)) << csv.body;
  // The vital: the user agent quoted (it holds a comma), derived page/device/browser, the
  // attributes as one JSON cell (ingest keeps the URL without its query).
  EXPECT_NE(csv.body.find("\r\nvital,LCP,2345.6,v4-1,s1,https://shop.example/p/42,"), std::string::npos) << csv.body;
  EXPECT_NE(csv.body.find(",\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120\","),
            std::string::npos)
      << csv.body;
  EXPECT_NE(csv.body.find(",4g,,,shop,/p/:id,desktop,Chrome,"), std::string::npos) << csv.body;
  EXPECT_NE(csv.body.find(",\"{\"\"deviceMemory\"\":8}\"\r\n"), std::string::npos) << csv.body;
  // The error's message is an attribute holding a comma and a newline: one quoted cell.
  EXPECT_NE(csv.body.find("\r\nerror,"), std::string::npos) << csv.body;
  EXPECT_NE(csv.body.find("\"{\"\"message\"\":\"\"boom,\\nline 2\"\""), std::string::npos) << csv.body;
  EXPECT_TRUE(csv.body.ends_with("\r\n"));

  auto errors = client.Get("/api/v1/events/export?format=csv&type=error");
  ASSERT_EQ(errors.status, 200);
  EXPECT_EQ(errors.body.find("\r\nvital,"), std::string::npos);
  auto none = client.Get("/api/v1/events/export?format=csv&end=1000");
  ASSERT_EQ(none.status, 200);
  EXPECT_EQ(none.body, header);

  auto bad = client.Get("/api/v1/events/export?format=xml");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("\"errorType\":\"bad_data\""), std::string::npos);
  EXPECT_NE(bad.body.find("unknown format"), std::string::npos);
}

}  // namespace
}  // namespace perfwatch
