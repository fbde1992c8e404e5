//! Received header lists (pooled, borrowed by events) and the message rules of RFC 9113 §8
//! that they are checked against.

/// A byte range inside the connection's header arena.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

impl Span {
    fn get(self, buf: &[u8]) -> &[u8] {
        &buf[self.start as usize..(self.start + self.len) as usize]
    }
}

/// One stored field: name and value ranges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FieldRef {
    name: Span,
    value: Span,
}

/// Pseudo-header fields of one block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Pseudo {
    method: Option<Span>,
    scheme: Option<Span>,
    authority: Option<Span>,
    path: Option<Span>,
    protocol: Option<Span>,
    status: Option<u16>,
}

/// Where one decoded block lives in the arena.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BlockRef {
    pub(crate) fields_start: u32,
    pub(crate) fields_end: u32,
    pub(crate) pseudo: Pseudo,
}

impl BlockRef {
    /// `:status`, or 0 for a request or trailers.
    pub(crate) fn pseudo_status(&self) -> u16 {
        self.pseudo.status.unwrap_or(0)
    }
}

/// The pooled storage of every header list waiting in the event queue. Cleared when the queue
/// empties, so its capacity is reused: no allocation per block in steady state.
#[derive(Debug, Default)]
pub(crate) struct Arena {
    pub(crate) bytes: Vec<u8>,
    pub(crate) fields: Vec<FieldRef>,
}

impl Arena {
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.fields.clear();
    }

    fn push_bytes(&mut self, b: &[u8]) -> Span {
        let start = self.bytes.len() as u32;
        self.bytes.extend_from_slice(b);
        Span {
            start,
            len: b.len() as u32,
        }
    }

    pub(crate) fn view(&self, block: &BlockRef) -> Headers<'_> {
        Headers {
            bytes: &self.bytes,
            fields: &self.fields[block.fields_start as usize..block.fields_end as usize],
            pseudo: block.pseudo,
        }
    }
}

/// What kind of block is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockKind {
    /// Initial HEADERS of a request (server side).
    Request,
    /// HEADERS of a response, informational or final (client side).
    Response,
    /// Trailers (either side).
    Trailers,
}

/// Checks fields one at a time as the HPACK decoder yields them, storing them in the arena.
#[derive(Debug)]
pub(crate) struct Checker {
    kind: BlockKind,
    connect_protocol: bool,
    block: BlockRef,
    seen_regular: bool,
    malformed: bool,
    host: Option<Span>,
    pub(crate) content_length: Option<u64>,
}

/// `tchar` of RFC 9110 §5.6.2 without uppercase letters (RFC 9113 §8.2.1).
const fn name_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = matches!(c, b'a'..=b'z' | b'0'..=b'9')
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        i += 1;
    }
    t
}
static NAME_OK: [bool; 256] = name_table();

pub(crate) fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| NAME_OK[b as usize])
}

/// RFC 9113 §8.2.1: no NUL, CR or LF; no leading or trailing SP or HTAB.
#[inline(always)]
pub(crate) fn valid_value(v: &[u8]) -> bool {
    if let (Some(&f), Some(&l)) = (v.first(), v.last()) {
        if matches!(f, b' ' | b'\t') || matches!(l, b' ' | b'\t') {
            return false;
        }
    }
    !v.iter().any(|&b| matches!(b, 0 | b'\r' | b'\n'))
}

/// Connection-specific fields forbidden in HTTP/2 (RFC 9113 §8.2.2).
#[inline(always)]
pub(crate) fn connection_specific(name: &[u8]) -> bool {
    matches!(
        name,
        b"connection" | b"keep-alive" | b"proxy-connection" | b"transfer-encoding" | b"upgrade"
    )
}

