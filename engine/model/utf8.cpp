#include "engine/model/utf8.hpp"

#include <fmt/format.h>

namespace rehearse::model {

size_t utf8_sequence(std::string_view text, size_t i, char32_t& cp, std::string& problem) {
  const auto lead = static_cast<unsigned char>(text[i]);
  size_t length = 0;
  unsigned low = 0x80, high = 0xbf;  // the second byte's range
  const char* outside = "";          // what a second byte in 80..BF but outside that range means
  if (lead < 0xc0) {
    problem = fmt::format("invalid UTF-8 (byte 0x{:02X}): a continuation byte where a character should start",
                          lead);
    return 0;
  }
  if (lead < 0xc2) {
    problem = fmt::format("invalid UTF-8 (byte 0x{:02X}): an overlong encoding", lead);
    return 0;
  }
  if (lead < 0xe0) {
    length = 2;
    cp = lead & 0x1f;
  } else if (lead < 0xf0) {
    length = 3;
    cp = lead & 0x0f;
    if (lead == 0xe0) low = 0xa0, outside = "an overlong encoding";
    if (lead == 0xed) high = 0x9f, outside = "a UTF-16 surrogate (U+D800..U+DFFF)";
  } else if (lead < 0xf5) {
    length = 4;
    cp = lead & 0x07;
    if (lead == 0xf0) low = 0x90, outside = "an overlong encoding";
    if (lead == 0xf4) high = 0x8f, outside = "a code point above U+10FFFF";
  } else {
    problem = fmt::format("invalid UTF-8 (byte 0x{:02X}): no character starts with this byte", lead);
    return 0;
  }
  for (size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) {
      problem = fmt::format("invalid UTF-8 (byte 0x{:02X}): a {}-byte sequence cut short by the end of the file", lead,
                            length);
      return 0;
    }
    const auto b = static_cast<unsigned char>(text[i + k]);
    if (b < 0x80 || b > 0xbf) {
      problem = fmt::format("invalid UTF-8 (byte 0x{:02X}): a {}-byte sequence cut short by byte 0x{:02X}", lead,
                            length, b);
      return 0;
    }
    if (k == 1 && (b < low || b > high)) {
      problem = fmt::format("invalid UTF-8 (bytes 0x{:02X} 0x{:02X}): {}", lead, b, outside);
      return 0;
    }
    cp = cp << 6 | (b & 0x3f);
  }
  return length;
}

}  // namespace rehearse::model
