//! brisk-server: HTTP/1.1 and h2c on one port, built from brisk-reactor, brisk-http1,
//! brisk-http2 and brisk-router.
#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]

mod app;
mod config;
mod conn;
mod counters;
mod date;
mod error;
mod h1;
mod h2;
mod query;
mod request;
mod response;
mod server;
mod status;
mod worker;

pub use brisk_http1::Header;
pub use brisk_http2::Config as Http2Config;
pub use brisk_router::{Method, RouteMethod};
pub use config::{Limits, Timeouts};
pub use counters::Counters;
pub use error::Error;
pub use query::{percent_decode, Query, QueryPair};
pub use request::{Headers, Params, Request, Version, MAX_PARAMS};
pub use response::{Body, Response};
pub use server::{Builder, Handle, Server};
pub use status::reason_phrase;
