//! Echo server on brisk-reactor: every byte received is sent back.
//!
//! ```text
//! cargo run --release -p brisk-reactor --example echo -- [--addr 127.0.0.1:7000] [--workers N]
//!     [--pool BUFFERS] [--buffer BYTES] [--max-connections N] [--idle-timeout-ms MS]
//!     [--stdin-shutdown]
//! ```
//! Prints `listening on ADDR` once bound. With `--stdin-shutdown` it shuts down gracefully when
//! standard input closes, then prints the totals; otherwise it runs until killed.

use std::io::{BufRead, Write};
use std::time::Duration;

use brisk_reactor::{Action, Context, Output, Protocol, Reactor, TimeoutKind};

/// Echoes what fits in the output; the rest is handed back once output drains.
struct Echo;

impl Protocol for Echo {
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        let n = input.len().min(out.remaining());
        out.extend_from_slice(&input[..n])
            .expect("fits: bounded by remaining()");
        if cx.timeout() != Some(TimeoutKind::Idle) || n > 0 {
            cx.set_timeout(TimeoutKind::Idle);
        }
        (n, Action::Keep)
    }
}

/// Raises the open-file soft limit to the hard limit (many idle connections need it).
fn raise_nofile() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 0;
    }
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: `lim` is a valid rlimit; raising the soft limit up to the hard one is allowed.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    lim.rlim_cur
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut r = Reactor::new();
    let mut addr = "127.0.0.1:7000".to_string();
    let mut stdin_shutdown = false;
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        r = match a.as_str() {
            "--addr" => {
                addr = val()?;
                r
            }
            "--workers" => r.workers(val()?.parse()?),
            "--pool" => r.pool_size(val()?.parse()?),
            "--buffer" => r.buffer_size(val()?.parse()?),
            "--max-connections" => r.max_connections(val()?.parse()?),
            "--idle-timeout-ms" => r.idle_timeout(Duration::from_millis(val()?.parse()?)),
            "--stdin-shutdown" => {
                stdin_shutdown = true;
                r
            }
            "--help" | "-h" => {
                println!("usage: echo [--addr A] [--workers N] [--pool BUFFERS] [--buffer BYTES] [--max-connections N] [--idle-timeout-ms MS] [--stdin-shutdown]");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}").into()),
        };
    }
    let nofile = raise_nofile();
    let handle = r.bind(addr.parse()?).start(|_| Echo)?;
    println!("listening on {} (nofile {nofile})", handle.local_addr());
    std::io::stdout().flush()?;
    if stdin_shutdown {
        let mut line = String::new();
        while std::io::stdin().lock().read_line(&mut line)? > 0 {
            line.clear();
        }
        handle.shutdown(Duration::from_secs(1));
    }
    handle.join()?;
    println!("{:?}", handle.totals());
    Ok(())
}
