#include "budget/bundle_report.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <unordered_map>

#include "common/hash.h"
#include "common/json_writer.h"

namespace perfwatch::budget {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr int kMaxChildren = 4;  // nesting of webpack's multi-compiler `children`

bool IsHashChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool LooksLikeHash(std::string_view s) {
  if (s.size() < 8 || s.size() > 64) return false;
  bool random = false, dash = false;
  for (char c : s) {
    if (!IsHashChar(c)) return false;
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) random = true;
    if (c == '-') dash = true;
  }
  // Rollup/Vite hashes are 8 base64url characters (which may hold '-'); longer hashes
  // (webpack's hex) do not: "component-2024" is a name, not a hash.
  return random && (!dash || s.size() <= 10);
}

// `*` within a path segment, `**` across segments, `?` one character.
bool GlobMatch(std::string_view pat, std::string_view text) {
  if (pat.empty()) return text.empty();
  if (pat.starts_with("**")) {
    std::string_view rest = pat.substr(2);
    if (rest.starts_with('/')) {
      // "**/" also matches no folder at all.
      if (GlobMatch(rest.substr(1), text)) return true;
    }
    for (size_t i = 0; i <= text.size(); ++i) {
      if (GlobMatch(rest, text.substr(i))) return true;
    }
    return false;
  }
  if (pat.front() == '*') {
    for (size_t i = 0; i <= text.size(); ++i) {
      if (GlobMatch(pat.substr(1), text.substr(i))) return true;
      if (i < text.size() && text[i] == '/') break;
    }
    return false;
  }
  if (text.empty()) return false;
  if (pat.front() == '?' ? text.front() == '/' : pat.front() != text.front()) return false;
  return GlobMatch(pat.substr(1), text.substr(1));
}

bool IsGlob(std::string_view s) { return s.find_first_of("*?") != std::string_view::npos; }

std::string IdString(element e) {
  std::string_view s;
  if (e.get(s) == simdjson::SUCCESS) return std::string(s);
  int64_t i;
  if (e.get(i) == simdjson::SUCCESS) return std::to_string(i);
  uint64_t u;
  if (e.get(u) == simdjson::SUCCESS) return std::to_string(u);
  return {};
}

std::string IdString(simdjson::simdjson_result<element> r) {
  element e;
  return r.get(e) ? std::string() : IdString(e);
}

// Rendered/reported bytes: a non-negative finite number.
bool ByteCount(simdjson::simdjson_result<element> e, std::uint64_t* out) {
  double d;
  if (e.get(d) != simdjson::SUCCESS || !std::isfinite(d) || d < 0 || d > 1e15) return false;
  *out = static_cast<std::uint64_t>(d);
  return true;
}

std::string CleanModuleId(std::string_view id) {
  // Rollup's virtual modules start with "\0" ("\0vite/preload-helper.js").
  while (!id.empty() && id.front() == '\0') id.remove_prefix(1);
  return std::string(id);
}

void AddChunk(BundleStats& out, std::string name, std::vector<std::string> files) {
  for (auto& c : out.chunks) {
    if (c.name == name) {
      for (auto& f : files) {
        if (std::find(c.files.begin(), c.files.end(), f) == c.files.end()) c.files.push_back(std::move(f));
      }
      return;
    }
  }
  out.chunks.push_back({std::move(name), std::move(files)});
}

Status ParseVisualizer(object root, BundleStats& out) {
  int64_t version = 0;
  if (root["version"].get(version) != simdjson::SUCCESS || version != 2) {
    return InvalidArgument("rollup-plugin-visualizer raw-data: only \"version\": 2 is supported");
  }
  object parts, metas;
  if (root["nodeParts"].get(parts) || root["nodeMetas"].get(metas)) {
    return InvalidArgument("rollup-plugin-visualizer raw-data: \"nodeParts\" and \"nodeMetas\" must be objects");
  }
  std::set<std::string> bundles;
  for (auto meta : metas) {
    object m;
    std::string_view id;
    object module_parts;
    if (meta.value.get(m) || m["id"].get(id) || m["moduleParts"].get(module_parts)) {
      return InvalidArgument("rollup-plugin-visualizer raw-data: nodeMetas." + std::string(meta.key) +
                             " needs \"id\" and \"moduleParts\"");
    }
    BundleStats::Module mod;
    mod.id = CleanModuleId(id);
    for (auto mp : module_parts) {
      std::string_view part_uid;
      object part;
      std::uint64_t bytes = 0;
      if (mp.value.get(part_uid) || parts[part_uid].get(part) || !ByteCount(part["renderedLength"], &bytes)) {
        return InvalidArgument("rollup-plugin-visualizer raw-data: module " + mod.id + ": part for " +
                               std::string(mp.key) + " missing or without \"renderedLength\"");
      }
      std::string bundle(mp.key);
      bundles.insert(bundle);
      mod.bytes_in[bundle] += bytes;
    }
    out.modules.push_back(std::move(mod));
  }
  for (const auto& b : bundles) AddChunk(out, b, {b});
  out.formats.push_back("rollup-visualizer");
  return Status::Ok();
}

