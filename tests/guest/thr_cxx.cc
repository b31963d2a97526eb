// C++ threads: std::thread, std::mutex, std::condition_variable, std::async/future,
// std::atomic, thread_local, std::shared_mutex, exceptions across a future.
#include <atomic>
#include <condition_variable>
#include <future>
#include <iostream>
#include <mutex>
#include <numeric>
#include <shared_mutex>
#include <stdexcept>
#include <thread>
#include <vector>

thread_local int tls_value = 1;

int main()
{
    std::mutex m;
    long total = 0;
    std::vector<std::thread> ts;
    for (int i = 0; i < 6; i++)
        ts.emplace_back([&, i] {
            tls_value += i;
            for (int j = 0; j < 2000; j++) {
                std::lock_guard<std::mutex> g(m);
                total += i;
            }
            std::lock_guard<std::mutex> g(m);
            total += tls_value * 1000000;
        });
    for (auto &t : ts) t.join();
    std::cout << "mutex total " << total << ", main tls " << tls_value << std::endl;

    std::condition_variable cv;
    std::vector<int> items;
    bool done = false;
    std::thread producer([&] {
        for (int i = 1; i <= 100; i++) {
            std::unique_lock<std::mutex> l(m);
            items.push_back(i);
            cv.notify_one();
        }
        std::unique_lock<std::mutex> l(m);
        done = true;
        cv.notify_one();
    });
    long sum = 0;
    for (;;) {
        std::unique_lock<std::mutex> l(m);
        cv.wait(l, [&] { return !items.empty() || done; });
        for (int v : items) sum += v;
        items.clear();
        if (done) break;
    }
    producer.join();
    std::cout << "condition_variable sum " << sum << std::endl;

    std::atomic<long> counter{0};
    std::vector<std::future<long>> fs;
    for (int i = 0; i < 4; i++)
        fs.push_back(std::async(std::launch::async, [&counter, i] {
            for (int j = 0; j < 5000; j++) counter.fetch_add(1, std::memory_order_relaxed);
            return (long)i * i;
        }));
    long squares = 0;
    for (auto &f : fs) squares += f.get();
    std::cout << "async squares " << squares << ", atomic " << counter.load() << std::endl;

    auto failing = std::async(std::launch::async, []() -> int { throw std::runtime_error("boom"); });
    try {
        failing.get();
    } catch (const std::exception &e) {
        std::cout << "exception through a future: " << e.what() << std::endl;
    }

    std::shared_mutex sm;
    int value = 0, bad = 0;
    std::vector<std::thread> rw;
    for (int i = 0; i < 4; i++)
        rw.emplace_back([&, i] {
            for (int j = 0; j < 300; j++) {
                if ((i + j) % 5 == 0) {
                    std::unique_lock<std::shared_mutex> w(sm);
                    int v = value;
                    std::this_thread::yield();
                    value = v + 1;
                } else {
                    std::shared_lock<std::shared_mutex> r(sm);
                    int v = value;
                    std::this_thread::yield();
                    if (v != value) bad++;
                }
            }
        });
    for (auto &t : rw) t.join();
    std::cout << "shared_mutex writes " << value << ", torn reads " << bad << std::endl;
    std::cout << "hardware_concurrency >= 1: " << (std::thread::hardware_concurrency() >= 1) << std::endl;
    return 0;
}
