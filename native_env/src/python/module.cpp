// PYBIND11_MODULE: the module's constants and the bindings of the other files.
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.hpp"
#include "mettagrid/actions/action_handler.hpp"

using namespace mettagrid;
using namespace mettagrid::python;

PYBIND11_MODULE(_mettagrid, m) {
  m.doc() = "Native MettaGrid: vectorized C++ multi-agent grid world writing into numpy buffers.";

  register_object_record_dtype();
  m.attr("direction_names") = std::vector<std::string>(kDirNames, kDirNames + 8);
  m.attr("registered_actions") = action_names_in_order();  // the catalog order, from actions/*.cpp
  bind_config(m);
  bind_vec_env(m);
}