Status ParseViteManifest(object root, BundleStats& out) {
  for (auto entry : root) {
    object e;
    std::string_view file;
    if (entry.value.get(e) || e["file"].get(file)) {
      return InvalidArgument("Vite manifest: entry \"" + std::string(entry.key) + "\" has no \"file\"");
    }
    std::string_view name;
    std::string chunk = e["name"].get(name) == simdjson::SUCCESS ? std::string(name) : std::string(entry.key);
    std::vector<std::string> files{std::string(file)};
    array css;
    if (e["css"].get(css) == simdjson::SUCCESS) {
      for (element c : css) {
        std::string_view s;
        if (c.get(s) == simdjson::SUCCESS) files.emplace_back(s);
      }
    }
    // Two entries of the same name (index.html and src/index.ts) stay apart.
    bool taken = false;
    for (const auto& c : out.chunks) taken |= c.name == chunk && c.files.front() != files.front();
    if (taken) chunk = std::string(entry.key);
    AddChunk(out, std::move(chunk), std::move(files));
  }
  out.formats.push_back("vite-manifest");
  return Status::Ok();
}

// Modules of a webpack stats object (top-level or a chunk's), concatenated modules
// replaced by their inner modules. `chunk_names` maps chunk id -> name.
void AddWebpackModules(array modules, const std::unordered_map<std::string, std::string>& chunk_names,
                       const std::vector<std::string>& inherited_chunks, BundleStats& out, int depth) {
  for (element m : modules) {
    object mo;
    if (m.get(mo)) continue;
    // An inner module of a concatenated one ships in the outer module's chunks (webpack
    // lists the chunks the inner module has on its own, elsewhere).
    std::vector<std::string> chunks = inherited_chunks;
    array ids;
    if (chunks.empty() && mo["chunks"].get(ids) == simdjson::SUCCESS) {
      for (element id : ids) {
        std::string key = IdString(id);
        auto it = chunk_names.find(key);
        chunks.push_back(it == chunk_names.end() ? key : it->second);
      }
    }
    array inner;
    if (depth < kMaxChildren && mo["modules"].get(inner) == simdjson::SUCCESS && inner.size() > 0) {
      AddWebpackModules(inner, chunk_names, chunks, out, depth + 1);
      continue;
    }
    std::string_view name;
    if (mo["name"].get(name) && mo["identifier"].get(name)) continue;
    std::uint64_t size = 0;
    if (!ByteCount(mo["size"], &size) || chunks.empty()) continue;  // orphan modules are in no chunk
    BundleStats::Module mod;
    mod.id = std::string(name);
    for (const auto& c : chunks) mod.bytes_in[c] += size;
    out.modules.push_back(std::move(mod));
  }
}

