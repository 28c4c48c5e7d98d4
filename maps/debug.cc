// Map introspection (gort/map_debug.h): the numbers a Go programmer reads
// with unsafe, a picture of the buckets, and the structural checks tests
// rely on (Go's MapTombstoneCheck among them). All of it only reads the map,
// walking the same bucket arrays and overflow chains the map itself walks.

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <string>

#include "gc/sizeclasses.h"
#include "gort/map_debug.h"

namespace gort::debug {
namespace {

using maps::hmap;
using maps::kBucketCnt;
using maps::MapType;

uint64_t goBytes(uint64_t n) { return n == 0 ? 0 : gc::roundupsize(n); }

uint8_t oldB(const hmap* h) { return h->isSameSizeGrow() ? h->B : static_cast<uint8_t>(h->B - 1); }

int filled(const char* b) {
  int n = 0;
  for (int i = 0; i < kBucketCnt; i++) n += static_cast<uint8_t>(b[i]) >= maps::minTopHash;
  return n;
}

uint64_t ovlistBytes(const maps::ovlist* l) {
  if (l == nullptr) return 0;
  return 24 + goBytes(l->cap * sizeof(void*));
}

void appendf(std::string* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void appendf(std::string* out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) out->append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
}

std::string tophashName(uint8_t t) {
  switch (t) {
    case maps::emptyRest: return "rest";
    case maps::emptyOne: return "one";
    case maps::evacuatedX: return "evX";
    case maps::evacuatedY: return "evY";
    case maps::evacuatedEmpty: return "evE";
    default: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%02x", t);
      return buf;
    }
  }
}

void dumpChain(const MapType* t, const char* head, uintptr_t index, bool old, std::string* out) {
  const char* b = head;
  bool first = true;
  while (b != nullptr) {
    if (first) {
      appendf(out, "%sbucket %" PRIuPTR " @%p%s\n", old ? "old " : "", index, static_cast<const void*>(b),
              old && maps::evacuated(b) ? " (evacuated)" : "");
    }
    out->append("  tophash [");
    for (int i = 0; i < kBucketCnt; i++) {
      out->append(i == 0 ? "" : " ");
      out->append(tophashName(static_cast<uint8_t>(b[i])));
    }
    out->append("]\n");
    for (int i = 0; i < kBucketCnt; i++) {
      auto top = static_cast<uint8_t>(b[i]);
      if (top == maps::evacuatedX || top == maps::evacuatedY) {
        appendf(out, "  [%d] moved to %s\n", i, top == maps::evacuatedX ? "X (same index)" : "Y (index + old size)");
        continue;
      }
      if (top < maps::minTopHash) continue;
      appendf(out, "  [%d] ", i);
      t->formatKey(b, i, out);
      out->append(": ");
      t->formatElem(b, i, out);
      out->append("\n");
    }
    bool separate = maps::overflowIsSeparate(b, t->bucketsize);
    b = maps::overflowOf(b, t->bucketsize);
    if (b != nullptr) {
      appendf(out, "  -> overflow @%p (%s)\n", static_cast<const void*>(b), separate ? "allocated" : "preallocated");
    }
    first = false;
  }
}

}  // namespace

