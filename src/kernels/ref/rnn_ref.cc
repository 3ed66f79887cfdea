// Scalar reference: fused recurrent cell steps (nd/kernels/rnn_cells.h). Gate nonlinearities in
// double; the state update uses the float gates exactly as stored, so forward and backward agree
// with what a caller sees. A null c_prev / h_prev / dc means a zero state (first or last step).
#include <cmath>

#include "kernels/ref/ref.h"

namespace nd::kernels::ref {

namespace {
inline float sigmoid(double x) { return static_cast<float>(1.0 / (1.0 + std::exp(-x))); }
inline float tanh_f(double x) { return static_cast<float>(std::tanh(x)); }
inline double at(const float* p, int64_t i) { return p ? p[i] : 0.0; }
}  // namespace

void lstm_cell_forward(float* gates, const float* c_prev, float* c, float* h, int64_t B, int64_t H) {
  for (int64_t b = 0; b < B; ++b) {
    float* gi = gates + b * 4 * H;
    float *gf = gi + H, *gg = gi + 2 * H, *go = gi + 3 * H;
    for (int64_t j = 0; j < H; ++j) {
      gi[j] = sigmoid(gi[j]);
      gf[j] = sigmoid(gf[j]);
      gg[j] = tanh_f(gg[j]);
      go[j] = sigmoid(go[j]);
      const float cj = static_cast<float>(static_cast<double>(gf[j]) * at(c_prev, b * H + j) +
                                          static_cast<double>(gi[j]) * gg[j]);
      c[b * H + j] = cj;
      h[b * H + j] = static_cast<float>(go[j] * std::tanh(static_cast<double>(cj)));
    }
  }
}

void lstm_cell_backward(const float* gates, const float* c_prev, const float* c, const float* dh, const float* dc,
                        float* dgates, float* dc_prev, int64_t B, int64_t H) {
  for (int64_t b = 0; b < B; ++b) {
    const float* g4 = gates + b * 4 * H;
    float* d4 = dgates + b * 4 * H;
    for (int64_t j = 0; j < H; ++j) {
      const int64_t k = b * H + j;
      const double i = g4[j], f = g4[H + j], g = g4[2 * H + j], o = g4[3 * H + j];
      const double tc = std::tanh(static_cast<double>(c[k]));
      const double d_o = dh[k] * tc;
      const double dct = at(dc, k) + dh[k] * o * (1.0 - tc * tc);
      d4[j] = static_cast<float>(dct * g * i * (1.0 - i));
      d4[H + j] = static_cast<float>(dct * at(c_prev, k) * f * (1.0 - f));
      d4[2 * H + j] = static_cast<float>(dct * i * (1.0 - g * g));
      d4[3 * H + j] = static_cast<float>(d_o * o * (1.0 - o));
      dc_prev[k] = static_cast<float>(dct * f);
    }
  }
}

void gru_cell_forward(const float* xg, const float* hg, const float* h_prev, float* h, float* saved, int64_t B,
                      int64_t H) {
  for (int64_t b = 0; b < B; ++b) {
    const float *x3 = xg + b * 3 * H, *h3 = hg + b * 3 * H;
    float* s4 = saved + b * 4 * H;
    for (int64_t j = 0; j < H; ++j) {
      const float r = sigmoid(static_cast<double>(x3[j]) + h3[j]);
      const float z = sigmoid(static_cast<double>(x3[H + j]) + h3[H + j]);
      const float hn = h3[2 * H + j];
      const float n = tanh_f(x3[2 * H + j] + static_cast<double>(r) * hn);
      // PyTorch's form: h = n + z * (h_prev - n).
      h[b * H + j] = static_cast<float>(n + z * (at(h_prev, b * H + j) - n));
      s4[j] = r;
      s4[H + j] = z;
      s4[2 * H + j] = n;
      s4[3 * H + j] = hn;
    }
  }
}

void gru_cell_backward(const float* saved, const float* h_prev, const float* dh, float* dxg, float* dhg,
                       float* dh_prev, int64_t B, int64_t H) {
  for (int64_t b = 0; b < B; ++b) {
    const float* s4 = saved + b * 4 * H;
    float *dx3 = dxg + b * 3 * H, *dh3 = dhg + b * 3 * H;
    for (int64_t j = 0; j < H; ++j) {
      const int64_t k = b * H + j;
      const double r = s4[j], z = s4[H + j], n = s4[2 * H + j], hn = s4[3 * H + j], g = dh[k];
      const double dn_pre = g * (1.0 - z) * (1.0 - n * n);
      const double dz_pre = g * (at(h_prev, k) - n) * z * (1.0 - z);
      const double dr_pre = dn_pre * hn * r * (1.0 - r);
      dx3[j] = dh3[j] = static_cast<float>(dr_pre);
      dx3[H + j] = dh3[H + j] = static_cast<float>(dz_pre);
      dx3[2 * H + j] = static_cast<float>(dn_pre);
      dh3[2 * H + j] = static_cast<float>(dn_pre * r);
      dh_prev[k] = static_cast<float>(g * z);
    }
  }
}

void rnn_cell_forward(float* a, int64_t n, bool relu) {
  for (int64_t i = 0; i < n; ++i) a[i] = relu ? (a[i] <= 0.0f ? 0.0f : a[i]) : tanh_f(a[i]);
}

void rnn_cell_backward(const float* h, const float* dh, float* da, int64_t n, bool relu) {
  for (int64_t i = 0; i < n; ++i)
    da[i] = relu ? (h[i] > 0.0f ? dh[i] : 0.0f) : static_cast<float>(dh[i] * (1.0 - static_cast<double>(h[i]) * h[i]));
}

}  // namespace nd::kernels::ref