Status ParseWebpack(object root, BundleStats& out, int depth) {
  std::unordered_map<std::string, std::string> chunk_names;
  array modules;
  const bool top_modules = root["modules"].get(modules) == simdjson::SUCCESS;
  array chunks;
  if (root["chunks"].get(chunks) == simdjson::SUCCESS) {
    for (element c : chunks) {
      object co;
      if (c.get(co)) return InvalidArgument("webpack stats: \"chunks\" must hold objects");
      std::string id = IdString(co["id"]);
      std::string name = id;
      array names;
      if (co["names"].get(names) == simdjson::SUCCESS && names.size() > 0) {
        std::string_view n;
        if (names.at(0).get(n) == simdjson::SUCCESS) name = std::string(n);
      }
      if (name.empty()) return InvalidArgument("webpack stats: a chunk without \"id\" or \"names\"");
      chunk_names[id] = name;
      std::vector<std::string> files;
      array fs;
      if (co["files"].get(fs) == simdjson::SUCCESS) {
        for (element f : fs) {
          std::string_view s;
          if (f.get(s) == simdjson::SUCCESS) files.emplace_back(s);
        }
      }
      AddChunk(out, name, std::move(files));
      // Chunks list their modules too (chunkModules); used only without the top-level list.
      array mods;
      if (!top_modules && co["modules"].get(mods) == simdjson::SUCCESS) {
        AddWebpackModules(mods, chunk_names, {name}, out, 0);
      }
    }
  } else {
    // No chunk list: group the assets by the chunk names they belong to.
    array assets;
    if (root["assets"].get(assets) == simdjson::SUCCESS) {
      for (element a : assets) {
        std::string_view file;
        array names;
        if (a["name"].get(file) || a["chunkNames"].get(names)) continue;
        for (element n : names) {
          std::string_view s;
          if (n.get(s) == simdjson::SUCCESS) AddChunk(out, std::string(s), {std::string(file)});
        }
      }
    }
  }
  if (top_modules) AddWebpackModules(modules, chunk_names, {}, out, 0);
  array children;
  if (depth < kMaxChildren && root["children"].get(children) == simdjson::SUCCESS) {
    for (element c : children) {
      object co;
      if (c.get(co)) return InvalidArgument("webpack stats: \"children\" must hold stats objects");
      PW_RETURN_IF_ERROR(ParseWebpack(co, out, depth + 1));
    }
  }
  if (depth == 0) out.formats.push_back("webpack");
  return Status::Ok();
}

bool IsArrayMember(object o, std::string_view key) {
  array a;
  return o[key].get(a) == simdjson::SUCCESS;
}

void AppendSizes(std::string& out, const Sizes& s) {
  out += "\"raw\":";
  AppendJsonInt(out, static_cast<long long>(s.raw));
  out += ",\"gzip\":";
  AppendJsonInt(out, static_cast<long long>(s.gzip));
  out += ",\"brotli\":";
  AppendJsonInt(out, static_cast<long long>(s.brotli));
}

std::uint64_t SizeAt(const Sizes& s, Compression c) {
  return c == Compression::kRaw ? s.raw : c == Compression::kGzip ? s.gzip : s.brotli;
}

std::string ReadWhole(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(p.string() + ": cannot read");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool Hidden(std::string_view path) {
  // Any segment starting with '.' (Vite writes .vite/manifest.json into the build folder).
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') return true;
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) break;
    i = slash + 1;
  }
  return false;
}

std::string Percent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f %%", ratio * 100);
  return buf;
}

std::string Bytes(std::optional<std::uint64_t> v) { return v ? std::to_string(*v) : "-"; }

}  // namespace

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kRaw: return "raw";
    case Compression::kGzip: return "gzip";
    case Compression::kBrotli: return "brotli";
  }
  return "gzip";
}

std::optional<Compression> ParseCompression(std::string_view s) {
  if (s == "raw") return Compression::kRaw;
  if (s == "gzip") return Compression::kGzip;
  if (s == "brotli") return Compression::kBrotli;
  return std::nullopt;
}

std::optional<std::uint64_t>& BaselineSizes::at(Compression c) {
  return c == Compression::kRaw ? raw : c == Compression::kGzip ? gzip : brotli;
}
const std::optional<std::uint64_t>& BaselineSizes::at(Compression c) const {
  return c == Compression::kRaw ? raw : c == Compression::kGzip ? gzip : brotli;
}

