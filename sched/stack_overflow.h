// Turning faults on goroutine stacks into Go's messages.
//
// A fault in a goroutine's guard page is a stack overflow:
//   runtime: goroutine stack exceeds 262144-byte limit
//   runtime: sp=0x... stack=[0x..., 0x...]
//   fatal error: stack overflow
// Any other SIGSEGV/SIGBUS inside a goroutine is what Go reports as a nil
// (or wild) pointer dereference:
//   panic: runtime error: invalid memory address or nil pointer dereference
//   [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x...]
// Go can recover the latter; a C++ signal cannot become an exception, so in
// gort it always ends the run (exit status 2).
//
// The handler runs on an alternate signal stack, since the faulting stack
// has no room left.
#pragma once

namespace gort::sched {

void installStackOverflowHandler();
// Each thread that runs goroutines needs its own alternate signal stack.
void installAltStack();
void releaseAltStack();

}  // namespace gort::sched
