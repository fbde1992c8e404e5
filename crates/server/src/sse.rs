//! Server-sent events: the `text/event-stream` format (WHATWG HTML, "Server-sent events",
//! section 9.2.6, "Interpreting an event stream").
//!
//! An event is a block of `field: value` lines ended by a blank line. [`Event`] writes one
//! block: its data split into one `data:` line per line of text (so a browser's `EventSource`
//! gets the text back with its line breaks as `\n`), and optionally `event:`, `id:` and
//! `retry:` lines. [`write_comment`] writes comment lines, which clients ignore: sent at an
//! interval they keep proxies from closing an idle stream.
//!
//! Nothing here allocates except through the growth of the caller's vector, and a name or id
//! that would break the framing (a line break, or NUL in an id) is refused before anything is
//! written.
//!
//! [`EventStream`] sends events as the body of a deferred response ([`crate::Responder`]):
//! `text/event-stream` on HTTP/1.1 (chunked) and HTTP/2, events pushed from any thread with
//! backpressure, and keep-alive comments at an interval from one timer thread shared by all
//! streams.

use std::fmt;

mod keep_alive;
mod stream;

pub use stream::{EventStream, StreamError, MIN_KEEP_ALIVE};

/// The `Content-Type` of an event stream.
///
/// # Examples
///
/// ```
/// assert_eq!(brisk_server::sse::CONTENT_TYPE, "text/event-stream");
/// ```
pub const CONTENT_TYPE: &str = "text/event-stream";

/// Why an event could not be written.
///
/// # Examples
///
/// ```
/// use brisk_server::sse::{Event, SseError};
///
/// let mut out = Vec::new();
/// let err = Event::new("x").event("a\nb").write_to(&mut out).unwrap_err();
/// assert_eq!(err, SseError::LineBreakInName);
/// assert!(out.is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SseError {
    /// The event name contains CR or LF, which would end its line early.
    LineBreakInName,
    /// The id contains CR or LF.
    LineBreakInId,
    /// The id contains NUL: clients ignore such an id (the spec says so), so it is refused.
    NulInId,
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SseError::LineBreakInName => "event name contains a line break",
            SseError::LineBreakInId => "event id contains a line break",
            SseError::NulInId => "event id contains NUL",
        })
    }
}

impl std::error::Error for SseError {}

/// One event: data, and optionally a name (`event:`), an id (`id:`, which a reconnecting
/// client sends back as `Last-Event-ID`) and a reconnection delay (`retry:`).
///
/// # Examples
///
/// ```
/// use brisk_server::sse::Event;
///
/// let mut out = Vec::new();
/// Event::new("first line\nsecond line").event("tick").id("42").write_to(&mut out)?;
/// assert_eq!(
///     out,
///     b"event: tick\nid: 42\ndata: first line\ndata: second line\n\n"
/// );
/// # Ok::<(), brisk_server::sse::SseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    data: &'a str,
    name: Option<&'a str>,
    id: Option<&'a str>,
    retry_ms: Option<u64>,
}

impl<'a> Event<'a> {
    /// An event carrying `data` (any text; CR, LF and CRLF all count as line breaks).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut out = Vec::new();
    /// brisk_server::sse::Event::new("hello").write_to(&mut out)?;
    /// assert_eq!(out, b"data: hello\n\n");
    /// # Ok::<(), brisk_server::sse::SseError>(())
    /// ```
    pub fn new(data: &'a str) -> Self {
        Event {
            data,
            name: None,
            id: None,
            retry_ms: None,
        }
    }

    /// Sets the event name (`addEventListener(name, ...)` on the client; the default name is
    /// `message`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut out = Vec::new();
    /// brisk_server::sse::Event::new("1").event("count").write_to(&mut out)?;
    /// assert_eq!(out, b"event: count\ndata: 1\n\n");
    /// # Ok::<(), brisk_server::sse::SseError>(())
    /// ```
    pub fn event(mut self, name: &'a str) -> Self {
        self.name = Some(name);
        self
    }

    /// Sets the event id.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut out = Vec::new();
    /// brisk_server::sse::Event::new("x").id("7").write_to(&mut out)?;
    /// assert_eq!(out, b"id: 7\ndata: x\n\n");
    /// # Ok::<(), brisk_server::sse::SseError>(())
    /// ```
    pub fn id(mut self, id: &'a str) -> Self {
        self.id = Some(id);
        self
    }

    /// Sets the client's reconnection delay, in milliseconds.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut out = Vec::new();
    /// brisk_server::sse::Event::new("x").retry(2500).write_to(&mut out)?;
    /// assert_eq!(out, b"retry: 2500\ndata: x\n\n");
    /// # Ok::<(), brisk_server::sse::SseError>(())
    /// ```
    pub fn retry(mut self, ms: u64) -> Self {
        self.retry_ms = Some(ms);
        self
    }

