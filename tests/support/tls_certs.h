#pragma once
// Test certificates made with the `openssl` command line in a given folder: a CA, two
// server certificates for localhost / 127.0.0.1 (subjects CN=server-one and CN=server-two,
// for reload tests), a client certificate, and a second CA that signed none of them.
// All keys are unencrypted EC P-256; certificates are valid for two days.
// Thread safety: not thread-safe (runs commands, writes files).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace perfwatch::testing {

struct TestCerts {
  std::string ca_cert;
  std::string other_ca_cert;
  std::string server_cert, server_key;    // CN=server-one
  std::string server2_cert, server2_key;  // CN=server-two
  std::string client_cert, client_key;    // CN=client-one
  std::string error;                      // set when generation failed
  bool ok() const { return error.empty(); }
};

inline std::string ReadFileText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void CopyFileOver(const std::string& from, const std::string& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

inline TestCerts GenerateTestCerts(const std::filesystem::path& dir) {
  TestCerts c;
  auto p = [&](const std::string& name) { return (dir / name).string(); };
  auto run = [&](const std::string& cmd) {
    std::string full = "cd '" + dir.string() + "' && " + cmd + " >>openssl.log 2>&1";
    if (std::system(full.c_str()) != 0 && c.error.empty()) {
      c.error = "command failed: " + cmd + "\n" + ReadFileText(dir / "openssl.log");
    }
  };
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  for (const char* ca : {"ca", "other_ca"}) {
    run("openssl req -x509 " + ec + " -keyout " + ca + ".key -out " + ca + ".crt -days 2 -subj /CN=perfwatch-test-" +
        ca + " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
  }
  std::ofstream(dir / "server.ext") << "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                       "extendedKeyUsage=serverAuth\n";
  std::ofstream(dir / "client.ext") << "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";
  struct Leaf {
    const char* name;
    const char* cn;
    const char* ext;
    int serial;
  };
  for (const Leaf& l : {Leaf{"server", "server-one", "server.ext", 4097}, Leaf{"server2", "server-two", "server.ext", 4098},
                        Leaf{"client", "client-one", "client.ext", 4099}}) {
    std::string n = l.name;
    run("openssl req -new " + ec + " -keyout " + n + ".key -out " + n + ".csr -subj /CN=" + l.cn);
    run("openssl x509 -req -in " + n + ".csr -CA ca.crt -CAkey ca.key -set_serial " + std::to_string(l.serial) +
        " -days 2 -extfile " + l.ext + " -out " + n + ".crt");
  }
  c.ca_cert = p("ca.crt");
  c.other_ca_cert = p("other_ca.crt");
  c.server_cert = p("server.crt");
  c.server_key = p("server.key");
  c.server2_cert = p("server2.crt");
  c.server2_key = p("server2.key");
  c.client_cert = p("client.crt");
  c.client_key = p("client.key");
  return c;
}

}  // namespace perfwatch::testing
