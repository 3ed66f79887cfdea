// Errors: nd::Error for anything a user can cause (bad shapes, bad values, bad files),
// ND_DCHECK for internal invariants (debug builds only). The library never exits or aborts.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace nd {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

namespace detail {
template <typename... Args>
[[noreturn]] void throw_error(const char* file, int line, const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  (void)file;
  (void)line;
  throw Error(os.str());
}
}  // namespace detail

}  // namespace nd

// ND_CHECK(cond, "message parts", ...) throws nd::Error built from the parts when cond is false.
#define ND_CHECK(cond, ...)                                        \
  do {                                                             \
    if (!(cond)) [[unlikely]]                                      \
      ::nd::detail::throw_error(__FILE__, __LINE__, __VA_ARGS__);  \
  } while (0)

#define ND_THROW(...) ::nd::detail::throw_error(__FILE__, __LINE__, __VA_ARGS__)

#ifdef NDEBUG
#define ND_DCHECK(cond) ((void)0)
#else
#include <cassert>
#define ND_DCHECK(cond) assert(cond)
#endif
