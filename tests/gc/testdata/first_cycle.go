// The Go twin of tests/gc/pacer_integration_test.cc's firstCycle workload:
// a program that keeps every 64-byte object it allocates (a linked list,
// the pointer first) and imports nothing, so that its globals are only
// the runtime's. Where its first GC cycle starts and ends is what the
// pacer tests compare gort with. Run it with the pacer's trace:
//
//	cd tests/gc/testdata
//	/usr/lib/go-1.19/bin/go build -o /tmp/first_cycle first_cycle.go
//	for p in 1 2 4; do GOMAXPROCS=$p GODEBUG=gcpacertrace=1 /tmp/first_cycle; done
//
// and read the first "pacer: ... for H+S+G B work (E B exp.) in T B -> L B"
// line: E is the work expected of the cycle (its globals), H, S and G the
// heap, stack and globals work done, T the trigger and L heapLive when the
// cycle ended.
//
// Go 1.19.8 linux/amd64, on this project's 2-core machine shared with other
// work (20 runs for each GOMAXPROCS):
//
//	E = G = 200304 B, H = 486496-516440 B (8 bytes a node), S ~ 1-2 KB
//	T = 3997696 B (61/64 of the 4 MiB goal)
//	GOMAXPROCS=1: L = 4661248 B (4.45 MiB) in 18 runs of 19 counted, 4366336 in 1
//	GOMAXPROCS=2: L = 4644864-4685824 B (4.43-4.47 MiB) in 20 of 20
//	GOMAXPROCS=4: L from 4194304 B (4 MiB, 4 runs) to 10231808 (9.8 MiB);
//	              median ~4.7 MiB: 4 Ps on 2 busy cores, the OS decides
//	              who runs, as much as the pacer
//
// The pacer plans to end the cycle at its goal extrapolated for a growing
// heap, T + (4 MiB - T) * (heapScan + stacks + globals) / E = 4679966 B
// (4.46 MiB), and past that at 10% more; with GOMAXPROCS <= the cores the
// assists keep it there.
package main

type node struct {
	next *node
	pad  [7]int64
}

var sink *node

func main() {
	var head *node
	for i := 0; i < 200000; i++ { // 12.8 MB: the first cycle, and a few more
		head = &node{next: head}
	}
	sink = head
}
