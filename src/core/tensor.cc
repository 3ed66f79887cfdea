// Shape and Tensor view arithmetic.
#include "nd/core/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "nd/core/parallel.h"
#include "nd/kernels/convert.h"

namespace nd {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "float32";
    case DType::bf16: return "bfloat16";
    case DType::f16: return "float16";
  }
  return "?";
}

Shape::Shape(std::initializer_list<int64_t> dims) {
  ND_CHECK(dims.size() <= kMaxDims, "tensor rank ", dims.size(), " exceeds the maximum of ", kMaxDims);
  for (int64_t v : dims) {
    ND_CHECK(v >= 0, "negative dimension ", v, " in shape");
    d_[rank_++] = v;
  }
}

Shape::Shape(const std::vector<int64_t>& dims) {
  ND_CHECK(dims.size() <= kMaxDims, "tensor rank ", dims.size(), " exceeds the maximum of ", kMaxDims);
  for (int64_t v : dims) {
    ND_CHECK(v >= 0, "negative dimension ", v, " in shape");
    d_[rank_++] = v;
  }
}

int Shape::norm_axis(int axis) const {
  int a = axis < 0 ? axis + rank_ : axis;
  ND_CHECK(a >= 0 && a < rank_, "axis ", axis, " out of range for shape ", str());
  return a;
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= d_[i];
  return n;
}

void Shape::push_back(int64_t v) {
  ND_CHECK(rank_ < kMaxDims, "tensor rank exceeds the maximum of ", kMaxDims);
  d_[rank_++] = v;
}

std::string Shape::str() const {
  std::ostringstream os;
  os << '[';
  for (int i = 0; i < rank_; ++i) os << (i ? ", " : "") << d_[i];
  os << ']';
  return os.str();
}

bool Shape::operator==(const Shape& o) const {
  if (rank_ != o.rank_) return false;
  for (int i = 0; i < rank_; ++i)
    if (d_[i] != o.d_[i]) return false;
  return true;
}

Tensor::Tensor(float* p, const Shape& s) : data(p), shape(s) {
  int64_t st = 1;
  for (int i = s.rank() - 1; i >= 0; --i) {
    strides[i] = st;
    st *= s[i];
  }
}

bool Tensor::is_contiguous() const {
  int64_t st = 1;
  for (int i = rank() - 1; i >= 0; --i) {
    if (shape[i] != 1 && strides[i] != st) return false;
    st *= shape[i];
  }
  return true;
}

Tensor Tensor::reshape(const Shape& s) const {
  ND_CHECK(s.numel() == numel(), "cannot reshape ", shape.str(), " (", numel(), " elements) to ", s.str(), " (",
           s.numel(), " elements)");
  ND_CHECK(is_contiguous(), "reshape of a non-contiguous view ", shape.str());
  return Tensor(data, s);
}

Tensor Tensor::permute(const int* axes, int n) const {
  ND_CHECK(n == rank(), "permute of ", shape.str(), " needs ", rank(), " axes, got ", n);
  Tensor t;
  t.data = data;
  bool seen[kMaxDims] = {};
  for (int i = 0; i < rank(); ++i) {
    int a = shape.norm_axis(axes[i]);
    ND_CHECK(!seen[a], "permute: axis ", axes[i], " repeated");
    seen[a] = true;
    t.shape.push_back(shape[a]);
    t.strides[i] = strides[a];
  }
  return t;
}

Tensor Tensor::transpose(int a, int b) const {
  int axes[kMaxDims];
  for (int i = 0; i < rank(); ++i) axes[i] = i;
  std::swap(axes[shape.norm_axis(a)], axes[shape.norm_axis(b)]);
  return permute(axes, rank());
}

Tensor Tensor::slice(int axis, int64_t start, int64_t stop) const {
  int a = shape.norm_axis(axis);
  ND_CHECK(0 <= start && start <= stop && stop <= shape[a], "slice [", start, ", ", stop, ") out of range for axis ",
           axis, " of shape ", shape.str());
  Tensor t = *this;
  t.data = data + start * strides[a];
  t.shape[a] = stop - start;
  return t;
}

Tensor Tensor::select(int axis, int64_t index) const {
  int a = shape.norm_axis(axis);
  ND_CHECK(0 <= index && index < shape[a], "index ", index, " out of range for axis ", axis, " of shape ",
           shape.str());
  Tensor t;
  t.data = data + index * strides[a];
  for (int i = 0, j = 0; i < rank(); ++i) {
    if (i == a) continue;
    t.shape.push_back(shape[i]);
    t.strides[j++] = strides[i];
  }
  return t;
}

float& Tensor::at(std::initializer_list<int64_t> idx) const {
  ND_CHECK(static_cast<int>(idx.size()) == rank(), "index of rank ", idx.size(), " into tensor ", shape.str());
  int64_t off = 0;
  int i = 0;
  for (int64_t v : idx) {
    ND_CHECK(v >= 0 && v < shape[i], "index ", v, " out of range for axis ", i, " of shape ", shape.str());
    off += v * strides[i++];
  }
  return data[off];
}

