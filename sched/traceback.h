// Go-style goroutine tracebacks from C++ stacks.
//
//   goroutine 7 [chan receive]:
//   main::{lambda()#2}::operator()() const
//   	/src/samples/x/main.cc:41 +0x5c
//   created by main
//   	/src/samples/x/main.cc:40 +0x1d
//
// The running goroutine's stack comes from the unwinder; a suspended one's
// from walking the frame-pointer chain out of its saved context (everything
// gort builds keeps frame pointers). libbacktrace turns PCs into function,
// file and line, inlined frames included. As in Go, runtime frames (gort,
// std, boost) are hidden unless GOTRACEBACK=system.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sched/g.h"

namespace gort::sched {

constexpr int kMaxTracebackFrames = 100;  // Go's _TracebackMaxFrames

// Return addresses of the calling stack, innermost first, minus the first
// `skip` frames (this function is never included).
void captureCurrentStack(std::vector<uintptr_t>* out, int skip);
// Walks a frame-pointer chain starting at (pc, fp), staying inside `stack`.
void captureFromFrame(uintptr_t pc, uintptr_t fp, const Stack& stack, std::vector<uintptr_t>* out);
// A suspended goroutine's frames.
void captureSuspendedStack(const G* g, std::vector<uintptr_t>* out);

// The frame lines for pcs. The first pc is exact (a fault address) when
// firstExact; every other one is a return address.
std::string formatStack(const std::vector<uintptr_t>& pcs, bool firstExact, int level);
// "created by f\n\tfile:line +0x..\n" for the code that started g.
std::string formatCreatedBy(const G* g, int level);

// "goroutine N [status]:\n". statusOverride replaces the status word.
std::string goroutineHeader(const G* g, const char* statusOverride = nullptr);
const char* statusWord(const G* g);

// Whether a demangled function name belongs to the runtime or a library
// (hidden below GOTRACEBACK=system).
bool isRuntimeFunction(const std::string& name);

// Symbolizes one pc: innermost (inlined) function name, or "" when unknown.
std::string functionName(uintptr_t pc);

}  // namespace gort::sched
