//! Client addresses behind proxies: the PROXY protocol on chosen listeners, and
//! `X-Forwarded-For` or `Forwarded` (RFC 7239) from trusted proxies only.
//!
//! ```text
//!  socket peer ──(listener requires PROXY: header's source; LOCAL/UNKNOWN: the socket's)──> peer_addr()
//!  peer_addr() trusted? ──no──> client_addr() = peer_addr()
//!                       └─yes─> header chain, right to left: the first address not trusted
//!                               (all trusted: the leftmost; a value that does not parse: peer_addr())
//! ```
//!
//! The header is read only when a handler calls [`Request::client_addr`](crate::Request::client_addr);
//! a request pays one pointer copy for it otherwise.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use brisk_reactor::{ConnInfo, ListenAddr};

use crate::request::Headers;
use crate::server::Builder;

/// The client-address settings of a [`Builder`], kept in the application's configuration.
#[derive(Debug, Clone)]
pub(crate) struct ClientAddrs {
    /// Every listener requires a PROXY header.
    pub(crate) proxy_all: bool,
    /// Indexes (in `bind` order) of the listeners that require one.
    pub(crate) proxy_listeners: Vec<usize>,
    /// Largest version 2 header.
    pub(crate) proxy_max_len: usize,
    pub(crate) rules: ClientRules,
}

impl Default for ClientAddrs {
    fn default() -> Self {
        ClientAddrs {
            proxy_all: false,
            proxy_listeners: Vec::new(),
            proxy_max_len: crate::proxy_protocol::DEFAULT_MAX_LEN,
            rules: ClientRules::NONE,
        }
    }
}

impl ClientAddrs {
    /// Whether the connection's listener requires a PROXY header (once per connection).
    pub(crate) fn requires_proxy(&self, info: &ConnInfo) -> bool {
        self.proxy_all || self.proxy_listeners.contains(&info.listener)
    }
}

/// Which proxies are trusted and which header they write: what
/// [`Request::client_addr`](crate::Request::client_addr) needs.
#[derive(Debug, Clone)]
pub(crate) struct ClientRules {
    trusted: Vec<TrustedProxy>,
    header: ForwardedHeader,
}

impl ClientRules {
    /// No trusted proxy: the client is the peer.
    pub(crate) const NONE: ClientRules = ClientRules {
        trusted: Vec::new(),
        header: ForwardedHeader::XForwardedFor,
    };

    fn trusts(&self, addr: SocketAddr) -> bool {
        self.trusted.iter().any(|t| t.contains(addr))
    }

    /// The client's address: `peer`, or when `peer` is a trusted proxy, what its header says.
    pub(crate) fn resolve(&self, peer: SocketAddr, headers: Headers<'_>) -> SocketAddr {
        if self.trusted.is_empty() {
            return peer;
        }
        self.resolve_values(peer, headers.get_all(self.header_name()))
    }

    /// The name of the header the trusted proxies write (lowercase).
    pub(crate) fn header_name(&self) -> &'static str {
        match self.header {
            ForwardedHeader::Forwarded => "forwarded",
            _ => "x-forwarded-for",
        }
    }

    /// Whether any proxy is trusted (else the client is always the peer).
    pub(crate) fn any(&self) -> bool {
        !self.trusted.is_empty()
    }

    /// [`resolve`](Self::resolve) from the values of the header the proxies write, in order.
    pub(crate) fn resolve_values<'v>(
        &self,
        peer: SocketAddr,
        mut values: impl Iterator<Item = &'v [u8]>,
    ) -> SocketAddr {
        if self.trusted.is_empty() || !self.trusts(peer) {
            return peer;
        }
        let mut chain = Chain::default();
        let ok = match self.header {
            ForwardedHeader::XForwardedFor => {
                values.all(|v| x_forwarded_for(v, &mut |n| chain.push(n, self)))
            }
            ForwardedHeader::Forwarded => {
                values.all(|v| forwarded(v, &mut |n| chain.push(n, self)))
            }
        };
        if !ok {
            return peer;
        }
        match chain.answer() {
            Some(Some(addr)) => addr,
            // A value that is not an address where the answer would be, or no header.
            Some(None) | None => peer,
        }
    }
}

/// No trusted proxy (for requests built without a server).
pub(crate) static NO_RULES: ClientRules = ClientRules::NONE;

/// The answer of a chain read left to right: the rightmost element that is not a trusted
/// address (an untrusted address, or something that is no address), else the leftmost.
#[derive(Default)]
struct Chain {
    decisive: Option<Option<SocketAddr>>,
    first: Option<SocketAddr>,
}

