// syncmap_misuse: the sync.Map pattern that costs the most: a stream of new
// keys, each read back right after it is stored. Its C++ twin is main.cc
// beside it; both print the same lines.
//
// Go keeps no counters of rebuilds, copies or promotions, so this twin
// reads the map's internals after every operation through unsafe (a mirror
// of Go 1.19's layout) and counts state transitions, as the conformance
// figures in syncmap.json were measured:
//   - a rebuild is dirty going from nil to non-nil (dirtyLocked, inside a
//     Store of a new key); it copied len(dirty)-1 entries (the Store added
//     one; nothing is ever deleted here, so nothing was expunged);
//   - a promotion is dirty going from non-nil to nil (missLocked, or Range
//     when read was amended);
//   - a call takes the lock when, before it, the key is not in read.m
//     (Store of a new key; Load with read amended) or, for Range, when read
//     is amended.
package main

import (
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Go 1.19's sync.Map, field for field (sync/map.go).
type mapMirror struct {
	mu     sync.Mutex
	read   atomic.Value // readOnly
	dirty  map[any]*entryMirror
	misses int
}

type readOnlyMirror struct {
	m       map[any]*entryMirror
	amended bool
}

type entryMirror struct {
	p unsafe.Pointer
}

// The two words of an interface value (atomic.Value holds one).
type eface struct {
	typ, data unsafe.Pointer
}

type state struct {
	read     *readOnlyMirror // nil for the zero Map
	lenRead  int
	lenDirty int
	dirtyNil bool
}

func (s state) amended() bool { return s.read != nil && s.read.amended }

func (s state) inRead(k any) bool {
	if s.read == nil {
		return false
	}
	_, ok := s.read.m[k]
	return ok
}

func observe(m *sync.Map) state {
	mm := (*mapMirror)(unsafe.Pointer(m))
	var s state
	if ef := (*eface)(unsafe.Pointer(&mm.read)); ef.data != nil {
		s.read = (*readOnlyMirror)(ef.data)
		s.lenRead = len(s.read.m)
	}
	s.dirtyNil = mm.dirty == nil
	s.lenDirty = len(mm.dirty)
	return s
}

type counters struct {
	rebuilds, copied, promotions, locked, calls int
}

func (c *counters) after(before, now state) {
	if before.dirtyNil && !now.dirtyNil {
		c.rebuilds++
		c.copied += now.lenDirty - 1
	}
	if !before.dirtyNil && now.dirtyNil {
		c.promotions++
	}
}

func main() {
	keys := flag.Int64("keys", 1000, "new keys to store")
	loadsPerStore := flag.Int64("loads-per-store", 1, "loads of each key right after its Store")
	useRange := flag.Bool("range", false, "call Range instead of each Load")
	flag.Parse()

	var m sync.Map
	var c counters
	s := observe(&m)
	for k := int64(0); k < *keys; k++ {
		c.calls++
		if !s.inRead(k) {
			c.locked++
		}
		m.Store(k, k)
		now := observe(&m)
		c.after(s, now)
		s = now
		for j := int64(0); j < *loadsPerStore; j++ {
			c.calls++
			if *useRange {
				if s.amended() {
					c.locked++
				}
				m.Range(func(k, v any) bool { return true })
			} else {
				if !s.inRead(k) && s.amended() {
					c.locked++
				}
				m.Load(k)
			}
			now := observe(&m)
			c.after(s, now)
			s = now
		}
	}
	mode := "load"
	if *useRange {
		mode = "range"
	}
	fmt.Printf("keys=%d loads-per-store=%d mode=%s\n", *keys, *loadsPerStore, mode)
	perKey := 0.0
	if *keys > 0 {
		perKey = float64(c.copied) / float64(*keys)
	}
	fmt.Printf("calls=%d locked=%d copied per stored key: %.2f\n", c.calls, c.locked, perKey)
	fmt.Printf("rebuilds=%d copied=%d promotions=%d dirty=%d read=%d\n", c.rebuilds, c.copied, c.promotions, s.lenDirty, s.lenRead)
}
