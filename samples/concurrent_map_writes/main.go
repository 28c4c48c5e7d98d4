// concurrent_map_writes: two goroutines write one map without a lock, and
// the runtime catches them. Its C++ twin is main.cc beside it.
//
//	concurrent_map_writes [--procs P] [--keys K] [--iters I] [--gosched] [--seed S]
//
// Each of the two writers does I writes m[i % K] = i (i = 0..I-1), with
// runtime.Gosched() after each one when --gosched is given; main waits for
// both on a WaitGroup. Defaults: P=2, K=65536, I=1000000. --seed is for the
// twin (gort's deterministic schedule) and is ignored here.
//
// When the runtime catches the two writers inside the map at once, the
// program dies with "fatal error: concurrent map writes" and the
// goroutines' tracebacks on stderr, exit status 2: a fatal error, not a
// panic, so no recover can stop it. Otherwise it prints "no race
// detected". Go's check is best effort: whether and when it fires depends
// on how the two threads happen to interleave (conformance figures:
// fatal_errors.json, about 83% of runs at 1000 writes each, all at 100000).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: concurrent_map_writes [--procs P] [--keys K] [--iters I] [--gosched] [--seed S]")
	os.Exit(2)
}

func main() {
	procs, keys, iters, gosched := 2, int64(65536), int64(1000000), false
	args := os.Args[1:]
	num := func(i int) int64 {
		if i >= len(args) {
			usage()
		}
		v, err := strconv.ParseInt(args[i], 10, 64)
		if err != nil || v < 0 {
			usage()
		}
		return v
	}
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--procs":
			i++
			procs = int(num(i))
		case "--keys":
			i++
			keys = num(i)
		case "--iters":
			i++
			iters = num(i)
		case "--seed":
			i++
			num(i) // gort's; Go's schedule has no seed
		case "--gosched":
			gosched = true
		default:
			usage()
		}
	}
	if procs < 1 || keys < 1 {
		usage()
	}
	runtime.GOMAXPROCS(procs)

	m := make(map[int64]int64)
	var wg sync.WaitGroup
	wg.Add(2)
	for w := 0; w < 2; w++ {
		go func() {
			for i := int64(0); i < iters; i++ {
				m[i%keys] = i
				if gosched {
					runtime.Gosched()
				}
			}
			wg.Done()
		}()
	}
	wg.Wait()
	fmt.Println("no race detected")
}
