// Arena: bump allocator for the activations and gradients of one step. reset() rewinds it; when
// a step needed more than one block, reset() merges them into one block big enough for the whole
// step, so from the second step on a training step makes no heap allocation.
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

  void* alloc_bytes(size_t bytes);  // 64-byte aligned; never returns null
  float* alloc(int64_t n) { return static_cast<float*>(alloc_bytes(sizeof(float) * static_cast<size_t>(n))); }
  float* alloc_zeroed(int64_t n);
  template <typename T>
  T* alloc_array(int64_t n) { return static_cast<T*>(alloc_bytes(sizeof(T) * static_cast<size_t>(n))); }

  void reset();
  size_t used() const;      // bytes handed out since the last reset
  size_t capacity() const;  // bytes held
  size_t peak() const { return peak_; }

 private:
  struct Block {
    std::byte* p;
    size_t size;
    size_t used;
  };
  void add_block(size_t min_bytes);
  std::vector<Block> blocks_;
  size_t current_ = 0;
  size_t peak_ = 0;
};

}  // namespace nd
