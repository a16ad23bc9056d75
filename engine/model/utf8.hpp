#pragma once
// UTF-8 well-formedness, shared by the YAML loader (invalid UTF-8 is an input error, as in
// go-yaml) and by writers of formats that must stay well-formed (JUnit XML).

#include <cstddef>
#include <string>
#include <string_view>

namespace rehearse::model {

// The length of the well-formed UTF-8 sequence that starts with the non-ASCII byte text[i],
// with its code point in `cp`; 0 with the reason in `problem` when it is not one. The
// well-formed sequences are those of Unicode Table 3-7: the range of the second byte depends
// on the first, which rules out overlong forms (C0, C1, E0 80..9F, F0 80..8F), UTF-16
// surrogates (ED A0..BF) and code points above U+10FFFF (F4 90..BF, F5..FF).
size_t utf8_sequence(std::string_view text, size_t i, char32_t& cp, std::string& problem);

}  // namespace rehearse::model
