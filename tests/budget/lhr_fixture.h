#pragma once
// Test fixture: a minimal Lighthouse 12 report (LHR) with what the budget check reads.
// Thread safety: pure function.
#include <string>

namespace perfwatch::budget {

// A minimal Lighthouse 12 report with the parts the check reads.
inline std::string Lhr(const std::string& url, double fcp, double lcp, double tti, double cls, double script_bytes,
                int script_count, double score, bool metrics_audit = true) {
  std::string metrics = metrics_audit ? R"("metrics":{"details":{"type":"debugdata","items":[{"firstContentfulPaint":)" +
                                            std::to_string(fcp) + R"(,"largestContentfulPaint":)" + std::to_string(lcp) +
                                            R"(,"interactive":)" + std::to_string(tti) +
                                            R"(,"cumulativeLayoutShift":)" + std::to_string(cls) +
                                            R"(,"totalBlockingTime":10}]}},)"
                                      : "";
  return R"({"lighthouseVersion":"12.2.3","requestedUrl":")" + url + R"(","mainDocumentUrl":")" + url +
         R"(","finalDisplayedUrl":")" + url + R"(","audits":{)" + metrics +
         R"("first-contentful-paint":{"numericValue":)" + std::to_string(fcp) +
         R"(},"interactive":{"numericValue":)" + std::to_string(tti) +
         R"(},"largest-contentful-paint":{"numericValue":)" + std::to_string(lcp) +
         R"(},"resource-summary":{"details":{"type":"table","items":[{"resourceType":"total","requestCount":)" +
         std::to_string(script_count + 1) + R"(,"transferSize":)" + std::to_string(script_bytes + 1000) +
         R"(},{"resourceType":"script","requestCount":)" + std::to_string(script_count) + R"(,"transferSize":)" +
         std::to_string(script_bytes) + R"(},{"resourceType":"third-party","requestCount":0,"transferSize":0}]}}},)" +
         R"("categories":{"performance":{"score":)" + std::to_string(score) + "}}}";
}

}  // namespace perfwatch::budget