impl Chain {
    fn push(&mut self, node: Option<SocketAddr>, rules: &ClientRules) {
        match node {
            Some(a) if rules.trusts(a) => {
                self.first.get_or_insert(a);
            }
            Some(a) => {
                self.first.get_or_insert(a);
                self.decisive = Some(Some(a));
            }
            None => self.decisive = Some(None),
        }
    }

    fn answer(&self) -> Option<Option<SocketAddr>> {
        self.decisive.or(self.first.map(Some))
    }
}

/// Which header trusted proxies write the client's address in.
///
/// Only one is read: a proxy that writes one usually passes the other through from the client
/// unchanged, so reading both would let a client choose its own address.
///
/// # Examples
///
/// ```
/// let mut b = brisk_server::Server::builder();
/// b.trusted_proxies(["10.0.0.0/8"]).forwarded_header(brisk_server::ForwardedHeader::Forwarded);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, HAProxy, cloud load balancers); the
    /// default. Elements are IP addresses, optionally with a port (`192.0.2.1:4711`,
    /// `[2001:db8::1]:4711`).
    #[default]
    XForwardedFor,
    /// `Forwarded: for=192.0.2.60;proto=https, for="[2001:db8::1]:4711"` (RFC 7239).
    Forwarded,
}

/// A trusted proxy: an IP address, a CIDR block (`10.0.0.0/8`, `2001:db8::/32`), or `unix:`
/// for every peer of a Unix-domain listener. An IPv4 block also matches IPv4-mapped IPv6
/// addresses (`::ffff:10.1.2.3`), as a dual-stack listener reports them.
///
/// # Examples
///
/// ```
/// use brisk_server::TrustedProxy;
///
/// let t: TrustedProxy = "10.0.0.0/8".parse().unwrap();
/// assert!(t.contains("10.1.2.3:80".parse().unwrap()));
/// assert!(t.contains("[::ffff:10.1.2.3]:80".parse().unwrap()));
/// assert!(!t.contains("192.0.2.1:80".parse().unwrap()));
/// assert_eq!(t.to_string(), "10.0.0.0/8");
/// assert!("10.0.0.0/33".parse::<TrustedProxy>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy {
    /// The network (host bits cleared); `None` for `unix:`.
    net: Option<IpAddr>,
    prefix: u8,
}

impl TrustedProxy {
    /// Whether `addr` is this proxy (or in this block). A Unix-domain peer is
    /// [`brisk_reactor::UNIX_ADDR`] (`0.0.0.0:0`), which only `unix:` contains.
    ///
    /// # Examples
    ///
    /// ```
    /// let t: brisk_server::TrustedProxy = "unix:".parse().unwrap();
    /// assert!(t.contains("0.0.0.0:0".parse().unwrap()));
    /// assert!(!t.contains("127.0.0.1:80".parse().unwrap()));
    /// ```
    pub fn contains(&self, addr: SocketAddr) -> bool {
        let Some(net) = self.net else {
            return addr == brisk_reactor::UNIX_ADDR;
        };
        if addr == brisk_reactor::UNIX_ADDR {
            return false;
        }
        match (net, addr.ip().to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                mask(u32::from(a).into(), 32, self.prefix) == u32::from(n).into()
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                mask(u128::from(a), 128, self.prefix) == u128::from(n)
            }
            _ => false,
        }
    }
}

/// The top `prefix` bits of an address of `bits` bits.
fn mask(a: u128, bits: u8, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        a & (u128::MAX << (bits - prefix)) & (u128::MAX >> (128 - u32::from(bits)))
    }
}

/// A value that is not a trusted proxy.
///
/// # Examples
///
/// ```
/// let e = "10.0.0.0/x".parse::<brisk_server::TrustedProxy>().unwrap_err();
/// assert_eq!(e.to_string(), "not an IP address, CIDR block or unix: \"10.0.0.0/x\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProxyError(String);

impl fmt::Display for TrustedProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not an IP address, CIDR block or unix: {:?}", self.0)
    }
}

impl std::error::Error for TrustedProxyError {}