    /// Appends the event's lines and the blank line that ends it.
    ///
    /// # Errors
    ///
    /// [`SseError`] when the name or id would break the framing; nothing is written then.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut out = Vec::new();
    /// // A line break at the end is kept: the client's data ends with "\n".
    /// brisk_server::sse::Event::new("a\r\nb\n").write_to(&mut out)?;
    /// assert_eq!(out, b"data: a\ndata: b\ndata: \n\n");
    /// # Ok::<(), brisk_server::sse::SseError>(())
    /// ```
    pub fn write_to(&self, out: &mut Vec<u8>) -> Result<(), SseError> {
        if let Some(name) = self.name {
            if has_line_break(name) {
                return Err(SseError::LineBreakInName);
            }
        }
        if let Some(id) = self.id {
            if has_line_break(id) {
                return Err(SseError::LineBreakInId);
            }
            if id.contains('\0') {
                return Err(SseError::NulInId);
            }
        }
        if let Some(name) = self.name {
            field(out, b"event", name);
        }
        if let Some(id) = self.id {
            field(out, b"id", id);
        }
        if let Some(ms) = self.retry_ms {
            // Digits written straight into `out`: no temporary string.
            let mut digits = [0u8; 20];
            field(out, b"retry", brisk_http1::decimal(ms, &mut digits));
        }
        for line in lines(self.data) {
            field(out, b"data", line);
        }
        out.push(b'\n');
        Ok(())
    }
}

/// Appends `text` as comment lines (`: text`), one per line of text; an empty `text` writes a
/// bare `:` line. Clients ignore comments; one every 15-30 s keeps an idle stream open through
/// proxies.
///
/// # Examples
///
/// ```
/// let mut out = Vec::new();
/// brisk_server::sse::write_comment(&mut out, "");
/// brisk_server::sse::write_comment(&mut out, "keep-alive\nstill here");
/// assert_eq!(out, b":\n: keep-alive\n: still here\n");
/// ```
pub fn write_comment(out: &mut Vec<u8>, text: &str) {
    if text.is_empty() {
        out.extend_from_slice(b":\n");
        return;
    }
    for line in lines(text) {
        out.extend_from_slice(b": ");
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
}

fn has_line_break(s: &str) -> bool {
    s.bytes().any(|b| b == b'\r' || b == b'\n')
}

/// `name: value` and a line feed. The space after the colon is the one a client strips, so a
/// value that starts with a space keeps it.
fn field(out: &mut Vec<u8>, name: &[u8], value: impl AsRef<[u8]>) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_ref());
    out.push(b'\n');
}

/// The lines of `s`, split at CRLF, LF or CR (as a client splits the stream). A break at the
/// end yields a final empty line, so the text comes back whole.
fn lines(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let s = rest?;
        match s.find(['\r', '\n']) {
            None => {
                rest = None;
                Some(s)
            }
            Some(i) => {
                let skip = if s[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&s[i + skip..]);
                Some(&s[..i])
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client's parser (the spec's "interpret an event stream", for the fields written
    /// here): the dispatched events as (name, data, id).
    fn parse(stream: &[u8]) -> Vec<(String, String, Option<String>)> {
        let text = std::str::from_utf8(stream).unwrap();
        let mut events = Vec::new();
        let (mut name, mut data, mut id) = (String::new(), String::new(), None);
        for line in lines(text) {
            if line.is_empty() {
                if !data.is_empty() {
                    data.pop();
                    let n = if name.is_empty() { "message" } else { &name };
                    events.push((n.to_string(), data.clone(), id.clone()));
                }
                name.clear();
                data.clear();
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (f, v) = line.split_once(':').unwrap_or((line, ""));
            let v = v.strip_prefix(' ').unwrap_or(v);
            match f {
                "event" => name = v.to_string(),
                "data" => {
                    data.push_str(v);
                    data.push('\n');
                }
                "id" => id = Some(v.to_string()),
                _ => {}
            }
        }
        events
    }

    #[test]
    fn data_comes_back_whole_through_a_client_parser() {
        for data in [
            "plain",
            "",
            " leading space",
            "two\nlines",
            "crlf\r\nand cr\rend",
            "trailing\n",
            "\n\n",
            "ünïcode ✓",
        ] {
            let mut out = Vec::new();
            write_comment(&mut out, "hi");
            Event::new(data)
                .event("e")
                .id("1")
                .retry(10)
                .write_to(&mut out)
                .unwrap();
            let want = data.replace("\r\n", "\n").replace('\r', "\n");
            assert_eq!(
                parse(&out),
                vec![("e".to_string(), want, Some("1".to_string()))],
                "{data:?} as {:?}",
                String::from_utf8_lossy(&out)
            );
        }
    }

    #[test]
    fn names_and_ids_that_would_break_the_framing_are_refused_and_write_nothing() {
        let mut out = b"before".to_vec();
        for (ev, err) in [
            (Event::new("x").event("a\rb"), SseError::LineBreakInName),
            (Event::new("x").id("1\n"), SseError::LineBreakInId),
            (Event::new("x").id("a\0b"), SseError::NulInId),
        ] {
            assert_eq!(ev.write_to(&mut out), Err(err));
            assert_eq!(out, b"before");
            assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn retry_digits() {
        for n in [0, 7, 10, 2500, u64::MAX] {
            let mut out = Vec::new();
            Event::new("x").retry(n).write_to(&mut out).unwrap();
            assert_eq!(out, format!("retry: {n}\ndata: x\n\n").into_bytes());
        }
    }

    #[test]
    fn lines_split_like_a_client() {
        let got: Vec<&str> = lines("a\r\nb\rc\nd").collect();
        assert_eq!(got, ["a", "b", "c", "d"]);
        let got: Vec<&str> = lines("").collect();
        assert_eq!(got, [""]);
        let got: Vec<&str> = lines("x\r").collect();
        assert_eq!(got, ["x", ""]);
    }
}