MapInfo inspectMap(const MapType* t, const hmap* h) {
  MapInfo m;
  m.type = t->name;
  m.bucketSize = t->bucketsize;
  m.keySize = t->keysize;
  m.elemSize = t->elemsize;
  m.indirectKey = t->indirectkey;
  m.indirectElem = t->indirectelem;
  m.noscan = t->noscan();
  if (h == nullptr) return m;
  m.nil = false;
  m.count = h->count;
  m.B = h->B;
  m.flags = h->getFlags();
  m.noverflow = h->noverflow;
  m.hash0 = h->hash0;
  m.nevacuate = h->nevacuate;
  m.growing = h->growing();
  m.sameSizeGrow = h->isSameSizeGrow();
  m.loadFactor = static_cast<double>(h->count) / static_cast<double>(maps::bucketShift(h->B));
  m.hmapBytes = sizeof(hmap);

  const size_t bs = t->bucketsize;
  if (const char* arr = h->buckets.get()) {
    m.buckets = reinterpret_cast<uintptr_t>(arr);
    m.bucketsLen = maps::bucketArrayLen(t, h->B);
    m.bucketsBytes = goBytes(m.bucketsLen * bs);
    m.preallocOverflow = m.bucketsLen - maps::bucketShift(h->B);
    if (const maps::mapextra* e = h->extra.get()) {
      const char* next = e->nextOverflow.load(std::memory_order_relaxed);
      const char* end = arr + m.bucketsLen * bs;
      if (next >= arr && next < end) m.preallocFree = static_cast<uint64_t>(end - next) / bs;
    }
    for (uintptr_t x = 0; x < maps::bucketShift(h->B); x++) {
      const char* b = arr + x * bs;
      while (b != nullptr) {
        m.fill[filled(b)]++;
        bool separate = maps::overflowIsSeparate(b, bs);
        b = maps::overflowOf(b, bs);
        if (b != nullptr) {
          m.overflowChained++;
          m.overflowSeparate += separate;
        }
      }
    }
  }
  if (const char* old = h->oldbuckets.get()) {
    uint8_t ob = oldB(h);
    m.oldbuckets = reinterpret_cast<uintptr_t>(old);
    m.oldbucketsLen = maps::bucketArrayLen(t, ob);
    m.oldbucketsBytes = goBytes(m.oldbucketsLen * bs);
    for (uintptr_t x = 0; x < maps::bucketShift(ob); x++) {
      const char* b = old + x * bs;
      bool live = !maps::evacuated(b);
      while (b != nullptr) {
        if (live) m.oldEntries += static_cast<uint64_t>(filled(b));
        bool separate = maps::overflowIsSeparate(b, bs);
        b = maps::overflowOf(b, bs);
        if (b != nullptr) {
          m.oldOverflowChained++;
          m.oldOverflowSeparate += separate;
        }
      }
    }
  }
  m.overflowBytes = (m.overflowSeparate + m.oldOverflowSeparate) * goBytes(bs);
  if (const maps::mapextra* e = h->extra.get()) {
    m.extraBytes = sizeof(maps::mapextra) + ovlistBytes(e->overflow.get()) + ovlistBytes(e->oldoverflow.get());
  }
  uint64_t perEntry = (t->indirectkey ? goBytes(t->keyobjsize) : 0) + (t->indirectelem ? goBytes(t->elemobjsize) : 0);
  m.indirectBytes = static_cast<uint64_t>(h->count) * perEntry;
  m.totalBytes = m.hmapBytes + m.bucketsBytes + m.oldbucketsBytes + m.overflowBytes + m.extraBytes + m.indirectBytes;
  return m;
}

std::string MapInfo::toJSON() const {
  std::string s;
  auto field = [&](const char* k, const std::string& v, bool quote) {
    s += s.empty() ? "{" : ",";
    s += "\"";
    s += k;
    s += "\":";
    if (quote) s += "\"";
    s += v;
    if (quote) s += "\"";
  };
  auto num = [&](const char* k, uint64_t v) { field(k, std::to_string(v), false); };
  auto flag = [&](const char* k, bool v) { field(k, v ? "true" : "false", false); };
  std::string escaped;
  for (char c : type) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  field("type", escaped, true);
  flag("nil", nil);
  field("count", std::to_string(count), false);
  num("B", B);
  num("flags", flags);
  num("noverflow", noverflow);
  num("hash0", hash0);
  num("nevacuate", nevacuate);
  flag("growing", growing);
  flag("sameSizeGrow", sameSizeGrow);
  num("bucketSize", bucketSize);
  num("keySize", keySize);
  num("elemSize", elemSize);
  flag("indirectKey", indirectKey);
  flag("indirectElem", indirectElem);
  flag("noscan", noscan);
  char addr[32];
  std::snprintf(addr, sizeof addr, "0x%" PRIxPTR, buckets);
  field("buckets", addr, true);
  num("bucketsLen", bucketsLen);
  std::snprintf(addr, sizeof addr, "0x%" PRIxPTR, oldbuckets);
  field("oldbuckets", addr, true);
  num("oldbucketsLen", oldbucketsLen);
  num("preallocOverflow", preallocOverflow);
  num("preallocFree", preallocFree);
  num("overflowChained", overflowChained);
  num("overflowSeparate", overflowSeparate);
  num("oldOverflowChained", oldOverflowChained);
  num("oldOverflowSeparate", oldOverflowSeparate);
  num("oldEntries", oldEntries);
  std::string hist = "[";
  for (int i = 0; i <= kBucketCnt; i++) hist += (i ? "," : "") + std::to_string(fill[i]);
  hist += "]";
  field("fill", hist, false);
  char lf[32];
  std::snprintf(lf, sizeof lf, "%.4f", loadFactor);
  field("loadFactor", lf, false);
  num("hmapBytes", hmapBytes);
  num("bucketsBytes", bucketsBytes);
  num("oldbucketsBytes", oldbucketsBytes);
  num("overflowBytes", overflowBytes);
  num("extraBytes", extraBytes);
  num("indirectBytes", indirectBytes);
  num("totalBytes", totalBytes);
  s += "}";
  return s;
}

