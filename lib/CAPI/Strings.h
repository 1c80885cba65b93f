//===- Strings.h - strings handed to C API callers --------------*- C++ -*-===//
#ifndef PAREPROP_LIB_CAPI_STRINGS_H
#define PAREPROP_LIB_CAPI_STRINGS_H

#include <cstdlib>
#include <cstring>
#include <string>

namespace pareprop::capi {

/// A malloc'ed copy the caller frees with pareprop_string_free.
inline char *copyString(const std::string &s) {
  char *out = static_cast<char *>(std::malloc(s.size() + 1));
  std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

inline void setError(char **error, const std::string &message) {
  if (error)
    *error = copyString(message);
}

} // namespace pareprop::capi

#endif