impl FromStr for TrustedProxy {
    type Err = TrustedProxyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || TrustedProxyError(s.to_string());
        if s == "unix:" {
            return Ok(TrustedProxy {
                net: None,
                prefix: 0,
            });
        }
        let (ip, prefix) = match s.split_once('/') {
            Some((ip, p))
                if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 3 =>
            {
                (ip, Some(p.parse::<u8>().map_err(|_| err())?))
            }
            Some(_) => return Err(err()),
            None => (s, None),
        };
        let ip: IpAddr = ip.parse().map_err(|_| err())?;
        let ip = ip.to_canonical();
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        if prefix > bits {
            return Err(err());
        }
        let net = match ip {
            IpAddr::V4(a) => IpAddr::V4((mask(u32::from(a).into(), 32, prefix) as u32).into()),
            IpAddr::V6(a) => IpAddr::V6(mask(u128::from(a), 128, prefix).into()),
        };
        Ok(TrustedProxy {
            net: Some(net),
            prefix,
        })
    }
}

impl fmt::Display for TrustedProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.net {
            None => f.write_str("unix:"),
            Some(n) => write!(f, "{n}/{}", self.prefix),
        }
    }
}

/// Optional whitespace (RFC 9110 OWS).
fn ows(b: &[u8]) -> &[u8] {
    let b = match b.iter().position(|&c| c != b' ' && c != b'\t') {
        Some(i) => &b[i..],
        None => return &[],
    };
    let end = b
        .iter()
        .rposition(|&c| c != b' ' && c != b'\t')
        .map_or(0, |i| i + 1);
    &b[..end]
}

/// One `X-Forwarded-For` element: an address with an optional port.
fn xff_node(b: &[u8]) -> Option<SocketAddr> {
    let s = std::str::from_utf8(b).ok()?;
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, 0));
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa);
    }
    let v6 = s.strip_prefix('[')?.strip_suffix(']')?;
    Some(SocketAddr::new(v6.parse::<Ipv6Addr>().ok()?.into(), 0))
}

/// Feeds the elements of one `X-Forwarded-For` value to `push` (`None` for one that is not
/// an address). Always true (every value delimits its elements).
fn x_forwarded_for(value: &[u8], push: &mut impl FnMut(Option<SocketAddr>)) -> bool {
    for e in value.split(|&b| b == b',') {
        push(xff_node(ows(e)));
    }
    true
}

/// A `tchar` (RFC 9110 section 5.6.2).
fn tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A `Forwarded` node (RFC 7239 section 6): `IPv4[:port]`, `"[IPv6][:port]"`; `unknown` and
/// obfuscated names are not addresses. An obfuscated port (`_abc`) counts as port 0.
fn forwarded_node(v: &[u8]) -> Option<SocketAddr> {
    let s = std::str::from_utf8(v).ok()?;
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let ip: IpAddr = h.parse::<Ipv6Addr>().ok()?.into();
        (ip, after)
    } else {
        let (h, p) = s.split_at(s.find(':').unwrap_or(s.len()));
        let ip: IpAddr = h.parse::<std::net::Ipv4Addr>().ok()?.into();
        (ip, p)
    };
    let port = match port.strip_prefix(':') {
        None if port.is_empty() => 0,
        None => return None,
        Some(p) if p.starts_with('_') && p.len() > 1 => {
            if !p[1..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
            {
                return None;
            }
            0
        }
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse::<u16>().ok()?
        }
        Some(_) => return None,
    };
    Some(SocketAddr::new(host, port))
}

/// Feeds the `for` node of each element of one `Forwarded` value to `push` (`None` for an
/// element without one, or whose node is not an address). False when the value does not
/// follow the grammar (then none of it can be relied on).
fn forwarded(value: &[u8], push: &mut impl FnMut(Option<SocketAddr>)) -> bool {
    let mut i = 0;
    let n = value.len();
    let skip_ows = |i: &mut usize| {
        while *i < n && (value[*i] == b' ' || value[*i] == b'\t') {
            *i += 1;
        }
    };
    loop {
        // One element: pairs separated by ';' (each may be empty), up to ',' or the end.
        let mut node: Option<Option<SocketAddr>> = None;
        let mut seen_for = false;
        loop {
            skip_ows(&mut i);
            if i < n && value[i] != b';' && value[i] != b',' {
                let start = i;
                while i < n && tchar(value[i]) {
                    i += 1;
                }
                let name = &value[start..i];
                if name.is_empty() || i >= n || value[i] != b'=' {
                    return false;
                }
                i += 1;
                let v: &[u8] = if i < n && value[i] == b'"' {
                    i += 1;
                    let vs = i;
                    while i < n && value[i] != b'"' {
                        if value[i] == b'\\' || value[i] < 0x20 || value[i] == 0x7f {
                            return false; // no escapes in the values we read
                        }
                        i += 1;
                    }
                    if i >= n {
                        return false;
                    }
                    i += 1;
                    &value[vs..i - 1]
                } else {
                    let vs = i;
                    while i < n && tchar(value[i]) {
                        i += 1;
                    }
                    if vs == i {
                        return false;
                    }
                    &value[vs..i]
                };
                if name.eq_ignore_ascii_case(b"for") {
                    if seen_for {
                        return false;
                    }
                    seen_for = true;
                    node = Some(forwarded_node(v));
                }
                skip_ows(&mut i);
            }
            if i < n && value[i] == b';' {
                i += 1;
                continue;
            }
            break;
        }
        push(node.flatten());
        if i >= n {
            return true;
        }
        if value[i] != b',' {
            return false;
        }
        i += 1;
    }
}

