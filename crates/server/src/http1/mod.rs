//! HTTP/1.1 on one connection: keep-alive, pipelining, bodies (Content-Length and chunked),
//! 100-continue, HEAD, error answers, and the hand-off to h2c on `Upgrade: h2c`.
//!
//! Every response produced while handling one readable event is appended to the reactor's
//! output for the connection, which writes it all with one `writev`: a batch of pipelined
//! requests costs one write.

mod conn;
mod later;
mod read;
mod write;

pub(crate) use conn::{Next, H1};
