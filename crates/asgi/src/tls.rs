//! `--ssl-certfile`/`--ssl-keyfile` (uvicorn's flags): the rustls config of an HTTPS listener.

use std::path::PathBuf;
use std::sync::Arc;

use brisk_server::tls::{CertFiles, ServerConfig, Tls};
use pyo3::exceptions::PyValueError;
use pyo3::PyResult;

/// The config for `certfile` and `keyfile`, or None when neither is given.
///
/// # Errors
///
/// Only one of them, or a file that cannot be used (the message says which and why).
pub(crate) fn config(
    certfile: Option<PathBuf>,
    keyfile: Option<PathBuf>,
) -> PyResult<Option<Arc<ServerConfig>>> {
    match (certfile, keyfile) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Tls::new(&[CertFiles::new(cert, key)], true)
            .map(|t| Some(t.server_config()))
            .map_err(|e| PyValueError::new_err(e.to_string())),
        _ => Err(PyValueError::new_err(
            "ssl_certfile and ssl_keyfile go together",
        )),
    }
}
