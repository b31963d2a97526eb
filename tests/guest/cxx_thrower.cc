// cxx_thrower.cc: a shared library whose functions throw C++ exceptions (a class derived
// from std::runtime_error, an int, and a rethrow from a catch block) for cxx_throw.cc.
#include <stdexcept>
#include <string>

struct Boom : std::runtime_error {
    int code;
    Boom(const std::string &what, int c) : std::runtime_error(what), code(c) {}
};

void thrower(int n)
{
    switch (n) {
    case 1: throw 42;
    case 2: throw Boom("boom from the library", n);
    case 3:
        try {
            throw std::out_of_range("inner");
        } catch (const std::exception &) {
            throw;              // rethrow across the library boundary
        }
    default: break;
    }
}
