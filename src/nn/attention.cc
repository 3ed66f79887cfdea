// AttentionLayer (nd/nn/attention.h): projections, head split, flash attention, head merge.
#include "nd/nn/attention.h"

#include "nd/ops/shape.h"

namespace nd::nn {

namespace {
int64_t per_head(int64_t given, int64_t hidden, int64_t heads, const std::string& name) {
  ND_CHECK(hidden >= 1 && heads >= 1, "AttentionLayer '", name, "': hidden_size ", hidden, " and n_heads ", heads,
           " must be >= 1");
  if (given > 0) return given;
  ND_CHECK(hidden / heads >= 1, "AttentionLayer '", name, "': hidden_size ", hidden, " < n_heads ", heads);
  return hidden / heads;  // NF: hidden_size // n_heads
}
}  // namespace

AttentionLayer::AttentionLayer(ParameterStore& s, const std::string& name, int64_t hidden_size, int64_t n_heads,
                               int64_t d_keys, int64_t d_values, bool causal, float dropout, float scale,
                               uint64_t seed)
    : Module(s, name),
      query_projection(s, child_name("query_projection"), hidden_size,
                       per_head(d_keys, hidden_size, n_heads, name) * n_heads),
      key_projection(s, child_name("key_projection"), hidden_size, per_head(d_keys, hidden_size, n_heads, name) * n_heads),
      value_projection(s, child_name("value_projection"), hidden_size,
                       per_head(d_values, hidden_size, n_heads, name) * n_heads),
      out_projection(s, child_name("out_projection"), per_head(d_values, hidden_size, n_heads, name) * n_heads,
                     hidden_size),
      n_heads_(n_heads),
      d_keys_(per_head(d_keys, hidden_size, n_heads, name)),
      d_values_(per_head(d_values, hidden_size, n_heads, name)),
      causal_(causal),
      dropout_(dropout),
      scale_(scale),
      rng_(seed) {
  ND_CHECK(dropout >= 0.0f && dropout < 1.0f, "AttentionLayer '", name, "': dropout must be in [0, 1), got ", dropout);
  register_child(&query_projection);
  register_child(&key_projection);
  register_child(&value_projection);
  register_child(&out_projection);
}

Var AttentionLayer::forward(Var queries, Var keys, Var values, const uint8_t* key_padding_mask) {
  ND_CHECK(queries.rank() == 3 && keys.rank() == 3 && values.rank() == 3,
           "AttentionLayer '", name(), "': expected [B, L, hidden] inputs, got queries ", queries.shape().str(),
           ", keys ", keys.shape().str(), ", values ", values.shape().str());
  const int64_t B = queries.size(0), L = queries.size(1), S = keys.size(1), H = n_heads_;
  ND_CHECK(values.size(1) == S, "AttentionLayer '", name(), "': keys ", keys.shape().str(), " and values ",
           values.shape().str(), " differ in length");
  // [B, L, H*E] -> [B, L, H, E] -> [B, H, L, E] (NF's .view then SDPA's permute).
  auto heads = [&](Var x, int64_t len, int64_t e) { return ops::permute(ops::reshape(x, {B, len, H, e}), {0, 2, 1, 3}); };
  Var q = heads(query_projection.forward(queries), L, d_keys_);
  Var k = heads(key_projection.forward(keys), S, d_keys_);
  Var v = heads(value_projection.forward(values), S, d_values_);
  ops::AttentionOptions o;
  o.causal = causal_;
  o.scale = scale_;
  o.training = is_training() && dropout_ > 0.0f;
  o.dropout_p = dropout_;
  o.seed = o.training ? (static_cast<uint64_t>(rng_.next_u32()) << 32 | rng_.next_u32()) : 0;
  o.key_padding_mask = key_padding_mask;
  Var y = ops::scaled_dot_product_attention(q, k, v, o);                    // [B, H, L, Ev]
  y = ops::reshape(ops::permute(y, {0, 2, 1, 3}), {B, L, H * d_values_});  // [B, L, H*Ev]
  return out_projection.forward(y);
}

}  // namespace nd::nn
