// safetensors reader / writer (see nd/io/safetensors.h).
#include "nd/io/safetensors.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nd/core/error.h"

namespace nd::io {

using json = nlohmann::json;

namespace {
int64_t numel(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}
int dtype_bytes(const std::string& d) { return d == "F32" ? 4 : d == "I64" ? 8 : d == "F16" || d == "BF16" ? 2 : 0; }
}  // namespace

void StFile::put_f32(const std::string& name, const std::vector<int64_t>& shape, const float* data) {
  StTensor t{"F32", shape, std::vector<uint8_t>(static_cast<size_t>(numel(shape)) * 4)};
  if (!t.bytes.empty()) std::memcpy(t.bytes.data(), data, t.bytes.size());
  tensors[name] = std::move(t);
}

void StFile::put_i64(const std::string& name, const std::vector<int64_t>& shape, const int64_t* data) {
  StTensor t{"I64", shape, std::vector<uint8_t>(static_cast<size_t>(numel(shape)) * 8)};
  if (!t.bytes.empty()) std::memcpy(t.bytes.data(), data, t.bytes.size());
  tensors[name] = std::move(t);
}

const StTensor& StFile::at(const std::string& name) const {
  auto it = tensors.find(name);
  ND_CHECK(it != tensors.end(), "tensor '", name, "' missing from the safetensors file");
  return it->second;
}

std::vector<float> StFile::f32(const std::string& name) const {
  const StTensor& t = at(name);
  ND_CHECK(t.dtype == "F32", "tensor '", name, "' has dtype ", t.dtype, ", expected F32");
  std::vector<float> v(t.bytes.size() / 4);
  if (!v.empty()) std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

std::vector<int64_t> StFile::i64(const std::string& name) const {
  const StTensor& t = at(name);
  ND_CHECK(t.dtype == "I64", "tensor '", name, "' has dtype ", t.dtype, ", expected I64");
  std::vector<int64_t> v(t.bytes.size() / 8);
  if (!v.empty()) std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

void write_safetensors(const StFile& f, const std::string& path) {
  json header = json::object();
  uint64_t off = 0;
  for (const auto& [name, t] : f.tensors) {
    header[name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {off, off + t.bytes.size()}}};
    off += t.bytes.size();
  }
  if (!f.metadata.empty()) header["__metadata__"] = f.metadata;
  std::string h = header.dump();
  while (h.size() % 8) h += ' ';  // the data section starts 8-byte aligned
  const uint64_t hlen = h.size();
  uint8_t len_le[8];
  for (int k = 0; k < 8; ++k) len_le[k] = static_cast<uint8_t>(hlen >> (8 * k));
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    ND_CHECK(out.good(), "cannot write '", path, "'");
    out.write(reinterpret_cast<const char*>(len_le), 8);
    out.write(h.data(), static_cast<std::streamsize>(h.size()));
    for (const auto& [name, t] : f.tensors)
      out.write(reinterpret_cast<const char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      ND_THROW("cannot write '", path, "' (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    ND_THROW("cannot write '", path, "'");
  }
}

StFile read_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  ND_CHECK(in.good(), "cannot open '", path, "'");
  in.seekg(0, std::ios::end);
  const uint64_t size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  ND_CHECK(size >= 8, "'", path, "' is not a safetensors file (", size, " bytes)");
  uint8_t len_le[8];
  in.read(reinterpret_cast<char*>(len_le), 8);
  uint64_t hlen = 0;
  for (int k = 0; k < 8; ++k) hlen |= static_cast<uint64_t>(len_le[k]) << (8 * k);
  ND_CHECK(hlen <= size - 8 && hlen < (uint64_t{1} << 30), "'", path, "' is truncated or not a safetensors file (header of ",
           hlen, " bytes in a ", size, "-byte file)");
  std::string h(hlen, '\0');
  in.read(h.data(), static_cast<std::streamsize>(hlen));
  json header = json::parse(h, nullptr, false);
  ND_CHECK(!header.is_discarded() && header.is_object(), "'", path, "' is not a safetensors file (bad header)");
  const uint64_t data_size = size - 8 - hlen;
  StFile f;
  for (auto& [name, spec] : header.items()) {
    if (name == "__metadata__") {
      for (auto& [k, v] : spec.items()) f.metadata[k] = v.is_string() ? v.get<std::string>() : v.dump();
      continue;
    }
    ND_CHECK(spec.is_object() && spec.contains("dtype") && spec.contains("shape") && spec.contains("data_offsets"),
             "'", path, "': tensor '", name, "' has a malformed header entry");
    StTensor t;
    t.dtype = spec["dtype"].get<std::string>();
    t.shape = spec["shape"].get<std::vector<int64_t>>();
    const uint64_t b = spec["data_offsets"][0], e = spec["data_offsets"][1];
    ND_CHECK(b <= e && e <= data_size, "'", path, "' is truncated: tensor '", name, "' needs bytes [", b, ", ", e,
             ") of a ", data_size, "-byte data section");
    ND_CHECK(dtype_bytes(t.dtype) > 0 && static_cast<uint64_t>(numel(t.shape) * dtype_bytes(t.dtype)) == e - b, "'",
             path, "': tensor '", name, "' size does not match its dtype ", t.dtype, " and shape");
    t.bytes.resize(e - b);
    in.seekg(static_cast<std::streamoff>(8 + hlen + b));
    in.read(reinterpret_cast<char*>(t.bytes.data()), static_cast<std::streamsize>(e - b));
    ND_CHECK(in.good() || t.bytes.empty(), "'", path, "': read error in tensor '", name, "'");
    f.tensors[name] = std::move(t);
  }
  return f;
}

}  // namespace nd::io
