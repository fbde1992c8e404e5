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

const NIL: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Entry {
    prev: u32,
    next: u32,
    /// INVARIANT: `slot == NIL` exactly when the timer is not armed.
    slot: u32,
    tick: u64,
}

const UNARMED: Entry = Entry {
    prev: NIL,
    next: NIL,
    slot: NIL,
    tick: 0,
};

/// The wheel. Ticks are abstract `u64` counters; the worker converts `Instant`s to ticks.
#[derive(Debug)]
pub(crate) struct TimerWheel {
    heads: Vec<u32>,
    occupied: Vec<u64>,
    entries: Vec<Entry>,
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
            heads: vec![NIL; slots],
            occupied: vec![0; slots / 64],
            entries: vec![UNARMED; ids],
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
        self.entries.get(id).is_some_and(|e| e.slot != NIL)
    }

    /// Arms (or re-arms) timer `id` to fire at `tick`. A tick already processed is moved to the
    /// next tick, so a timer never fires in the past of the wheel.
    pub(crate) fn arm(&mut self, id: usize, tick: u64) {
        if id >= self.entries.len() {
            self.entries.resize(id + 1, UNARMED);
        }
        self.cancel(id);
        let tick = tick.max(self.current + 1);
        let slot = (tick & self.mask) as u32;
        let head = self.heads[slot as usize];
        self.entries[id] = Entry {
            prev: NIL,
            next: head,
            slot,
            tick,
        };
        if head != NIL {
            self.entries[head as usize].prev = id as u32;
        } else {
            self.occupied[slot as usize / 64] |= 1 << (slot % 64);
        }
        self.heads[slot as usize] = id as u32;
        self.armed += 1;
    }

    /// Cancels timer `id`; a no-op if it is not armed.
    pub(crate) fn cancel(&mut self, id: usize) {
        let Some(&e) = self.entries.get(id) else {
            return;
        };
        if e.slot == NIL {
            return;
        }
        if e.prev != NIL {
            self.entries[e.prev as usize].next = e.next;
        } else {
            self.heads[e.slot as usize] = e.next;
            if e.next == NIL {
                self.occupied[e.slot as usize / 64] &= !(1 << (e.slot % 64));
            }
        }
        if e.next != NIL {
            self.entries[e.next as usize].prev = e.prev;
        }
        self.entries[id] = UNARMED;
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
            while at != NIL {
                let e = self.entries[at as usize];
                if e.tick <= now {
                    self.cancel(at as usize);
                    expired.push(at as usize);
                }
                at = e.next;
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
