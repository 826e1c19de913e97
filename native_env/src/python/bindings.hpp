// The Python module metta_lit._mettagrid, split by job: caller buffers (buffers.hpp), grid
// objects as typed records (object_records.cpp), config classes (config.cpp), the vectorized
// env (vec_env.cpp) and the module itself (module.cpp). It exchanges numpy buffers only (no
// libtorch), so the extension keeps working across torch versions.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "mettagrid/vec_env.hpp"

namespace mettagrid::python {

namespace py = pybind11;

// The numpy structured dtype "ObjectRecord" (register before returning records).
void register_object_record_dtype();
// Every object of an env (id order) as (records [n] ObjectRecord, inventory uint8 [n, resources]).
py::tuple object_records(const Env& env, const Rules& rules);

void bind_config(py::module_& m);
void bind_vec_env(py::module_& m);

}  // namespace mettagrid::python