namespace {
// Walks all elements of a strided view in row-major order, calling f(offset, linear_index).
template <typename F>
void for_each_offset(const Tensor& t, F&& f) {
  const int r = t.rank();
  const int64_t n = t.numel();
  if (n == 0) return;
  if (r == 0) {
    f(0, 0);
    return;
  }
  int64_t idx[kMaxDims] = {};
  int64_t off = 0;
  const int64_t inner = t.shape[r - 1], inner_stride = t.strides[r - 1];
  for (int64_t lin = 0; lin < n; lin += inner) {
    for (int64_t j = 0; j < inner; ++j) f(off + j * inner_stride, lin + j);
    for (int d = r - 2; d >= 0; --d) {
      off += t.strides[d];
      if (++idx[d] < t.shape[d]) break;
      off -= t.strides[d] * t.shape[d];
      idx[d] = 0;
    }
  }
}
}  // namespace

void copy_to_contiguous(const Tensor& src, float* dst) {
  // Large copies are split over the threads (256 KB or more per task, so that a parallel region is
  // worth its barrier); on one thread they left the second core idle in the transformers' head
  // split / merge permutes (PatchTST: 1.5M floats per permute).
  constexpr int64_t kTaskFloats = 65536;
  const int64_t n = src.numel();
  if (n == 0) return;
  if (src.is_contiguous()) {
    parallel_for((n + kTaskFloats - 1) / kTaskFloats, 1, [&](int64_t c0, int64_t c1) {
      const int64_t b = c0 * kTaskFloats, e = std::min(n, c1 * kTaskFloats);
      std::memcpy(dst + b, src.data + b, sizeof(float) * static_cast<size_t>(e - b));
    });
    return;
  }
  const int r = src.rank();
  if (r >= 2 && src.strides[r - 1] == 1 && src.shape[r - 1] > 0) {
    // Contiguous innermost runs (head split / merge permutes): one block copy per run.
    const int64_t inner = src.shape[r - 1], runs = n / inner;
    parallel_for(runs, std::max<int64_t>(1, kTaskFloats / inner), [&](int64_t k0, int64_t k1) {
      int64_t idx[kMaxDims] = {};
      int64_t off = 0;
      for (int64_t d = r - 2, k = k0; d >= 0; --d) {  // run k0's index over the outer dims
        idx[d] = k % src.shape[d];
        k /= src.shape[d];
        off += idx[d] * src.strides[d];
      }
      for (int64_t k = k0; k < k1; ++k) {
        std::copy_n(src.data + off, inner, dst + k * inner);
        for (int64_t d = r - 2; d >= 0; --d) {
          off += src.strides[d];
          if (++idx[d] < src.shape[d]) break;
          off -= src.strides[d] * src.shape[d];
          idx[d] = 0;
        }
      }
    });
    return;
  }
  for_each_offset(src, [&](int64_t off, int64_t lin) { dst[lin] = src.data[off]; });
}

void copy_from_contiguous(const float* src, const Tensor& dst) {
  if (dst.is_contiguous()) {
    std::memcpy(dst.data, src, sizeof(float) * dst.numel());
    return;
  }
  for_each_offset(dst, [&](int64_t off, int64_t lin) { dst.data[off] = src[lin]; });
}

std::vector<float> Tensor::to_vector() const {
  std::vector<float> v(numel());
  copy_to_contiguous(*this, v.data());
  return v;
}

Buffer::Buffer(int64_t n, float fill) { resize(n, fill); }
Buffer::Buffer(Buffer&& o) noexcept : p_(o.p_), n_(o.n_) {
  o.p_ = nullptr;
  o.n_ = 0;
}
Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    std::free(p_);
    p_ = o.p_;
    n_ = o.n_;
    o.p_ = nullptr;
    o.n_ = 0;
  }
  return *this;
}
Buffer::~Buffer() { std::free(p_); }

void Buffer::resize(int64_t n, float fill) {
  std::free(p_);
  p_ = nullptr;
  n_ = n;
  if (n == 0) return;
  size_t bytes = (sizeof(float) * static_cast<size_t>(n) + 63) / 64 * 64;
  p_ = static_cast<float*>(std::aligned_alloc(64, bytes));
  ND_CHECK(p_ != nullptr, "out of memory allocating ", bytes, " bytes");
  std::fill(p_, p_ + n, fill);
}

Tensor Buffer::view(const Shape& s) {
  ND_CHECK(s.numel() <= n_, "view ", s.str(), " larger than buffer of ", n_, " floats");
  return Tensor(p_, s);
}

HalfBuffer::HalfBuffer(DType t, int64_t n) : dtype_(t), v_(static_cast<size_t>(n)) {
  ND_CHECK(t == DType::bf16 || t == DType::f16, "HalfBuffer holds bfloat16 or float16, not ", dtype_name(t));
}

void HalfBuffer::from_f32(const float* src, int64_t n) {
  v_.resize(static_cast<size_t>(n));
  if (dtype_ == DType::bf16)
    kernels::f32_to_bf16(src, v_.data(), n);
  else
    kernels::f32_to_f16(src, v_.data(), n);
}

void HalfBuffer::to_f32(float* dst) const {
  if (dtype_ == DType::bf16)
    kernels::bf16_to_f32(v_.data(), dst, size());
  else
    kernels::f16_to_f32(v_.data(), dst, size());
}

}  // namespace nd
