//! TLS listeners (feature `tls`): [`Builder::bind_tls`] and the handshake timeout. The
//! reactor does the handshake and the record layer; a connection's protocol is chosen by
//! ALPN (`h2`: HTTP/2 at once; `http/1.1` or none: HTTP/1.1 without h2c upgrade), and its
//! requests have [`Request::tls`](crate::Request::tls) and scheme `https`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use brisk_reactor::rustls;

use crate::server::Builder;

/// The TLS listeners of a [`Builder`]: their configs by listener index, and the handshake
/// timeout.
#[derive(Debug, Default, Clone)]
pub(crate) struct TlsListeners {
    configs: Vec<(usize, Arc<rustls::ServerConfig>)>,
    handshake_timeout: Option<Duration>,
}

impl TlsListeners {
    /// Adds the listeners to `reactor`, in `addrs` order (TLS ones with their config).
    pub(crate) fn listen(
        &self,
        mut reactor: brisk_reactor::Reactor,
        addrs: Vec<brisk_reactor::ListenAddr>,
    ) -> brisk_reactor::Reactor {
        if let Some(t) = self.handshake_timeout {
            reactor = reactor.tls_handshake_timeout(t);
        }
        for (i, a) in addrs.into_iter().enumerate() {
            reactor = match self.configs.iter().find(|(at, _)| *at == i) {
                Some((_, c)) => reactor.listen_tls(a, Arc::clone(c)),
                None => reactor.listen(a),
            };
        }
        reactor
    }
}

impl Builder {
    /// Adds a TLS (HTTPS) listener on `addr` (port 0 picks a free port; see
    /// [`Handle::local_addrs`](crate::Handle::local_addrs)), serving with `config`: its
    /// certificates, versions and ALPN list. List `h2` in `config.alpn_protocols` for HTTP/2
    /// (a client choosing it speaks HTTP/2 from the first byte); `http/1.1` or no ALPN means
    /// HTTP/1.1 (no h2c upgrade over TLS). Mixes with cleartext [`bind`](Self::bind)s; size
    /// the records with [`brisk_reactor::tls::fit_records`] before wrapping the config in an
    /// `Arc`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use brisk_server::{Method, Server};
    ///
    /// # #[allow(dead_code)]
    /// # fn f(mut config: brisk_server::rustls::ServerConfig) -> Result<(), brisk_server::Error> {
    /// config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    /// brisk_reactor::tls::fit_records(&mut config, 16 * 1024);
    /// Server::builder()
    ///     .bind("0.0.0.0:80".parse().unwrap())
    ///     .bind_tls("0.0.0.0:443".parse().unwrap(), Arc::new(config))
    ///     .route(Method::Get, "/", |req, res| {
    ///         res.text(req.scheme());
    ///     })
    ///     .run()
    /// # }
    /// ```
    pub fn bind_tls(&mut self, addr: SocketAddr, config: Arc<rustls::ServerConfig>) -> &mut Self {
        self.tls.configs.push((self.addrs.len(), config));
        self.addrs.push(brisk_reactor::ListenAddr::Tcp(addr));
        self
    }

    /// How long a TLS handshake may take before the connection is closed (default 10 s; see
    /// [`brisk_reactor::Config::tls_handshake_timeout`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.tls_handshake_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn tls_handshake_timeout(&mut self, d: Duration) -> &mut Self {
        self.tls.handshake_timeout = Some(d);
        self
    }
}
