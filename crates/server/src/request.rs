//! The request a handler sees: everything borrows from the connection's buffers.

use std::net::SocketAddr;

use brisk_http1::Header;

use crate::query::Query;

/// The protocol version a request arrived with.
///
/// # Examples
///
/// ```
/// assert_eq!(brisk_server::Version::Http11.as_str(), "HTTP/1.1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Version {
    /// HTTP/1.0 (RFC 9112 with 1.0 keep-alive rules).
    Http10,
    /// HTTP/1.1 (RFC 9112).
    Http11,
    /// HTTP/2 (RFC 9113), cleartext.
    H2,
}

impl Version {
    /// The version as written on an HTTP/1 status line, or `"HTTP/2"`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Version::H2.as_str(), "HTTP/2");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
            Version::H2 => "HTTP/2",
        }
    }
}

/// The header fields of a request, with case-insensitive lookup.
///
/// # Examples
///
/// ```
/// use brisk_server::{Header, Headers};
///
/// let fields = [Header { name: b"Content-Type", value: b"text/plain" }];
/// let h = Headers::new(&fields);
/// assert_eq!(h.get("content-type"), Some(&b"text/plain"[..]));
/// assert_eq!(h.get_str("CONTENT-TYPE"), Some("text/plain"));
/// assert_eq!(h.len(), 1);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Headers<'a> {
    fields: &'a [Header<'a>],
}

impl<'a> Headers<'a> {
    /// Wraps a slice of fields.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(brisk_server::Headers::new(&[]).is_empty());
    /// ```
    pub fn new(fields: &'a [Header<'a>]) -> Self {
        Headers { fields }
    }

    /// The value of the first field called `name` (ASCII case-insensitive).
    ///
    /// # Examples
    ///
    /// ```
    /// let f = [brisk_server::Header { name: b"Host", value: b"a" }];
    /// assert_eq!(brisk_server::Headers::new(&f).get("host"), Some(&b"a"[..]));
    /// ```
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.fields
            .iter()
            .find(|f| f.is(name.as_bytes()))
            .map(|f| f.value)
    }

    /// Like [`Headers::get`], but only when the value is UTF-8.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = [brisk_server::Header { name: b"X", value: b"\xff" }];
    /// assert_eq!(brisk_server::Headers::new(&f).get_str("x"), None);
    /// ```
    pub fn get_str(&self, name: &str) -> Option<&'a str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Every value of the fields called `name`, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_server::{Header, Headers};
    /// let f = [Header { name: b"a", value: b"1" }, Header { name: b"A", value: b"2" }];
    /// assert_eq!(Headers::new(&f).get_all("a").count(), 2);
    /// ```
    pub fn get_all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a [u8]> + 'n
    where
        'a: 'n,
    {
        self.fields
            .iter()
            .filter(move |f| f.is(name.as_bytes()))
            .map(|f| f.value)
    }

    /// All fields in the order they arrived.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = [brisk_server::Header { name: b"a", value: b"1" }];
    /// assert_eq!(brisk_server::Headers::new(&f).iter().next().unwrap().name, b"a");
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'a, Header<'a>> {
        self.fields.iter()
    }

    /// Number of fields.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Headers::new(&[]).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when there are no fields.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(brisk_server::Headers::new(&[]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// Route parameters (`{name}` segments) of the matched route: brisk-router's
/// [`Params`](brisk_router::Params), zero-copy slices of the path, not percent-decoded (use
/// [`percent_decode`](crate::percent_decode), which keeps `+` as it is).
pub type Params<'a> = brisk_router::Params<'a, 'a>;

/// A request as a handler sees it. It borrows the connection's buffers, so it lives only for the
/// duration of the handler call; copy out what must outlive it.
///
/// The body is buffered completely (up to [`crate::Limits::max_body_size`]) before the handler runs
/// (an upload route streams it to a [`crate::BodySink`] instead; see [`crate::Builder::upload`]).
///
/// # Examples
///
/// ```
/// use brisk_server::{Request, Version};
///
/// let req = Request::for_test("GET", "/users/7?sort=name", &[], b"");
/// assert_eq!(req.method(), "GET");
/// assert_eq!(req.path(), "/users/7");
/// assert_eq!(req.query(), Some("sort=name"));
/// assert_eq!(req.query_param("sort").as_deref(), Some("name"));
/// assert_eq!(req.version(), Version::Http11);
/// ```
#[derive(Debug)]
pub struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) target: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) version: Version,
    pub(crate) headers: Headers<'a>,
    pub(crate) params: Params<'a>,
    pub(crate) body: &'a [u8],
    pub(crate) peer: SocketAddr,
    pub(crate) client: &'a crate::client_addr::ClientRules,
}

