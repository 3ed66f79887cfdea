// Broadcasting elementwise arithmetic (NumPy / PyTorch broadcasting rules).
#pragma once
#include "nd/autograd/graph.h"

namespace nd::ops {

Var add(Var a, Var b);
Var sub(Var a, Var b);
Var mul(Var a, Var b);
Var div(Var a, Var b);
Var add(Var a, float s);
Var mul(Var a, float s);
Var neg(Var a);
// Unary maths (scalar loops; not on hot paths of the current models).
Var exp(Var a);
Var log(Var a);  // throws on non-positive input
Var abs(Var a);
Var square(Var a);
Var sqrt(Var a);  // throws on negative input

inline Var operator+(Var a, Var b) { return add(a, b); }
inline Var operator-(Var a, Var b) { return sub(a, b); }
inline Var operator*(Var a, Var b) { return mul(a, b); }
inline Var operator/(Var a, Var b) { return div(a, b); }
inline Var operator*(Var a, float s) { return mul(a, s); }
inline Var operator+(Var a, float s) { return add(a, s); }
inline Var operator-(Var a) { return neg(a); }

}  // namespace nd::ops
