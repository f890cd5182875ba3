// Compiled only into the prebuilt binary (scripts/build-prebuilt.mjs), which links libstdc++
// statically so that it needs no particular libstdc++ on the user's machine. libstdc++.a's
// std::random_device comes along with std::runtime_error (the addon never calls it) and refers to
// arc4random, which glibc added only in 2.36; defined here (hidden, from getentropy, glibc 2.25),
// the binary loads on glibc 2.34 (Ubuntu 22.04, RHEL 9, Debian 12) instead of 2.36.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

extern "C" __attribute__((visibility("hidden"))) uint32_t arc4random(void) {
  uint32_t value;
  if (getentropy(&value, sizeof value) != 0) abort();
  return value;
}
