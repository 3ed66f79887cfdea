// numpy <-> std::vector helpers shared by the binding files. Arrays handed to Python own a copy
// (a capsule frees it), so nothing Python holds points into engine objects that may go away.
#pragma once
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace nd::py {

namespace nb = nanobind;

template <typename T>
using Array = nb::ndarray<nb::numpy, T>;
template <typename T>
using In1 = nb::ndarray<const T, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
template <typename T>
using In2 = nb::ndarray<const T, nb::ndim<2>, nb::c_contig, nb::device::cpu>;
using InAny = nb::ndarray<const float, nb::c_contig, nb::device::cpu>;

// Moves v into a numpy array of the given shape (the product of shape must equal v.size()).
template <typename T>
Array<T> to_numpy(std::vector<T>&& v, std::initializer_list<size_t> shape) {
  auto* owned = new std::vector<T>(std::move(v));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return Array<T>(owned->data(), shape, owner);
}
template <typename T>
Array<T> to_numpy(std::vector<T>&& v) {
  const size_t n = v.size();
  return to_numpy(std::move(v), {n});
}
template <typename T>
Array<T> to_numpy(std::vector<T>&& v, const std::vector<int64_t>& shape) {
  auto* owned = new std::vector<T>(std::move(v));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  std::vector<size_t> s(shape.begin(), shape.end());
  return Array<T>(owned->data(), s.size(), s.data(), owner);
}

template <typename T, typename A>
std::vector<T> to_vector(const A& a) {
  return std::vector<T>(a.data(), a.data() + a.size());
}

}  // namespace nd::py

#include <map>
#include <string>

#include "nd/nn/parameters.h"

namespace nd::models {
class Model;
}

namespace nd::py {
// Model::interpretability() as {name: (array, labels)}. Defined in bind_models.cc.
nb::dict interpretability_dict(const models::Model& m);
// Copies state_dict-named arrays into a parameter store: every parameter must be present with its
// shape; returns the names the store does not have. Defined in bind_models.cc.
std::vector<std::string> load_weights(nn::ParameterStore& s, const std::map<std::string, InAny>& weights,
                                      const std::string& who);
}  // namespace nd::py
