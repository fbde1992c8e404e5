//! A paired benchmark harness: two implementations of the same work alternate in short slices
//! for many rounds inside one process, and the result is the median of the per-round time
//! ratios, with its spread.
//!
//! On a noisy machine two criterion runs of the same group can differ by 2x, because each side
//! is measured in its own few seconds and a slow minute lands on one side only. Here a round
//! times Brisk and its peer back to back (each for about [`Paired::slice`], 5 ms by default, in
//! alternating order), so whatever slows the machine during a round slows both, and the ratio
//! of the round survives. The median over a few hundred rounds ignores the rounds a burst hit
//! in the middle.
//!
//! The bench binaries (`benches/http1.rs`, `hpack.rs`, `router.rs`, `http2.rs`) run their pairs
//! through this harness instead of criterion when `BRISK_PAIRED=1` is set;
//! `benches/paired.sh` runs them all and prints one table.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use brisk_benches::paired::Paired;
//!
//! let mut p = Paired::new(20, Duration::from_micros(200));
//! let v: Vec<u64> = (0..1000).collect();
//! let row = p.compare(
//!     "demo",
//!     "sum",
//!     || assert_eq!(std::hint::black_box(&v).iter().sum::<u64>(), 499_500),
//!     || assert_eq!(std::hint::black_box(&v).iter().fold(0, |a, b| a + b), 499_500),
//! );
//! assert_eq!(row.rounds, 20);
//! assert!(row.median > 0.0);
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

/// One compared pair: how much faster Brisk was than its peer, round by round.
///
/// `median`, `p10` and `p90` are of `peer time / brisk time` per round, so above 1.0 means
/// Brisk is faster (1.5 = the peer needs 1.5 times Brisk's time).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let mut p = brisk_benches::paired::Paired::new(10, Duration::from_micros(100));
/// let row = p.compare("g", "c", || {}, || {});
/// assert_eq!((row.group.as_str(), row.case.as_str()), ("g", "c"));
/// ```
#[derive(Debug, Clone)]
pub struct Row {
    /// The benchmark group (`http1`, `router`, ...).
    pub group: String,
    /// The case inside the group (`browser_720b`, ...).
    pub case: String,
    /// Median over the rounds of peer time / Brisk time.
    pub median: f64,
    /// 10th percentile of the per-round ratios.
    pub p10: f64,
    /// 90th percentile of the per-round ratios.
    pub p90: f64,
    /// Median nanoseconds per call of the Brisk closure.
    pub brisk_ns: f64,
    /// Median nanoseconds per call of the peer closure.
    pub peer_ns: f64,
    /// Rounds measured (after warm-up).
    pub rounds: usize,
    /// Calls of each closure per slice.
    pub iters: u64,
}

impl Row {
    /// The row as one tab-separated line starting with `paired`, the format `paired.sh` reads.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut p = brisk_benches::paired::Paired::new(5, Duration::from_micros(100));
    /// let line = p.compare("g", "c", || {}, || {}).line();
    /// assert!(line.starts_with("paired\tg\tc\t"));
    /// ```
    pub fn line(&self) -> String {
        format!(
            "paired\t{}\t{}\t{:.3}\t{:.3}\t{:.3}\t{:.1}\t{:.1}\t{}\t{}",
            self.group,
            self.case,
            self.median,
            self.p10,
            self.p90,
            self.brisk_ns,
            self.peer_ns,
            self.rounds,
            self.iters
        )
    }
}

/// The harness: rounds and slice length, and the rows measured so far.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let mut p = brisk_benches::paired::Paired::new(10, Duration::from_micros(100));
/// p.compare("g", "noop", || {}, || {});
/// assert_eq!(p.rows().len(), 1);
/// ```
#[derive(Debug)]
pub struct Paired {
    rounds: usize,
    slice: Duration,
    rows: Vec<Row>,
    count: Option<Count>,
}