impl Builder {
    /// Adds a TCP address to listen on whose connections must start with a PROXY protocol
    /// header (HAProxy's, version 1 or 2, as a TCP load balancer sends with `send-proxy`,
    /// `proxy_protocol on` or AWS/GCP proxy-protocol settings). The header's source address
    /// becomes the connection's [`Request::peer_addr`](crate::Request::peer_addr) (a `LOCAL` or
    /// `UNKNOWN` header keeps the socket's); HTTP/1.1, h2c with prior knowledge and the h2c
    /// upgrade follow it as on any listener. A connection whose first bytes are not a valid
    /// header (a plain HTTP request included) is closed without an answer and counted
    /// ([`Counters::proxy_errors`](crate::Counters::proxy_errors)); one that sends nothing
    /// complete within [`Timeouts::header_read`](crate::Timeouts::header_read) is closed and
    /// counted as a timeout. Only put a load balancer in front of such a listener: the header
    /// is believed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.bind("127.0.0.1:8080".parse().unwrap()) // direct clients
    ///     .bind_proxy("10.0.0.5:8081".parse().unwrap()); // behind HAProxy
    /// ```
    pub fn bind_proxy(&mut self, addr: SocketAddr) -> &mut Self {
        self.listen_on_proxy(ListenAddr::Tcp(addr))
    }

    /// [`bind_proxy`](Self::bind_proxy) for an address of either kind (a Unix-domain socket
    /// that a local proxy connects to with the PROXY protocol, say).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.listen_on_proxy(brisk_server::ListenAddr::Unix("/run/brisk.sock".into()));
    /// ```
    pub fn listen_on_proxy(&mut self, addr: ListenAddr) -> &mut Self {
        self.config.client.proxy_listeners.push(self.addrs.len());
        self.listen_on(addr)
    }

    /// Whether every listener (those of [`bind`](Self::bind) and
    /// [`bind_unix`](Self::bind_unix) too, and the default `127.0.0.1:8080`) requires a PROXY
    /// header, as [`bind_proxy`](Self::bind_proxy)'s do. Default: false.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.bind("0.0.0.0:8080".parse().unwrap()).proxy_protocol(true);
    /// ```
    pub fn proxy_protocol(&mut self, required: bool) -> &mut Self {
        self.config.client.proxy_all = required;
        self
    }

    /// Largest PROXY protocol version 2 header accepted (fixed part, addresses and TLVs), in
    /// bytes; a larger declared length closes the connection before its bytes are read.
    /// At least 232 (a Unix-address header), at most 65551. Default: 4096
    /// ([`proxy_protocol::DEFAULT_MAX_LEN`](crate::proxy_protocol::DEFAULT_MAX_LEN)). A
    /// version 1 header is at most 107 bytes, always.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.proxy_header_limit(1024);
    /// ```
    pub fn proxy_header_limit(&mut self, bytes: usize) -> &mut Self {
        self.config.client.proxy_max_len = bytes.clamp(16 + 216, 16 + 65535);
        self
    }

    /// The proxies whose forwarding header is believed: IP addresses, CIDR blocks or `unix:`
    /// (see [`TrustedProxy`]); replaces the list given before. When a request's
    /// [`peer_addr`](crate::Request::peer_addr) (after the PROXY header, if any) is one of
    /// them, [`client_addr`](crate::Request::client_addr) reads the
    /// [`forwarded_header`](Self::forwarded_header) from the right and answers the first
    /// address that is not a trusted proxy (nginx's `real_ip_recursive on`); all of them
    /// trusted, the leftmost; a value that is not an address there, or a header that does not
    /// parse, the peer. Default: none (headers are never believed). A value that does not
    /// parse makes [`start`](Self::start) fail with [`Error::Config`](crate::Error::Config).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.trusted_proxies(["10.0.0.0/8", "127.0.0.1", "::1", "unix:"]);
    /// ```
    pub fn trusted_proxies<I, S>(&mut self, proxies: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = Vec::new();
        for p in proxies {
            match p.as_ref().trim().parse::<TrustedProxy>() {
                Ok(t) => list.push(t),
                Err(_) => {
                    if self.error.is_none() {
                        self.error = Some(crate::Error::Config(
                            "trusted_proxies: not an IP address, CIDR block or unix:",
                        ));
                    }
                }
            }
        }
        self.config.client.rules.trusted = list;
        self
    }

