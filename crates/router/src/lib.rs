//! brisk-router: a radix-trie HTTP router with methods, `405` answers with the allowed
//! methods, a trailing-slash hint, params inside segments, and order-free conflict detection.
//!
//! The router is sans-IO: it maps a method and a path (`&str`) to a value and borrowed
//! params. It never touches sockets, threads or clocks, and a lookup never allocates.
//!
//! ```text
//!  request line ──> Method::from_bytes(b"GET") ──┐
//!                   path "/users/42" ────────────┴─> Router::at ──> Ok(Match { value, params })
//!                                                                └─> Err(NotFound / MethodNotAllowed)
//! ```
//!
//! # Examples
//!
//! ```
//! use brisk_router::{MatchError, Method, RouteMethod, Router};
//!
//! # fn main() -> Result<(), brisk_router::InsertError> {
//! let mut router = Router::new();
//! router.insert(Method::Get, "/", "index")?;
//! router.insert(Method::Get, "/users/{id}", "user")?;
//! router.insert(Method::Get, "/files/{name}.{ext}", "file")?;
//! router.insert(Method::Get, "/static/{*path}", "static")?;
//! router.insert(RouteMethod::Any, "/health", "health")?;
//!
//! let m = router.at(Method::Get, "/files/report.tar.gz").unwrap();
//! assert_eq!(*m.value(), "file");
//! assert_eq!(m.params().get("name"), Some("report"));
//! assert_eq!(m.params().get("ext"), Some("tar.gz"));
//!
//! let m = router.at(Method::Get, "/static/css/site.css").unwrap();
//! assert_eq!(m.params().get("path"), Some("css/site.css"));
//!
//! assert_eq!(*router.at(Method::Other(b"PURGE"), "/health").unwrap().value(), "health");
//!
//! match router.at(Method::Delete, "/users/1") {
//!     Err(MatchError::MethodNotAllowed { allowed }) => assert_eq!(allowed.to_string(), "GET"),
//!     other => panic!("{other:?}"),
//! }
//! assert_eq!(
//!     router.at(Method::Get, "/users/1/"),
//!     Err(MatchError::NotFound { trailing_slash: true })
//! );
//! # Ok(())
//! # }
//! ```
//!
//! # Rules
//!
//! - Patterns: static text, `{name}` (one or more bytes of one segment), params with static
//!   text around them in one segment (`/{name}.json`, `/v{version}/`, `/{file}.{ext}`: the
//!   first param takes the shortest value), and a final `{*rest}` (one or more bytes, `/`
//!   included). `{{` and `}}` are literal braces. See [`Router::insert`].
//! - Priority: static > param > catch-all wherever routes diverge, with full backtracking.
//! - Conflicts: two routes of one method conflict exactly when their patterns are equal up
//!   to parameter names, so a set of routes is accepted or refused whatever the order.
//! - Params are slices of the path and are never decoded by routing (so `%2F` cannot split a
//!   segment); [`percent_decode`] is there for after the match.
#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]

mod config;
mod decode;
mod error;
mod method;
mod params;
mod pattern;
mod router;
mod segments;
mod statics;
mod tree;

pub use config::Config;
pub use decode::{percent_decode, DecodeError};
pub use error::{InsertError, MatchError};
pub use method::{Method, MethodSet, MethodSetIter, RouteMethod, MAX_EXTENSION_METHODS};
pub use params::{Match, Params, ParamsIter, MAX_PARAMS};
pub use router::{Route, Router, Routes, MAX_PATH_LEN};