/// Instruction-count mode (`BRISK_PAIRED_CALLS`): one side of one case called a fixed number
/// of times and nothing timed, for `valgrind --tool=callgrind`. Two runs with N and 2N calls
/// give the instructions of one call by difference (`benches/paired_instr.sh`).
#[derive(Debug, Clone)]
struct Count {
    case: String,
    peer: bool,
    calls: u64,
}

impl Paired {
    /// A harness measuring `rounds` rounds in which each side runs for about `slice`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = brisk_benches::paired::Paired::new(300, Duration::from_millis(5));
    /// assert_eq!(p.slice(), Duration::from_millis(5));
    /// ```
    pub fn new(rounds: usize, slice: Duration) -> Paired {
        Paired {
            rounds: rounds.max(1),
            slice: slice.max(Duration::from_micros(1)),
            rows: Vec::new(),
            count: None,
        }
    }

    /// The harness when `BRISK_PAIRED=1` is set, else `None` (the bench runs criterion).
    /// `BRISK_PAIRED_ROUNDS` (default 300) and `BRISK_PAIRED_SLICE_US` (default 5000, at most
    /// 10000) tune it. With `BRISK_PAIRED_CALLS=N`, `BRISK_PAIRED_CASE=GROUP/CASE` and
    /// `BRISK_PAIRED_SIDE=brisk|peer`, only that side of that case runs, exactly N times,
    /// untimed (for instruction counts under callgrind).
    ///
    /// # Examples
    ///
    /// ```
    /// // Without BRISK_PAIRED=1 in the environment the benches run criterion.
    /// if std::env::var_os("BRISK_PAIRED").is_none() {
    ///     assert!(brisk_benches::paired::Paired::from_env().is_none());
    /// }
    /// ```
    pub fn from_env() -> Option<Paired> {
        if std::env::var("BRISK_PAIRED").as_deref() != Ok("1") {
            return None;
        }
        let num = |k: &str, d: u64| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(d)
        };
        let rounds = num("BRISK_PAIRED_ROUNDS", 300) as usize;
        let slice = Duration::from_micros(num("BRISK_PAIRED_SLICE_US", 5000).min(10_000));
        let mut p = Paired::new(rounds, slice);
        if let Ok(calls) = std::env::var("BRISK_PAIRED_CALLS") {
            p.count = Some(Count {
                case: std::env::var("BRISK_PAIRED_CASE").unwrap_or_default(),
                peer: std::env::var("BRISK_PAIRED_SIDE").as_deref() == Ok("peer"),
                calls: calls.parse().unwrap_or(1),
            });
        }
        Some(p)
    }

    /// How long each side runs in a round.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = brisk_benches::paired::Paired::new(1, Duration::from_millis(2));
    /// assert_eq!(p.slice(), Duration::from_millis(2));
    /// ```
    pub fn slice(&self) -> Duration {
        self.slice
    }

    /// The rows measured so far, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = brisk_benches::paired::Paired::new(1, Duration::from_millis(1));
    /// assert!(p.rows().is_empty());
    /// ```
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Measures `brisk` against `peer`: picks one call count per slice (so the slower side
    /// runs about one slice), warms both up for a tenth of the rounds, then runs the rounds,
    /// alternating which side goes first. Each closure must do the same work and check its
    /// result (an unchecked fast path would look fast).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut p = brisk_benches::paired::Paired::new(30, Duration::from_micros(300));
    /// let slow = || std::thread::sleep(Duration::from_micros(50));
    /// let row = p.compare("g", "sleep", || {}, slow);
    /// assert!(row.median > 1.0, "the no-op is faster than a sleep");
    /// ```
    pub fn compare(
        &mut self,
        group: &str,
        case: &str,
        mut brisk: impl FnMut(),
        mut peer: impl FnMut(),
    ) -> Row {
        if let Some(c) = &self.count {
            let hit = c.case == format!("{group}/{case}");
            let calls = if hit { c.calls } else { 0 };
            if hit && c.peer {
                timed(&mut peer, calls);
            } else if hit {
                timed(&mut brisk, calls);
            }
            return self.counted(group, case, calls);
        }
        let iters = calibrate(&mut brisk, &mut peer, self.slice);
        let warm = (self.rounds / 10).max(1);
        for r in 0..warm {
            round(&mut brisk, &mut peer, iters, r);
        }
        let mut ratios = Vec::with_capacity(self.rounds);
        let mut brisk_ns = Vec::with_capacity(self.rounds);
        let mut peer_ns = Vec::with_capacity(self.rounds);
        for r in 0..self.rounds {
            let (b, p) = round(&mut brisk, &mut peer, iters, r);
            let (b, p) = (b.as_nanos().max(1) as f64, p.as_nanos().max(1) as f64);
            ratios.push(p / b);
            brisk_ns.push(b / iters as f64);
            peer_ns.push(p / iters as f64);
        }
        let row = Row {
            group: group.to_string(),
            case: case.to_string(),
            median: quantile(&mut ratios, 0.5),
            p10: quantile(&mut ratios, 0.1),
            p90: quantile(&mut ratios, 0.9),
            brisk_ns: quantile(&mut brisk_ns, 0.5),
            peer_ns: quantile(&mut peer_ns, 0.5),
            rounds: self.rounds,
            iters,
        };
        self.rows.push(row.clone());
        row
    }
}