Status ParseBundleStats(std::string_view json, BundleStats& out) {
  simdjson::dom::parser parser;
  element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc)) {
    return InvalidArgument(std::string("stats file is not JSON: ") + simdjson::error_message(err));
  }
  object root;
  if (doc.get(root)) return InvalidArgument("stats file must be a JSON object");
  if (root.size() == 0) return InvalidArgument("stats file is an empty object");
  object probe;
  if (root["nodeParts"].get(probe) == simdjson::SUCCESS || root["nodeMetas"].get(probe) == simdjson::SUCCESS) {
    return ParseVisualizer(root, out);
  }
  if (IsArrayMember(root, "assets") || IsArrayMember(root, "chunks") || IsArrayMember(root, "modules") ||
      IsArrayMember(root, "children")) {
    return ParseWebpack(root, out, 0);
  }
  bool manifest = true;
  for (auto m : root) {
    object e;
    std::string_view file;
    manifest = manifest && m.value.get(e) == simdjson::SUCCESS && e["file"].get(file) == simdjson::SUCCESS;
  }
  if (manifest) return ParseViteManifest(root, out);
  return InvalidArgument(
      "not a known stats file: expected rollup-plugin-visualizer raw-data (nodeParts, nodeMetas), a Vite "
      "manifest (entries with \"file\") or webpack stats (assets, chunks, modules)");
}

std::string HashlessKey(std::string_view path) {
  const size_t slash = path.rfind('/');
  const size_t base_at = slash == std::string_view::npos ? 0 : slash + 1;
  std::string_view base = path.substr(base_at);
  // Peel extensions: ".map", ".gz", ".br" and then one ordinary extension of <= 6 characters.
  size_t stem_end = base.size();
  for (std::string_view ext : {".map", ".gz", ".br"}) {
    if (base.substr(0, stem_end).ends_with(ext)) stem_end -= ext.size();
  }
  if (size_t dot = base.substr(0, stem_end).rfind('.'); dot != std::string_view::npos && dot > 0 &&
                                                         stem_end - dot - 1 <= 6 && stem_end - dot - 1 > 0) {
    stem_end = dot;
  }
  std::string_view stem = base.substr(0, stem_end);
  auto with_hash = [&](size_t from, size_t to) {  // the key with stem[from, to) replaced
    std::string key(path.substr(0, base_at));
    key.append(stem.substr(0, from));
    key.append("[hash]");
    key.append(stem.substr(to));
    key.append(base.substr(stem_end));
    return key;
  };
  // The hash: the shortest suffix after a '-' or '.' that looks like one.
  for (size_t i = stem.size(); i-- > 1;) {
    if (stem[i] != '-' && stem[i] != '.') continue;
    std::string_view suffix = stem.substr(i + 1);
    if (suffix.size() > 64) break;
    if (LooksLikeHash(suffix)) return with_hash(i + 1, stem.size());
  }
  // Else a '.'-separated part in the middle ("app.[contenthash].bundle.js"), rightmost first.
  for (size_t end = stem.size(); end > 0;) {
    const size_t dot = stem.rfind('.', end - 1);
    if (dot == std::string_view::npos || dot == 0) break;
    std::string_view part = stem.substr(dot + 1, end - dot - 1);
    if (part.find('-') == std::string_view::npos && LooksLikeHash(part)) return with_hash(dot + 1, end);
    end = dot;
  }
  return std::string(path);
}

Result<BundleBaseline> ParseReportBaseline(std::string_view json) {
  simdjson::dom::parser parser;
  element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc)) {
    return InvalidArgument(std::string("baseline is not JSON: ") + simdjson::error_message(err));
  }
  array files;
  if (doc["files"].get(files)) {
    return InvalidArgument("baseline must be a `perfwatch bundle report --format json` output (no \"files\" array)");
  }
  auto read_sizes = [](element e, BaselineSizes* s) {
    for (Compression c : {Compression::kRaw, Compression::kGzip, Compression::kBrotli}) {
      std::uint64_t v;
      if (ByteCount(e[CompressionName(c)], &v)) s->at(c) = v;
    }
    return s->raw || s->gzip || s->brotli;
  };
  BundleBaseline b;
  for (element f : files) {
    std::string_view path, key;
    if (f["path"].get(path)) return InvalidArgument("baseline: a file without \"path\"");
    if (f["key"].get(key)) key = {};
    BaselineSizes s;
    if (!read_sizes(f, &s)) return InvalidArgument("baseline: file " + std::string(path) + " has no sizes");
    std::string k = key.empty() ? HashlessKey(path) : std::string(key);
    BaselineSizes& slot = b.files[k];
    for (Compression c : {Compression::kRaw, Compression::kGzip, Compression::kBrotli}) {
      if (s.at(c)) slot.at(c) = slot.at(c).value_or(0) + *s.at(c);
    }
  }
  element total;
  if (doc["total"].get(total) == simdjson::SUCCESS) {
    BaselineSizes s;
    if (read_sizes(total, &s)) b.total = s;
  }
  return b;
}

