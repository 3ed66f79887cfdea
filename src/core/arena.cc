// Arena: chunked bump allocator with block merging on reset (see nd/core/arena.h).
#include "nd/core/arena.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <sys/mman.h>

#include "nd/core/error.h"

namespace nd {

namespace {
constexpr size_t kAlign = 64;
size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// Blocks of 4 MB or more are 2 MB-aligned and advised as transparent huge pages (where the
// kernel's THP mode is "madvise", as Debian's default): a multi-GB step then takes 512x fewer
// page faults on first touch and its streaming passes far fewer TLB misses. ND_HUGEPAGES=0 turns
// it off.
constexpr size_t kHuge = size_t{2} << 20;
bool use_huge_pages() {
  static const bool on = [] {
    const char* e = std::getenv("ND_HUGEPAGES");
    return !(e && e[0] == '0');
  }();
  return on;
}
}  // namespace

Arena::Arena(size_t initial_bytes) {
  blocks_.reserve(32);
  add_block(std::max<size_t>(initial_bytes, 4096));
}

Arena::~Arena() {
  for (auto& b : blocks_) std::free(b.p);
}

void Arena::add_block(size_t min_bytes) {
  size_t sz = round_up(min_bytes);
  std::byte* p = nullptr;
  if (sz >= 2 * kHuge && use_huge_pages()) {
    sz = (sz + kHuge - 1) / kHuge * kHuge;
    p = static_cast<std::byte*>(std::aligned_alloc(kHuge, sz));
    if (p) (void)madvise(p, sz, MADV_HUGEPAGE);  // advice only: failure leaves normal pages
  } else {
    p = static_cast<std::byte*>(std::aligned_alloc(kAlign, sz));
  }
  ND_CHECK(p != nullptr, "out of memory: arena block of ", sz, " bytes");
  blocks_.push_back({p, sz, 0});
  current_ = blocks_.size() - 1;
}

void* Arena::alloc_bytes(size_t bytes) {
  bytes = round_up(std::max<size_t>(bytes, 1));
  Block* b = &blocks_[current_];
  if (b->used + bytes > b->size) {
    // Next block that fits, else a new one at least twice the last.
    while (current_ + 1 < blocks_.size()) {
      b = &blocks_[++current_];
      if (b->used + bytes <= b->size) break;
    }
    if (b->used + bytes > b->size) {
      add_block(std::max(bytes, blocks_.back().size * 2));
      b = &blocks_[current_];
    }
  }
  void* p = b->p + b->used;
  b->used += bytes;
  peak_ = std::max(peak_, used());
  return p;
}

float* Arena::alloc_zeroed(int64_t n) {
  float* p = alloc(n);
  std::memset(p, 0, sizeof(float) * static_cast<size_t>(n));
  return p;
}

void Arena::reset() {
  if (blocks_.size() > 1) {
    // Merge into one block holding the largest step so far (peak_: the bytes handed out, which
    // one block holds without the unused block tails). Not the blocks' total: growth by doubling
    // leaves that up to ~2x the peak, which for a multi-GB step is more than the machine has.
    for (auto& b : blocks_) std::free(b.p);
    blocks_.clear();
    add_block(peak_);
  }
  for (auto& b : blocks_) b.used = 0;
  current_ = 0;
}

size_t Arena::used() const {
  size_t u = 0;
  for (auto& b : blocks_) u += b.used;
  return u;
}

size_t Arena::capacity() const {
  size_t c = 0;
  for (auto& b : blocks_) c += b.size;
  return c;
}

}  // namespace nd
