//! A hashed timer wheel: O(1) arm, re-arm and cancel, coarse ticks.
//!
//! Each timer is identified by a dense `usize` id chosen by the caller (the worker uses two per
//! connection: `key * 2` for the protocol's read timer and `key * 2 + 1` for write stall). Entries
//! live in a preallocated array and are threaded into per-slot doubly linked lists, so arming,
//! re-arming and cancelling never allocate and never walk a list. Deadlines are absolute tick
//! numbers; a slot holds every timer whose tick is congruent to it modulo the slot count, so a
//! timer further away than one revolution simply stays in its slot until its round comes
//! (wrap-around). An occupancy bitmap over the slots finds the next non-empty slot quickly, which
//! gives the poll timeout: the wheel is driven entirely by `Poll::poll`'s timeout, no timer
//! syscalls.

/// Links are stored as `id + 1` so that 0 means "none" and every per-id array starts as
/// zeroed memory: `vec![0; n]` comes from `calloc`, whose pages cost no resident memory until a
/// timer id is first used.
const NONE: u32 = 0;

/// The wheel. Ticks are abstract `u64` counters; the worker converts `Instant`s to ticks.
#[derive(Debug)]
pub(crate) struct TimerWheel {
    /// Per slot: first entry (`id + 1`) or `NONE`.
    heads: Vec<u32>,
    occupied: Vec<u64>,
    /// Per id: neighbours in the slot list (`id + 1` or `NONE`).
    prev: Vec<u32>,
    next: Vec<u32>,
    /// Per id: `slot + 1`, or `NONE` when not armed.
    /// INVARIANT: `slot_of[id] == NONE` exactly when timer `id` is not armed.
    slot_of: Vec<u32>,
    tick: Vec<u64>,
    mask: u64,
    /// Every tick `<= current` has been processed; armed timers have `tick > current`.
    current: u64,
    armed: usize,
}

impl TimerWheel {
    /// A wheel with `slots` slots (rounded up to a power of two, at least 64) and room for
    /// timer ids `0..ids` (grown on demand, but the worker sizes it once at start).
    pub(crate) fn new(slots: usize, ids: usize) -> TimerWheel {
        let slots = slots.max(64).next_power_of_two();
        TimerWheel {
            heads: vec![NONE; slots],
            occupied: vec![0; slots / 64],
            prev: vec![NONE; ids],
            next: vec![NONE; ids],
            slot_of: vec![NONE; ids],
            tick: vec![0; ids],
            mask: slots as u64 - 1,
            current: 0,
            armed: 0,
        }
    }

