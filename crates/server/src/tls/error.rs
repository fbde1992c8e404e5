//! What can go wrong loading certificates and keys.

use brisk_reactor::rustls;
use std::fmt;
use std::path::PathBuf;

/// Why a certificate chain and key could not be loaded (at start or on reload).
///
/// ```
/// use brisk_server::tls::TlsError;
/// let e = TlsError::NoKey { path: "key.pem".into() };
/// assert_eq!(e.to_string(), "key.pem: no private key (PKCS#8, PKCS#1 or SEC1 PEM block) found");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsError {
    /// No certificate and key pair was given.
    NoCertificates,
    /// A file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        error: std::io::Error,
    },
    /// A file is larger than [`MAX_PEM_FILE`](super::MAX_PEM_FILE).
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// A file is not valid PEM (e.g. a section without its END line, bad base64).
    Pem {
        /// The file.
        path: PathBuf,
        /// The parser's reason.
        error: String,
    },
    /// The certificate file holds no `CERTIFICATE` block.
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The key file holds no private key block.
    NoKey {
        /// The file.
        path: PathBuf,
    },
    /// The private key's type or form is not supported (RSA, ECDSA P-256/P-384 and Ed25519
    /// are).
    BadKey {
        /// The file.
        path: PathBuf,
        /// rustls's reason.
        error: rustls::Error,
    },
    /// The first certificate of the chain does not parse as an X.509 certificate.
    BadCertificate {
        /// The file.
        path: PathBuf,
        /// rustls's reason.
        error: rustls::Error,
    },
    /// The private key is not the key of the chain's first certificate.
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// rustls refused the configuration (e.g. the session ticket key could not be made).
    Config(rustls::Error),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::NoCertificates => write!(f, "no certificate and key files given"),
            TlsError::Read { path, error } => {
                write!(f, "{}: cannot read: {error}", path.display())
            }
            TlsError::TooLarge { path } => write!(
                f,
                "{}: larger than {} bytes, not a PEM certificate or key file",
                path.display(),
                super::MAX_PEM_FILE
            ),
            TlsError::Pem { path, error } => {
                write!(f, "{}: not valid PEM: {error}", path.display())
            }
            TlsError::NoCertificate { path } => write!(
                f,
                "{}: no certificate (-----BEGIN CERTIFICATE----- block) found",
                path.display()
            ),
            TlsError::NoKey { path } => write!(
                f,
                "{}: no private key (PKCS#8, PKCS#1 or SEC1 PEM block) found",
                path.display()
            ),
            TlsError::BadKey { path, error } => {
                write!(f, "{}: unusable private key: {error}", path.display())
            }
            TlsError::BadCertificate { path, error } => {
                write!(f, "{}: bad certificate: {error}", path.display())
            }
            TlsError::KeyMismatch { cert, key } => write!(
                f,
                "the key {} does not match the certificate {}",
                key.display(),
                cert.display()
            ),
            TlsError::Config(e) => write!(f, "TLS configuration: {e}"),
        }
    }
}

impl std::error::Error for TlsError {}
