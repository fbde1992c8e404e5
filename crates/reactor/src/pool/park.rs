//! Parking: small slots where a connection's few unconsumed bytes wait between reads without
//! holding a pool block (see the crate docs, *Buffers*).

use super::{InRun, Pool};

/// Small slots where a few unconsumed bytes wait between reads without holding a block.
#[derive(Debug)]
pub(crate) struct Parking {
    /// `slots * size` zeroed bytes: pages cost nothing until a slot is first used.
    mem: Vec<u8>,
    /// Slots given back, reused first (LIFO, so the resident set stays small).
    free: Vec<u32>,
    /// Slots `fresh..slots` were never used.
    fresh: u32,
    slots: u32,
    size: usize,
}

impl Parking {
    /// `slots` slots of `size` bytes (none if `size` is 0), zero-allocated.
    pub(crate) fn new(slots: usize, size: usize) -> Parking {
        let slots = if size == 0 { 0 } else { slots };
        Parking {
            mem: vec![0; slots * size],
            free: Vec::with_capacity(slots),
            fresh: 0,
            slots: slots as u32,
            size,
        }
    }

    /// Gives slot `slot` back.
    pub(crate) fn release(&mut self, slot: u32) {
        self.free.push(slot);
    }
}

impl Pool {
    /// Parks a run's unconsumed input when it is at most the parking slot size and a slot is
    /// free: the bytes move to the slot and the run's blocks go back to the pool (one copy of
    /// at most `park_size` bytes). Returns whether it did.
    pub(crate) fn park(&mut self, run: &mut InRun) -> bool {
        let len = run.len();
        let p = &mut self.park;
        if run.blocks == 0 || len == 0 || len > p.size {
            return false;
        }
        let slot = match p.free.pop() {
            Some(s) => s,
            None if p.fresh < p.slots => {
                p.fresh += 1;
                p.fresh - 1
            }
            None => return false,
        };
        let from = run.start as usize * self.meta.block_size + run.head as usize;
        let to = slot as usize * p.size;
        p.mem[to..to + len].copy_from_slice(&self.mem[from..from + len]);
        self.meta.free_run(run.start, run.blocks);
        *run = InRun {
            start: slot,
            blocks: 0,
            head: len as u32,
            tail: len as u32,
        };
        true
    }

    /// Moves parked bytes to the front of the fresh block `start` and frees their slot.
    #[cold]
    pub(super) fn unpark(&mut self, parked: InRun, start: u32) {
        let len = parked.tail as usize;
        let from = parked.start as usize * self.park.size;
        let to = start as usize * self.meta.block_size;
        self.mem[to..to + len].copy_from_slice(&self.park.mem[from..from + len]);
        self.park.free.push(parked.start);
    }

    /// The bytes parked by `run` (empty if it is not parked).
    #[cfg(test)]
    pub(super) fn parked_bytes(&self, run: &InRun) -> &[u8] {
        if run.blocks > 0 {
            return &[];
        }
        let at = run.start as usize * self.park.size;
        &self.park.mem[at..at + run.tail as usize]
    }

    /// Parking slots in use.
    #[cfg(test)]
    pub(crate) fn parked(&self) -> usize {
        (self.park.fresh as usize) - self.park.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Chain, NoRoom};
    use super::*;

    #[test]
    fn parked_input_gives_its_block_back_and_returns_in_front_of_the_next_read() {
        let mut p = Pool::with_parking(4, 16, 1, 2, 8);
        let mut run = InRun::default();
        let r = p.input_room(&mut run, 1).unwrap();
        p.mem_mut()[r].copy_from_slice(b"0123456789abcdef");
        run.tail = 16;
        run.head = 10;
        assert!(p.park(&mut run));
        assert_eq!((p.used_blocks(), p.parked()), (0, 1));
        assert!(run.is_empty(), "a parked run reads as empty");
        // The output may now use every block without touching the parked bytes.
        let mut c = Chain::default();
        {
            let (input, mut out) = p.split(&run, &mut c, 1 << 20);
            assert!(input.is_empty());
            out.extend_from_slice(&[9; 64]).unwrap();
        }
        assert_eq!(p.input_room(&mut run, 1), Err(NoRoom::Starved));
        p.release_output(&mut c);
        let r = p.input_room(&mut run, 1).unwrap();
        assert_eq!(r.len(), 10);
        p.mem_mut()[r.start..r.start + 3].copy_from_slice(b"XYZ");
        run.tail += 3;
        let (input, _) = p.split(&run, &mut c, 0);
        assert_eq!(input, b"abcdefXYZ");
        assert_eq!(p.parked(), 0);
        // Too long to park, then slots run out, then a forced release frees the slot.
        run.head = 0;
        assert!(!p.park(&mut run));
        run.head = 1;
        assert!(p.park(&mut run));
        let mut other = InRun::default();
        let r = p.input_room(&mut other, 1).unwrap();
        other.tail = r.len() as u32 - 8;
        other.head = other.tail - 1;
        assert!(p.park(&mut other));
        let mut third = InRun::default();
        let _ = p.input_room(&mut third, 1).unwrap();
        third.tail = 1;
        assert!(!p.park(&mut third), "both slots are taken");
        p.release_input(&mut run, true);
        assert_eq!(p.parked(), 1);
        assert!(p.park(&mut third));
        p.release_input(&mut third, true);
        p.release_input(&mut other, true);
        assert_eq!((p.used_blocks(), p.parked()), (0, 0));
    }
}
