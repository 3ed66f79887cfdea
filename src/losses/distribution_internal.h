// The per-element math behind the distribution losses (distribution.cc), shared with the NLL op
// and the samplers.
#pragma once
#include <vector>

#include "nd/losses/distribution.h"

namespace nd::losses::detail {

// The decoupled parameters of one forecast step, in the order of Loss::param_names (mixtures: each
// component's parameters together, weights softmaxed); returns their count.
int decouple(const Loss& l, const float* raw, double loc, double scale, double* params);
// Negative log-likelihood of y under one step's distribution and its gradient g[P] with respect to
// the raw outputs (not for mixtures: see component_lp).
double element_nll(const Loss& l, const float* raw, double loc, double scale, double y, double* g);

// Log mixture weights of one step (log_softmax of torch's Categorical(probs).logits, whose probs are
// clamped to [eps, 1 - eps]) and what their gradient needs: q (the softmaxed weights), pi
// (softmax of the clamped logits) and which entries the clamp let through.
struct MixWeights {
  std::vector<double> lw, q, pi;
  std::vector<char> free;
};
void mixture_weights(const Loss& l, const float* raw, MixWeights* m);
// Component k's log-likelihood of y and its gradient with respect to the component's raw outputs
// (g[0]: its first parameter, g[1]: its second).
double component_lp(const Loss& l, const float* raw, int k, double loc, double scale, double y, double* g);

double digamma(double x);
double softplus(double x);   // torch's: x itself above 20
double dsoftplus(double x);  // its derivative, sigmoid(x)

}  // namespace nd::losses::detail