std::string dumpMapBuckets(const MapType* t, const hmap* h) {
  std::string out;
  if (h == nullptr) {
    appendf(&out, "%s nil\n", t->name);
    return out;
  }
  appendf(&out, "%s count=%" PRId64 " B=%u flags=%#x noverflow=%u hash0=%#x bucketsize=%u\n", t->name, h->count,
          h->B, h->getFlags(), h->noverflow, h->hash0, t->bucketsize);
  const char* arr = h->buckets.get();
  if (arr == nullptr) {
    out.append("buckets nil (allocated at the first assignment)\n");
    return out;
  }
  uintptr_t n = maps::bucketArrayLen(t, h->B);
  appendf(&out, "buckets @%p: %" PRIuPTR " buckets + %" PRIuPTR " preallocated overflow\n",
          static_cast<const void*>(arr), maps::bucketShift(h->B), n - maps::bucketShift(h->B));
  for (uintptr_t x = 0; x < maps::bucketShift(h->B); x++) dumpChain(t, arr + x * t->bucketsize, x, false, &out);
  if (const char* old = h->oldbuckets.get()) {
    uint8_t ob = oldB(h);
    appendf(&out, "oldbuckets @%p: %" PRIuPTR " buckets, nevacuate=%" PRIuPTR "%s\n", static_cast<const void*>(old),
            maps::bucketShift(ob), h->nevacuate, h->isSameSizeGrow() ? " (same-size growth)" : "");
    for (uintptr_t x = 0; x < maps::bucketShift(ob); x++) dumpChain(t, old + x * t->bucketsize, x, true, &out);
  }
  return out;
}

std::string mapTombstoneCheck(const MapType* t, const hmap* h) {
  if (h == nullptr || h->buckets.get() == nullptr) return "";
  const size_t bs = t->bucketsize;
  for (uintptr_t x = 0; x < maps::bucketShift(h->B); x++) {
    const char* head = h->buckets.get() + x * bs;
    // n: slots that are not emptyRest; they must all come first.
    uint64_t n = 0;
    for (const char* b = head; b != nullptr; b = maps::overflowOf(b, bs)) {
      for (int i = 0; i < kBucketCnt; i++) n += static_cast<uint8_t>(b[i]) != maps::emptyRest;
    }
    uint64_t k = 0;
    for (const char* b = head; b != nullptr; b = maps::overflowOf(b, bs)) {
      for (int i = 0; i < kBucketCnt; i++, k++) {
        auto top = static_cast<uint8_t>(b[i]);
        std::string where = "bucket " + std::to_string(x) + " slot " + std::to_string(k);
        if (k < n && top == maps::emptyRest) return where + ": early emptyRest";
        if (k >= n && top != maps::emptyRest) return where + ": late non-emptyRest";
        if (k + 1 == n && top == maps::emptyOne) return where + ": last non-emptyRest entry is emptyOne";
      }
    }
  }
  return "";
}

std::string mapStructureCheck(const MapType* t, const hmap* h) {
  if (h == nullptr) return "";
  const size_t bs = t->bucketsize;
  int64_t entries = 0;
  auto walk = [&](const char* arr, uintptr_t nheads, uintptr_t len, bool old, std::string* err) {
    for (uintptr_t x = 0; x < nheads && err->empty(); x++) {
      const char* head = arr + x * bs;
      bool evac = maps::evacuated(head);
      if (!old && evac) {
        *err = "bucket " + std::to_string(x) + " of the current array is marked evacuated";
        return;
      }
      if (old && x < h->nevacuate && !evac) {
        *err = "old bucket " + std::to_string(x) + " is below nevacuate but not evacuated";
        return;
      }
      for (const char* b = head; b != nullptr;) {
        for (int i = 0; i < kBucketCnt; i++) {
          auto top = static_cast<uint8_t>(b[i]);
          bool mark = top > maps::emptyOne && top < maps::minTopHash;
          if (mark != evac) {
            *err = std::string(old ? "old " : "") + "bucket " + std::to_string(x) + " mixes evacuation marks and entries";
            return;
          }
          if (!evac && top >= maps::minTopHash) entries++;
        }
        bool separate = maps::overflowIsSeparate(b, bs);
        const char* next = maps::overflowOf(b, bs);
        if (next != nullptr && !separate && (next < arr + nheads * bs || next >= arr + len * bs)) {
          *err = "a preallocated overflow bucket of bucket " + std::to_string(x) + " lies outside its array";
          return;
        }
        b = next;
      }
    }
  };
  std::string err;
  if (const char* arr = h->buckets.get()) {
    walk(arr, maps::bucketShift(h->B), maps::bucketArrayLen(t, h->B), false, &err);
  }
  if (!err.empty()) return err;
  if (const char* old = h->oldbuckets.get()) {
    uint8_t ob = oldB(h);
    if (h->nevacuate > maps::bucketShift(ob)) return "nevacuate beyond the old array";
    walk(old, maps::bucketShift(ob), maps::bucketArrayLen(t, ob), true, &err);
  } else if (h->isSameSizeGrow()) {
    return "sameSizeGrow set without oldbuckets";
  }
  if (!err.empty()) return err;
  if (entries != h->count) {
    return "count is " + std::to_string(h->count) + " but the buckets hold " + std::to_string(entries) + " entries";
  }
  return "";
}

}  // namespace gort::debug
