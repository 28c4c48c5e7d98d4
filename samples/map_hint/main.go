// map_hint: what make(map[int64]int64, hint) allocates: B, the bucket
// count, and (with --alloc) the allocations of the make itself. Its C++
// twin is main.cc beside it; both print the same lines.
//
//	map_hint [--alloc] [HINT...]
//
// For each hint (a list of interesting ones when none are given) it prints
//
//	hint=H B=b buckets=n [mallocs=M alloc_bytes=A]
//
// B is read from the map's header (runtime.hmap, mirrored below and read
// through unsafe, as the conformance figures in hint_to_B.json were).
// buckets is 2^B, the number of buckets the hash indexes; the bucket array
// may hold a few more (preallocated overflow buckets, from B = 4 on), and
// for B = 0 make allocates no bucket at all: the first insert does. With
// --alloc, M and A are the mallocs and bytes (TotalAlloc) that make
// itself cost, the header included, from runtime.ReadMemStats. (Keep
// --alloc to arrays below the 4 MB heap goal of the first collection: a
// larger make starts that collection inside itself, and Go counts the few
// objects the start allocates.)
//
// The hints come from the command line, so they are runtime values: a
// constant hint <= 8 would compile to makemap_small, which never reads it.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"unsafe"
)

// The layout of runtime.hmap in Go 1.19.
type hmap struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
	extra      unsafe.Pointer
}

var sink map[int64]int64 // makes the maps escape: each make is a heap allocation

func main() {
	alloc := false
	var hints []int
	for _, a := range os.Args[1:] {
		if a == "--alloc" {
			alloc = true
			continue
		}
		h, err := strconv.Atoi(a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "usage: map_hint [--alloc] [HINT...]")
			os.Exit(2)
		}
		hints = append(hints, h)
	}
	if len(hints) == 0 {
		hints = []int{0, 1, 8, 9, 13, 14, 26, 27, 52, 53, 100, 1000, 100000}
	}
	for _, hint := range hints {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m := make(map[int64]int64, hint)
		runtime.ReadMemStats(&after)
		sink = m
		h := *(**hmap)(unsafe.Pointer(&m))
		fmt.Printf("hint=%d B=%d buckets=%d", hint, h.B, 1<<h.B)
		if alloc {
			fmt.Printf(" mallocs=%d alloc_bytes=%d", after.Mallocs-before.Mallocs, after.TotalAlloc-before.TotalAlloc)
		}
		fmt.Println()
		sink = nil
	}
}
