//! What the exchange's callables hand back and check: the [`Ready`] awaitable, and helpers that
//! read an ASGI message (optional keys, byte chunks, header names and values).
//!
//! ```text
//!  send(...) / receive() with nothing to wait for ──> Ready (completes at once with its value)
//!  http.response.start headers ──> header_bytes ──> valid_name / valid_value ──> Response
//! ```

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString};

/// An awaitable that completes at once with its value (`None` when it has none): what
/// `send()` and a `receive()` with a message ready return. It also speaks the coroutine
/// protocol (`send`, `throw`, `close`), so `asyncio.ensure_future(receive())` works.
#[pyclass(module = "brisk_asgi._brisk_asgi")]
pub(crate) struct Ready {
    value: Option<Py<PyAny>>,
}

impl Ready {
    pub(crate) fn new(value: Option<Py<PyAny>>) -> Ready {
        Ready { value }
    }

    fn stop(&mut self, py: Python<'_>) -> PyErr {
        let v = self.value.take().unwrap_or_else(|| py.None());
        PyStopIteration::new_err((v,))
    }
}

#[pymethods]
impl Ready {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Err(self.stop(py))
    }

    fn send(&mut self, py: Python<'_>, _value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        Err(self.stop(py))
    }

    #[pyo3(signature = (typ, val=None, _tb=None))]
    fn throw(
        &mut self,
        typ: &Bound<'_, PyAny>,
        val: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let exc = match val {
            Some(v) if !v.is_none() => v.clone(),
            _ => typ.clone(),
        };
        Err(PyErr::from_value(exc))
    }

    fn close(&mut self) {
        self.value = None;
    }
}

/// `message[key]` if present.
pub(crate) fn optional<'py>(
    message: &Bound<'py, PyAny>,
    key: &Py<PyString>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Ok(d) = message.cast::<PyDict>() {
        return Ok(d.get_item(key)?.filter(|v| !v.is_none()));
    }
    match message.get_item(key) {
        Ok(v) => Ok(Some(v).filter(|v| !v.is_none())),
        Err(_) => Ok(None),
    }
}

/// Runs `f` on the bytes of a `bytes`, `bytearray` or `memoryview` body chunk.
pub(crate) fn with_bytes<R>(v: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(f(b.as_bytes()));
    }
    if let Ok(b) = v.cast::<PyByteArray>() {
        return Ok(f(&b.to_vec()));
    }
    let b = PyBytes::new(v.py(), &[]).get_type().call1((v,))?;
    let b = b.cast::<PyBytes>()?;
    Ok(f(b.as_bytes()))
}

/// A header name or value: bytes (str is accepted as latin-1 free ASCII, as uvicorn does).
pub(crate) fn header_bytes(v: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(s.to_str()?.as_bytes().to_vec());
    }
    with_bytes(v, <[u8]>::to_vec)
}

/// The name as `&str` if it is an RFC 9110 token.
pub(crate) fn valid_name(name: &[u8]) -> Option<&str> {
    const EXTRA: &[u8] = b"!#$%&'*+-.^_`|~";
    let ok = !name.is_empty()
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || EXTRA.contains(b));
    if ok {
        std::str::from_utf8(name).ok()
    } else {
        None
    }
}

/// No control character but HTAB (so no CR, LF or NUL) in a field value.
pub(crate) fn valid_value(v: &[u8]) -> bool {
    v.iter().all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// Bytes shown as text in error messages.
pub(crate) fn bstr(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
