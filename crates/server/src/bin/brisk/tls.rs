//! The HTTPS listeners (`--bind-tls`) and their certificates (`--cert`, `--key`).

use brisk_server::Builder;

use crate::config::Settings;

/// The certificates of the TLS listeners, for SIGHUP and the start-up log.
pub struct Certs {
    /// What SIGHUP reloads.
    #[cfg(feature = "tls")]
    pub tls: brisk_server::tls::Tls,
    #[cfg(not(feature = "tls"))]
    pub tls: std::convert::Infallible,
    /// How many TLS listeners were added.
    pub addrs: usize,
    /// One line for the log: the certificate files.
    pub summary: String,
}

/// Loads the certificates and adds the `--bind-tls` listeners to `b` (none without
/// `--bind-tls`).
///
/// # Errors
///
/// Unpaired `--cert`/`--key`, a bad certificate or key file, a name that does not resolve.
#[cfg(feature = "tls")]
pub fn listeners(b: &mut Builder, s: &Settings) -> Result<Option<Certs>, String> {
    use brisk_server::tls::{CertFiles, Tls};
    let pairs = s.cert_pairs()?;
    if s.bind_tls.is_empty() {
        if !pairs.is_empty() {
            brisk_server::log::warn(format_args!(
                "--cert given without --bind-tls: no HTTPS listener"
            ));
        }
        return Ok(None);
    }
    let files: Vec<CertFiles> = pairs.iter().map(|(c, k)| CertFiles::new(c, k)).collect();
    let tls = Tls::new(&files, true).map_err(|e| e.to_string())?;
    let (tcp, unix) = crate::listen::listeners(&s.bind_tls)?;
    if let Some(p) = unix.first() {
        return Err(format!(
            "--bind-tls unix:{}: TLS on a Unix socket is not supported (use --bind unix:PATH \
             behind a TLS-terminating proxy, or an IP:PORT)",
            p.display()
        ));
    }
    let addrs = tcp.len();
    for a in tcp {
        b.bind_tls(a, tls.server_config());
    }
    let names: Vec<String> = files
        .iter()
        .map(|f| format!("{} with {}", f.cert.display(), f.key.display()))
        .collect();
    let summary = format!(
        "TLS 1.3 and 1.2, ALPN h2 and http/1.1; certificate{} {} (SIGHUP reloads them)",
        if files.len() == 1 {
            ""
        } else {
            "s (by SNI, the first is the default)"
        },
        names.join(", ")
    );
    Ok(Some(Certs {
        tls,
        addrs,
        summary,
    }))
}

/// Without the `tls` feature: `--bind-tls` was refused earlier.
#[cfg(not(feature = "tls"))]
pub fn listeners(_: &mut Builder, _: &Settings) -> Result<Option<Certs>, String> {
    Ok(None)
}

/// Whether listener `i` of the handle's `listen_addrs` is a TLS one: the `plain` cleartext
/// listeners come first, then the `tls` TLS ones (the builder keeps the order of its calls).
pub fn is_tls(i: usize, plain: usize, tls: usize) -> bool {
    (plain..plain + tls).contains(&i)
}
