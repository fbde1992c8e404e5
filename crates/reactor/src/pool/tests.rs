//! Unit tests of the pool: output chains, input runs (growth, moves, reserve, compaction).

use super::*;
use std::io::{self, Write};

fn chain_bytes(p: &Pool, c: &Chain) -> Vec<u8> {
    let mut iov = arrayvec::ArrayVec::<io::IoSlice<'_>, 64>::new();
    p.gather(c, &mut iov);
    iov.iter().flat_map(|s| s.iter().copied()).collect()
}

#[test]
fn output_chains_blocks_and_respects_limit() {
    let mut p = Pool::new(8, 16, 1);
    let mut c = Chain::default();
    let run = InRun::default();
    {
        let (input, mut out) = p.split(&run, &mut c, 40);
        assert!(input.is_empty());
        assert_eq!(out.remaining(), 40);
        out.extend_from_slice(&[1; 20]).unwrap();
        out.extend_from_slice(&[2; 15]).unwrap();
        assert_eq!(out.remaining(), 5);
        assert_eq!(out.extend_from_slice(&[3; 6]), Err(OutputFull));
        assert_eq!(out.write(&[4; 10]).unwrap(), 5);
        assert_eq!(out.pending(), 40);
    }
    assert_eq!(p.used_blocks(), 3);
    let mut want = vec![1; 20];
    want.extend([2; 15]);
    want.extend([4; 5]);
    assert_eq!(chain_bytes(&p, &c), want);
    p.consume_output(&mut c, 17);
    assert_eq!(p.used_blocks(), 2);
    assert_eq!(chain_bytes(&p, &c), want[17..]);
    p.consume_output(&mut c, 23);
    assert_eq!(p.used_blocks(), 0);
    assert_eq!(c.head, NIL);
}

#[test]
fn input_grows_contiguously_and_is_never_overwritten_by_output() {
    let mut p = Pool::new(8, 16, 1);
    let mut run = InRun::default();
    // Fill one block, then grow to 2 then 4 blocks (in place).
    for round in 0..3u8 {
        let r = p.input_room(&mut run, 4).unwrap();
        let len = r.len();
        p.mem_mut()[r].fill(round);
        run.tail += len as u32;
    }
    assert_eq!(run.blocks, 4);
    assert_eq!(p.input_room(&mut run, 4), Err(NoRoom::Full));
    // Output takes the remaining blocks but never touches the input run.
    let mut c = Chain::default();
    {
        let (input, mut out) = p.split(&run, &mut c, 1 << 20);
        assert_eq!(input.len(), 64);
        assert_eq!(out.remaining(), 4 * 16);
        out.extend_from_slice(&[9; 64]).unwrap();
        assert_eq!(out.remaining(), 0);
    }
    let (input, _) = p.split(&run, &mut c, 0);
    let mut want = vec![0; 16];
    want.extend([1; 16]);
    want.extend([2; 16 * 2]);
    assert_eq!(input, &want[..]);
    assert_eq!(p.free_blocks(), 0);
}

#[test]
fn input_moves_when_it_cannot_grow_in_place_and_respects_reserve() {
    let mut p = Pool::new(8, 16, 2);
    let mut a = InRun::default();
    let mut b = InRun::default();
    let r = p.input_room(&mut a, 4).unwrap();
    p.mem_mut()[r.clone()].copy_from_slice(&[7; 16]);
    a.tail = 16;
    let _ = p.input_room(&mut b, 4).unwrap(); // block 1, right behind `a`
    let r = p.input_room(&mut a, 4).unwrap(); // moves to blocks 2..4
    assert_eq!(a.start, 2);
    assert_eq!(r.len(), 16);
    let mut c = Chain::default();
    let (input, _) = p.split(&a, &mut c, 0);
    assert_eq!(input, &[7; 16]);
    // 5 free, reserve 2: a can grow to 4 (needs 2 more) leaving 3.
    a.tail = 32;
    assert!(p.input_room(&mut a, 8).is_ok());
    assert_eq!(p.free_blocks(), 3);
    // Growing to 8 would need 4 more: starved.
    a.tail = 64;
    assert_eq!(p.input_room(&mut a, 8), Err(NoRoom::Starved));
    p.release_input(&mut a, true);
    p.release_input(&mut b, true);
    assert_eq!(p.free_blocks(), 8);
}

#[test]
fn compaction_moves_unconsumed_input_to_the_front() {
    let mut p = Pool::new(4, 8, 0);
    let mut run = InRun::default();
    let r = p.input_room(&mut run, 1).unwrap();
    p.mem_mut()[r].copy_from_slice(b"abcdefgh");
    run.tail = 8;
    run.head = 5;
    let r = p.input_room(&mut run, 1).unwrap();
    assert_eq!(r.len(), 5);
    let mut c = Chain::default();
    let (input, _) = p.split(&run, &mut c, 0);
    assert_eq!(input, b"fgh");
}

/// Issue 20, defect 8: under load that rises and falls, single blocks are taken lowest first,
/// so the blocks ever used (the arena's resident pages) stay below the most in use at once,
/// instead of a hint walking through the whole arena.
#[test]
fn fluctuating_load_keeps_to_the_lowest_blocks() {
    let mut p = Pool::new(2048, 16, 1);
    let mut highest = 0;
    for round in 0..200usize {
        // 70 to 99 blocks at once: more than one 64-block word.
        let n = 70 + round % 30;
        let taken: Vec<u32> = (0..n).map(|_| p.meta.alloc_one().unwrap()).collect();
        highest = highest.max(*taken.iter().max().unwrap() as usize);
        // Given back in an order unlike the one they were taken in.
        for &b in taken
            .iter()
            .skip(1)
            .step_by(2)
            .chain(taken.iter().step_by(2))
        {
            p.meta.free_run(b, 1);
        }
        assert_eq!(p.used_blocks(), 0);
    }
    assert!(p.peak_blocks() < 100);
    assert!(
        highest < p.peak_blocks(),
        "block {highest} used with at most {} in use at once",
        p.peak_blocks()
    );
}
