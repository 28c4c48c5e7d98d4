// Scheduler workloads: goroutine creation, Gosched, channels, sync.Mutex.
// Twins of bench/sched_bench.cc (same names, BM_ instead of Benchmark).
package gortbench

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// One op: wg.Add(1); go func() { wg.Done() }(); wg.Wait().
func BenchmarkGoroutineSpawnWaitGroup(b *testing.B) { spawnWaitGroup(b, 2) }

func BenchmarkGoroutineSpawnWaitGroup_GOMAXPROCS1(b *testing.B) { spawnWaitGroup(b, 1) }

func spawnWaitGroup(b *testing.B, procs int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	var wg sync.WaitGroup
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wg.Add(1)
		go func() { wg.Done() }()
		wg.Wait()
	}
	b.StopTimer()
}

// One op: one Gosched by the benchmark goroutine, at GOMAXPROCS=1 with a
// partner goroutine that yields in a loop, so every call switches to the
// partner and back.
func BenchmarkGoschedRoundTrip(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var stop atomic.Bool
	var done sync.WaitGroup
	done.Add(1)
	go func() {
		for !stop.Load() {
			runtime.Gosched()
		}
		done.Done()
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.Gosched()
	}
	b.StopTimer()
	stop.Store(true)
	done.Wait()
}

// One op: send to a partner on an unbuffered channel, receive its reply on
// another.
func pingPongUnbuffered(b *testing.B, procs int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	ping := make(chan int)
	pong := make(chan int)
	var done sync.WaitGroup
	done.Add(1)
	go func() {
		for v := range ping {
			pong <- v
		}
		done.Done()
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ping <- i
		<-pong
	}
	b.StopTimer()
	close(ping)
	done.Wait()
}

func BenchmarkPingPongUnbuffered_GOMAXPROCS1(b *testing.B) { pingPongUnbuffered(b, 1) }
func BenchmarkPingPongUnbuffered_GOMAXPROCS2(b *testing.B) { pingPongUnbuffered(b, 2) }

// One op: a select over two empty channels with a default case (a
// non-blocking poll), at GOMAXPROCS=1.
func BenchmarkSelectDefault(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	x := make(chan int)
	y := make(chan int)
	defaults := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		select {
		case <-x:
		case <-y:
		default:
			defaults++
		}
	}
	b.StopTimer()
	sinkInt = defaults
}

var sinkInt int

// One op: a send to a partner that waits in a two-case select (its request
// channel or quit), and the receive of its reply, at GOMAXPROCS=1.
func BenchmarkSelectPingPong_GOMAXPROCS1(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	ping := make(chan int)
	pong := make(chan int)
	quit := make(chan int)
	var done sync.WaitGroup
	done.Add(1)
	go func() {
		for running := true; running; {
			select {
			case v := <-ping:
				pong <- v
			case <-quit:
				running = false
			}
		}
		done.Done()
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ping <- i
		<-pong
	}
	b.StopTimer()
	close(quit)
	done.Wait()
}

// One op: Lock+Unlock of a mutex nobody else wants. GOMAXPROCS=1: the cost
// does not depend on it, and no idle P takes part.
func BenchmarkMutexUncontended(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var mu sync.Mutex
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mu.Lock()
		mu.Unlock()
	}
	b.StopTimer()
}

// Two goroutines at GOMAXPROCS=2 take turns at one mutex until they have
// done N Lock/Unlock pairs between them (a shared count under the lock, so
// both contend to the end however unfairly the lock is shared). One op: one
// pair by either goroutine. The timed region is the whole batch.
func BenchmarkMutexContended(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	var mu sync.Mutex
	count := 0
	n := b.N
	var wg sync.WaitGroup
	b.ResetTimer()
	wg.Add(2)
	for w := 0; w < 2; w++ {
		go func() {
			for {
				mu.Lock()
				if count >= n {
					mu.Unlock()
					break
				}
				count++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	b.StopTimer()
}