    /// Which header trusted proxies write the client's address in (only that one is read).
    /// Default: [`ForwardedHeader::XForwardedFor`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.forwarded_header(brisk_server::ForwardedHeader::Forwarded);
    /// ```
    pub fn forwarded_header(&mut self, header: ForwardedHeader) -> &mut Self {
        self.config.client.rules.header = header;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brisk_http1::Header;

    fn rules(trusted: &[&str], header: ForwardedHeader) -> ClientRules {
        ClientRules {
            trusted: trusted.iter().map(|t| t.parse().unwrap()).collect(),
            header,
        }
    }

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn client(r: &ClientRules, peer: &str, fields: &[(&str, &str)]) -> SocketAddr {
        let hs: Vec<Header<'_>> = fields
            .iter()
            .map(|(n, v)| Header {
                name: n.as_bytes(),
                value: v.as_bytes(),
            })
            .collect();
        r.resolve(sa(peer), Headers::new(&hs))
    }

    const XFF: ForwardedHeader = ForwardedHeader::XForwardedFor;
    const FWD: ForwardedHeader = ForwardedHeader::Forwarded;

    #[test]
    fn cidr_blocks() {
        let t: TrustedProxy = "10.1.2.3/8".parse().unwrap();
        assert_eq!(t.to_string(), "10.0.0.0/8");
        assert!(t.contains(sa("10.255.0.1:1")));
        assert!(!t.contains(sa("11.0.0.1:1")));
        let t: TrustedProxy = "2001:db8::/32".parse().unwrap();
        assert!(t.contains(sa("[2001:db8:ffff::1]:1")));
        assert!(!t.contains(sa("[2001:db9::1]:1")));
        assert!(!t.contains(sa("10.0.0.1:1")));
        let t: TrustedProxy = "0.0.0.0/0".parse().unwrap();
        assert!(t.contains(sa("203.0.113.9:1")));
        assert!(!t.contains(sa("[::1]:1")));
        assert!(!t.contains(brisk_reactor::UNIX_ADDR));
        let t: TrustedProxy = "::/0".parse().unwrap();
        assert!(t.contains(sa("[2001:db8::1]:1")));
        let t: TrustedProxy = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(t.to_string(), "127.0.0.1/32");
        assert!(t.contains(sa("127.0.0.1:5")));
        for bad in [
            "",
            "10.0.0.0/",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "x",
            "10.0.0.0/+8",
            "unix",
            "10.0.0.0/0008",
        ] {
            assert!(bad.parse::<TrustedProxy>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let r = rules(&["10.0.0.0/8"], XFF);
        assert_eq!(
            client(&r, "192.0.2.9:5", &[("X-Forwarded-For", "1.2.3.4")]),
            sa("192.0.2.9:5")
        );
        let r = ClientRules::NONE;
        assert_eq!(
            client(&r, "10.0.0.1:5", &[("x-forwarded-for", "1.2.3.4")]),
            sa("10.0.0.1:5")
        );
    }

    #[test]
    fn x_forwarded_for_rightmost_untrusted() {
        let r = rules(&["10.0.0.0/8", "127.0.0.1"], XFF);
        let c = |v: &str| client(&r, "127.0.0.1:9", &[("X-Forwarded-For", v)]);
        assert_eq!(c("203.0.113.7"), sa("203.0.113.7:0"));
        // A client's own claim on the left is not believed past an untrusted hop.
        assert_eq!(c("6.6.6.6, 203.0.113.7, 10.0.0.2"), sa("203.0.113.7:0"));
        // Every hop trusted: the leftmost.
        assert_eq!(c("10.0.0.3 , 10.0.0.2"), sa("10.0.0.3:0"));
        // Ports and IPv6.
        assert_eq!(c("203.0.113.7:4711"), sa("203.0.113.7:4711"));
        assert_eq!(c("2001:db8::1"), sa("[2001:db8::1]:0"));
        assert_eq!(c("[2001:db8::1]:4711"), sa("[2001:db8::1]:4711"));
        assert_eq!(c("[2001:db8::1]"), sa("[2001:db8::1]:0"));
        // Junk left of the answer does not matter; at or right of it, the peer stands.
        assert_eq!(c("junk, 203.0.113.7"), sa("203.0.113.7:0"));
        assert_eq!(c("203.0.113.7, junk"), sa("127.0.0.1:9"));
        assert_eq!(c("203.0.113.7,,10.0.0.2"), sa("127.0.0.1:9"));
        assert_eq!(c("unknown"), sa("127.0.0.1:9"));
        assert_eq!(c(""), sa("127.0.0.1:9"));
        assert_eq!(c("203.0.113.7:99999"), sa("127.0.0.1:9"));
        // Several fields make one list, in order.
        let two = client(
            &r,
            "127.0.0.1:9",
            &[
                ("x-forwarded-for", "203.0.113.7"),
                ("X-Forwarded-For", "198.51.100.1, 10.0.0.2"),
            ],
        );
        assert_eq!(two, sa("198.51.100.1:0"));
        // No header: the peer.
        assert_eq!(client(&r, "127.0.0.1:9", &[]), sa("127.0.0.1:9"));
        // Forwarded is not read in this mode.
        assert_eq!(
            client(&r, "127.0.0.1:9", &[("Forwarded", "for=1.2.3.4")]),
            sa("127.0.0.1:9")
        );
    }

    #[test]
    fn forwarded_rightmost_untrusted() {
        let r = rules(&["10.0.0.0/8", "::1", "unix:"], FWD);
        let c = |v: &str| client(&r, "[::1]:9", &[("Forwarded", v)]);
        assert_eq!(
            c("for=192.0.2.60;proto=http;by=203.0.113.43"),
            sa("192.0.2.60:0")
        );
        assert_eq!(c("for=\"[2001:db8::1]:4711\""), sa("[2001:db8::1]:4711"));
        assert_eq!(c("For=\"192.0.2.60:4711\""), sa("192.0.2.60:4711"));
        assert_eq!(c("for=\"[2001:db8::1]\""), sa("[2001:db8::1]:0"));
        assert_eq!(c("for=\"192.0.2.60:_hidden\""), sa("192.0.2.60:0"));
        assert_eq!(
            c("for=6.6.6.6, for=192.0.2.60, for=10.1.1.1;proto=https"),
            sa("192.0.2.60:0")
        );
        assert_eq!(c("for=10.0.0.9, for=10.1.1.1"), sa("10.0.0.9:0"));
        assert_eq!(c("for=\"_gazonk\", for=192.0.2.60"), sa("192.0.2.60:0"));
        assert_eq!(
            c(" for=192.0.2.60 ; proto=http , for=10.0.0.1"),
            sa("192.0.2.60:0")
        );
        // Not addresses at or right of the answer, or bad syntax: the peer.
        for bad in [
            "for=unknown",
            "for=192.0.2.60, for=\"_gazonk\"",
            "for=192.0.2.60, proto=https",
            "for=[2001:db8::1]", // must be quoted
            "for=2001:db8::1",
            "for=\"2001:db8::1\"",    // brackets required
            "for=192.0.2.60:80",      // ':' needs quotes
            "for=\"192.0.2.60",       // unterminated
            "for=\"192.0.2.60\\\"\"", // escapes are not read
            "for=192.0.2.60;for=1.2.3.4",
            "for=",
            "=1.2.3.4",
            "for=192.0.2.60 x",
            "for=\"[2001:db8::1]:99999\"",
            "for=\"[2001:db8::1]x\"",
        ] {
            assert_eq!(c(bad), sa("[::1]:9"), "{bad}");
        }
        // Trust of a Unix-domain peer.
        assert_eq!(
            client(&r, "0.0.0.0:0", &[("forwarded", "for=192.0.2.1")]),
            sa("192.0.2.1:0")
        );
        // X-Forwarded-For is not read in this mode.
        assert_eq!(
            client(&r, "[::1]:9", &[("X-Forwarded-For", "1.2.3.4")]),
            sa("[::1]:9")
        );
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_blocks() {
        let r = rules(&["127.0.0.0/8"], XFF);
        assert_eq!(
            client(
                &r,
                "[::ffff:127.0.0.1]:9",
                &[("x-forwarded-for", "::ffff:127.0.0.2, 203.0.113.1")]
            ),
            sa("203.0.113.1:0")
        );
    }
}
