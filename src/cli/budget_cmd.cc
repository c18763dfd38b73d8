#include "cli/budget_cmd.h"

#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "budget/budget_file.h"
#include "budget/bundle_sizes.h"
#include "budget/check.h"
#include "budget/lighthouse_report.h"
#include "cli/server_address.h"
#include "common/time.h"
#include "http/blocking_client.h"

namespace perfwatch::cli {
namespace {

namespace fs = std::filesystem;
using budget::CheckResult;
using budget::CheckRun;

constexpr const char* kName = "perfwatch budget check";

// A bad input: exit 2 with the reason.
struct BadInput {
  std::string message;
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kName, message.c_str());
  return 2;
}

bool ReadFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return !in.bad();
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string FirstEnv(std::initializer_list<const char*> names) {
  for (const char* n : names) {
    std::string v = Env(n);
    if (!v.empty()) return v;
  }
  return "";
}

std::string Git(const char* args) {
  std::string cmd = std::string("git ") + args + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  char buf[256];
  std::string out;
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// The CI variables of GitHub Actions, GitLab CI, Buildkite, CircleCI, Travis CI, Jenkins
// and Azure Pipelines, then git (docs/budgets.md "Commit, branch, build id").
std::string DefaultCommit() {
  std::string v = FirstEnv({"PERFWATCH_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA", "BUILDKITE_COMMIT", "CIRCLE_SHA1",
                            "TRAVIS_COMMIT", "GIT_COMMIT", "BUILD_SOURCEVERSION"});
  return v.empty() ? Git("rev-parse HEAD") : v;
}

std::string DefaultBranch() {
  std::string v = FirstEnv({"PERFWATCH_BRANCH", "GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME",
                            "BUILDKITE_BRANCH", "CIRCLE_BRANCH", "TRAVIS_BRANCH", "BRANCH_NAME", "GIT_BRANCH",
                            "BUILD_SOURCEBRANCHNAME"});
  if (!v.empty()) return v;
  v = Git("rev-parse --abbrev-ref HEAD");
  return v == "HEAD" ? "" : v;
}

std::string DefaultBuildId() {
  return FirstEnv({"PERFWATCH_BUILD_ID", "GITHUB_RUN_ID", "CI_PIPELINE_ID", "BUILDKITE_BUILD_NUMBER",
                   "CIRCLE_BUILD_NUM", "TRAVIS_BUILD_NUMBER", "BUILD_NUMBER", "BUILD_BUILDID"});
}

// Reads the reports named by --lighthouse: files, or every *.json report in a folder.
std::vector<budget::LighthouseRun> ReadLighthouse(const std::vector<std::string>& args) {
  std::vector<budget::LighthouseRun> runs;
  for (const std::string& arg : args) {
    std::error_code ec;
    std::vector<std::string> files;
    const bool dir = fs::is_directory(arg, ec);
    if (dir) {
      for (const auto& e : fs::directory_iterator(arg, ec)) {
        if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path().string());
      }
      std::sort(files.begin(), files.end());
    } else if (fs::exists(arg, ec)) {
      files.push_back(arg);
    } else {
      throw BadInput{"--lighthouse " + arg + ": no such file or folder"};
    }
    size_t found = 0;
    for (const std::string& f : files) {
      std::string text;
      if (!ReadFile(f, text)) throw BadInput{"--lighthouse " + f + ": cannot read"};
      if (dir && !budget::LooksLikeLighthouseReport(text)) continue;  // manifest.json and friends
      auto run = budget::ParseLighthouseReport(text);
      if (!run.ok()) throw BadInput{"--lighthouse " + f + ": " + run.status().message()};
      run->source = f;
      runs.push_back(std::move(*run));
      ++found;
    }
    if (found == 0) throw BadInput{"--lighthouse " + arg + ": no Lighthouse JSON report in this folder"};
  }
  return runs;
}

struct Server {
  ServerAddress address;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
};

// GET `target`; the parsed `data` member of a 200 answer, else BadInput with the reason.
simdjson::dom::element GetData(const Server& s, const std::string& target, simdjson::dom::parser& parser,
                               std::string& body_keeper) {
  http::BlockingClient client(s.address.port, s.address.host);
  http::ClientResponse res = client.Get(target, s.headers);
  if (res.status == 0) throw BadInput{"cannot reach the server at " + s.url};
  body_keeper = std::move(res.body);
  simdjson::dom::element root;
  const bool json = parser.parse(body_keeper).get(root) == simdjson::SUCCESS && root.is_object();
  if (res.status != 200) {
    std::string_view message = body_keeper;
    if (json && root["error"].get(message) != simdjson::SUCCESS) message = body_keeper;
    throw BadInput{"GET " + target.substr(0, target.find('?')) + " answered " + std::to_string(res.status) + ": " +
                   std::string(message.substr(0, 300))};
  }
  simdjson::dom::element data;
  if (!json || root["data"].get(data) != simdjson::SUCCESS) {
    throw BadInput{"GET " + target.substr(0, target.find('?')) + ": unexpected answer from the server"};
  }
  return data;
}

// Field p75 per page and vital, and the score per page, for every window of the file.
std::vector<budget::FieldValue> FetchField(const Server& s, const std::string& app, const budget::BudgetFile& file) {
  std::vector<budget::FieldValue> out;
  for (const std::string& window : budget::FieldWindows(file)) {
    std::set<std::string> vitals;
    bool score = false;
    for (const budget::Budget& b : file.budgets) {
      const std::string w = b.field ? b.field->window : budget::FieldBudget{}.window;
      if (w != window) continue;
      if (b.field) {
        for (const auto& m : b.field->vitals) vitals.insert(m.name);
      }
      score = score || b.score.has_value();
    }
    for (const std::string& metric : vitals) {
      simdjson::dom::parser parser;
      std::string body;
      simdjson::dom::element data =
          GetData(s,
                  "/api/v1/vitals?metric=" + metric + "&app=" + http::UrlEncode(app) + "&by=page&percentile=75&window=" +
                      http::UrlEncode(window),
                  parser, body);
      simdjson::dom::array groups;
      if (data["groups"].get(groups) != simdjson::SUCCESS) throw BadInput{"GET /api/v1/vitals: no groups"};
      for (simdjson::dom::element g : groups) {
        budget::FieldValue fv;
        std::string_view page;
        double value = 0;
        int64_t count = 0;
        if (g["labels"]["page"].get(page) != simdjson::SUCCESS || g["value"].get(value) != simdjson::SUCCESS ||
            g["count"].get(count) != simdjson::SUCCESS) {
          continue;
        }
        fv.page = std::string(page);
        fv.metric = metric;
        fv.window = window;
        fv.value = value;
        fv.count = count;
        out.push_back(std::move(fv));
      }
    }
    if (score) {
      simdjson::dom::parser parser;
      std::string body;
      simdjson::dom::element data = GetData(
          s, "/api/v1/score?app=" + http::UrlEncode(app) + "&by=page&window=" + http::UrlEncode(window), parser, body);
      simdjson::dom::array pages;
      if (data["pages"].get(pages) != simdjson::SUCCESS) throw BadInput{"GET /api/v1/score: no pages"};
      for (simdjson::dom::element p : pages) {
        budget::FieldValue fv;
        std::string_view page;
        double value = 0;
        int64_t views = 0;
        if (p["page"].get(page) != simdjson::SUCCESS || p["score"].get(value) != simdjson::SUCCESS ||
            p["views"].get(views) != simdjson::SUCCESS) {
          continue;  // a page without a score (null)
        }
        fv.page = std::string(page);
        fv.metric = "score";
        fv.window = window;
        fv.value = value;
        fv.count = views;
        out.push_back(std::move(fv));
      }
    }
  }
  return out;
}

// The newest stored run of commit `ref`, else of branch `ref`; nullopt when none.
std::optional<CheckRun> FetchBaseline(const Server& s, const std::string& app, const std::string& ref) {
  for (const char* key : {"commit", "branch"}) {
    http::BlockingClient client(s.address.port, s.address.host);
    const std::string target = "/api/v1/budget-runs?app=" + http::UrlEncode(app) + "&" + key + "=" +
                               http::UrlEncode(ref) + "&limit=1";
    http::ClientResponse res = client.Get(target, s.headers);
    if (res.status == 0) throw BadInput{"cannot reach the server at " + s.url};
    if (res.status != 200) {
      throw BadInput{"GET /api/v1/budget-runs answered " + std::to_string(res.status) + ": " + res.body.substr(0, 300)};
    }
    auto run = budget::ParseCheckRunJson(res.body);
    if (run.ok()) return std::move(*run);
    if (run.status().code() != StatusCode::kNotFound) {
      throw BadInput{"GET /api/v1/budget-runs: " + run.status().message()};
    }
  }
  return std::nullopt;
}

std::string Upload(const Server& s, const std::string& body) {
  http::BlockingClient client(s.address.port, s.address.host);
  http::ClientResponse res = client.Post("/api/v1/budget-runs", body, "application/json", s.headers);
  if (res.status == 0) throw BadInput{"--upload: cannot reach the server at " + s.url};
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const bool json = parser.parse(res.body).get(root) == simdjson::SUCCESS && root.is_object();
  if (res.status != 200) {
    std::string_view message = res.body;
    if (json && root["error"].get(message) != simdjson::SUCCESS) message = res.body;
    throw BadInput{"--upload: POST /api/v1/budget-runs answered " + std::to_string(res.status) + ": " +
                   std::string(message.substr(0, 300))};
  }
  std::string_view id;
  if (json && root["data"]["id"].get(id) == simdjson::SUCCESS) return std::string(id);
  return "";
}

void WriteOut(const std::string& path, const std::string& text, const char* flag) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out << text;
  if (!out) throw BadInput{std::string(flag) + " " + path + ": cannot write"};
}

}  // namespace

