#pragma once
// Always-on assertions for programmer errors (STYLE.md "Errors", kind 3). A failed check
// prints the condition, the message, and - when a simulation is running on this thread -
// its seed and simulated time, then aborts. Never used for user input.

#include <string_view>

namespace rehearse {

// Context a running simulation registers so that a failed check can say where it was.
// Set by sim::World for the duration of a run on the calling thread.
struct CheckContext {
  unsigned long long seed = 0;
  long long sim_time_ms = -1;
  std::string_view scenario;
};
void set_check_context(const CheckContext* ctx);

[[noreturn]] void check_failed(const char* cond, std::string_view message, const char* file,
                               int line);

}  // namespace rehearse

#define REHEARSE_CHECK(cond, msg)                                       \
  do {                                                                  \
    if (!(cond)) ::rehearse::check_failed(#cond, (msg), __FILE__, __LINE__); \
  } while (0)
