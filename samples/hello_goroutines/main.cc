// hello_goroutines: goroutines, a WaitGroup and a channel.
// Its Go twin is main.go beside it; both print the same lines.
#include <gort/gort.h>

#include <cstdio>
#include <string>

int main() {
  return gort::run([] {
    auto results = gort::make_chan<int>();
    gort::WaitGroup wg;
    for (int i = 1; i <= 3; i++) {
      wg.Add(1);
      gort::go([&wg, results, id = i] {
        gort::func([&](gort::Defer& defer) {
          defer([&] { wg.Done(); });
          results.send(id * id);
        });
      });
    }
    gort::go([&wg, results] {
      wg.Wait();
      results.close();
    });
    int sum = 0;
    for (int sq : results) sum += sq;
    std::printf("sum of squares 1..3 = %d\n", sum);

    // An unbuffered ping-pong between two goroutines.
    auto ping = gort::make_chan<std::string>();
    auto pong = gort::make_chan<std::string>();
    gort::go([ping, pong] {
      for (std::string msg : ping) pong.send(msg + " pong");
      pong.close();
    });
    for (int i = 0; i < 3; i++) {
      ping.send("ping " + std::to_string(i));
      std::printf("%s\n", pong.recv().c_str());
    }
    ping.close();
    auto [_, ok] = pong.recv2();
    std::printf("pong closed: %s\n", !ok ? "true" : "false");
  });
}