Result<BundleBaseline> ParseRunsBaseline(std::string_view json) {
  simdjson::dom::parser parser;
  element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc)) {
    return InvalidArgument(std::string("budget runs answer is not JSON: ") + simdjson::error_message(err));
  }
  array runs;
  if (doc["data"].get(runs)) return InvalidArgument("budget runs answer has no \"data\" array");
  if (runs.size() == 0) return InvalidArgument("no stored budget run for this app");
  element run = runs.at(0);
  BundleBaseline b;
  std::string_view id;
  b.source = "budget run " + (run["id"].get(id) == simdjson::SUCCESS ? std::string(id) : std::string("?"));
  array results;
  if (run["results"].get(results)) return InvalidArgument(b.source + " has no \"results\"");
  for (element r : results) {
    std::string_view kind, name, compression, unit;
    if (r["kind"].get(kind) || kind != "bundle" || r["name"].get(name)) continue;
    double value;
    if (r["value"].get(value) || !std::isfinite(value) || value < 0) continue;
    auto c = r["compression"].get(compression) == simdjson::SUCCESS ? ParseCompression(compression)
                                                                       : std::optional<Compression>(Compression::kRaw);
    if (!c) continue;
    if (r["unit"].get(unit) == simdjson::SUCCESS && unit == "KB") value *= 1024;
    b.files[IsGlob(name) ? std::string(name) : HashlessKey(name)].at(*c) = static_cast<std::uint64_t>(std::llround(value));
  }
  if (b.files.empty()) return InvalidArgument(b.source + " has no bundle results");
  return b;
}

