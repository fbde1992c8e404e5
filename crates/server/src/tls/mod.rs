//! Certificates for TLS listeners: PEM chains and keys, several certificates chosen by SNI,
//! reload without a restart, and the rustls `ServerConfig` handed to the TLS listeners.
//!
//! One [`Tls`] makes one `Arc<rustls::ServerConfig>` ([`Tls::server_config`]) shared by every
//! worker and listener: its session ticket key (stateless tickets, rustls's ring `Ticketer`,
//! rotated every 6 hours) and its session-id cache are the process's, so a client resumes on
//! any worker. [`Tls::reload`] re-reads the files and swaps the certificates inside that same
//! config: handshakes that start afterwards use the new certificates, connections already
//! established are not touched, and resumption tickets stay valid. When a new file is bad the
//! old certificates stay and the error says why.
//!
//! ```no_run
//! use brisk_server::tls::{CertFiles, Tls};
//! let tls = Tls::new(&[CertFiles::new("fullchain.pem", "key.pem")], true)?;
//! let mut b = brisk_server::Server::builder();
//! b.bind_tls("0.0.0.0:443".parse().unwrap(), tls.server_config());
//! // later, on SIGHUP:
//! if let Err(e) = tls.reload() {
//!     eprintln!("kept the old certificates: {e}");
//! }
//! # Ok::<(), brisk_server::tls::TlsError>(())
//! ```

use brisk_reactor::rustls;
mod error;
mod load;
mod resolver;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::ServerSessionMemoryCache;

pub use error::TlsError;
/// rustls's server configuration, as [`Tls::server_config`] makes it.
pub use rustls::ServerConfig;

/// The largest certificate or key file read (1 MiB): a bigger file is refused, not read.
pub const MAX_PEM_FILE: u64 = 1024 * 1024;

/// Sessions kept for session-id resumption (TLS 1.2 clients without ticket support); about
/// 100 bytes each.
pub const SESSION_CACHE: usize = 4096;

/// A certificate chain file (leaf first, then intermediates) and its private key file, both
/// PEM.
///
/// ```
/// let f = brisk_server::tls::CertFiles::new("fullchain.pem", "key.pem");
/// assert_eq!(f.key, std::path::Path::new("key.pem"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFiles {
    /// The chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub key: PathBuf,
}

impl CertFiles {
    /// The pair `cert`, `key`.
    ///
    /// ```
    /// let f = brisk_server::tls::CertFiles::new("a.pem", "a.key");
    /// assert_eq!(f.cert, std::path::Path::new("a.pem"));
    /// ```
    pub fn new(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> CertFiles {
        CertFiles {
            cert: cert.as_ref().to_path_buf(),
            key: key.as_ref().to_path_buf(),
        }
    }
}

/// The TLS server side of a process: its certificates and the rustls config built on them.
/// Cheap to clone (shared).
///
/// ```no_run
/// use brisk_server::tls::{CertFiles, Tls};
/// let tls = Tls::new(
///     &[CertFiles::new("a.example.pem", "a.key"), CertFiles::new("b.example.pem", "b.key")],
///     true,
/// )?;
/// assert_eq!(tls.server_config().alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
/// # Ok::<(), brisk_server::tls::TlsError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Tls {
    config: Arc<ServerConfig>,
    resolver: Arc<resolver::Resolver>,
    files: Arc<[CertFiles]>,
    provider: Arc<CryptoProvider>,
}

