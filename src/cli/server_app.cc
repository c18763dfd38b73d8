#include "cli/server_app.h"

#include "analysis/vitals_handler.h"
#include "cli/api_handlers.h"
#include "common/log.h"

namespace perfwatch::cli {

ServerApp::ServerApp(Config config) : config_(std::move(config)) {}

ServerApp::~ServerApp() { Stop(); }

Status ServerApp::Start() {
  auto store = events::EventStore::Open(config_.data_dir / "events", config_.events, &metrics_);
  if (!store.ok()) return store.status().WithContext("open event store");
  store_ = std::move(store).value();
  PW_RETURN_IF_ERROR(store_->Start().WithContext("start event store"));
  auto rum = ingest::RumHandler::Create(config_.rum, store_.get(), &metrics_);
  if (!rum.ok()) return rum.status().WithContext("rum");
  rum_ = std::move(rum).value();

  http::Router router;
  RegisterRoutes(router);
  auto server = http::Server::Create(config_.http, std::move(router), &metrics_);
  if (!server.ok()) return server.status().WithContext("create HTTP server");
  server_ = std::move(server).value();
  PW_RETURN_IF_ERROR(server_->Start().WithContext("listen on " + config_.http.listen));
  ready_ = true;
  auto stats = store_->Stats();
  PW_LOG_INFO("perfwatch started", "listen={} data_dir={} events={} partitions={}", config_.http.listen,
              LogQuote(config_.data_dir.string()), stats.events, stats.partitions);
  return Status::Ok();
}

void ServerApp::Stop() {
  ready_ = false;
  if (server_) server_->Stop();
  if (store_) store_->Stop();
  server_.reset();
  rum_.reset();
  store_.reset();
}

uint16_t ServerApp::port() const { return server_ ? server_->port() : 0; }

void ServerApp::RegisterRoutes(http::Router& router) {
  rum_->Register(router, config_.rum.cors_allowed_origins);
  analysis::RegisterVitalsHandler(router, store_.get());
  RegisterEventExport(router, store_.get());
  RegisterOperationalHandlers(router, &metrics_, &ready_);
  RegisterStaticAssets(router);
}

}  // namespace perfwatch::cli
