//! Signals:
//!
//! * SIGINT, SIGTERM: the first starts graceful shutdown (stop accepting, finish in-flight
//!   requests within the shutdown timeout); a second one while that runs exits at once (like
//!   nginx's fast shutdown), with status 128 + the signal's number (130 for SIGINT, 143 for
//!   SIGTERM).
//! * SIGHUP: never stops the process; with an access log file it reopens the file (log
//!   rotation); with TLS listeners it re-reads the certificate and key files (new handshakes
//!   use the new certificates, established connections go on; a bad file keeps the old ones
//!   and the log says why). The handler only counts the signal: a watcher thread ([`watch`])
//!   sees the count change within 100 ms and asks the server to reopen its logs
//!   (`Handle::reopen_logs`) and reloads the certificates, outside any handler; the same thread logs the progress of a graceful shutdown
//!   (connections left, once a second). The thread does not run in a process that would
//!   otherwise have one thread (`--workers 1` without an access log file nor TLS: a shared descriptor
//!   table makes every socket call dearer); there a SIGHUP only says on stderr that there is
//!   nothing to reload, and shutdown logs its notice and `stopped`.
//!
//! The handlers only make async-signal-safe calls: atomics, one write(2) of a message
//! formatted before any signal can arrive, `Handle::shutdown` (no lock, no allocation) and
//! `_exit(2)`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use brisk_server::Handle;

struct Installed {
    handle: Handle,
    /// The notices, formatted before any signal can arrive.
    on_int: String,
    on_term: String,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();
/// Set by the first SIGINT/SIGTERM.
static STOPPING: AtomicBool = AtomicBool::new(false);
/// SIGHUPs received.
static HANGUPS: AtomicU64 = AtomicU64::new(0);

const AGAIN_INT: &str = "brisk: second SIGINT, exiting now (in-flight requests dropped)\n";
const AGAIN_TERM: &str = "brisk: second SIGTERM, exiting now (in-flight requests dropped)\n";

fn write_stderr(msg: &str) {
    // SAFETY: write(2) is async-signal-safe; `msg` is valid for `msg.len()` bytes.
    let _ = unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
}

extern "C" fn on_stop(sig: libc::c_int) {
    if STOPPING.swap(true, Ordering::SeqCst) {
        write_stderr(if sig == libc::SIGINT {
            AGAIN_INT
        } else {
            AGAIN_TERM
        });
        // SAFETY: _exit(2) is async-signal-safe and ends the process without running atexit
        // handlers or destructors (which could block on a lock the interrupted code holds).
        unsafe { libc::_exit(128 + sig) };
    }
    let Some(i) = INSTALLED.get() else {
        return;
    };
    write_stderr(if sig == libc::SIGINT {
        &i.on_int
    } else {
        &i.on_term
    });
    i.handle.shutdown();
}

/// A watcher thread reopens the logs on SIGHUP ([`watch`]).
static WATCHED: AtomicBool = AtomicBool::new(false);

const HANGUP: &str = "brisk: SIGHUP: nothing to reload (no access log file)\n";
/// Whether the server has an access log file to reopen (else the watcher says so on SIGHUP).
static REOPENS: AtomicBool = AtomicBool::new(false);

extern "C" fn on_hangup(_: libc::c_int) {
    HANGUPS.fetch_add(1, Ordering::SeqCst);
    if !WATCHED.load(Ordering::SeqCst) {
        write_stderr(HANGUP);
    }
}

/// How many SIGHUPs the process has received: the hook for "reopen logs / reload".
///
/// ```ignore
/// let seen = signals::hangups();
/// // ... later, outside any signal handler:
/// if signals::hangups() != seen { reopen_the_access_log(); }
/// ```
pub fn hangups() -> u64 {
    HANGUPS.load(Ordering::SeqCst)
}

fn set_handler(sig: libc::c_int, handler: extern "C" fn(libc::c_int)) {
    // SAFETY: `sa` is a zeroed `sigaction` with its mask initialised by sigemptyset and an
    // `extern "C" fn(c_int)` handler (no SA_SIGINFO); null is allowed for the old action.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler as libc::sighandler_t;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(sig, &sa, std::ptr::null_mut());
    }
}