impl<'a> Request<'a> {
    /// Builds a request without a connection, for unit-testing handlers. The target is split into
    /// path and query; the version is HTTP/1.1 and the peer `127.0.0.1:0`.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = brisk_server::Request::for_test("POST", "/echo", &[], b"hi");
    /// assert_eq!(r.body(), b"hi");
    /// ```
    pub fn for_test(
        method: &'a str,
        target: &'a str,
        fields: &'a [Header<'a>],
        body: &'a [u8],
    ) -> Self {
        let (path, query) = split_target(target);
        crate::exchange::Head {
            method,
            target,
            path,
            query,
            version: Version::Http11,
            headers: fields,
            peer: SocketAddr::from(([127, 0, 0, 1], 0)),
            client: &crate::client_addr::NO_RULES,
        }
        .request(body)
    }

    /// The method token, e.g. `"GET"`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Request::for_test("PUT", "/", &[], b"").method(), "PUT");
    /// ```
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The request target as sent (`/a?b` for origin form; `:path` on HTTP/2).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Request::for_test("GET", "/a?b", &[], b"").target(), "/a?b");
    /// ```
    pub fn target(&self) -> &'a str {
        self.target
    }

    /// The path part of the target, not decoded.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Request::for_test("GET", "/a?b", &[], b"").path(), "/a");
    /// ```
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The query string (after `?`), not decoded.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Request::for_test("GET", "/a", &[], b"").query(), None);
    /// ```
    pub fn query(&self) -> Option<&'a str> {
        self.query
    }

    /// An iterator over the query's `key=value` pairs, decoded on demand.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = brisk_server::Request::for_test("GET", "/?a=1&b=2", &[], b"");
    /// assert_eq!(r.query_pairs().count(), 2);
    /// ```
    pub fn query_pairs(&self) -> Query<'a> {
        Query::new(self.query.unwrap_or(""))
    }

    /// The decoded value of the first query pair whose decoded key is `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = brisk_server::Request::for_test("GET", "/?na%6De=a+b", &[], b"");
    /// assert_eq!(r.query_param("name").as_deref(), Some("a b"));
    /// ```
    pub fn query_param(&self, key: &str) -> Option<std::borrow::Cow<'a, str>> {
        self.query_pairs()
            .find(|p| p.key() == key)
            .map(|p| p.value())
    }

    /// The route parameters of the matched route.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(brisk_server::Request::for_test("GET", "/", &[], b"").params().is_empty());
    /// ```
    pub fn params(&self) -> &Params<'a> {
        &self.params
    }

    /// One route parameter by name, as it is in the path (not decoded: see
    /// [`percent_decode`](crate::percent_decode)).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Request::for_test("GET", "/", &[], b"").param("id"), None);
    /// ```
    pub fn param(&self, name: &str) -> Option<&'a str> {
        self.params.get(name)
    }

    /// The header fields.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = [brisk_server::Header { name: b"Host", value: b"x" }];
    /// let r = brisk_server::Request::for_test("GET", "/", &f, b"");
    /// assert_eq!(r.headers().get("host"), Some(&b"x"[..]));
    /// ```
    pub fn headers(&self) -> Headers<'a> {
        self.headers
    }

    /// Shorthand for `headers().get(name)`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Request::for_test("GET", "/", &[], b"").header("x"), None);
    /// ```
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers.get(name)
    }

    /// The whole request body (empty when there is none).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(brisk_server::Request::for_test("GET", "/", &[], b"").body().is_empty());
    /// ```
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The address of the connection's other end: the socket's peer, or on a listener that
    /// requires the PROXY protocol ([`Builder::bind_proxy`](crate::Builder::bind_proxy)) the
    /// source address its header gives (the socket's peer for a `LOCAL` or `UNKNOWN` header).
    /// `0.0.0.0:0` for a Unix-domain socket without one. Headers never change it: see
    /// [`client_addr`](Self::client_addr).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = brisk_server::Request::for_test("GET", "/", &[], b"");
    /// assert!(r.peer_addr().ip().is_loopback());
    /// ```
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The client's address as far as it can be trusted: [`peer_addr`](Self::peer_addr),
    /// unless that is one of the [`Builder::trusted_proxies`](crate::Builder::trusted_proxies);
    /// then the rightmost address of its `X-Forwarded-For` (or `Forwarded`, see
    /// [`Builder::forwarded_header`](crate::Builder::forwarded_header)) that is not a trusted
    /// proxy. Port 0 when the header gives none. The header is read on each call (not before):
    /// keep the result if it is needed twice.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = [brisk_server::Header { name: b"X-Forwarded-For", value: b"203.0.113.7" }];
    /// let r = brisk_server::Request::for_test("GET", "/", &f, b"");
    /// // No trusted proxies here: the header is not believed.
    /// assert_eq!(r.client_addr(), r.peer_addr());
    /// ```
    pub fn client_addr(&self) -> SocketAddr {
        self.client.resolve(self.peer, self.headers)
    }

    /// The protocol version.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = brisk_server::Request::for_test("GET", "/", &[], b"");
    /// assert_eq!(r.version(), brisk_server::Version::Http11);
    /// ```
    pub fn version(&self) -> Version {
        self.version
    }
}

/// Splits a request target into path and query.
pub(crate) fn split_target(target: &str) -> (&str, Option<&str>) {
    // Once per request: a plain loop on short targets (memchr's set-up costs more than it
    // saves there), memchr on long ones. `?` is ASCII, so both halves are on char boundaries.
    let bytes = target.as_bytes();
    let q = if bytes.len() <= 32 {
        bytes.iter().position(|&b| b == b'?')
    } else {
        memchr::memchr(b'?', bytes)
    };
    match q {
        Some(i) => (&target[..i], Some(&target[i + 1..])),
        None => (target, None),
    }
}

#[cfg(test)]
mod tests {
    use super::split_target;

    #[test]
    fn split_target_finds_the_first_question_mark_in_short_and_long_targets() {
        assert_eq!(split_target("/a"), ("/a", None));
        assert_eq!(split_target("/a?"), ("/a", Some("")));
        assert_eq!(split_target("/a?b=1?c"), ("/a", Some("b=1?c")));
        // Both sides of the 32-byte switch from the loop to memchr.
        for len in [31, 32, 33, 200] {
            let path = format!("/{}", "p".repeat(len - 1));
            assert_eq!(split_target(&path), (path.as_str(), None));
            let target = format!("{path}?x=1?y");
            assert_eq!(split_target(&target), (path.as_str(), Some("x=1?y")));
        }
    }
}
