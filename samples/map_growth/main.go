// map_growth: how a map grows while N keys are inserted, and what the
// finished map costs on the heap. Its C++ twin is main.cc beside it.
//
//	map_growth N [--kind int64|string_ptr] [--hint]
//
// kind int64 (the default) inserts keys 0..N-1 with the same values into a
// map[int64]int64; string_ptr inserts keys "key-0".."key-(N-1)" with
// pointers to fresh 64-byte structs into a map[string]*payload. --hint
// passes N to make.
//
// Output, one line per event while inserting:
//
//	count=c B=b          the insert that made the map count c changed B
//	evacuated_after=k    that growth's old buckets were released k inserts
//	                     after the one that started it (0: the same insert)
//
// then `entries=N heapalloc_delta=D bytes_per_entry=E`: D is HeapAlloc
// after runtime.GC() twice with the map reachable, minus HeapAlloc after
// runtime.GC() twice before building it (the method of the conformance
// figures, memory.json); E = D/N with two decimals.
//
// The B trajectory is the same in every run. How many inserts finish an
// evacuation, and the overflow buckets behind D, depend on where the keys
// hash, that is on the map's random seed (hash0): they vary a little from
// run to run in Go itself (see tests/samples/compare_growth.py).
//
// The program runs on one P (GOMAXPROCS 1), as its twin does: with two,
// Go's own measurement picks up a few runtime objects (sudogs, worker
// state) between the two readings.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"unsafe"
)

// The layout of runtime.hmap in Go 1.19, read through unsafe.
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

type payload struct{ a [8]int64 } // 64 bytes, no pointers

// What happened at one insert, recorded now and printed after the
// measurement so that printing allocates nothing inside it.
type event struct {
	evac  bool // an evacuation finished (else B changed)
	count int
	B     uint8
	after int
}

// watcher follows one map's hmap after every insert.
type watcher struct {
	h         *hmap
	lastB     uint8
	growStart int // count when the growth in progress started; -1: none
	events    []event
}

func (w *watcher) step() {
	h := w.h
	if h.B != w.lastB {
		w.lastB = h.B
		w.growStart = h.count
		w.events = append(w.events, event{count: h.count, B: h.B})
	}
	if w.growStart >= 0 && h.oldbuckets == nil {
		w.events = append(w.events, event{evac: true, after: h.count - w.growStart})
		w.growStart = -1
	}
}

var keepInt map[int64]int64
var keepStr map[string]*payload

func main() {
	n, kind, hint := 0, "int64", false
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--kind" && i+1 < len(args):
			i++
			kind = args[i]
		case a == "--hint":
			hint = true
		default:
			v, err := strconv.Atoi(a)
			if err != nil || v < 0 {
				fmt.Fprintln(os.Stderr, "usage: map_growth N [--kind int64|string_ptr] [--hint]")
				os.Exit(2)
			}
			n = v
		}
	}
	if kind != "int64" && kind != "string_ptr" {
		fmt.Fprintln(os.Stderr, "map_growth: --kind is int64 or string_ptr")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(1)
	h := 0
	if hint {
		h = n
	}

	w := &watcher{growStart: -1, events: make([]event, 0, 128)}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	if kind == "int64" {
		m := make(map[int64]int64, h)
		w.h = *(**hmap)(unsafe.Pointer(&m))
		w.lastB = w.h.B
		for i := 0; i < n; i++ {
			m[int64(i)] = int64(i)
			w.step()
		}
		keepInt = m
	} else {
		m := make(map[string]*payload, h)
		w.h = *(**hmap)(unsafe.Pointer(&m))
		w.lastB = w.h.B
		// The key is formatted into a reused buffer, so that the one
		// allocation per key is the key itself (string(buf) as a new key).
		// strconv.Itoa would add a short-lived string, and Go's tiny
		// allocator would pack it beside the key: the garbage would pin
		// half of each 16-byte block.
		buf := make([]byte, 0, 32)
		for i := 0; i < n; i++ {
			buf = strconv.AppendInt(append(buf[:0], "key-"...), int64(i), 10)
			m[string(buf)] = new(payload)
			w.step()
		}
		keepStr = m
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)

	for _, e := range w.events {
		if e.evac {
			fmt.Printf("evacuated_after=%d\n", e.after)
		} else {
			fmt.Printf("count=%d B=%d\n", e.count, e.B)
		}
	}
	delta := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	per := 0.0
	if n > 0 {
		per = float64(delta) / float64(n)
	}
	fmt.Printf("entries=%d heapalloc_delta=%d bytes_per_entry=%.2f\n", n, delta, per)
}
