// Arena: chunked bump allocator; large steps live in one reserved address range (see
// nd/core/arena.h).
#include "nd/core/arena.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <sys/mman.h>
#include <unistd.h>

#include "nd/core/error.h"

namespace nd {

namespace {
constexpr size_t kAlign = Arena::kAlign;

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

// The reservation: address space for as many bytes as the machine has memory (a step cannot use
// more without swapping), committed page by page as the bump pointer first touches it.
// MAP_NORESERVE keeps it out of the kernel's overcommit accounting; where the kernel refuses
// anyway (overcommit_memory = 2, an address-space ulimit) the arena falls back to heap blocks.
size_t reservation_bytes(size_t min_bytes) {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const size_t ram = pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : 0;
  const size_t want = std::max(ram, min_bytes);
  return (want + kHuge - 1) / kHuge * kHuge;
}
}  // namespace

Arena::Arena(size_t initial_bytes) {
  blocks_.reserve(32);
  add_block(std::max<size_t>(initial_bytes, 4096));
}

Arena::~Arena() {
  for (auto& b : blocks_) release(b);
}

void Arena::release(const Block& b) {
  if (b.map_base)
    munmap(b.map_base, b.map_len);
  else
    std::free(b.p);
}

bool Arena::reserve(size_t min_bytes) {
  const size_t len = reservation_bytes(min_bytes) + kHuge;  // + room to start on a 2 MB boundary
  void* base = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return false;
  const uintptr_t start = (reinterpret_cast<uintptr_t>(base) + kHuge - 1) / kHuge * kHuge;
  auto* p = reinterpret_cast<std::byte*>(start);
  const size_t size = len - (start - reinterpret_cast<uintptr_t>(base));  // >= the reservation
  if (use_huge_pages()) (void)madvise(p, size, MADV_HUGEPAGE);  // advice only
  blocks_.push_back({p, size, 0, 0, base, len});
  current_ = blocks_.size() - 1;
  reserved_ = true;
  return true;
}

void Arena::add_block(size_t min_bytes) {
  size_t sz = Arena::span(min_bytes);
  // A step that outgrows the small blocks moves into one reservation: its pages are touched once,
  // where growing blocks and merging them on reset (below) touch a step's memory twice, which
  // for a multi-GB step is seconds of the kernel zeroing pages in its first two steps.
  if (!reserved_ && sz >= 2 * kHuge && reserve(sz)) return;
  std::byte* p = nullptr;
  if (sz >= 2 * kHuge && use_huge_pages()) {
    sz = (sz + kHuge - 1) / kHuge * kHuge;
    p = static_cast<std::byte*>(std::aligned_alloc(kHuge, sz));
    if (p) (void)madvise(p, sz, MADV_HUGEPAGE);  // advice only: failure leaves normal pages
  } else {
    p = static_cast<std::byte*>(std::aligned_alloc(kAlign, sz));
  }
  ND_CHECK(p != nullptr, "out of memory: arena block of ", sz, " bytes");
  blocks_.push_back({p, sz, 0, 0, nullptr, 0});
  current_ = blocks_.size() - 1;
}

void* Arena::alloc_bytes(size_t bytes) {
  bytes = span(bytes);
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
  b->high = std::max(b->high, b->used);
  peak_ = std::max(peak_, used());
  return p;
}

float* Arena::alloc_zeroed(int64_t n) {
  float* p = alloc(n);
  std::memset(p, 0, sizeof(float) * static_cast<size_t>(n));
  return p;
}

void Arena::reset() {
  if (blocks_.size() > 1 && !reserved_) {
    // Merge into one block holding the largest step so far (peak_: the bytes handed out, which
    // one block holds without the unused block tails). Not the blocks' total: growth by doubling
    // leaves that up to ~2x the peak, which for a multi-GB step is more than the machine has.
    for (auto& b : blocks_) release(b);
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
  for (auto& b : blocks_) c += b.map_base ? b.high : b.size;
  return c;
}

}  // namespace nd
