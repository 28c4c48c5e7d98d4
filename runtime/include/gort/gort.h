// gort: a small Go runtime in C++. Include this one header.
//
// Goroutines (gort/goroutine.h), channels and select (gort/chan.h), maps
// (gort/map.h), sync (gort/sync.h), panics with defer and recover (gort/panic.h), and
// gort::run (gort/run.h). See README.md for a tour.
#pragma once

#include "gort/chan.h"
#include "gort/failure.h"
#include "gort/gc.h"
#include "gort/heap.h"
#include "gort/map.h"
#include "gort/goroutine.h"
#include "gort/panic.h"
#include "gort/run.h"
#include "gort/sync.h"