BundleReport BuildBundleReport(const std::filesystem::path& root, const BundleStats* stats,
                               const BundleBaseline* baseline, const BundleReportOptions& options) {
  BundleReport r;
  r.root = root.generic_string();
  r.options = options;
  std::unordered_map<std::string, size_t> by_path;
  for (FileSize& f : MeasureFiles(root)) {
    if (Hidden(f.path)) continue;
    BundleReport::File file{f.path, HashlessKey(f.path), {f.raw, f.gzip, f.brotli}};
    r.total.raw += f.raw;
    r.total.gzip += f.gzip;
    r.total.brotli += f.brotli;
    by_path[file.path] = r.files.size();
    r.files.push_back(std::move(file));
  }

  // Identical files: same size and content hash.
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<size_t>> same;
  for (size_t i = 0; i < r.files.size(); ++i) {
    if (r.files[i].size.raw == 0) continue;
    same[{r.files[i].size.raw, HashBytes(ReadWhole(root / r.files[i].path))}].push_back(i);
  }
  for (const auto& [k, idx] : same) {
    if (idx.size() < 2) continue;
    BundleReport::Duplicate d{"content", r.files[idx[0]].path, {}, k.first * (idx.size() - 1)};
    for (size_t i : idx) d.where.push_back(r.files[i].path);
    r.duplicates.push_back(std::move(d));
  }

  if (stats) {
    r.stats_formats = stats->formats;
    // A chunk named after its only file (visualizer) folds into a named chunk holding that
    // file (manifest, webpack), so both stats files of one build agree.
    std::unordered_map<std::string, std::string> chunk_of_file;
    for (const auto& c : stats->chunks) {
      if (c.files.size() == 1 && c.name == c.files[0]) continue;
      for (const auto& f : c.files) chunk_of_file.emplace(f, c.name);
    }
    auto resolve = [&](const std::string& name) {
      auto it = chunk_of_file.find(name);
      return it == chunk_of_file.end() ? name : it->second;
    };
    for (const auto& c : stats->chunks) {
      if (resolve(c.name) != c.name) continue;
      BundleReport::ChunkRow row{c.name, {}, {}};
      for (const auto& f : c.files) {
        auto it = by_path.find(f);
        if (it == by_path.end()) continue;
        const Sizes& s = r.files[it->second].size;
        row.files.push_back(f);
        row.size.raw += s.raw;
        row.size.gzip += s.gzip;
        row.size.brotli += s.brotli;
      }
      r.chunks.push_back(std::move(row));
    }
    std::sort(r.chunks.begin(), r.chunks.end(), [](const auto& a, const auto& b) {
      return a.size.raw != b.size.raw ? a.size.raw > b.size.raw : a.name < b.name;
    });
    // Modules: merge by id (one module may be listed once per stats file or chunk).
    std::map<std::string, std::map<std::string, std::uint64_t>> modules;
    for (const auto& m : stats->modules) {
      for (const auto& [chunk, bytes] : m.bytes_in) modules[m.id][resolve(chunk)] += bytes;
    }
    std::vector<BundleReport::ModuleRow> rows;
    for (const auto& [id, in] : modules) {
      BundleReport::ModuleRow row{id, 0, {}};
      std::uint64_t largest = 0;
      for (const auto& [chunk, bytes] : in) {
        row.bytes += bytes;
        largest = std::max(largest, bytes);
        row.chunks.push_back(chunk);
      }
      if (in.size() > 1) r.duplicates.push_back({"module", id, row.chunks, row.bytes - largest});
      rows.push_back(std::move(row));
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.bytes != b.bytes ? a.bytes > b.bytes : a.id < b.id;
    });
    if (rows.size() > options.top_modules) rows.resize(options.top_modules);
    r.modules = std::move(rows);
  }
  std::stable_sort(r.duplicates.begin(), r.duplicates.end(),
                   [](const auto& a, const auto& b) { return a.wasted_bytes > b.wasted_bytes; });

  if (baseline) {
    r.baseline_source = baseline->source;
    auto pick = [&](const BaselineSizes& s) {
      if (s.at(options.compression)) return options.compression;
      for (Compression c : {Compression::kGzip, Compression::kBrotli, Compression::kRaw}) {
        if (s.at(c)) return c;
      }
      return options.compression;
    };
    auto judge = [&](BundleReport::Growth& g) {
      if (g.before && g.after && *g.before > 0) {
        g.ratio = static_cast<double>(*g.after) / static_cast<double>(*g.before) - 1.0;
        g.over = g.ratio > options.max_growth;
      }
      r.passed = r.passed && !g.over;
      r.growth.push_back(std::move(g));
    };
    std::set<std::string> seen;
    for (const auto& [key, sizes] : baseline->files) {
      BundleReport::Growth g;
      g.key = key;
      g.compression = pick(sizes);
      g.before = sizes.at(g.compression);
      const bool glob = IsGlob(key);
      for (const auto& f : r.files) {
        if (glob ? (GlobMatch(key, f.path) || GlobMatch(key, f.key)) : f.key == key) {
          g.after = g.after.value_or(0) + SizeAt(f.size, g.compression);
          seen.insert(f.key);
        }
      }
      judge(g);
    }
    const bool from_report = baseline->total.has_value();
    if (from_report) {
      // Files the baseline did not have (a budget run names only some files: skip there).
      std::map<std::string, std::uint64_t> added;
      for (const auto& f : r.files) {
        if (!seen.count(f.key)) added[f.key] += SizeAt(f.size, options.compression);
      }
      for (const auto& [key, bytes] : added) {
        BundleReport::Growth g;
        g.key = key;
        g.compression = options.compression;
        g.after = bytes;
        judge(g);
      }
      BundleReport::Growth g;
      g.key = "total";
      g.compression = pick(*baseline->total);
      g.before = baseline->total->at(g.compression);
      g.after = SizeAt(r.total, g.compression);
      judge(g);
    }
  }
  return r;
}