impl Paired {
    /// The row of a case in instruction-count mode: no timings, `iters` = the calls made.
    fn counted(&mut self, group: &str, case: &str, calls: u64) -> Row {
        let row = Row {
            group: group.to_string(),
            case: case.to_string(),
            median: f64::NAN,
            p10: f64::NAN,
            p90: f64::NAN,
            brisk_ns: f64::NAN,
            peer_ns: f64::NAN,
            rounds: 0,
            iters: calls,
        };
        self.rows.push(row.clone());
        row
    }
}

/// Runs `f` `n` times and returns the elapsed time.
fn timed(f: &mut impl FnMut(), n: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        f();
        black_box(());
    }
    start.elapsed()
}

/// One round: both sides `n` calls, Brisk first on even rounds, the peer first on odd ones.
fn round(
    brisk: &mut impl FnMut(),
    peer: &mut impl FnMut(),
    n: u64,
    r: usize,
) -> (Duration, Duration) {
    if r.is_multiple_of(2) {
        let b = timed(brisk, n);
        (b, timed(peer, n))
    } else {
        let p = timed(peer, n);
        (timed(brisk, n), p)
    }
}

/// The call count for which the slower side takes about `slice` (at least one call).
fn calibrate(brisk: &mut impl FnMut(), peer: &mut impl FnMut(), slice: Duration) -> u64 {
    let mut n = 1u64;
    loop {
        let t = timed(brisk, n).max(timed(peer, n));
        if t >= slice / 4 || n >= 1 << 40 {
            let per = t.as_nanos().max(1) as f64 / n as f64;
            return ((slice.as_nanos() as f64 / per) as u64).max(1);
        }
        n *= 2;
    }
}

/// The `q` quantile (0..=1) of `v` by nearest rank; sorts `v`.
fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v[i.min(v.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_rank() {
        let mut v = vec![5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(quantile(&mut v, 0.5), 3.0);
        assert_eq!(quantile(&mut v, 0.0), 1.0);
        assert_eq!(quantile(&mut v, 1.0), 5.0);
    }

    #[test]
    fn a_twice_as_slow_peer_gives_about_two() {
        // The peer does the same work twice: the ratio must come out near 2, whatever the
        // machine's speed, because both sides share each round.
        let data: Vec<u64> = (0..20_000).collect();
        let work = |d: &[u64]| {
            black_box(d)
                .iter()
                .fold(0u64, |a, &b| a.wrapping_add(b * b))
        };
        let mut p = Paired::new(60, Duration::from_micros(500));
        let row = p.compare(
            "t",
            "double",
            || {
                black_box(work(&data));
            },
            || {
                black_box(work(&data));
                black_box(work(&data));
            },
        );
        assert!(
            (1.6..2.5).contains(&row.median),
            "median {} (p10 {}, p90 {})",
            row.median,
            row.p10,
            row.p90
        );
        assert!(row.p10 <= row.median && row.median <= row.p90);
    }
}
