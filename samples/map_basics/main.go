// map_basics: the first chapter of the map handbook: make, a literal,
// lookups with ok, delete, range, m[k]++ and len, and the nil map. Its C++
// twin is main.cc beside it; both print the same lines.
//
//	map_basics [WORD...]
//
// The words (a sentence of its own when none are given) are counted with
// counts[w]++. Go ranges over a map in a random order, so every listing
// below is printed in sorted key order to be the same in every run.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// Prints m as name: k=v ... in sorted key order.
func printSorted(name string, m map[string]int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%d", k, m[k])
	}
	fmt.Printf("%s (len %d):%s\n", name, len(m), b.String())
}

func main() {
	// make, and a literal (a literal is a make and a few inserts).
	ages := map[string]int{"alice": 31, "bob": 27}
	ages["carol"] = 35 // insert
	ages["bob"] = 28   // update: same key, new value
	fmt.Println("len(ages) =", len(ages))

	// v, ok := m[k]: ok tells a missing key from a stored zero.
	for _, k := range []string{"alice", "dave"} {
		v, ok := ages[k]
		fmt.Printf("ages[%q] = %d, ok = %t\n", k, v, ok)
	}
	ages["eve"] = 0
	_, ok := ages["eve"]
	fmt.Printf("ages[%q] = %d, ok = %t (stored zero)\n", "eve", ages["eve"], ok)

	// delete: removing a missing key is fine too.
	delete(ages, "bob")
	delete(ages, "nobody")
	printSorted("ages after delete", ages)

	// range: visits every entry once, in no particular order.
	sum := 0
	for _, v := range ages {
		sum += v
	}
	fmt.Println("sum of ages =", sum)

	// m[k]++ inserts a missing key with the zero value, then adds one.
	words := os.Args[1:]
	if len(words) == 0 {
		words = strings.Fields("the quick brown fox jumps over the lazy dog and the end")
	}
	counts := make(map[string]int)
	for _, w := range words {
		counts[w]++
	}
	counts["total"] += len(words)
	printSorted("counts", counts)

	// The nil map: reads see an empty map, writes panic.
	var nilMap map[string]int
	v, ok := nilMap["x"]
	fmt.Printf("nil map: len = %d, nilMap[%q] = %d, ok = %t\n", len(nilMap), "x", v, ok)
	n := 0
	for range nilMap {
		n++
	}
	delete(nilMap, "x") // a no-op, not a panic
	fmt.Println("nil map: range visited", n, "entries")
	func() {
		defer func() {
			r := recover()
			fmt.Println("recovered:", r)
		}()
		nilMap["x"] = 1
		fmt.Println("not reached")
	}()
	fmt.Println("done")
}