std::string RenderBundleReportJson(const BundleReport& r) {
  std::string out = "{\"root\":";
  AppendJsonString(out, r.root);
  out += ",\"passed\":";
  out += r.passed ? "true" : "false";
  out += ",\"files\":[";
  for (size_t i = 0; i < r.files.size(); ++i) {
    const auto& f = r.files[i];
    out += i ? ",\n" : "\n";
    out += "{\"path\":";
    AppendJsonString(out, f.path);
    out += ",\"key\":";
    AppendJsonString(out, f.key);
    out += ',';
    AppendSizes(out, f.size);
    out += '}';
  }
  out += "],\n\"total\":{";
  AppendSizes(out, r.total);
  out += "},\n\"stats\":[";
  for (size_t i = 0; i < r.stats_formats.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(out, r.stats_formats[i]);
  }
  out += "],\n\"chunks\":[";
  for (size_t i = 0; i < r.chunks.size(); ++i) {
    const auto& c = r.chunks[i];
    out += i ? ",\n" : "\n";
    out += "{\"name\":";
    AppendJsonString(out, c.name);
    out += ",\"files\":[";
    for (size_t j = 0; j < c.files.size(); ++j) {
      if (j) out += ',';
      AppendJsonString(out, c.files[j]);
    }
    out += "],";
    AppendSizes(out, c.size);
    out += '}';
  }
  out += "],\n\"modules\":[";
  for (size_t i = 0; i < r.modules.size(); ++i) {
    const auto& m = r.modules[i];
    out += i ? ",\n" : "\n";
    out += "{\"id\":";
    AppendJsonString(out, m.id);
    out += ",\"bytes\":";
    AppendJsonInt(out, static_cast<long long>(m.bytes));
    out += ",\"chunks\":[";
    for (size_t j = 0; j < m.chunks.size(); ++j) {
      if (j) out += ',';
      AppendJsonString(out, m.chunks[j]);
    }
    out += "]}";
  }
  out += "],\n\"duplicates\":[";
  for (size_t i = 0; i < r.duplicates.size(); ++i) {
    const auto& d = r.duplicates[i];
    out += i ? ",\n" : "\n";
    out += "{\"kind\":";
    AppendJsonString(out, d.kind);
    out += d.kind == "module" ? ",\"module\":" : ",\"file\":";
    AppendJsonString(out, d.what);
    out += d.kind == "module" ? ",\"chunks\":[" : ",\"files\":[";
    for (size_t j = 0; j < d.where.size(); ++j) {
      if (j) out += ',';
      AppendJsonString(out, d.where[j]);
    }
    out += "],\"wasted_bytes\":";
    AppendJsonInt(out, static_cast<long long>(d.wasted_bytes));
    out += '}';
  }
  out += "],\n\"growth\":";
  if (!r.baseline_source) {
    out += "null";
  } else {
    out += "{\"baseline\":";
    AppendJsonString(out, *r.baseline_source);
    out += ",\"compression\":";
    AppendJsonString(out, CompressionName(r.options.compression));
    out += ",\"max_growth\":";
    AppendJsonNumber(out, r.options.max_growth);
    out += ",\"items\":[";
    for (size_t i = 0; i < r.growth.size(); ++i) {
      const auto& g = r.growth[i];
      out += i ? ",\n" : "\n";
      out += "{\"key\":";
      AppendJsonString(out, g.key);
      out += ",\"compression\":";
      AppendJsonString(out, CompressionName(g.compression));
      out += ",\"before\":";
      out += g.before ? std::to_string(*g.before) : "null";
      out += ",\"after\":";
      out += g.after ? std::to_string(*g.after) : "null";
      out += ",\"growth\":";
      if (g.before && g.after && *g.before > 0) {
        AppendJsonNumber(out, g.ratio);
      } else {
        out += "null";
      }
      out += ",\"status\":";
      out += g.over ? "\"fail\"" : !g.before ? "\"new\"" : !g.after ? "\"removed\"" : "\"pass\"";
      out += '}';
    }
    out += "]}";
  }
  out += "}\n";
  return out;
}

