// Figures measured on real Go 1.19 (go1.19.8, linux/amd64), copied from the
// project's conformance set so that the tests need nothing beside the
// repository. Provenance, file by file, in README.md beside this header:
// the source file, its go_version and the method it states. Only the
// figures the map tests use are copied; values are as measured, not
// rounded or adjusted.
#pragma once

#include <cstdint>

namespace gort::testing::conformance {

// --- hint_to_B.json ---------------------------------------------------------
// make(map[int64]int64, hint) with a runtime hint; the rows themselves are
// checked by MapHint.HintToB (tests/maps/layout_test.cc), which carries the
// same table.
inline constexpr uint64_t kHmapBytes = 48;               // unsafe_sizeof_hmap, hmap_alloc_bytes_observed
inline constexpr uint64_t kBucketSizeInt64Int64 = 144;   // bucket_size_map_int64_int64
inline constexpr uint64_t kBucketSizeStringInt = 208;    // bucket_size_map_string_int
// make_map_string_int_no_hint and constant_small_hint (make(map[int64]int64, 8)).
inline constexpr uint64_t kMakeNoHintMallocs = 1;
inline constexpr uint64_t kMakeNoHintAllocBytes = 48;

// --- growth_trajectory.json -------------------------------------------------
// "insert int64 keys 0..199999 into make(map[int64]int64); after every insert
// read hmap via unsafe; a growth is recorded when B changes (or oldbuckets
// becomes non-nil); finish = first insert after which oldbuckets==nil".
// Five runs (five processes, five hash seeds); B_trajectory_identical_across_runs.
struct Growth {
  int64_t countAfterInsert;  // the count after the insert that changed B
  int newB;
  int64_t oldBucketCount;
  int64_t furtherInserts[5];  // further_inserts_until_oldbuckets_nil, run by run
};
inline constexpr Growth kGrowths[] = {
    {9, 1, 1, {0, 0, 0, 0, 0}},
    {14, 2, 2, {0, 0, 0, 0, 0}},
    {27, 3, 4, {2, 2, 1, 1, 2}},
    {53, 4, 8, {4, 5, 4, 4, 3}},
    {105, 5, 16, {10, 10, 11, 9, 10}},
    {209, 6, 32, {21, 23, 22, 21, 22}},
    {417, 7, 64, {39, 43, 43, 41, 42}},
    {833, 8, 128, {86, 86, 91, 88, 90}},
    {1665, 9, 256, {175, 177, 176, 175, 176}},
    {3329, 10, 512, {346, 358, 353, 358, 350}},
    {6657, 11, 1024, {712, 705, 710, 695, 707}},
    {13313, 12, 2048, {1426, 1410, 1404, 1423, 1421}},
    {26625, 13, 4096, {2847, 2841, 2809, 2840, 2865}},
    {53249, 14, 8192, {5673, 5681, 5673, 5677, 5662}},
    {106497, 15, 16384, {11377, 11361, 11346, 11351, 11337}},
};
inline constexpr int64_t kTrajectoryKeys = 200000;  // keys 0..199999
inline constexpr int kFinalB = 15;                  // final_B of every run
inline constexpr int64_t kFinalNoverflow[5] = {5328, 5388, 5463, 5372, 5442};

// delete_and_churn_states and churn_insert_delete_same_key (one run).
struct MapState {
  int64_t count;
  int B;
  int64_t noverflow;
  bool oldbucketsNonNil;
  int flags;
};
inline constexpr MapState kAfterInserting100000 = {100000, 14, 2719, false, 0};
inline constexpr MapState kAfterDeletingAll = {0, 14, 2719, false, 0};
inline constexpr MapState kAfterChurn = {0, 14, 2719, false, 0};  // 1e6 insert(k)/delete(k) of new keys
inline constexpr int64_t kChurnSteps = 1000000;
// Over the churn: samples_with_oldbuckets_non_nil, samples_with_sameSizeGrow_flag,
// same_size_grow_events and B_changes were all 0; max_noverflow stayed 2719.

// --- memory.json --------------------------------------------------------------
// "HeapAlloc after runtime.GC() x2 with the map reachable minus HeapAlloc
// after runtime.GC() x2 before building it; 5 runs in one process, median.
// kind int64 = map[int64]int64"
struct MemoryRow {
  int64_t n;
  bool hint;  // make(map[int64]int64, n)
  int64_t runs[5];
  int64_t median;
};
inline constexpr MemoryRow kMemory[] = {
    {1000, false, {41120, 41120, 41224, 41120, 41120}, 41120},
    {1000, true, {41072, 41120, 41120, 41088, 41120}, 41120},
    {10000, false, {321632, 320608, 321632, 320608, 321632}, 321632},
    {10000, true, {321632, 321632, 320608, 320608, 320608}, 320608},
    {100000, false, {2773728, 2784336, 2774976, 2774256, 2767104}, 2774256},
    {100000, true, {2767248, 2776464, 2773440, 2776464, 2774736}, 2774736},
    {1000000, false, {40149088, 40149088, 40149088, 40149088, 40149088}, 40149088},
    {1000000, true, {40149088, 40149088, 40149088, 40149088, 40149088}, 40149088},
};

// --- fatal_errors.json --------------------------------------------------------
// "fatal/prog built with go build; each case a fresh process; stderr
// captured". Every crashing case exited with status 2 and printed these
// first lines; the map-race cases printed 3 goroutine sections: the caught
// goroutine [running] first, main in WaitGroup.Wait [semacquire], the other
// goroutine [runnable], a blank line after each.
inline constexpr int kFatalExitStatus = 2;
inline constexpr const char* kConcurrentMapWrites = "fatal error: concurrent map writes";
inline constexpr const char* kConcurrentMapReadWrite = "fatal error: concurrent map read and map write";
inline constexpr const char* kConcurrentMapIterateWrite = "fatal error: concurrent map iteration and map write";
inline constexpr const char* kNilMapPanic = "panic: assignment to entry in nil map";
// "d: m["a"]=1 on nil map inside func with defer recover()": exit 0, stdout
// "recovered: assignment to entry in nil map (type runtime.plainError)".
inline constexpr const char* kNilMapRecovered = "assignment to entry in nil map";
inline constexpr int kRaceSections = 3;
inline constexpr int kNilMapSections = 1;

// --- iter_order.json ------------------------------------------------------------
// "one map per size, keys 0..n-1 (int64), 10000 fresh `for k := range m {
// ...; break }` loops, count which key came first"; n = 8 (B = 0).
inline constexpr int kIterKeys = 8;
inline constexpr int kIterLoops = 10000;
inline constexpr int64_t kIterFirstKeyCounts[8] = {1329, 1270, 1266, 1260, 1169, 1235, 1245, 1226};
inline constexpr double kIterChiSquare = 11.5;  // 7 degrees of freedom
inline constexpr int kIterKeysEverFirst = 8;

}  // namespace gort::testing::conformance
