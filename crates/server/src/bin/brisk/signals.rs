//! Signals:
//!
//! * SIGINT, SIGTERM: the first starts graceful shutdown (stop accepting, finish in-flight
//!   requests within the shutdown timeout); a second one while that runs exits at once (like
//!   nginx's fast shutdown), with status 128 + the signal's number (130 for SIGINT, 143 for
//!   SIGTERM).
//! * SIGHUP: never stops the process. It will mean "reopen the logs, reload": today there is
//!   nothing to reload, so the handler says so on stderr and counts the signal. The work itself
//!   must not run in the handler: whatever reopens files (a log writer thread, a worker's turn)
//!   reads [`hangups`] and acts when the count has changed since it last looked.
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
const HANGUP: &str = "brisk: SIGHUP: nothing to reload\n";

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

extern "C" fn on_hangup(_: libc::c_int) {
    HANGUPS.fetch_add(1, Ordering::SeqCst);
    write_stderr(HANGUP);
}

/// How many SIGHUPs the process has received: the hook for "reopen logs / reload".
///
/// ```ignore
/// let seen = signals::hangups();
/// // ... later, outside any signal handler:
/// if signals::hangups() != seen { reopen_the_access_log(); }
/// ```
#[allow(dead_code)] // read by the log reopening to come (issue 20, access log)
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
