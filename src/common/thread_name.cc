#include "common/thread_name.h"

#include <pthread.h>

#include <algorithm>
#include <string>

namespace perfwatch {

void SetCurrentThreadName(std::string_view name) {
  const std::string cut(name.substr(0, std::min<size_t>(name.size(), 15)));  // the kernel's limit
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace perfwatch
