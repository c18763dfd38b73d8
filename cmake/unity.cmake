# Sources kept out of unity batches (PERFWATCH_UNITY). Each one defines, in an anonymous
# namespace, a name that another source of its target defines too (a helper such as
# Success or SteadyNs, a struct such as Partition), or includes a header whose names such
# a definition hides; a shared translation unit refuses both. Found by unity builds with
# `ninja -k 0`, gcc (scripts/test) and clang (scripts/fuzz-smoke, fewer sources, so other
# batches): the source a compile error names joins the list. Removing a source from a
# batch moves the others, so check both builds after a change here. A source leaves the
# list when its clash is removed (the clashes are mostly copies of one helper).
set(perfwatch_unity_skip
  src/alert/alert_store.cc
  src/alert/am_silence_api.cc
  src/alert/notify_queue.cc
  src/alert/rule_manager.cc
  src/alert/silences.cc
  src/alert/template_notify.cc
  src/analysis/network_api.cc
  src/analysis/release_impact.cc
  src/budget/runs_api.cc
  src/cli/check_command.cc
  src/events/error_store.cc
  src/events/event_store.cc
  src/events/event_store_read.cc
  src/events/event_store_replay.cc
  src/events/export_csv.cc
  src/events/span_store.cc
  src/http/url.cc
  src/ingest/errors/stack_trace.cc
  src/ingest/otlp/otlp_handler.cc
  src/ingest/otlp/otlp_proto.cc
  src/ingest/rum/rum_extra_aggregator.cc
  src/ingest/rum/user_agent.cc
  src/query/traces_api.cc
  src/synthetic/status_page.cc
  src/tsdb/chunk_xor.cc
  tests/alert/alertmanager_test.cc
  tests/alert/email_test.cc
  tests/alert/escalation_test.cc
  tests/alert/matchers_test.cc
  tests/alert/notify_integrations_test.cc
  tests/alert/route_test.cc
  tests/alert/silences_test.cc
  tests/analysis/leak_test.cc
  tests/analysis/vital_recorder_test.cc
  tests/analysis/vitals_handler_test.cc
  tests/events/error_store_test.cc
  tests/events/event_store_replaced_test.cc
  tests/events/event_store_test.cc
  tests/events/export_csv_test.cc
  tests/events/export_json_test.cc
  tests/events/export_test.cc
  tests/events/pair_index_test.cc
  tests/events/row_chunk_test.cc
  tests/events/span_store_tail_test.cc
  tests/events/span_store_test.cc
  tests/http/reload_limits_test.cc
  tests/ingest/scrape/scrape_loop_test.cc
  tests/ingest/scrape/scrape_manager_test.cc
  tests/ingest/scrape/scrape_reload_test.cc
  tests/ingest/scrape/scrape_tls_test.cc
  tests/integration/auth_test.cc
  tests/integration/leaks_test.cc
  tests/integration/otlp_test.cc
  tests/integration/regressions_test.cc
  tests/integration/remote_write_test.cc
  tests/integration/rum_bad_input_test.cc
  tests/integration/synthetic_test.cc
  tests/integration/tls_test.cc
  tests/remote/forwarder_test.cc
  tests/report/report_test.cc
  tests/synthetic/browser_check_test.cc
  tests/synthetic/scheduler_reload_test.cc
  tests/synthetic/scheduler_test.cc
  tests/tsdb/block_store_test.cc
  tests/tsdb/tsdb_runtime_options_test.cc
  tests/tsdb/wal_test.cc
)
# Source properties are per directory: set them in the top one and every subdirectory
# added (tests, fuzz, bench).
get_directory_property(perfwatch_unity_dirs DIRECTORY ${CMAKE_SOURCE_DIR} SUBDIRECTORIES)
list(APPEND perfwatch_unity_dirs ${CMAKE_SOURCE_DIR})
list(TRANSFORM perfwatch_unity_skip PREPEND ${CMAKE_SOURCE_DIR}/)
set_source_files_properties(${perfwatch_unity_skip} DIRECTORY ${perfwatch_unity_dirs}
                            PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
