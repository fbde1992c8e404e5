//! The ASGI HTTP connection scope (ASGI 3.0, HTTP spec 2.4): the parts that never change are
//! built once per worker ([`ScopeParts::new`]), a request fills in the rest ([`ScopeParts::build`]).

use std::net::SocketAddr;

use brisk_server::{Request, Version};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

/// Interned key and value strings, and the constant part of every scope, as a dict copied
/// per request.
pub(crate) struct ScopeParts {
    template: Py<PyDict>,
    k_http_version: Py<PyString>,
    k_method: Py<PyString>,
    k_path: Py<PyString>,
    k_raw_path: Py<PyString>,
    k_query_string: Py<PyString>,
    k_headers: Py<PyString>,
    k_client: Py<PyString>,
    k_state: Py<PyString>,
    v10: Py<PyString>,
    v11: Py<PyString>,
    v2: Py<PyString>,
    methods: Vec<(&'static str, Py<PyString>)>,
    empty: Py<PyBytes>,
    root_path: String,
    /// A Unix-domain socket: `client` is None, as `server` (uvicorn's `--uds`).
    unix: bool,
}

/// Methods whose scope string is made once.
const METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "CONNECT", "TRACE",
];

impl ScopeParts {
    /// The constant parts for a server listening on `server` (None: a Unix-domain socket)
    /// under `root_path`; scheme `https` when `tls`.
    pub(crate) fn new(
        py: Python<'_>,
        server: Option<SocketAddr>,
        root_path: &str,
        tls: bool,
    ) -> PyResult<Self> {
        let s = |v: &str| PyString::intern(py, v).unbind();
        let template = PyDict::new(py);
        template.set_item(s("type"), s("http"))?;
        let asgi = PyDict::new(py);
        asgi.set_item("version", "3.0")?;
        asgi.set_item("spec_version", "2.4")?;
        template.set_item(s("asgi"), asgi)?;
        template.set_item(s("scheme"), s(if tls { "https" } else { "http" }))?;
        template.set_item(s("root_path"), PyString::new(py, root_path))?;
        match server {
            Some(a) => {
                let srv = (a.ip().to_string(), a.port()).into_pyobject(py)?;
                template.set_item(s("server"), srv)?;
            }
            None => {
                template.set_item(s("server"), py.None())?;
                template.set_item(s("client"), py.None())?;
            }
        }
        Ok(ScopeParts {
            template: template.unbind(),
            k_http_version: s("http_version"),
            k_method: s("method"),
            k_path: s("path"),
            k_raw_path: s("raw_path"),
            k_query_string: s("query_string"),
            k_headers: s("headers"),
            k_client: s("client"),
            k_state: s("state"),
            v10: s("1.0"),
            v11: s("1.1"),
            v2: s("2"),
            methods: METHODS.iter().map(|m| (*m, s(m))).collect(),
            empty: PyBytes::new(py, b"").unbind(),
            root_path: root_path.to_owned(),
            unix: server.is_none(),
        })
    }

    /// The scope of `req`; `state` (the lifespan state) is copied shallowly into it.
    pub(crate) fn build<'py>(
        &self,
        py: Python<'py>,
        req: &Request<'_>,
        state: Option<&Py<PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let scope = self.template.bind(py).copy()?;
        let version = match req.version() {
            Version::Http10 => &self.v10,
            Version::H2 => &self.v2,
            _ => &self.v11,
        };
        scope.set_item(&self.k_http_version, version)?;
        let method = req.method();
        match self.methods.iter().find(|(m, _)| *m == method) {
            Some((_, s)) => scope.set_item(&self.k_method, s)?,
            None => scope.set_item(&self.k_method, method)?,
        }
        let raw = req.path();
        let decoded = decode_path(raw.as_bytes());
        if self.root_path.is_empty() {
            scope.set_item(&self.k_path, &*decoded)?;
        } else {
            let mut full = String::with_capacity(self.root_path.len() + decoded.len());
            full.push_str(&self.root_path);
            full.push_str(&decoded);
            scope.set_item(&self.k_path, full)?;
        }
        scope.set_item(&self.k_raw_path, PyBytes::new(py, raw.as_bytes()))?;
        match req.query() {
            Some(q) if !q.is_empty() => {
                scope.set_item(&self.k_query_string, PyBytes::new(py, q.as_bytes()))?
            }
            _ => scope.set_item(&self.k_query_string, &self.empty)?,
        }
        let headers = PyList::empty(py);
        let mut lower = [0u8; 64];
        for h in req.headers().iter() {
            let name = if h.name.len() <= lower.len() {
                let l = &mut lower[..h.name.len()];
                for (d, s) in l.iter_mut().zip(h.name) {
                    *d = s.to_ascii_lowercase();
                }
                PyBytes::new(py, l)
            } else {
                PyBytes::new(py, &h.name.to_ascii_lowercase())
            };
            let pair = PyTuple::new(py, [name, PyBytes::new(py, h.value)])?;
            headers.append(pair)?;
        }
        scope.set_item(&self.k_headers, headers)?;
        if !self.unix {
            let peer = req.client_addr();
            scope.set_item(
                &self.k_client,
                (peer.ip().to_string(), peer.port()).into_pyobject(py)?,
            )?;
        }
        match state {
            Some(st) => scope.set_item(&self.k_state, st.bind(py).copy()?)?,
            None => scope.set_item(&self.k_state, PyDict::new(py))?,
        }
        Ok(scope)
    }
}

/// Percent-decodes a request path (`+` stays `+`: that rule is for queries); bytes that are
/// not UTF-8 after decoding become U+FFFD, as uvicorn does.
pub(crate) fn decode_path(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    if !raw.contains(&b'%') {
        return String::from_utf8_lossy(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' && i + 2 < raw.len() {
            if let (Some(h), Some(l)) = (hex(raw[i + 1]), hex(raw[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    std::borrow::Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}
