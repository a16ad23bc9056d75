#include "engine/model/check.hpp"

#include <cstdio>
#include <cstdlib>

namespace rehearse {

namespace {
thread_local const CheckContext* t_context = nullptr;
}

void set_check_context(const CheckContext* ctx) { t_context = ctx; }

void check_failed(const char* cond, std::string_view message, const char* file, int line) {
  std::fprintf(stderr, "rehearse: internal error: %s:%d: check `%s` failed: %.*s\n", file, line,
               cond, static_cast<int>(message.size()), message.data());
  if (t_context != nullptr) {
    std::fprintf(stderr, "rehearse: while simulating %.*s (seed=%llu, t=%lldms)\n",
                 static_cast<int>(t_context->scenario.size()), t_context->scenario.data(),
                 t_context->seed, t_context->sim_time_ms);
  }
  std::fflush(stderr);
  std::abort();
}

}  // namespace rehearse
