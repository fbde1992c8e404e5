//! `--self-signed`: a certificate for `localhost`, `127.0.0.1` and `::1`, made at start by the
//! `openssl` command in a temporary directory that is removed when the server stops. For
//! trying HTTPS (`curl -k`, a browser that is told to accept it), never for production.

use std::path::PathBuf;
use std::process::Command;

/// The certificate and key files; the directory goes when this is dropped.
#[derive(Debug)]
pub struct SelfSigned {
    dir: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The command `--help` and the README show (the same as [`make`] runs).
pub const OPENSSL: &str = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
     -nodes -days 30 -subj /CN=localhost \
     -addext subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1 -keyout key.pem -out cert.pem";

/// Runs `openssl req -x509 ...` (see [`OPENSSL`]) into a new temporary directory.
///
/// # Errors
///
/// The command is missing or fails (its stderr is in the message).
pub fn make() -> Result<SelfSigned, String> {
    let dir = std::env::temp_dir().join(format!("brisk-self-signed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("--self-signed: cannot create {}: {e}", dir.display()))?;
    let made = SelfSigned {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
        dir,
    };
    let mut args: Vec<&str> = OPENSSL.split_whitespace().skip(1).collect();
    args.truncate(args.len() - 4);
    let out = Command::new("openssl")
        .args(&args)
        .arg("-keyout")
        .arg(&made.key)
        .arg("-out")
        .arg(&made.cert)
        .output()
        .map_err(|e| {
            format!("--self-signed runs the openssl command, which did not start ({e}); install openssl or give --cert FILE --key FILE")
        })?;
    if !out.status.success() {
        return Err(format!(
            "--self-signed: openssl failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(made)
}

impl Drop for SelfSigned {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
