// cxx_throw.cc: catch exceptions thrown inside a shared library (cxx_thrower.cc): the
// unwinder (libgcc_s) walks frames of two objects through dl_iterate_phdr / _dl_find_object.
#include <cstdio>
#include <stdexcept>

void thrower(int n);

struct Guard {
    int n;
    ~Guard() { std::printf("  destructor %d ran\n", n); }
};

int main()
{
    int caught = 0;
    for (int i = 0; i < 5; i++) {
        try {
            Guard g{i};
            thrower(i);
            std::printf("%d: no exception\n", i);
        } catch (const std::out_of_range &e) {
            std::printf("%d: out_of_range %s\n", i, e.what());
            caught++;
        } catch (const std::runtime_error &e) {
            std::printf("%d: runtime_error %s\n", i, e.what());
            caught++;
        } catch (int v) {
            std::printf("%d: int %d\n", i, v);
            caught++;
        }
    }
    std::printf("caught %d\n", caught);
    return caught == 3 ? 0 : 1;
}
