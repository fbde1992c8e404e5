//! Paired measurement (issue 23): two implementations alternate in short slices for many
//! rounds inside one process, and the result is the median of the per-round time ratios with
//! its spread, so a slow second of a noisy machine slows both sides of the rounds it hits
//! instead of one side of the comparison.
//!
//! Each round times a batch of Brisk calls and a batch of peer calls back to back (the order
//! alternates between rounds), each batch sized by calibration to take about `slice`; the
//! round's ratio is peer time per call / Brisk time per call (above 1: Brisk is faster).

use std::time::{Duration, Instant};

/// The paired result of one comparison.
#[derive(Debug, Clone, Copy)]
pub struct Ratio {
    /// Median of the per-round ratios (peer time / Brisk time).
    pub median: f64,
    /// 10th percentile of the per-round ratios.
    pub p10: f64,
    /// 90th percentile of the per-round ratios.
    pub p90: f64,
    /// Median Brisk time per call.
    pub brisk_ns: f64,
    /// Median peer time per call.
    pub peer_ns: f64,
    /// Rounds measured.
    pub rounds: usize,
}

/// Calls needed for one batch of `f` to take about `slice`.
fn calibrate(f: &mut dyn FnMut(), slice: Duration) -> u64 {
    let mut n = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        let took = t.elapsed();
        if took >= slice / 2 || n >= 1 << 30 {
            let per = took.as_secs_f64() / n as f64;
            return ((slice.as_secs_f64() / per.max(1e-12)) as u64).max(1);
        }
        n *= 2;
    }
}

fn time(f: &mut dyn FnMut(), n: u64) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed().as_secs_f64() * 1e9 / n as f64
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// Runs `brisk` and `peer` alternately: `rounds` rounds, each side about `slice` per round
/// (keep `slice` at 10 ms or less).
pub fn compare(
    brisk: &mut dyn FnMut(),
    peer: &mut dyn FnMut(),
    slice: Duration,
    rounds: usize,
) -> Ratio {
    // Warm both (caches, branch predictors, lazy tables) before calibrating.
    let _ = calibrate(brisk, slice);
    let _ = calibrate(peer, slice);
    let nb = calibrate(brisk, slice);
    let np = calibrate(peer, slice);
    let mut ratios = Vec::with_capacity(rounds);
    let mut tb = Vec::with_capacity(rounds);
    let mut tp = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let (b, p) = if r % 2 == 0 {
            let b = time(brisk, nb);
            (b, time(peer, np))
        } else {
            let p = time(peer, np);
            (time(brisk, nb), p)
        };
        ratios.push(p / b);
        tb.push(b);
        tp.push(p);
    }
    let sort = |v: &mut Vec<f64>| v.sort_by(|a, b| a.total_cmp(b));
    sort(&mut ratios);
    sort(&mut tb);
    sort(&mut tp);
    Ratio {
        median: percentile(&ratios, 0.5),
        p10: percentile(&ratios, 0.1),
        p90: percentile(&ratios, 0.9),
        brisk_ns: percentile(&tb, 0.5),
        peer_ns: percentile(&tp, 0.5),
        rounds,
    }
}

/// One line of the ratio table.
pub fn row(name: &str, r: &Ratio) -> String {
    format!(
        "{name:<28} {:>6.2}x  [{:>5.2} .. {:>5.2}]  brisk {:>10.1} ns  peer {:>10.1} ns  ({} rounds)",
        r.median, r.p10, r.p90, r.brisk_ns, r.peer_ns, r.rounds
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_work_gives_a_ratio_near_one_and_double_work_near_two() {
        let spin = |n: u64| {
            let mut x = 0u64;
            for i in 0..n {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
            }
            x
        };
        let slice = Duration::from_millis(2);
        let r = compare(
            &mut || {
                spin(2000);
            },
            &mut || {
                spin(2000);
            },
            slice,
            41,
        );
        assert!((0.5..2.0).contains(&r.median), "{r:?}");
        let r = compare(
            &mut || {
                spin(1000);
            },
            &mut || {
                spin(2000);
            },
            slice,
            41,
        );
        assert!((1.2..4.0).contains(&r.median), "{r:?}");
    }
}
