// Shape and Tensor: a Tensor is a non-owning view (pointer, shape, strides) over float32
// storage owned by a parameter buffer or an Arena. Views (reshape, permute, slice) never copy;
// kernels take contiguous pointers, so the op layer materializes strided views when needed.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "nd/core/error.h"

namespace nd {

enum class DType : uint8_t { f32, bf16, f16 };
const char* dtype_name(DType t);
inline int dtype_size(DType t) { return t == DType::f32 ? 4 : 2; }

constexpr int kMaxDims = 6;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return d_[i]; }
  int64_t& operator[](int i) { return d_[i]; }
  // Negative axes count from the end, as in PyTorch; throws on out-of-range.
  int64_t dim(int axis) const { return d_[norm_axis(axis)]; }
  int norm_axis(int axis) const;
  int64_t numel() const;
  int64_t back() const { return d_[rank_ - 1]; }
  const int64_t* begin() const { return d_; }
  const int64_t* end() const { return d_ + rank_; }
  void push_back(int64_t v);
  std::vector<int64_t> vec() const { return {begin(), end()}; }
  std::string str() const;  // "[2, 3, 4]"

  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }

 private:
  int64_t d_[kMaxDims] = {0, 0, 0, 0, 0, 0};
  int rank_ = 0;
};

struct Tensor {
  float* data = nullptr;
  Shape shape;
  int64_t strides[kMaxDims] = {0, 0, 0, 0, 0, 0};  // in elements

  Tensor() = default;
  Tensor(float* p, const Shape& s);  // contiguous row-major view

  int rank() const { return shape.rank(); }
  int64_t numel() const { return shape.numel(); }
  int64_t size(int axis) const { return shape.dim(axis); }
  bool is_contiguous() const;
  bool defined() const { return data != nullptr; }

  // Views (no copy).
  Tensor reshape(const Shape& s) const;            // requires contiguous
  Tensor permute(const int* axes, int n) const;
  Tensor permute(std::initializer_list<int> axes) const { return permute(axes.begin(), static_cast<int>(axes.size())); }
  Tensor permute(const std::vector<int>& axes) const { return permute(axes.data(), static_cast<int>(axes.size())); }
  Tensor transpose(int a, int b) const;
  Tensor slice(int axis, int64_t start, int64_t stop) const;  // [start, stop)
  Tensor select(int axis, int64_t index) const;               // drops the axis

  // Element access for tests and cold paths.
  float& at(std::initializer_list<int64_t> idx) const;
  std::vector<float> to_vector() const;  // copies in row-major logical order
};

// Copies any (strided) view into contiguous dst of the same numel.
void copy_to_contiguous(const Tensor& src, float* dst);
// Copies contiguous src into a (possibly strided) view.
void copy_from_contiguous(const float* src, const Tensor& dst);

// Owning, 64-byte aligned float buffer (used for parameters, tests and benches).
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(int64_t n, float fill = 0.0f);
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept;
  Buffer& operator=(Buffer&& o) noexcept;
  ~Buffer();
  float* data() { return p_; }
  const float* data() const { return p_; }
  int64_t size() const { return n_; }
  Tensor view(const Shape& s);
  void resize(int64_t n, float fill = 0.0f);

 private:
  float* p_ = nullptr;
  int64_t n_ = 0;
};

// Half-precision storage: the bit patterns live in uint16 buffers; conversion kernels live in
// nd/kernels/convert.h. Mixed precision keeps master weights in f32 and casts for storage.
class HalfBuffer {
 public:
  HalfBuffer() = default;
  HalfBuffer(DType t, int64_t n);
  DType dtype() const { return dtype_; }
  uint16_t* data() { return v_.data(); }
  const uint16_t* data() const { return v_.data(); }
  int64_t size() const { return static_cast<int64_t>(v_.size()); }
  void from_f32(const float* src, int64_t n);
  void to_f32(float* dst) const;

 private:
  DType dtype_ = DType::bf16;
  std::vector<uint16_t> v_;
};

}  // namespace nd