    /// How many timers are armed.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.armed
    }

    /// Is timer `id` armed?
    pub(crate) fn is_armed(&self, id: usize) -> bool {
        self.slot_of.get(id).is_some_and(|&s| s != NONE)
    }

    /// Arms (or re-arms) timer `id` to fire at `tick`. A tick already processed is moved to the
    /// next tick, so a timer never fires in the past of the wheel.
    pub(crate) fn arm(&mut self, id: usize, tick: u64) {
        if id >= self.slot_of.len() {
            self.prev.resize(id + 1, NONE);
            self.next.resize(id + 1, NONE);
            self.slot_of.resize(id + 1, NONE);
            self.tick.resize(id + 1, 0);
        }
        self.cancel(id);
        let tick = tick.max(self.current + 1);
        let slot = (tick & self.mask) as usize;
        let head = self.heads[slot];
        let link = id as u32 + 1;
        self.prev[id] = NONE;
        self.next[id] = head;
        self.slot_of[id] = slot as u32 + 1;
        self.tick[id] = tick;
        if head != NONE {
            self.prev[head as usize - 1] = link;
        } else {
            self.occupied[slot / 64] |= 1 << (slot % 64);
        }
        self.heads[slot] = link;
        self.armed += 1;
    }

    /// The tick timer `id` fires at, if it is armed.
    pub(crate) fn deadline(&self, id: usize) -> Option<u64> {
        self.is_armed(id).then(|| self.tick[id])
    }

    /// Cancels timer `id`; a no-op if it is not armed.
    pub(crate) fn cancel(&mut self, id: usize) {
        let Some(&s) = self.slot_of.get(id) else {
            return;
        };
        if s == NONE {
            return;
        }
        let slot = s as usize - 1;
        let (prev, next) = (self.prev[id], self.next[id]);
        if prev != NONE {
            self.next[prev as usize - 1] = next;
        } else {
            self.heads[slot] = next;
            if next == NONE {
                self.occupied[slot / 64] &= !(1 << (slot % 64));
            }
        }
        if next != NONE {
            self.prev[next as usize - 1] = prev;
        }
        self.prev[id] = NONE;
        self.next[id] = NONE;
        self.slot_of[id] = NONE;
        self.armed -= 1;
    }

    /// Processes every tick up to and including `now`, pushing the ids of expired timers
    /// (which are disarmed) onto `expired`.
    pub(crate) fn advance(&mut self, now: u64, expired: &mut Vec<usize>) {
        if now <= self.current {
            return;
        }
        let span = (now - self.current).min(self.mask + 1);
        for t in self.current + 1..=self.current + span {
            let slot = (t & self.mask) as usize;
            let mut at = self.heads[slot];
            while at != NONE {
                let id = at as usize - 1;
                at = self.next[id];
                if self.tick[id] <= now {
                    self.cancel(id);
                    expired.push(id);
                }
            }
        }
        self.current = now;
    }

    /// The tick of the next non-empty slot after `current` (a lower bound on the next expiry:
    /// the slot may only hold timers of later rounds), or `None` if nothing is armed.
    pub(crate) fn next_tick(&self) -> Option<u64> {
        if self.armed == 0 {
            return None;
        }
        let slots = self.mask + 1;
        let words = self.occupied.len();
        let start = (self.current + 1) & self.mask;
        let (w0, b0) = ((start / 64) as usize, start % 64);
        // The first word is looked at twice: its high bits first, its low bits after wrapping.
        for i in 0..=words {
            let w = (w0 + i) % words;
            let mut bits = self.occupied[w];
            if i == 0 {
                bits &= !0u64 << b0;
            } else if i == words {
                bits &= (1u64 << b0).wrapping_sub(1);
            }
            if bits != 0 {
                let slot = w as u64 * 64 + u64::from(bits.trailing_zeros());
                let ahead = (slot + slots - start) % slots;
                return Some(self.current + 1 + ahead);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fire(w: &mut TimerWheel, now: u64) -> Vec<usize> {
        let mut v = Vec::new();
        w.advance(now, &mut v);
        v.sort_unstable();
        v
    }

    #[test]
    fn deadline_is_the_armed_tick() {
        let mut w = TimerWheel::new(64, 8);
        assert_eq!(w.deadline(2), None);
        w.arm(2, 500);
        assert_eq!(w.deadline(2), Some(500));
        w.cancel(2);
        assert_eq!(w.deadline(2), None);
        assert_eq!(w.deadline(100), None);
    }

    #[test]
    fn arm_fires_at_its_tick_not_before() {
        let mut w = TimerWheel::new(64, 8);
        w.arm(3, 10);
        assert!(w.is_armed(3));
        assert_eq!(w.next_tick(), Some(10));
        assert_eq!(fire(&mut w, 9), Vec::<usize>::new());
        assert_eq!(fire(&mut w, 10), vec![3]);
        assert!(!w.is_armed(3));
        assert_eq!(w.len(), 0);
        assert_eq!(w.next_tick(), None);
    }

    #[test]
    fn cancel_prevents_firing() {
        let mut w = TimerWheel::new(64, 8);
        w.arm(1, 5);
        w.arm(2, 5);
        w.cancel(1);
        w.cancel(1); // twice is fine
        assert_eq!(w.len(), 1);
        assert_eq!(fire(&mut w, 100), vec![2]);
    }

    #[test]
    fn rearm_moves_the_deadline() {
        let mut w = TimerWheel::new(64, 8);
        w.arm(0, 5);
        w.arm(0, 20);
        assert_eq!(w.len(), 1);
        assert_eq!(fire(&mut w, 19), Vec::<usize>::new());
        assert_eq!(fire(&mut w, 20), vec![0]);
        // Re-arm earlier than before.
        w.arm(0, 40);
        w.arm(0, 25);
        assert_eq!(fire(&mut w, 25), vec![0]);
        assert_eq!(fire(&mut w, 40), Vec::<usize>::new());
    }

    #[test]
    fn arming_in_the_past_fires_on_next_tick() {
        let mut w = TimerWheel::new(64, 8);
        fire(&mut w, 50);
        w.arm(4, 10);
        assert_eq!(w.next_tick(), Some(51));
        assert_eq!(fire(&mut w, 51), vec![4]);
    }

    #[test]
    fn wrap_around_waits_for_its_round() {
        let mut w = TimerWheel::new(64, 8);
        // Same slot (5), three different rounds.
        w.arm(0, 5);
        w.arm(1, 5 + 64);
        w.arm(2, 5 + 128);
        assert_eq!(fire(&mut w, 5), vec![0]);
        assert_eq!(fire(&mut w, 68), Vec::<usize>::new());
        assert_eq!(fire(&mut w, 69), vec![1]);
        // A big jump over more than one revolution still fires exactly what is due.
        w.arm(3, 69 + 300);
        assert_eq!(fire(&mut w, 69 + 200), vec![2]);
        assert_eq!(fire(&mut w, 69 + 299), Vec::<usize>::new());
        assert_eq!(fire(&mut w, 69 + 1000), vec![3]);
    }

    #[test]
    fn next_tick_wraps_past_the_end_of_the_bitmap() {
        let mut w = TimerWheel::new(128, 8);
        fire(&mut w, 120);
        w.arm(0, 130); // slot 2, after wrapping
        assert_eq!(w.next_tick(), Some(130));
        w.arm(1, 125); // slot 125, before the wrap
        assert_eq!(w.next_tick(), Some(125));
        w.cancel(1);
        // A timer one full revolution away sits in the slot right behind `current`.
        w.cancel(0);
        w.arm(2, 120 + 128);
        assert_eq!(w.next_tick(), Some(248));
    }

    #[test]
    fn many_timers_in_one_slot() {
        let n = 10_000;
        let mut w = TimerWheel::new(64, n);
        for id in 0..n {
            // All land in slot 7, spread over rounds 0..4.
            w.arm(id, 7 + 64 * (id as u64 % 4));
        }
        assert_eq!(w.len(), n);
        // Cancel every third one, from the middle of the list.
        for id in (0..n).step_by(3) {
            w.cancel(id);
        }
        let mut all = Vec::new();
        for round in 0..4u64 {
            let fired = fire(&mut w, 7 + 64 * round);
            let want: Vec<usize> = (0..n)
                .filter(|id| id % 3 != 0 && id % 4 == round as usize)
                .collect();
            assert_eq!(fired, want, "round {round}");
            all.extend(fired);
        }
        assert_eq!(all.len(), n - n.div_ceil(3));
        assert_eq!(w.len(), 0);
    }

    #[test]
    fn ids_beyond_initial_capacity_grow() {
        let mut w = TimerWheel::new(64, 0);
        w.arm(100, 3);
        assert_eq!(fire(&mut w, 3), vec![100]);
    }

    #[test]
    fn matches_a_naive_model() {
        // A deterministic pseudo-random sequence of operations against a plain map.
        let mut w = TimerWheel::new(64, 32);
        let mut model: [Option<u64>; 32] = [None; 32];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut now = 0u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = (x % 32) as usize;
            match (x >> 8) % 4 {
                0 | 1 => {
                    let tick = now + 1 + (x >> 16) % 300;
                    w.arm(id, tick);
                    model[id] = Some(tick);
                }
                2 => {
                    w.cancel(id);
                    model[id] = None;
                }
                _ => {
                    now += (x >> 20) % 90;
                    let got = fire(&mut w, now);
                    let mut want = Vec::new();
                    for (i, m) in model.iter_mut().enumerate() {
                        if m.is_some_and(|t| t <= now) {
                            want.push(i);
                            *m = None;
                        }
                    }
                    assert_eq!(got, want);
                    let min = model.iter().flatten().min().copied();
                    match (w.next_tick(), min) {
                        (None, None) => {}
                        (Some(n), Some(m)) => assert!(n <= m && n > now),
                        other => panic!("next_tick mismatch {other:?}"),
                    }
                }
            }
        }
    }
}
