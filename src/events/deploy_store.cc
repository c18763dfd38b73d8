#include "events/deploy_store.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <random>

#include "common/coding.h"
#include "common/log.h"
#include "common/time.h"
#include "events/log_file.h"

namespace perfwatch::events {
namespace {

constexpr char kDeployRecord = 'D';
constexpr int64_t kDeployLogLength = INT64_MAX;  // deploys.log is not a time partition

void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

std::string EncodeDeploy(const Deploy& d) {
  std::string out;
  out.push_back(kDeployRecord);
  PutString(out, d.id);
  PutString(out, d.app);
  PutString(out, d.service);
  PutString(out, d.version);
  PutString(out, d.commit);
  PutString(out, d.environment);
  PutVarint(out, ZigZag(d.time_ms));
  PutVarint(out, ZigZag(d.received_ms));
  return out;
}

Status DecodeDeploy(std::string_view payload, Deploy* d) {
  Decoder dec(payload);
  uint8_t kind = 0;
  std::string_view id, app, service, version, commit, environment;
  uint64_t t = 0, r = 0;
  if (!dec.Byte(&kind) || kind != kDeployRecord || !dec.LengthPrefixed(&id) || !dec.LengthPrefixed(&app) ||
      !dec.LengthPrefixed(&service) || !dec.LengthPrefixed(&version) || !dec.LengthPrefixed(&commit) ||
      !dec.LengthPrefixed(&environment) || !dec.Varint(&t) || !dec.Varint(&r) || !dec.done()) {
    return DataLoss("malformed deploy record");
  }
  d->id = id;
  d->app = app;
  d->service = service;
  d->version = version;
  d->commit = commit;
  d->environment = environment;
  d->time_ms = UnZigZag(t);
  d->received_ms = UnZigZag(r);
  return Status::Ok();
}

std::string NewId() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

bool Before(const Deploy& a, const Deploy& b) { return a.time_ms < b.time_ms; }

}  // namespace

DeployStore::DeployStore(std::filesystem::path dir, std::unique_ptr<LogWriter> writer, std::vector<Deploy> deploys)
    : dir_(std::move(dir)), writer_(std::move(writer)), deploys_(std::move(deploys)) {}

DeployStore::~DeployStore() = default;

Result<std::unique_ptr<DeployStore>> DeployStore::Open(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("create " + dir.string(), ec.value());
  const auto path = dir / "deploys.log";
  std::vector<Deploy> deploys;
  std::optional<uint64_t> valid;
  if (std::filesystem::exists(path)) {
    PW_ASSIGN_OR_RETURN(auto reader, LogReader::Open(path));
    std::string_view payload;
    uint64_t offset = 0;
    bool done = false;
    while (!done) {
      switch (reader->Next(&payload, &offset)) {
        case LogReader::Outcome::kRecord: {
          Deploy d;
          PW_RETURN_IF_ERROR(DecodeDeploy(payload, &d).WithContext(path.string() + " at offset " +
                                                                    std::to_string(offset)));
          deploys.push_back(std::move(d));
          continue;
        }
        case LogReader::Outcome::kEnd:
          done = true;
          break;
        case LogReader::Outcome::kTornTail:
          PW_LOG_WARN("deploy store: torn tail truncated", "file={} offset={}", LogQuote(path.string()),
                      reader->good_bytes());
          valid = reader->good_bytes();
          done = true;
          break;
        case LogReader::Outcome::kCorrupt:
          return DataLoss("corrupt record in " + path.string() + " at offset " +
                          std::to_string(reader->good_bytes()));
      }
    }
  }
  PW_ASSIGN_OR_RETURN(auto writer, LogWriter::Open(path, LogHeader{0, kDeployLogLength}, valid));
  std::stable_sort(deploys.begin(), deploys.end(), Before);
  return std::unique_ptr<DeployStore>(new DeployStore(dir, std::move(writer), std::move(deploys)));
}

Result<std::vector<PinnedFile>> DeployStore::PinForSnapshot(const std::filesystem::path& dest) const {
  std::shared_lock lock(mu_);  // Add holds it exclusively
  std::vector<PinnedFile> pins;
  PW_ASSIGN_OR_RETURN(PinnedFile pin, PinLog(*writer_, dir_, dest));
  pins.push_back(std::move(pin));
  return pins;
}

Result<Deploy> DeployStore::Add(Deploy d) {
  if (d.version.empty()) return InvalidArgument("version is required");
  if (d.app.empty() == d.service.empty()) return InvalidArgument("exactly one of app and service is required");
  for (const auto* f : {&d.app, &d.service, &d.version, &d.commit, &d.environment}) {
    if (f->size() > kMaxFieldBytes) {
      return InvalidArgument("field longer than " + std::to_string(kMaxFieldBytes) + " bytes");
    }
  }
  if (d.received_ms == 0) d.received_ms = NowMs();
  std::unique_lock lock(mu_);
  do {
    d.id = NewId();
  } while (std::any_of(deploys_.begin(), deploys_.end(), [&](const Deploy& x) { return x.id == d.id; }));
  std::string bytes;
  AppendRecord(bytes, EncodeDeploy(d));
  const uint64_t before = writer_->size();
  PW_RETURN_IF_ERROR(writer_->Write(bytes).WithContext("deploy store"));
  Status st = writer_->Sync();
  if (!st.ok()) {
    (void)writer_->Truncate(before);
    return st.WithContext("deploy store");
  }
  auto pos = std::upper_bound(deploys_.begin(), deploys_.end(), d, Before);
  deploys_.insert(pos, d);
  return d;
}

std::vector<Deploy> DeployStore::List(const DeployFilter& f) const {
  std::shared_lock lock(mu_);
  std::vector<Deploy> out;
  for (auto it = deploys_.rbegin(); it != deploys_.rend(); ++it) {
    const Deploy& d = *it;
    if (d.time_ms > f.end_ms) continue;
    if (d.time_ms < f.start_ms) break;
    if (!f.app.empty() && d.app != f.app) continue;
    if (!f.service.empty() && d.service != f.service) continue;
    if (!f.environment.empty() && d.environment != f.environment) continue;
    out.push_back(d);
    if (f.limit != 0 && out.size() >= f.limit) break;
  }
  return out;
}

std::optional<Deploy> DeployStore::Get(std::string_view id) const {
  std::shared_lock lock(mu_);
  for (const Deploy& d : deploys_) {
    if (d.id == id) return d;
  }
  return std::nullopt;
}

std::optional<Deploy> DeployStore::ClosestBefore(std::string_view app, std::string_view service,
                                                 int64_t time_ms) const {
  if (app.empty() && service.empty()) return std::nullopt;
  std::shared_lock lock(mu_);
  for (auto it = deploys_.rbegin(); it != deploys_.rend(); ++it) {
    if (it->time_ms > time_ms) continue;
    if (!app.empty() && it->app != app) continue;
    if (!service.empty() && it->service != service) continue;
    return *it;
  }
  return std::nullopt;
}

size_t DeployStore::size() const {
  std::shared_lock lock(mu_);
  return deploys_.size();
}

}  // namespace perfwatch::events
