// neurodivergent._core: the thin nanobind layer over the C++ library. nd::Error becomes
// ValueError; a Ctrl-C during a long call stops it at the next training step and raises
// KeyboardInterrupt. Everything else (pandas / polars, docstrings, signatures) is Python.
#include <nanobind/nanobind.h>

#include "nd/core/error.h"
#include "nd/core/interrupt.h"
#include "nd/core/parallel.h"

namespace nd::py {

namespace nb = nanobind;

void bind_frames(nb::module_& m);
void bind_models(nb::module_& m);
void bind_forecast(nb::module_& m);

namespace {

// Runs on the engine's thread with the GIL released: take the GIL briefly and let Python run
// its signal handlers; a pending KeyboardInterrupt stays set for the binding to re-raise.
bool python_interrupt_pending() {
  nb::gil_scoped_acquire gil;
  return PyErr_CheckSignals() != 0;
}

}  // namespace

}  // namespace nd::py

NB_MODULE(_core, m) {
  namespace nb = nanobind;
  m.doc() = "neuro-divergent's C++ engine (use the neurodivergent package, not this module).";
  nd::set_interrupt_check(&nd::py::python_interrupt_pending);
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const nd::Error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const nd::Interrupted&) {
      if (!PyErr_Occurred()) PyErr_SetNone(PyExc_KeyboardInterrupt);
    }
  });
  m.def("set_num_threads", &nd::set_num_threads, nb::arg("n"), "Threads for training and inference.");
  m.def("get_num_threads", &nd::num_threads);
  nd::py::bind_frames(m);
  nd::py::bind_models(m);
  nd::py::bind_forecast(m);
}
