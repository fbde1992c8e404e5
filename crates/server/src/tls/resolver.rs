//! The certificate resolver: several certificates chosen by SNI, swapped whole on reload.

use brisk_reactor::rustls;
use std::sync::{Arc, RwLock};

use rustls::pki_types::ServerName;
use rustls::server::{ClientHello, ParsedCertificate, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// The certificates in use, in the order given (the first is the default).
#[derive(Debug)]
pub(super) struct Resolver {
    keys: RwLock<Arc<Vec<Arc<CertifiedKey>>>>,
}

impl Resolver {
    pub(super) fn new(keys: Vec<Arc<CertifiedKey>>) -> Resolver {
        Resolver {
            keys: RwLock::new(Arc::new(keys)),
        }
    }

    /// Replaces every certificate at once: handshakes that start afterwards use the new ones.
    pub(super) fn swap(&self, keys: Vec<Arc<CertifiedKey>>) {
        let keys = Arc::new(keys);
        match self.keys.write() {
            Ok(mut k) => *k = keys,
            Err(poisoned) => *poisoned.into_inner() = keys,
        }
    }

    pub(super) fn current(&self) -> Arc<Vec<Arc<CertifiedKey>>> {
        match self.keys.read() {
            Ok(k) => Arc::clone(&k),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }
}

/// The certificate for `sni`: the first of `keys` valid for that name, else the first.
pub(super) fn choose(keys: &[Arc<CertifiedKey>], sni: Option<&str>) -> Option<Arc<CertifiedKey>> {
    let first = keys.first()?;
    if keys.len() > 1 {
        if let Some(name) = sni.and_then(|s| ServerName::try_from(s).ok()) {
            for k in keys {
                let Some(leaf) = k.cert.first() else { continue };
                let valid = ParsedCertificate::try_from(leaf)
                    .map(|p| rustls::client::verify_server_name(&p, &name).is_ok())
                    .unwrap_or(false);
                if valid {
                    return Some(Arc::clone(k));
                }
            }
        }
    }
    Some(Arc::clone(first))
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        choose(&self.current(), hello.server_name())
    }
}