/// Makes SIGHUP harmless; call first thing, before anything that takes time.
pub fn install_hangup() {
    set_handler(libc::SIGHUP, on_hangup);
}

/// Makes SIGINT and SIGTERM shut `handle` down gracefully within `deadline`, and a second one
/// exit at once.
pub fn install_stop(handle: &Handle, deadline: Duration) {
    let notice = |name: &str| {
        format!("brisk: {name} received, shutting down (deadline {deadline:?}; send it again to exit now)\n")
    };
    let installed = Installed {
        handle: handle.clone(),
        on_int: notice("SIGINT"),
        on_term: notice("SIGTERM"),
    };
    if INSTALLED.set(installed).is_err() {
        return;
    }
    set_handler(libc::SIGINT, on_stop);
    set_handler(libc::SIGTERM, on_stop);
}

/// What a SIGHUP reloads besides the logs: the certificates.
#[cfg(feature = "tls")]
pub type Certs = Option<brisk_server::tls::Tls>;
/// What a SIGHUP reloads besides the logs: nothing without TLS.
#[cfg(not(feature = "tls"))]
pub type Certs = Option<std::convert::Infallible>;

/// Re-reads the certificates and logs the outcome.
#[cfg(feature = "tls")]
fn reload(tls: &brisk_server::tls::Tls) {
    let files: Vec<String> = tls
        .files()
        .iter()
        .map(|f| f.cert.display().to_string())
        .collect();
    match tls.reload() {
        Ok(n) => brisk_server::log::info(format_args!(
            "SIGHUP received: {n} certificate{} reloaded from {}",
            if n == 1 { "" } else { "s" },
            files.join(", ")
        )),
        Err(e) => brisk_server::log::error(format_args!(
            "SIGHUP received: kept the old certificates: {e}"
        )),
    }
}

#[cfg(not(feature = "tls"))]
fn reload(never: &std::convert::Infallible) {
    match *never {}
}

/// Starts the watcher thread: on each SIGHUP (seen within 100 ms) it reopens the server's
/// logs and reloads `certs`; once a graceful shutdown began, it logs how many connections are left, once a
/// second. It runs until the process exits.
pub fn watch(handle: &Handle, reopens: bool, certs: Certs) {
    REOPENS.store(reopens, Ordering::SeqCst);
    WATCHED.store(true, Ordering::SeqCst);
    let handle = handle.clone();
    let spawned = std::thread::Builder::new()
        .name("brisk-signals".into())
        .spawn(move || {
            let mut seen = hangups();
            let mut draining_since: Option<std::time::Instant> = None;
            let mut reported = 0u64;
            loop {
                std::thread::sleep(Duration::from_millis(100));
                let now = hangups();
                if now != seen {
                    seen = now;
                    if REOPENS.load(Ordering::SeqCst) {
                        brisk_server::log::info(format_args!(
                            "SIGHUP received: reopening the logs"
                        ));
                        handle.reopen_logs();
                    }
                    if let Some(tls) = &certs {
                        reload(tls);
                    }
                    if !REOPENS.load(Ordering::SeqCst) && certs.is_none() {
                        brisk_server::log::info(format_args!(
                            "SIGHUP received: nothing to reload (no access log file)"
                        ));
                    }
                }
                if STOPPING.load(Ordering::SeqCst) {
                    let since = *draining_since.get_or_insert_with(std::time::Instant::now);
                    let secs = since.elapsed().as_secs();
                    if secs >= reported {
                        reported = secs + 1;
                        brisk_server::log::info(format_args!(
                            "draining: {} connections left",
                            handle.counters().active
                        ));
                    }
                }
            }
        });
    if let Err(e) = spawned {
        WATCHED.store(false, Ordering::SeqCst);
        brisk_server::log::warn(format_args!(
            "no signal watcher thread ({e}): SIGHUP ignored"
        ));
    }
}
