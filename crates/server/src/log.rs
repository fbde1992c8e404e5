//! The error log: leveled, timestamped lines on stderr, such as
//! `2026-12-06T08:10:00Z info: listening on http://127.0.0.1:8080`.
//!
//! The level is one for the whole process ([`set_level`]; default [`Level::Info`]). A message
//! below it costs one relaxed atomic load and nothing is formatted: the functions take
//! [`format_args!`], which is only rendered when the line is written. Each line leaves with
//! one `write(2)` on stderr. No `log` crate: five functions are all the server needs.
//!
//! What the server logs: start-up facts (the `brisk` binary), failed accepts (warn, at most one
//! a second), handler panics with their route (error), protocol errors of a connection
//! (debug: the parser's error and the status answered), shutdown progress (info).
//!
//! # Examples
//!
//! ```
//! use brisk_server::log::{self, Level};
//!
//! log::set_level(Level::Warn);
//! assert!(!log::enabled(Level::Info));
//! log::info(format_args!("not written"));
//! log::set_level(Level::Info);
//! ```

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

/// How important a line is; a line is written when its level is at or above
/// [`set_level`]'s.
///
/// # Examples
///
/// ```
/// use brisk_server::log::Level;
/// assert_eq!("warn".parse::<Level>(), Ok(Level::Warn));
/// assert!(Level::Error < Level::Debug);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Something failed: a handler panicked, the access log cannot be written.
    Error = 1,
    /// Something is wrong but the server goes on: accepts failing for lack of descriptors.
    Warn = 2,
    /// What the server does: start-up facts, shutdown progress.
    Info = 3,
    /// Per connection: protocol errors of clients and the status answered.
    Debug = 4,
}

impl Level {
    /// The level's name as written in a line (`error`, `warn`, `info`, `debug`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::log::Level::Debug.as_str(), "debug");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A level name that is not one of `error`, `warn`, `info`, `debug`.
///
/// # Examples
///
/// ```
/// let e = "loud".parse::<brisk_server::log::Level>().unwrap_err();
/// assert_eq!(e.to_string(), "unknown log level `loud` (error, warn, info or debug)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLevelError(String);

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown log level `{}` (error, warn, info or debug)",
            self.0
        )
    }
}

impl std::error::Error for ParseLevelError {}

impl std::str::FromStr for Level {
    type Err = ParseLevelError;
    fn from_str(s: &str) -> Result<Level, ParseLevelError> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Ok(Level::Error),
            "warn" | "warning" => Ok(Level::Warn),
            "info" => Ok(Level::Info),
            "debug" => Ok(Level::Debug),
            _ => Err(ParseLevelError(s.to_string())),
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

/// Sets the process's level (default [`Level::Info`]).
///
/// # Examples
///
/// ```
/// brisk_server::log::set_level(brisk_server::log::Level::Debug);
/// # brisk_server::log::set_level(brisk_server::log::Level::Info);
/// ```
pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Whether a line at `level` is written.
///
/// # Examples
///
/// ```
/// assert!(brisk_server::log::enabled(brisk_server::log::Level::Error));
/// ```
#[inline]
pub fn enabled(level: Level) -> bool {
    level as u8 <= LEVEL.load(Ordering::Relaxed)
}

/// Writes `message` at `level`, if enabled: `2026-12-06T08:10:00Z level: message` on stderr.
///
/// # Examples
///
/// ```
/// use brisk_server::log::{log, Level};
/// log(Level::Info, format_args!("listening on {}", "127.0.0.1:8080"));
/// ```
#[inline]
pub fn log(level: Level, message: fmt::Arguments<'_>) {
    if enabled(level) {
        write_line(level, message);
    }
}

#[cold]
#[inline(never)]
fn write_line(level: Level, message: fmt::Arguments<'_>) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, mo, d, h, mi, s) = crate::access_log::civil(secs);
    let line = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z {level}: {message}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// [`log`] at [`Level::Error`].
///
/// # Examples
///
/// ```
/// brisk_server::log::error(format_args!("cannot open {}", "x"));
/// ```
pub fn error(message: fmt::Arguments<'_>) {
    log(Level::Error, message);
}

/// [`log`] at [`Level::Warn`].
///
/// # Examples
///
/// ```
/// brisk_server::log::warn(format_args!("slow disk"));
/// ```
pub fn warn(message: fmt::Arguments<'_>) {
    log(Level::Warn, message);
}

/// [`log`] at [`Level::Info`].
///
/// # Examples
///
/// ```
/// brisk_server::log::info(format_args!("started"));
/// ```
pub fn info(message: fmt::Arguments<'_>) {
    log(Level::Info, message);
}

/// [`log`] at [`Level::Debug`] (nothing is formatted unless debug is on).
///
/// # Examples
///
/// ```
/// brisk_server::log::debug(format_args!("parser error"));
/// ```
pub fn debug(message: fmt::Arguments<'_>) {
    log(Level::Debug, message);
}
