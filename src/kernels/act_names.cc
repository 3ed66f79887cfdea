// Activation names: NeuralForecast / PyTorch spellings <-> nd::kernels::Act.
#include <cctype>
#include <string>

#include "nd/core/error.h"
#include "nd/kernels/activation.h"

namespace nd::kernels {

namespace {
struct Entry {
  const char* key;  // lower case, no separators
  Act act;
};
constexpr Entry kNames[] = {
    {"identity", Act::identity}, {"linear", Act::identity},  {"none", Act::identity},
    {"relu", Act::relu},         {"leakyrelu", Act::leaky_relu}, {"prelu", Act::prelu},
    {"elu", Act::elu},           {"selu", Act::selu},        {"gelu", Act::gelu},
    {"silu", Act::silu},         {"swish", Act::silu},       {"tanh", Act::tanh},
    {"sigmoid", Act::sigmoid},   {"softplus", Act::softplus}, {"softsign", Act::softsign},
};
}  // namespace

Act act_from_name(const std::string& name) {
  std::string key;
  for (char c : name)
    if (c != '_' && c != '-' && c != ' ') key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const Entry& e : kNames)
    if (key == e.key) return e.act;
  ND_THROW("unknown activation '", name,
           "'; valid: Identity, ReLU, LeakyReLU, PReLU, ELU, SELU, GELU, SiLU, Tanh, Sigmoid, Softplus, Softsign");
}

const char* act_name(Act a) {
  switch (a) {
    case Act::identity: return "Identity";
    case Act::relu: return "ReLU";
    case Act::leaky_relu: return "LeakyReLU";
    case Act::prelu: return "PReLU";
    case Act::elu: return "ELU";
    case Act::selu: return "SELU";
    case Act::gelu: return "GELU";
    case Act::silu: return "SiLU";
    case Act::tanh: return "Tanh";
    case Act::sigmoid: return "Sigmoid";
    case Act::softplus: return "Softplus";
    case Act::softsign: return "Softsign";
  }
  return "?";
}

}  // namespace nd::kernels
