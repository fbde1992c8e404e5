//! What `--bind` (and the `bind` key) names: an IP address, a host name to resolve at start, or
//! a Unix socket path.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

/// One `--bind` value, kept as written (a host name is resolved only when the server starts, so
/// that `--print-config` shows the name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    /// `127.0.0.1:8080`, `[::1]:8080`.
    Addr(SocketAddr),
    /// `localhost:8080`: every address the name resolves to is bound.
    Host { host: String, port: u16 },
    /// `unix:/run/brisk.sock`.
    Unix(PathBuf),
}

/// What a bad `--bind` value gets told.
pub const EXPECTED: &str = "expected IP:PORT, HOST:PORT or unix:PATH, \
     e.g. 127.0.0.1:8080, [::1]:8080, localhost:8080 or unix:/run/brisk.sock";

impl Bind {
    /// Parses one value (no name lookup here).
    pub fn parse(v: &str) -> Result<Bind, String> {
        if let Some(path) = v.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(format!("{EXPECTED} (the unix: path is empty)"));
            }
            return Ok(Bind::Unix(path.into()));
        }
        if let Ok(addr) = v.parse::<SocketAddr>() {
            return Ok(Bind::Addr(addr));
        }
        let Some((host, port)) = v.rsplit_once(':') else {
            return Err(EXPECTED.to_string());
        };
        let Ok(port) = port.parse::<u16>() else {
            return Err(format!("{EXPECTED} (port '{port}' is not 0 to 65535)"));
        };
        // A host name: letters, digits, '-', '.' and '_' (an IPv6 address needs brackets).
        let name_ok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_');
        if host.is_empty() || !host.bytes().all(name_ok) {
            return Err(format!("{EXPECTED} ('{host}' is not a host name)"));
        }
        Ok(Bind::Host {
            host: host.to_string(),
            port,
        })
    }

    /// The TCP addresses to listen on, in the resolver's order without repeats (none for a
    /// Unix socket).
    ///
    /// # Errors
    ///
    /// The name does not resolve, or to no address.
    pub fn resolve(&self) -> Result<Vec<SocketAddr>, String> {
        match self {
            Bind::Addr(a) => Ok(vec![*a]),
            Bind::Host { host, port } => {
                let found = (host.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(|e| format!("cannot resolve --bind {self}: {e}"))?;
                let mut addrs: Vec<SocketAddr> = Vec::new();
                for a in found {
                    if !addrs.contains(&a) {
                        addrs.push(a);
                    }
                }
                if addrs.is_empty() {
                    return Err(format!("--bind {self}: the name has no address"));
                }
                Ok(addrs)
            }
            Bind::Unix(_) => Ok(Vec::new()),
        }
    }
}

/// The listeners `binds` name: every TCP address (resolved, in order; an address named twice,
/// e.g. by `localhost:8080` and `127.0.0.1:8080`, is bound once, except with port 0, where each
/// gets a port of its own) and every Unix socket path.
///
/// # Errors
///
/// As [`Bind::resolve`].
pub fn listeners(binds: &[Bind]) -> Result<(Vec<SocketAddr>, Vec<PathBuf>), String> {
    let mut tcp: Vec<SocketAddr> = Vec::new();
    let mut unix = Vec::new();
    for b in binds {
        if let Bind::Unix(path) = b {
            unix.push(path.clone());
        }
        for a in b.resolve()? {
            if a.port() == 0 || !tcp.contains(&a) {
                tcp.push(a);
            }
        }
    }
    Ok((tcp, unix))
}

impl fmt::Display for Bind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bind::Addr(a) => write!(f, "{a}"),
            Bind::Host { host, port } => write!(f, "{host}:{port}"),
            Bind::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let addr = |s: &str| Bind::Addr(s.parse().unwrap());
        assert_eq!(Bind::parse("127.0.0.1:8080"), Ok(addr("127.0.0.1:8080")));
        assert_eq!(Bind::parse("[::1]:0"), Ok(addr("[::1]:0")));
        assert_eq!(
            Bind::parse("localhost:8080"),
            Ok(Bind::Host {
                host: "localhost".into(),
                port: 8080
            })
        );
        assert_eq!(
            Bind::parse("unix:/run/brisk.sock"),
            Ok(Bind::Unix("/run/brisk.sock".into()))
        );
        for v in [
            "127.0.0.1:8080",
            "[::1]:0",
            "localhost:8080",
            "unix:/run/b.sock",
        ] {
            assert_eq!(Bind::parse(v).unwrap().to_string(), v);
        }
    }

    #[test]
    fn bad_forms_say_what_is_expected() {
        for (v, why) in [
            ("localhost", "HOST:PORT"),
            ("localhost:80000", "port '80000'"),
            ("localhost:", "port ''"),
            (":8080", "not a host name"),
            ("::1:8080", "not a host name"),
            ("a b:1", "not a host name"),
            ("unix:", "path is empty"),
        ] {
            let e = Bind::parse(v).unwrap_err();
            assert!(e.contains(why), "{v}: {e}");
        }
    }

    #[test]
    fn an_address_named_twice_is_bound_once_except_port_0() {
        let binds: Vec<Bind> = [
            "127.0.0.1:8080",
            "localhost:8080",
            "127.0.0.1:0",
            "127.0.0.1:0",
        ]
        .iter()
        .chain(&["unix:/a.sock", "127.0.0.1:8080"])
        .map(|v| Bind::parse(v).unwrap())
        .collect();
        let (tcp, unix) = listeners(&binds).unwrap();
        let v4 = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(
            tcp.iter().filter(|&&a| a == v4("127.0.0.1:8080")).count(),
            1
        );
        assert_eq!(tcp.iter().filter(|&&a| a == v4("127.0.0.1:0")).count(), 2);
        assert_eq!(unix, vec![PathBuf::from("/a.sock")]);
    }

    #[test]
    fn localhost_resolves_to_loopback() {
        let addrs = Bind::parse("localhost:0").unwrap().resolve().unwrap();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
        assert_eq!(Bind::Unix("/x".into()).resolve(), Ok(Vec::new()));
    }
}
