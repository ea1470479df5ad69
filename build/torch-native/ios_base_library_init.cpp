// Provides std::ios_base_library_init(), the one GLIBCXX_3.4.32 symbol that TorchSharp 0.107's
// libLibTorchSharp.so imports. GCC 13 emits calls to it to make sure iostreams are set up; with an
// older libstdc++ the static ios_base::Init objects in libtorch do that, so constructing one here
// is all it needs to do.
#include <ios>

namespace std {
void ios_base_library_init() { static ios_base::Init init; }
}
