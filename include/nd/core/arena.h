// Arena: bump allocator for the activations and gradients of one step. reset() rewinds it.
// Small steps live in heap blocks; when a step needed more than one, reset() merges them into
// one block big enough for the whole step. A step that needs a block of 4 MB or more moves into
// one reserved address range (mmap, MAP_NORESERVE, as large as the machine's memory) whose pages
// the kernel commits as they are first touched: nothing is merged or touched twice. Either way,
// from the second step on a training step makes no heap allocation and takes no page fault.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nd {

class Arena {
 public:
  explicit Arena(size_t initial_bytes = size_t{1} << 20);
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena();

  static constexpr size_t kAlign = 64;
  // The bytes an allocation of `bytes` spans: whole kAlign lines, at least one.
  static constexpr size_t span(size_t bytes) { return ((bytes > 0 ? bytes : 1) + kAlign - 1) / kAlign * kAlign; }

  void* alloc_bytes(size_t bytes);  // kAlign-aligned; never returns null
  float* alloc(int64_t n) { return static_cast<float*>(alloc_bytes(sizeof(float) * static_cast<size_t>(n))); }
  float* alloc_zeroed(int64_t n);
  template <typename T>
  T* alloc_array(int64_t n) { return static_cast<T*>(alloc_bytes(sizeof(T) * static_cast<size_t>(n))); }

  void reset();
  size_t used() const;      // bytes handed out since the last reset
  size_t capacity() const;  // bytes held (of a reservation: the bytes ever handed out of it)
  size_t peak() const { return peak_; }

 private:
  struct Block {
    std::byte* p;
    size_t size;
    size_t used;
    size_t high;          // most bytes ever used
    void* map_base;       // the reservation's mapping (null: a heap block)
    size_t map_len;
  };
  void add_block(size_t min_bytes);
  bool reserve(size_t min_bytes);
  static void release(const Block& b);
  std::vector<Block> blocks_;
  size_t current_ = 0;
  size_t peak_ = 0;
  bool reserved_ = false;
};

}  // namespace nd
