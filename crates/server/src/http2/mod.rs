//! HTTP/2 over cleartext (h2c) on one connection: brisk-http2 does the protocol; `conn`
//! copies each request's headers and body into a reusable stream slot (`stream`), runs the
//! exchange when the request is complete, and sends the response with flow control (DATA as
//! the windows allow, the rest when the stream is ready again).

mod conn;
mod file;
mod stream;

pub(crate) use conn::H2;
