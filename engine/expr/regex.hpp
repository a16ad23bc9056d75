#pragma once
// Go RE2 regular expressions (github.com/google/re2/wiki/Syntax) on top of std::regex.
//
// Flux (filterTags, exclusionList) and expr-lang (`matches`) take Go regexps. No RE2 library is
// available, so the pattern is translated to ECMAScript: named groups `(?P<name>...)` and
// `(?<name>...)` become numbered groups with the names remembered, `\A`/`\z` become `^`/`$`,
// `\Q...\E` is quoted, and a leading `(?i)` becomes icase. Constructs RE2 rejects (lookaround,
// backreferences) and RE2 features ECMAScript lacks (`\p{..}`, inline flags elsewhere, `\C`)
// are refused with an error naming the construct and its 1-based column, so nothing is silently
// matched differently. Both engines are leftmost-first, so search results agree on ASCII input.
// Matching is byte-wise (Go matches UTF-8 runes; tags are ASCII).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/result.hpp"

namespace rehearse::expr {

class Regex {
 public:
  // Error code "invalid-regex"; the message ("error parsing regexp: ... at column N") says what
  // is wrong and where; callers add the pattern as context.
  static Result<Regex> compile(std::string_view pattern);

  // Unanchored search, as Go's MatchString / FindStringSubmatchIndex.
  bool search(std::string_view text) const;
  // Submatches of the leftmost match: [0] the whole match, [i] group i (nullopt when it did
  // not participate). nullopt when there is no match.
  std::optional<std::vector<std::optional<std::string>>> find_submatch(std::string_view text) const;

  // Go's Regexp.ExpandString: `$1`, `$name`, `${name}`, `$$`; a name is the longest run of
  // letters, digits and `_` (so `$1x` means the group named "1x", which is empty); unknown
  // or unmatched groups expand to nothing; a malformed `$` is copied literally.
  std::string expand(std::string_view tmpl,
                     const std::vector<std::optional<std::string>>& submatches) const;

  const std::string& pattern() const;
  // Group names by index (index 0 and unnamed groups are "").
  const std::vector<std::string>& group_names() const;

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

}  // namespace rehearse::expr
