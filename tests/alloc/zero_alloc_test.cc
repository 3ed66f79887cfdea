// Proves that, once warmed up, a training step (forward, loss, backward, clipping, optimizer)
// and a no-grad inference call make zero heap allocations. The global operator new is replaced
// to count every allocation in the process.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>

#include "nd/nd.h"
#include "nd/ops/batch_norm.h"
#include "nd/ops/fft.h"
#include "nd/ops/series.h"

namespace {
std::atomic<int64_t> g_allocs{0};
// oneDNN's sgemm (the default for large GEMMs when installed) creates a few small objects inside
// the library on every call; this test checks the engine's own arena discipline, so its GEMMs go
// through BLAS, which allocates nothing per call once its buffer pool is warm.
const int g_blas_gemm = setenv("ND_GEMM", "blas", 1);
}

void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::aligned_alloc(static_cast<size_t>(a), (n + static_cast<size_t>(a) - 1) / static_cast<size_t>(a) *
                                                               static_cast<size_t>(a)))
    return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return ::operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace nd {
namespace {

// A model touching every layer type: Linear/MLP, Conv1d, LayerNorm, LSTM, GRU, RNN, Embedding,
// Dropout, AttentionLayer (flash attention, causal, with dropout), plus batch norm, pooling,
// interpolation, softmax and shape ops.
struct Model {
  nn::ParameterStore store;
  nn::Conv1d conv{store, "conv", 1, 4, 3, 1, 0, 1, true, true};
  nn::LSTM lstm{store, "lstm", 4, 16, 2, true, 0.1f, 7};
  nn::GRU gru{store, "gru", 16, 8, 1};
  nn::AttentionLayer attn{store, "attn", 8, 2, 0, 0, true, 0.1f, 0.0f, 11};
  nn::RNN rnn{store, "rnn", 8, 8, 1};
  nn::LayerNorm norm{store, "norm", 8};
  nn::Embedding emb{store, "emb", 5, 8};
  nn::MLP mlp{store, "mlp", 8 + 8 + 12, {32, 32}, 12, kernels::Act::gelu, 0.1f, 3};
  float bn_mean[8] = {}, bn_var[8] = {1, 1, 1, 1, 1, 1, 1, 1};  // BatchNorm running statistics
  bool train_bn = true;
  Model() { store.allocate(42); }

  Var forward(Var x /* [B, T] */, const int64_t* ids, int64_t B) {
    const int64_t T = x.size(1);
    Var c = conv.forward(ops::reshape(x, {B, 1, T}));               // [B, 4, T] causal
    Var h = lstm.forward(ops::transpose(c, 1, 2)).y;                // [B, T, 16]
    h = gru.forward(h).y;                                           // [B, T, 8]
    h = ops::add(h, attn.forward(h, h, h));                         // [B, T, 8]
    h = ops::batch_norm(h, Var(), Var(), {bn_mean, bn_var, 0.1f, 1e-5f, train_bn});
    Var last = rnn.forward(h).h_n;                                  // [B, 8]
    last = norm.forward(last);
    Var e = emb.forward(x.graph(), ids, B);                         // [B, 8]
    Var pooled = ops::max_pool1d(x, 2, 2, 0, true);                 // [B, T/2]
    Var up = ops::interpolate_linear(pooled, 12);                   // [B, 12]
    // Real FFTs of even (12) and odd (11) length (KissFFT plans cached per thread), a moving
    // average (Autoformer / FEDformer's decomposition).
    Var odd = ops::irfft(ops::rfft(ops::slice(up, 1, 0, 11)), 11);  // [B, 11]
    up = ops::add(ops::irfft(ops::complex_tanh(ops::rfft(up)), 12), ops::concat({odd, ops::slice(up, 1, 11, 12)}, 1));
    up = ops::reshape(ops::moving_average(ops::reshape(up, {B, 12, 1}), 3), {B, 12});
    Var feats = ops::concat({last, e, ops::softmax(up)}, 1);        // [B, 28]
    return mlp.forward(feats);                                      // [B, 12]
  }
};

TEST(ZeroAlloc, TrainingStepAfterWarmup) {
  Model m;
  m.mlp.train();
  optim::Adam opt(m.store, optim::AdamOptions{1e-3f});
  optim::StepLR sched = optim::StepLR::neuralforecast(opt, 100, 3);
  losses::Loss loss = losses::Loss::MQ({80, 90});
  losses::Loss mae = losses::Loss::MAE();
  const int64_t B = 8, T = 24, H = 12;
  std::vector<float> x(B * T), y(B * H), mask(B * H, 1.0f);
  Rng rng(1);
  for (float& v : x) v = rng.normal();
  for (float& v : y) v = rng.normal();
  const int64_t ids[8] = {0, 1, 2, 3, 4, 0, 1, 2};
  Graph g;
  nn::ParameterStore qstore;
  nn::Linear qhead(qstore, "q", 12, 12 * 5);
  qstore.allocate(1);
  auto step = [&] {
    g.reset();
    opt.zero_grad();
    qstore.zero_grad();
    Var xin = g.input(Tensor(x.data(), Shape{B, T}));
    Var out = m.forward(xin, ids, B);
    Var q = ops::reshape(qhead.forward(out), {B, H, 5});
    Var l = ops::add(loss(q, Tensor(y.data(), Shape{B, H}), Tensor(mask.data(), Shape{B, H})),
                     mae(out, Tensor(y.data(), Shape{B, H}), Tensor(mask.data(), Shape{B, H})));
    g.backward(l);
    optim::clip_grad_norm(m.store, 1.0f);
    opt.step();
    sched.step();
    return l.item();
  };
  for (int k = 0; k < 3; ++k) step();
  const int64_t before = g_allocs.load();
  float last = 0.0f;
  for (int k = 0; k < 5; ++k) last = step();
  const int64_t during = g_allocs.load() - before;
  EXPECT_EQ(during, 0) << "heap allocations in 5 warm training steps";
  EXPECT_TRUE(std::isfinite(last));
}

TEST(ZeroAlloc, NoGradInferenceAfterWarmup) {
  Model m;
  m.mlp.eval();
  m.lstm.eval();
  m.train_bn = false;
  const int64_t B = 1, T = 24;
  std::vector<float> x(B * T, 0.5f);
  const int64_t ids[1] = {3};
  Graph g;
  auto infer = [&] {
    g.reset();
    NoGradGuard ng(g);
    return m.forward(g.input(Tensor(x.data(), Shape{B, T})), ids, B).data()[0];
  };
  for (int k = 0; k < 3; ++k) infer();
  const int64_t before = g_allocs.load();
  float v = 0.0f;
  for (int k = 0; k < 5; ++k) v = infer();
  EXPECT_EQ(g_allocs.load() - before, 0) << "heap allocations in 5 warm inference calls";
  EXPECT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace nd
