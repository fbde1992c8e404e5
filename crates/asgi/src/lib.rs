//! brisk-asgi: runs Python ASGI 3.0 applications on Brisk. The Python package `brisk_asgi`
//! (CLI, `run()`, lifespan) drives this extension module, `brisk_asgi._brisk_asgi`:
//!
//! - [`worker`]: `Worker`, an embedded brisk server turned by the asyncio loop that owns the
//!   thread (its fd with `loop.add_reader`, its deadline with `loop.call_later`);
//! - [`scope`]: the HTTP scope, its constant parts built once per worker;
//! - [`exchange`]: the native `receive` and `send` callables of one request (streaming
//!   responses through the server's pushed bodies);
//! - [`limits`]: `--limit-max-requests` and `--limit-concurrency`, counted per worker;
//! - [`inbound`]: request bodies streamed to the app as they arrive, with backpressure;
//! - [`events`]: what the server's pushed-body callbacks note for the exchanges;
//! - [`message`]: the `Ready` awaitable and the message helpers.
//!
//! ```python
//! import brisk_asgi
//!
//! async def app(scope, receive, send):
//!     await send({"type": "http.response.start", "status": 200, "headers": []})
//!     await send({"type": "http.response.body", "body": b"hello"})
//!
//! brisk_asgi.run(app, host="127.0.0.1", port=8000)
//! ```
//!
//! This is the only crate of the workspace with `unsafe` (inside PyO3's macros).
// The extension has no Rust API: its crate docs map the private modules for maintainers.
#![allow(rustdoc::private_intra_doc_links)]

mod events;
mod exchange;
mod inbound;
mod limits;
mod message;
mod scope;
mod tls;
mod worker;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _brisk_asgi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<worker::Worker>()?;
    m.add_class::<message::Ready>()?;
    m.add_class::<exchange::Receive>()?;
    m.add_class::<exchange::Send>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
