#pragma once
// Tests use the production blocking client under their own names.
#include "http/blocking_client.h"

namespace perfwatch::testing {
using HttpClient = http::BlockingClient;
using HttpResponse = http::ClientResponse;
using http::FreePort;
using http::UrlEncode;
}  // namespace perfwatch::testing
