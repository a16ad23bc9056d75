#pragma once
// Shell-style glob with `*` (any run of characters, including none) and `?` (one character);
// no character classes, no escaping, no separator rules. The one matcher behind ignore-rule
// kinds, workload profiles by image, scenario filters and event-object patterns.

#include <string_view>

namespace rehearse::model {

bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace rehearse::model