/// Parses a content-length value: digits only, no overflow.
pub(crate) fn parse_content_length(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in v {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    Some(n)
}

impl Checker {
    pub(crate) fn new(kind: BlockKind, connect_protocol: bool, arena: &Arena) -> Checker {
        let n = arena.fields.len() as u32;
        Checker {
            kind,
            connect_protocol,
            block: BlockRef {
                fields_start: n,
                fields_end: n,
                pseudo: Pseudo::default(),
            },
            seen_regular: false,
            malformed: false,
            host: None,
            content_length: None,
        }
    }

    /// Takes one decoded field.
    pub(crate) fn field(&mut self, arena: &mut Arena, name: &[u8], value: &[u8]) {
        if self.malformed {
            return;
        }
        if !valid_value(value) {
            self.malformed = true;
            return;
        }
        if let Some(pname) = name.strip_prefix(b":") {
            self.pseudo(arena, pname, value);
            return;
        }
        self.seen_regular = true;
        if !valid_name(name) || connection_specific(name) {
            self.malformed = true;
            return;
        }
        match name {
            b"te" if value != b"trailers" => {
                self.malformed = true;
                return;
            }
            b"content-length" => match parse_content_length(value) {
                Some(n) if self.content_length.is_none_or(|c| c == n) => {
                    self.content_length = Some(n)
                }
                _ => {
                    self.malformed = true;
                    return;
                }
            },
            _ => {}
        }
        let f = FieldRef {
            name: arena.push_bytes(name),
            value: arena.push_bytes(value),
        };
        if name == b"host" {
            self.host = Some(f.value);
        }
        arena.fields.push(f);
        self.block.fields_end += 1;
    }

    fn pseudo(&mut self, arena: &mut Arena, pname: &[u8], value: &[u8]) {
        if self.seen_regular || self.kind == BlockKind::Trailers {
            self.malformed = true;
            return;
        }
        let p = &mut self.block.pseudo;
        let slot = match (self.kind, pname) {
            (BlockKind::Request, b"method") => &mut p.method,
            (BlockKind::Request, b"scheme") => &mut p.scheme,
            (BlockKind::Request, b"authority") => &mut p.authority,
            (BlockKind::Request, b"path") => &mut p.path,
            (BlockKind::Request, b"protocol") if self.connect_protocol => &mut p.protocol,
            (BlockKind::Response, b"status") => {
                if p.status.is_some() || value.len() != 3 || !value.iter().all(u8::is_ascii_digit) {
                    self.malformed = true;
                    return;
                }
                let s = value
                    .iter()
                    .fold(0u16, |a, &b| a * 10 + u16::from(b - b'0'));
                if s < 100 {
                    self.malformed = true;
                }
                p.status = Some(s);
                return;
            }
            _ => {
                self.malformed = true;
                return;
            }
        };
        if slot.is_some() {
            self.malformed = true;
            return;
        }
        *slot = Some(arena.push_bytes(value));
    }

    /// Finishes the block: `None` if it is malformed (RFC 9113 §8.1.1).
    pub(crate) fn finish(self, arena: &Arena, end_stream: bool) -> Option<BlockRef> {
        if self.malformed {
            return None;
        }
        let p = &self.block.pseudo;
        let b = &arena.bytes;
        match self.kind {
            BlockKind::Request => {
                let method = p.method?.get(b);
                if method.is_empty() {
                    return None;
                }
                if method == b"CONNECT" && p.protocol.is_none() {
                    // RFC 9113 §8.5: only :method and :authority.
                    if p.scheme.is_some() || p.path.is_some() || p.authority.is_none() {
                        return None;
                    }
                } else {
                    if p.protocol.is_some() && method != b"CONNECT" {
                        return None;
                    }
                    let (scheme, path) = (p.scheme?.get(b), p.path?.get(b));
                    if scheme.is_empty() || path.is_empty() {
                        return None;
                    }
                    if p.protocol.is_some() && p.authority.is_none() {
                        return None;
                    }
                }
                if let (Some(h), Some(a)) = (self.host, p.authority) {
                    // RFC 9113 §8.3.1: host and :authority must name the same entity.
                    if !h.get(b).eq_ignore_ascii_case(a.get(b)) {
                        return None;
                    }
                }
            }
            BlockKind::Response => {
                let s = p.status?;
                // RFC 9113 §8.1: an informational response cannot end the stream, and 101 does
                // not exist in HTTP/2 (§8.6).
                if s == 101 || ((100..200).contains(&s) && end_stream) {
                    return None;
                }
            }
            BlockKind::Trailers => {
                if !end_stream {
                    return None;
                }
            }
        }
        Some(self.block)
    }
}

/// A received header list: pseudo-headers by name, regular fields in order. Borrowed from the
/// connection's pooled storage; valid until the next `poll_event` or `recv`.
///
/// Every list handed out has passed RFC 9113 §8: lowercase valid names, values without NUL,
/// CR, LF or surrounding whitespace, required pseudo-headers present, none unknown, duplicated
/// or after a regular field, no connection-specific field, `te` only "trailers", consistent
/// content-length, and host agreeing with `:authority`.
///
/// # Examples
///
/// ```
/// use brisk_http2::{Config, Connection, Event};
/// let mut client = Connection::client(Config::default());
/// let mut server = Connection::server(Config::default());
/// client.send_request(&[(":method", "GET"), (":scheme", "http"), (":path", "/x"),
///     (":authority", "example.com"), ("accept", "*/*")], true)?;
/// let mut wire = Vec::new();
/// client.poll_output(&mut wire);
/// server.recv(&wire)?;
/// while let Some(ev) = server.poll_event() {
///     if let Event::Headers { headers, .. } = ev {
///         assert_eq!(headers.path(), Some(&b"/x"[..]));
///         assert_eq!(headers.get(b"accept"), Some(&b"*/*"[..]));
///         assert_eq!(headers.iter().count(), 1);
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Headers<'a> {
    bytes: &'a [u8],
    fields: &'a [FieldRef],
    pseudo: Pseudo,
}

