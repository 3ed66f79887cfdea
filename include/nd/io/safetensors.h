// safetensors files (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then the raw
// little-endian data. Readable by the `safetensors` Python package and PyTorch.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nd::io {

struct StTensor {
  std::string dtype;  // "F32" or "I64"
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

struct StFile {
  std::map<std::string, StTensor> tensors;
  std::map<std::string, std::string> metadata;

  void put_f32(const std::string& name, const std::vector<int64_t>& shape, const float* data);
  void put_i64(const std::string& name, const std::vector<int64_t>& shape, const int64_t* data);
  // Typed access; throws nd::Error naming the tensor when absent or of another dtype / size.
  std::vector<float> f32(const std::string& name) const;
  std::vector<int64_t> i64(const std::string& name) const;
  const StTensor& at(const std::string& name) const;
};

// Writes atomically (temp file + rename).
void write_safetensors(const StFile& f, const std::string& path);
// Throws nd::Error naming the path for a missing, truncated or foreign file.
StFile read_safetensors(const std::string& path);

}  // namespace nd::io
