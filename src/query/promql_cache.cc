#include "query/promql_cache.h"

#include <variant>

namespace perfwatch::query {
namespace {

bool CacheableNode(const promql::Expr& e) {
  using namespace promql;
  return std::visit(
      [](const auto& n) -> bool {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, VectorSelector>) {
          return n.at == AtKind::kNone && n.offset_ms >= 0;
        } else if constexpr (std::is_same_v<T, MatrixSelector>) {
          return n.selector.at == AtKind::kNone && n.selector.offset_ms >= 0;
        } else if constexpr (std::is_same_v<T, SubqueryExpr>) {
          return n.at == AtKind::kNone && n.offset_ms >= 0 && CacheableNode(*n.expr);
        } else if constexpr (std::is_same_v<T, UnaryExpr> || std::is_same_v<T, ParenExpr>) {
          return CacheableNode(*n.expr);
        } else if constexpr (std::is_same_v<T, BinaryExpr>) {
          return CacheableNode(*n.lhs) && CacheableNode(*n.rhs);
        } else if constexpr (std::is_same_v<T, AggregateExpr>) {
          return CacheableNode(*n.expr) && (!n.param || CacheableNode(*n.param));
        } else if constexpr (std::is_same_v<T, Call>) {
          for (const auto& a : n.args) {
            if (!CacheableNode(*a)) return false;
          }
          return true;
        } else {
          return true;  // literals
        }
      },
      e.node);
}

}  // namespace

QueryCache::QueryCache(size_t max_bytes, const tsdb::ChangeTracker* changes, MetricsRegistry* metrics)
    : max_bytes_(max_bytes), changes_(changes) {
  if (metrics == nullptr) return;
  hits_ = metrics->GetCounter("perfwatch_query_cache_hits_total", "PromQL answers served from the query cache.");
  misses_ = metrics->GetCounter("perfwatch_query_cache_misses_total",
                                "Cacheable PromQL queries that had to be evaluated.");
  metrics->AddCollector([this](std::string& out) {
    out += "# HELP perfwatch_query_cache_bytes Bytes of answers in the query cache.\n"
           "# TYPE perfwatch_query_cache_bytes gauge\n";
    out += "perfwatch_query_cache_bytes " + std::to_string(bytes()) + "\n";
  });
}

bool QueryCache::Cacheable(const promql::Expr& expr) { return CacheableNode(expr); }

std::optional<std::string> QueryCache::Get(const std::string& key, int64_t end_ms) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    if (misses_) misses_->Inc();
    return std::nullopt;
  }
  Entry& e = *it->second;
  if (e.end_ms != end_ms || !changes_->UnchangedSince(e.epoch, e.end_ms)) {
    bytes_ -= e.key.size() + e.body.size();
    lru_.erase(it->second);
    index_.erase(it);
    if (misses_) misses_->Inc();
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  if (hits_) hits_->Inc();
  return e.body;
}

void QueryCache::Put(const std::string& key, int64_t end_ms, uint64_t epoch, const std::string& body) {
  const size_t size = key.size() + body.size();
  std::lock_guard lock(mu_);
  if (max_bytes_ == 0 || size > max_bytes_ / 8) return;
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->key.size() + it->second->body.size();
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.push_front(Entry{key, body, end_ms, epoch});
  index_.emplace(key, lru_.begin());
  bytes_ += size;
  EvictLocked();
}

void QueryCache::EvictLocked() {
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    Entry& last = lru_.back();
    bytes_ -= last.key.size() + last.body.size();
    index_.erase(last.key);
    lru_.pop_back();
  }
}

void QueryCache::Clear() {
  std::lock_guard lock(mu_);
  index_.clear();
  lru_.clear();
  bytes_ = 0;
}

void QueryCache::SetMaxBytes(size_t max_bytes) {
  std::lock_guard lock(mu_);
  max_bytes_ = max_bytes;
  EvictLocked();
}

size_t QueryCache::max_bytes() const {
  std::lock_guard lock(mu_);
  return max_bytes_;
}

size_t QueryCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

size_t QueryCache::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

}  // namespace perfwatch::query