impl<'a> Headers<'a> {
    fn span(&self, s: Option<Span>) -> Option<&'a [u8]> {
        s.map(|s| s.get(self.bytes))
    }

    /// `:method` (requests).
    ///
    /// # Examples
    ///
    /// See [`Headers`].
    pub fn method(&self) -> Option<&'a [u8]> {
        self.span(self.pseudo.method)
    }

    /// `:scheme` (requests; absent for CONNECT).
    ///
    /// # Examples
    ///
    /// See [`Headers`].
    pub fn scheme(&self) -> Option<&'a [u8]> {
        self.span(self.pseudo.scheme)
    }

    /// `:authority` (requests).
    ///
    /// # Examples
    ///
    /// See [`Headers`].
    pub fn authority(&self) -> Option<&'a [u8]> {
        self.span(self.pseudo.authority)
    }

    /// `:path` (requests; absent for CONNECT).
    ///
    /// # Examples
    ///
    /// See [`Headers`].
    pub fn path(&self) -> Option<&'a [u8]> {
        self.span(self.pseudo.path)
    }

    /// `:protocol` (extended CONNECT, RFC 8441).
    ///
    /// # Examples
    ///
    /// See [`Headers`].
    pub fn protocol(&self) -> Option<&'a [u8]> {
        self.span(self.pseudo.protocol)
    }

    /// `:status` (responses).
    ///
    /// # Examples
    ///
    /// See [`Headers`].
    pub fn status(&self) -> Option<u16> {
        self.pseudo.status
    }

    /// The regular (non-pseudo) fields, in the order received.
    ///
    /// # Examples
    ///
    /// See [`Headers`].
    pub fn iter(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        let bytes = self.bytes;
        self.fields
            .iter()
            .map(move |f| (f.name.get(bytes), f.value.get(bytes)))
    }

    /// The first value of a regular field (`name` in lowercase).
    ///
    /// # Examples
    ///
    /// See [`Headers`].
    pub fn get(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Number of regular fields.
    ///
    /// # Examples
    ///
    /// See [`Headers`].
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there is no regular field.
    ///
    /// # Examples
    ///
    /// See [`Headers`].
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: BlockKind, fields: &[(&[u8], &[u8])], end: bool) -> bool {
        let mut a = Arena::default();
        let mut c = Checker::new(kind, true, &a);
        for (n, v) in fields {
            c.field(&mut a, n, v);
        }
        c.finish(&a, end).is_some()
    }

    const REQ: [(&[u8], &[u8]); 4] = [
        (b":method", b"GET"),
        (b":scheme", b"http"),
        (b":path", b"/"),
        (b":authority", b"a"),
    ];

    #[test]
    fn request_rules() {
        assert!(check(BlockKind::Request, &REQ, true));
        let mut v = REQ.to_vec();
        v.push((b"Upper", b"x"));
        assert!(!check(BlockKind::Request, &v, true));
        let mut v = REQ.to_vec();
        v.insert(0, (b"x", b"y"));
        assert!(!check(BlockKind::Request, &v, true), "pseudo after regular");
        assert!(!check(BlockKind::Request, &REQ[1..], true), "no method");
        assert!(check(
            BlockKind::Request,
            &[(b":method", b"CONNECT"), (b":authority", b"a:443")],
            false
        ));
        assert!(!check(
            BlockKind::Request,
            &[
                (b":method", b"CONNECT"),
                (b":authority", b"a:443"),
                (b":path", b"/")
            ],
            false
        ));
        let mut v = REQ.to_vec();
        v.push((b"te", b"gzip"));
        assert!(!check(BlockKind::Request, &v, true));
        let mut v = REQ.to_vec();
        v.push((b"content-length", b"1"));
        v.push((b"content-length", b"2"));
        assert!(!check(BlockKind::Request, &v, true));
    }

    #[test]
    fn response_and_trailer_rules() {
        assert!(check(BlockKind::Response, &[(b":status", b"200")], true));
        assert!(!check(BlockKind::Response, &[(b":status", b"103")], true));
        assert!(check(BlockKind::Response, &[(b":status", b"103")], false));
        assert!(!check(BlockKind::Response, &[(b":status", b"101")], false));
        assert!(!check(BlockKind::Response, &[(b":status", b"20")], true));
        assert!(check(BlockKind::Trailers, &[(b"x", b"y")], true));
        assert!(!check(BlockKind::Trailers, &[(b"x", b"y")], false));
        assert!(!check(BlockKind::Trailers, &[(b":status", b"200")], true));
    }

    #[test]
    fn values() {
        assert!(valid_value(b"a b"));
        assert!(!valid_value(b" a"));
        assert!(!valid_value(b"a\t"));
        assert!(!valid_value(b"a\0b"));
        assert_eq!(parse_content_length(b"0012"), Some(12));
        assert_eq!(parse_content_length(b"+1"), None);
        assert_eq!(parse_content_length(b"99999999999999999999"), None);
    }
}