/// The crypto provider: rustls's `ring` (the issue's choice: it builds with only a C compiler).
/// rustls 0.23.48 deprecates it for lacking post-quantum key exchange; X25519 remains.
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl Tls {
    /// Loads every pair of `files` (the first is the default certificate; the others are
    /// chosen when the client's SNI names one of their names) and builds the config: TLS 1.3
    /// and 1.2, ALPN `h2` then `http/1.1` (only `http/1.1` when `http2` is false), stateless
    /// session tickets and a session-id cache of [`SESSION_CACHE`] entries.
    ///
    /// # Errors
    ///
    /// The first file that cannot be used, and why ([`TlsError`]).
    ///
    /// ```no_run
    /// let tls = brisk_server::tls::Tls::new(&[brisk_server::tls::CertFiles::new("c.pem", "k.pem")], false)?;
    /// assert_eq!(tls.server_config().alpn_protocols, [b"http/1.1".to_vec()]);
    /// # Ok::<(), brisk_server::tls::TlsError>(())
    /// ```
    pub fn new(files: &[CertFiles], http2: bool) -> Result<Tls, TlsError> {
        let provider = provider();
        let keys = load_all(files, &provider)?;
        let resolver = Arc::new(resolver::Resolver::new(keys));
        let mut config = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(TlsError::Config)?
            .with_no_client_auth()
            .with_cert_resolver(
                Arc::clone(&resolver) as Arc<dyn rustls::server::ResolvesServerCert>
            );
        config.alpn_protocols = if http2 {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        config.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE);
        config.ticketer = rustls::crypto::ring::Ticketer::new().map_err(TlsError::Config)?;
        fit_records(&mut config);
        Ok(Tls {
            config: Arc::new(config),
            resolver,
            files: files.into(),
            provider,
        })
    }

    /// The config for the TLS listeners (`Builder::bind_tls`); the same one on every call.
    ///
    /// ```no_run
    /// # let tls = brisk_server::tls::Tls::new(&[brisk_server::tls::CertFiles::new("c.pem", "k.pem")], true)?;
    /// assert!(std::sync::Arc::ptr_eq(&tls.server_config(), &tls.server_config()));
    /// # Ok::<(), brisk_server::tls::TlsError>(())
    /// ```
    pub fn server_config(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.config)
    }

    /// The certificate and key files, in order.
    ///
    /// ```no_run
    /// # let tls = brisk_server::tls::Tls::new(&[brisk_server::tls::CertFiles::new("c.pem", "k.pem")], true)?;
    /// assert_eq!(tls.files().len(), 1);
    /// # Ok::<(), brisk_server::tls::TlsError>(())
    /// ```
    pub fn files(&self) -> &[CertFiles] {
        &self.files
    }

    /// Re-reads every file and, when all of them are good, swaps the certificates in: new
    /// handshakes use them, established connections go on, the ticket key and the session
    /// cache stay. Returns how many certificates are now in use.
    ///
    /// # Errors
    ///
    /// The first bad file and why; the certificates in use are then unchanged.
    ///
    /// ```no_run
    /// # let tls = brisk_server::tls::Tls::new(&[brisk_server::tls::CertFiles::new("c.pem", "k.pem")], true)?;
    /// match tls.reload() {
    ///     Ok(n) => println!("{n} certificates reloaded"),
    ///     Err(e) => eprintln!("kept the old certificates: {e}"),
    /// }
    /// # Ok::<(), brisk_server::tls::TlsError>(())
    /// ```
    pub fn reload(&self) -> Result<usize, TlsError> {
        let keys = load_all(&self.files, &self.provider)?;
        let n = keys.len();
        self.resolver.swap(keys);
        Ok(n)
    }

    /// The certificate a handshake with SNI `server_name` would get now: the chain's leaf, DER.
    ///
    /// ```no_run
    /// # let tls = brisk_server::tls::Tls::new(&[brisk_server::tls::CertFiles::new("c.pem", "k.pem")], true)?;
    /// assert!(tls.leaf_for(Some("example.com")).is_some());
    /// # Ok::<(), brisk_server::tls::TlsError>(())
    /// ```
    pub fn leaf_for(&self, server_name: Option<&str>) -> Option<Vec<u8>> {
        let keys = self.resolver.current();
        let k = resolver::choose(&keys, server_name)?;
        k.cert.first().map(|c| c.as_ref().to_vec())
    }
}

/// Sizes the records so that one fits a reactor pool buffer (the server keeps the reactor's
/// default buffer size).
fn fit_records(config: &mut ServerConfig) {
    brisk_reactor::tls::fit_records(config, brisk_reactor::Config::default().buffer_size);
}

fn load_all(
    files: &[CertFiles],
    provider: &CryptoProvider,
) -> Result<Vec<Arc<rustls::sign::CertifiedKey>>, TlsError> {
    if files.is_empty() {
        return Err(TlsError::NoCertificates);
    }
    files
        .iter()
        .map(|f| load::certified_key(f, provider))
        .collect()
}

#[cfg(test)]
mod tests;
