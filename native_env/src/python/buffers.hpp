// Checks of the numpy buffers a caller hands the native env: the errors Python users see.
#pragma once

#include <pybind11/numpy.h>

#include <sstream>
#include <string>
#include <vector>

namespace mettagrid::python {

namespace py = pybind11;

inline std::string shape_str(const py::array& a) {
  std::ostringstream os;
  os << "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) os << (i ? ", " : "") << a.shape(i);
  os << (a.ndim() == 1 ? ",)" : ")");
  return os.str();
}

// A buffer argument taken as py::object, not py::array: a list (or anything else) gets this
// one-line TypeError instead of pybind's signature dump, and is never copy-converted.
inline py::array array_arg(const py::object& o, const char* name) {
  if (!py::isinstance<py::array>(o)) {
    throw py::type_error(std::string(name) + ": expected a numpy array, got " +
                         std::string(py::str(py::type::of(o).attr("__name__"))));
  }
  return py::reinterpret_borrow<py::array>(o);
}

// Checks a caller buffer: dtype (TypeError), C-contiguity, writability and one of the
// accepted shapes (ValueError). Returns the data pointer.
template <typename T>
T* checked(const py::array& a, const char* name, const char* dtype,
           const std::vector<std::vector<py::ssize_t>>& shapes, bool writable) {
  if (!a.dtype().is(py::dtype::of<T>())) {
    throw py::type_error(std::string(name) + ": expected dtype " + dtype + ", got " +
                         std::string(py::str(a.dtype())));
  }
  if (!(a.flags() & py::array::c_style)) {
    throw py::value_error(std::string(name) + ": array must be C-contiguous");
  }
  if (writable && !a.writeable()) throw py::value_error(std::string(name) + ": array is read-only");
  for (const auto& s : shapes) {
    if (static_cast<size_t>(a.ndim()) != s.size()) continue;
    bool ok = true;
    for (size_t i = 0; i < s.size(); ++i) ok &= a.shape(i) == s[i];
    if (ok) return static_cast<T*>(const_cast<void*>(a.data()));
  }
  std::ostringstream os;
  os << name << ": expected shape ";
  for (size_t k = 0; k < shapes.size(); ++k) {
    os << (k ? " or (" : "(");
    for (size_t i = 0; i < shapes[k].size(); ++i) os << (i ? ", " : "") << shapes[k][i];
    os << (shapes[k].size() == 1 ? ",)" : ")");
  }
  os << ", got " << shape_str(a);
  throw py::value_error(os.str());
}

}  // namespace mettagrid::python