CLI::App* AddBudgetCommand(CLI::App& app, BudgetCheckFlags& flags) {
  CLI::App* budget = app.add_subcommand("budget", "performance budgets (perfwatch-budget.json; docs/budgets.md)");
  budget->require_subcommand(1);
  CLI::App* cmd = budget->add_subcommand(
      "check",
      "check perfwatch-budget.json against Lighthouse reports, a build folder and production field data; "
      "exit 0 within budget, 1 over budget, 2 bad input");
  cmd->add_option("--budget", flags.budget, "the budget file (docs/budgets.md)")->capture_default_str();
  cmd->add_option("--lighthouse", flags.lighthouse,
                  "Lighthouse JSON reports: files, or folders whose *.json reports are all read (e.g. .lighthouseci/); "
                  "several runs of a URL are aggregated")
      ->expected(1, -1);
  cmd->add_option("--aggregate", flags.aggregate,
                  "how runs of a URL are combined, as Lighthouse CI: median (of each value) or median-run (the run "
                  "closest to the median FCP and TTI)")
      ->capture_default_str();
  cmd->add_option("--bundles", flags.bundles, "build output folder for the `bundles` budgets (e.g. dist/)");
  cmd->add_option("--server", flags.server,
                  "perfwatch server (http://host:port) for `field` and `score` budgets, --baseline and --upload");
  cmd->add_option("--app", flags.app, "the app's name on the server (with --server)");
  cmd->add_option("--token", flags.token, "API token (read scope; ingest for --upload); default $PERFWATCH_TOKEN");
  cmd->add_option("--format", flags.format, "output on stdout: table or json (the result JSON of docs/budgets.md)")
      ->capture_default_str();
  cmd->add_option("--junit", flags.junit, "also write JUnit XML here (one testsuite per kind, one testcase per result)");
  cmd->add_option("--markdown", flags.markdown, "also write a Markdown summary here (for a pull-request comment)");
  cmd->add_option("--baseline", flags.baseline,
                  "compare with the newest stored run of this commit (else branch) on --server; a regression beyond "
                  "tolerance fails (Welch's t-test when both have several runs)");
  cmd->add_flag("--upload", flags.upload, "store the result on --server (POST /api/v1/budget-runs)");
  cmd->add_option("--commit", flags.commit,
                  "commit of this run (default: $GITHUB_SHA, $CI_COMMIT_SHA, ... else `git rev-parse HEAD`)");
  cmd->add_option("--branch", flags.branch,
                  "branch of this run (default: $GITHUB_HEAD_REF, $GITHUB_REF_NAME, $CI_COMMIT_REF_NAME, ... else git)");
  cmd->add_option("--build-id", flags.build_id,
                  "CI build id (default: $GITHUB_RUN_ID, $CI_PIPELINE_ID, $BUILDKITE_BUILD_NUMBER, ...)");
  return cmd;
}