namespace {

// Rows of cells, the first a header; numbers (all but the first column) right-aligned.
std::string TextTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const size_t pad = width[i] - row[i].size();
      if (i) line += "  ";
      if (i == 0) line += row[i] + std::string(pad, ' ');
      else line += std::string(pad, ' ') + row[i];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string MarkdownTable(const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  for (size_t r = 0; r < rows.size(); ++r) {
    out += "|";
    for (size_t i = 0; i < rows[r].size(); ++i) {
      std::string cell = rows[r][i];
      for (size_t p = 0; (p = cell.find('|', p)) != std::string::npos; p += 2) cell.replace(p, 1, "\\|");
      out += " " + cell + " |";
    }
    out += "\n";
    if (r == 0) {
      out += "|";
      for (size_t i = 0; i < rows[0].size(); ++i) out += i == 0 ? "---|" : "---:|";
      out += "\n";
    }
  }
  return out;
}

struct Sections {
  std::vector<std::vector<std::string>> files, chunks, modules, duplicates, growth;
};

Sections Tabulate(const BundleReport& r) {
  Sections s;
  auto sizes = [](const Sizes& z) {
    return std::vector<std::string>{std::to_string(z.raw), std::to_string(z.gzip), std::to_string(z.brotli)};
  };
  auto row = [&](std::string first, const Sizes& z) {
    std::vector<std::string> v{std::move(first)};
    for (auto& c : sizes(z)) v.push_back(std::move(c));
    return v;
  };
  s.files.push_back({"file", "raw", "gzip", "brotli"});
  for (const auto& f : r.files) s.files.push_back(row(f.path, f.size));
  s.files.push_back(row("total", r.total));
  if (!r.chunks.empty()) {
    s.chunks.push_back({"chunk", "raw", "gzip", "brotli", "files"});
    for (const auto& c : r.chunks) {
      auto v = row(c.name, c.size);
      v.push_back(std::to_string(c.files.size()));
      s.chunks.push_back(std::move(v));
    }
  }
  if (!r.modules.empty()) {
    s.modules.push_back({"module", "bytes", "chunks"});
    for (const auto& m : r.modules) s.modules.push_back({m.id, std::to_string(m.bytes), std::to_string(m.chunks.size())});
  }
  if (!r.duplicates.empty()) {
    s.duplicates.push_back({"duplicate", "wasted bytes", "in"});
    for (const auto& d : r.duplicates) {
      std::string where;
      for (const auto& w : d.where) where += (where.empty() ? "" : ", ") + w;
      s.duplicates.push_back({d.kind + " " + d.what, std::to_string(d.wasted_bytes), where});
    }
  }
  if (r.baseline_source) {
    s.growth.push_back({"growth", "before", "after", "change", "status"});
    for (const auto& g : r.growth) {
      s.growth.push_back({g.key + " (" + std::string(CompressionName(g.compression)) + ")", Bytes(g.before),
                          Bytes(g.after), g.before && g.after && *g.before > 0 ? Percent(g.ratio) : "-",
                          g.over ? "FAIL" : !g.before ? "new" : !g.after ? "removed" : "ok"});
    }
  }
  return s;
}

std::string Verdict(const BundleReport& r) {
  if (!r.baseline_source) return "";
  size_t over = 0;
  for (const auto& g : r.growth) over += g.over;
  char buf[160];
  if (over == 0) {
    std::snprintf(buf, sizeof buf, "no growth beyond %.0f %% against %s", r.options.max_growth * 100,
                  r.baseline_source->c_str());
  } else {
    std::snprintf(buf, sizeof buf, "%zu item%s grew beyond %.0f %% against %s", over, over == 1 ? "" : "s",
                  r.options.max_growth * 100, r.baseline_source->c_str());
  }
  return buf;
}

}  // namespace

std::string RenderBundleReportTable(const BundleReport& r) {
  Sections s = Tabulate(r);
  std::string out = "bundle report of " + r.root + " (bytes)\n\n" + TextTable(s.files);
  if (!s.chunks.empty()) out += "\n" + TextTable(s.chunks);
  if (!s.modules.empty()) out += "\nlargest modules\n" + TextTable(s.modules);
  if (!s.duplicates.empty()) out += "\n" + TextTable(s.duplicates);
  if (!s.growth.empty()) out += "\n" + TextTable(s.growth) + "\n" + Verdict(r) + "\n";
  return out;
}

std::string RenderBundleReportMarkdown(const BundleReport& r) {
  Sections s = Tabulate(r);
  std::string out = "### Bundle report: `" + r.root + "`\n\n";
  if (!s.growth.empty()) out += std::string(r.passed ? "✅ " : "❌ ") + Verdict(r) + "\n\n" + MarkdownTable(s.growth) + "\n";
  out += MarkdownTable(s.files);
  if (!s.chunks.empty()) out += "\n" + MarkdownTable(s.chunks);
  if (!s.modules.empty()) out += "\n**Largest modules**\n\n" + MarkdownTable(s.modules);
  if (!s.duplicates.empty()) out += "\n**Duplicates**\n\n" + MarkdownTable(s.duplicates);
  return out;
}

}  // namespace perfwatch::budget
