#include "query/backend_queryable.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "http/blocking_client.h"  // UrlEncode
#include "query/backend_answer.h"
#include "query/promql_api.h"  // AppendPromTimestamp

namespace perfwatch::query {
namespace {

class VectorSeriesSet final : public tsdb::SeriesSet {
 public:
  VectorSeriesSet(std::vector<tsdb::Series> series, Status status)
      : series_(std::move(series)), status_(std::move(status)) {}
  bool Next() override {
    if (next_ >= series_.size()) return false;
    cur_ = next_++;
    return true;
  }
  const tsdb::Series& At() const override { return series_[cur_]; }
  tsdb::Series Take() override { return std::move(series_[cur_]); }
  Status status() const override { return status_; }

 private:
  std::vector<tsdb::Series> series_;
  Status status_;
  size_t next_ = 0;
  size_t cur_ = 0;
};

Status BackendError(const BackendReply& reply) {
  if (reply.status == 0) return Unavailable("query backend: " + reply.error);
  if (reply.truncated)
    return Unavailable("query backend: the answer is larger than query.backend.max_response_bytes");
  return Status::Ok();
}

std::string TimeParam(int64_t ms) {
  std::string out;
  AppendPromTimestamp(out, ms);
  return out;
}

class BackendQuerier final : public tsdb::Querier {
 public:
  BackendQuerier(std::shared_ptr<const BackendCall> call, int64_t mint, int64_t maxt)
      : tsdb::Querier(std::max<int64_t>(mint, 0), maxt), call_(std::move(call)) {}

  std::unique_ptr<tsdb::SeriesSet> Select(std::span<const tsdb::Matcher> matchers) const override {
    std::vector<tsdb::Series> out;
    if (maxt() < mint()) return std::make_unique<VectorSeriesSet>(std::move(out), Status::Ok());
    const std::string query =
        SelectorText(matchers) + "[" + std::to_string(maxt() - mint() + 1) + "ms]";
    const BackendReply reply =
        (*call_)("/api/v1/query", "query=" + http::UrlEncode(query) + "&time=" + TimeParam(maxt()));
    if (Status s = BackendError(reply); !s.ok())
      return std::make_unique<VectorSeriesSet>(std::move(out), s);
    auto value = ParseQueryAnswer(reply.body);
    if (!value.ok()) {
      return std::make_unique<VectorSeriesSet>(std::move(out),
                                               value.status().WithContext("query backend"));
    }
    auto* matrix = std::get_if<promql::Matrix>(&*value);
    if (!matrix) {
      return std::make_unique<VectorSeriesSet>(
          std::move(out), Unavailable("query backend: a range selector did not answer a matrix"));
    }
    promql::SortByLabels(*matrix);
    out.reserve(matrix->size());
    for (promql::Series& s : *matrix) {
      std::vector<tsdb::Sample> samples;
      samples.reserve(s.points.size());
      for (const promql::Point& p : s.points) {
        if (p.t >= mint() && p.t <= maxt()) samples.push_back({p.t, p.v});
      }
      std::stable_sort(samples.begin(), samples.end(),
                       [](const tsdb::Sample& a, const tsdb::Sample& b) { return a.t < b.t; });
      if (samples.empty()) continue;
      out.emplace_back(std::move(s.metric), std::vector<uint8_t>(), std::vector<uint32_t>(), mint(),
                       maxt(), std::move(samples));
    }
    return std::make_unique<VectorSeriesSet>(std::move(out), Status::Ok());
  }

  Result<std::vector<std::string>> LabelNames(
      std::span<const tsdb::Matcher> matchers) const override {
    return List("/api/v1/labels", matchers);
  }

  Result<std::vector<std::string>> LabelValues(
      std::string_view name, std::span<const tsdb::Matcher> matchers) const override {
    return List("/api/v1/label/" + http::UrlEncode(name) + "/values", matchers);
  }

 private:
  Result<std::vector<std::string>> List(const std::string& path,
                                        std::span<const tsdb::Matcher> matchers) const {
    std::string form = "start=" + TimeParam(mint()) + "&end=" + TimeParam(maxt());
    if (!matchers.empty()) form += "&match[]=" + http::UrlEncode(SelectorText(matchers));
    const BackendReply reply = (*call_)(path, form);
    PW_RETURN_IF_ERROR(BackendError(reply));
    auto list = ParseStringListAnswer(reply.body);
    if (!list.ok()) return list.status().WithContext("query backend");
    std::sort(list->begin(), list->end());
    return list;
  }

  std::shared_ptr<const BackendCall> call_;
};

}  // namespace

std::string SelectorText(std::span<const tsdb::Matcher> matchers) {
  std::string out = "{";
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (i) out.push_back(',');
    out += matchers[i].ToString();
  }
  out.push_back('}');
  return out;
}

std::unique_ptr<tsdb::Querier> BackendQueryable::NewQuerier(int64_t mint, int64_t maxt) const {
  return std::make_unique<BackendQuerier>(call_, mint, maxt);
}

}  // namespace perfwatch::query