int RunBudgetCheck(const BudgetCheckFlags& flags) {
  try {
    // Flags first, so a typo is reported before any slow work (here rather than with
    // CLI11 checks, whose failures exit 105 instead of 2).
    if (flags.format != "table" && flags.format != "json") {
      return Fail("--format: expected table or json, got \"" + flags.format + "\"");
    }
    if (flags.aggregate != "median" && flags.aggregate != "median-run") {
      return Fail("--aggregate: expected median or median-run, got \"" + flags.aggregate + "\"");
    }
    if (flags.lighthouse.empty() && flags.bundles.empty() && flags.server.empty()) {
      return Fail("nothing to check: give --lighthouse, --bundles and/or --server with --app");
    }
    std::optional<Server> server;
    if (!flags.server.empty()) {
      auto addr = ParseServer(flags.server);
      if (!addr.ok()) return Fail(addr.status().message());
      if (flags.app.empty()) return Fail("--server needs --app (the app whose field data and runs to use)");
      server.emplace();
      server->address = *addr;
      server->url = flags.server;
      server->headers = BearerHeaders(flags.token);
    }
    if (!server && !flags.baseline.empty()) return Fail("--baseline needs --server and --app");
    if (!server && flags.upload) return Fail("--upload needs --server and --app");

    std::string text;
    if (!ReadFile(flags.budget, text)) {
      return Fail("cannot read the budget file " + flags.budget + " (give one with --budget; docs/budgets.md)");
    }
    auto file = budget::ParseBudgetFile(text);
    if (!file.ok()) return Fail(flags.budget + ": " + file.status().message());

    CheckRun run;
    run.app = flags.app;
    run.commit = flags.commit ? *flags.commit : DefaultCommit();
    run.branch = flags.branch ? *flags.branch : DefaultBranch();
    run.build_id = flags.build_id ? *flags.build_id : DefaultBuildId();
    run.time_ms = NowMs();

    if (!flags.lighthouse.empty()) {
      auto runs = ReadLighthouse(flags.lighthouse);
      auto pages = budget::AggregateRuns(
          runs, flags.aggregate == "median-run" ? budget::Aggregation::kMedianRun : budget::Aggregation::kMedian);
      auto results = budget::CheckLab(*file, pages);
      run.results.insert(run.results.end(), results.begin(), results.end());
    }
    if (!flags.bundles.empty()) {
      std::vector<budget::FileSize> sizes;
      try {
        sizes = budget::MeasureFiles(flags.bundles);
      } catch (const std::exception& e) {
        return Fail(std::string("--bundles: ") + e.what());
      }
      if (!budget::HasBundleBudgets(*file)) {
        std::fprintf(stderr, "%s: warning: --bundles given but %s has no \"bundles\" budget\n", kName,
                     flags.budget.c_str());
      }
      auto results = budget::CheckBundles(*file, sizes);
      run.results.insert(run.results.end(), results.begin(), results.end());
    }
    if (server && budget::HasFieldBudgets(*file)) {
      auto data = FetchField(*server, flags.app, *file);
      auto results = budget::CheckField(*file, data);
      run.results.insert(run.results.end(), results.begin(), results.end());
    }
    if (!flags.baseline.empty()) {
      auto base = FetchBaseline(*server, flags.app, flags.baseline);
      if (base) {
        budget::ApplyBaseline(run.results, base->results, flags.baseline);
      } else {
        std::fprintf(stderr, "%s: warning: no stored run of commit or branch \"%s\" for app %s; nothing to compare\n",
                     kName, flags.baseline.c_str(), flags.app.c_str());
      }
    }

    const std::string json = budget::RenderJson(run);
    if (flags.format == "json") {
      std::fwrite(json.data(), 1, json.size(), stdout);
      std::fputc('\n', stdout);
    } else {
      const bool color = ::isatty(STDOUT_FILENO) && Env("NO_COLOR").empty();
      std::string table = budget::RenderTable(run, color);
      std::fwrite(table.data(), 1, table.size(), stdout);
    }
    std::fflush(stdout);
    if (!flags.junit.empty()) WriteOut(flags.junit, budget::RenderJunit(run), "--junit");
    if (!flags.markdown.empty()) WriteOut(flags.markdown, budget::RenderMarkdown(run), "--markdown");
    if (flags.upload) {
      std::string id = Upload(*server, json);
      std::fprintf(stderr, "%s: uploaded run %s to %s\n", kName, id.c_str(), flags.server.c_str());
    }
    if (run.results.empty()) {
      std::fprintf(stderr, "%s: no budget applies to the inputs given (0 results)\n", kName);
    }
    if (flags.format == "json" || !run.passed()) {
      std::fprintf(stderr, "%s: %s: %d failed, %d passed, %d skipped\n", kName,
                   run.passed() ? "within budget" : "over budget", run.failed_count(), run.passed_count(),
                   run.skipped_count());
    }
    return run.passed() ? 0 : 1;
  } catch (const BadInput& e) {
    return Fail(e.message);
  }
}

}  // namespace perfwatch::cli
