// Semaphores for sync.Mutex, RWMutex and WaitGroup (runtime/sema.go): a
// counter at an address, and a table of goroutines waiting on addresses.
#pragma once

#include <atomic>
#include <cstdint>

namespace gort::sched {

// Waits until *addr > 0, then decrements it. lifo puts the waiter at the
// front of the queue (a Mutex waiter that has waited before).
void semacquire(std::atomic<uint32_t>* addr, bool lifo);
// Increments *addr and wakes one waiter. handoff gives the count directly to
// the waiter and yields to it (a Mutex in starvation mode).
void semrelease(std::atomic<uint32_t>* addr, bool handoff);

}  // namespace gort::sched
