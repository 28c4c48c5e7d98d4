// hello_goroutines: goroutines, a WaitGroup and a channel.
// Its C++ twin is main.cc beside it; both print the same lines.
package main

import (
	"fmt"
	"sync"
)

func main() {
	results := make(chan int)
	var wg sync.WaitGroup
	for i := 1; i <= 3; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			results <- id * id
		}(i)
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	sum := 0
	for sq := range results {
		sum += sq
	}
	fmt.Printf("sum of squares 1..3 = %d\n", sum)

	// An unbuffered ping-pong between two goroutines.
	ping, pong := make(chan string), make(chan string)
	go func() {
		for msg := range ping {
			pong <- msg + " pong"
		}
		close(pong)
	}()
	for i := 0; i < 3; i++ {
		ping <- fmt.Sprintf("ping %d", i)
		fmt.Println(<-pong)
	}
	close(ping)
	_, ok := <-pong
	fmt.Printf("pong closed: %v\n", !ok)
}
