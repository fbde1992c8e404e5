//! Model-based: random input/output operations on three connections sharing a small pool
//! must keep every byte where a plain `VecDeque` model says it is, and the block accounting
//! exact.

use std::collections::VecDeque;
use std::io;

use proptest::prelude::*;

use super::*;

const BS: usize = 8;
const BLOCKS: usize = 24;
const MAX_IN: u32 = 4;
const LIMIT: usize = 40;

#[derive(Debug, Clone)]
enum Op {
    Read(usize, usize),
    Consume(usize, usize),
    Append(usize, usize),
    Write(usize, usize),
    Close(usize),
    Park(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let c = 0..3usize;
    prop_oneof![
        (c.clone(), 1..20usize).prop_map(|(c, n)| Op::Read(c, n)),
        (c.clone(), 0..20usize).prop_map(|(c, n)| Op::Consume(c, n)),
        (c.clone(), 1..30usize).prop_map(|(c, n)| Op::Append(c, n)),
        (c.clone(), 0..30usize).prop_map(|(c, n)| Op::Write(c, n)),
        c.clone().prop_map(Op::Close),
        c.prop_map(Op::Park),
    ]
}

fn blocks_held(p: &Pool, run: &InRun, chain: &Chain) -> usize {
    let mut n = run.blocks as usize;
    let mut at = chain.head;
    while at != NIL {
        n += 1;
        at = p.meta.next[at as usize];
    }
    n
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn pool_matches_model(ops in proptest::collection::vec(op(), 1..200)) {
        let mut p = Pool::with_parking(BLOCKS, BS, 2, 2, 6);
        let mut runs = [InRun::default(); 3];
        let mut chains: [Chain; 3] = std::array::from_fn(|_| Chain::default());
        let mut ins: [VecDeque<u8>; 3] = Default::default();
        let mut outs: [VecDeque<u8>; 3] = Default::default();
        let mut byte = 0u8;
        for op in ops {
            match op {
                Op::Read(c, n) => match p.input_room(&mut runs[c], MAX_IN) {
                    Ok(r) => {
                        let n = n.min(r.len());
                        let start = r.start;
                        for b in &mut p.mem_mut()[start..start + n] {
                            byte = byte.wrapping_add(1);
                            *b = byte;
                            ins[c].push_back(byte);
                        }
                        runs[c].tail += n as u32;
                        p.release_input(&mut runs[c], false);
                    }
                    Err(NoRoom::Full) => {
                        prop_assert_eq!(ins[c].len(), MAX_IN as usize * BS);
                    }
                    Err(NoRoom::Starved) => {}
                },
                Op::Consume(c, n) => {
                    let n = n.min(runs[c].len());
                    runs[c].head += n as u32;
                    ins[c].drain(..n);
                    p.release_input(&mut runs[c], false);
                }
                Op::Append(c, n) => {
                    let data: Vec<u8> = (0..n).map(|i| (i as u8) ^ 0x5A ^ byte).collect();
                    let (_, mut out) = p.split(&runs[c], &mut chains[c], LIMIT);
                    let fits = n <= out.remaining();
                    prop_assert_eq!(out.extend_from_slice(&data).is_ok(), fits);
                    if fits {
                        outs[c].extend(&data);
                    }
                }
                Op::Write(c, n) => {
                    let n = n.min(chains[c].len);
                    p.consume_output(&mut chains[c], n);
                    outs[c].drain(..n);
                }
                Op::Park(c) => {
                    let could = runs[c].blocks > 0 && (1..=6).contains(&ins[c].len());
                    let parked = p.park(&mut runs[c]);
                    prop_assert!(parked || !could || p.parked() == 2);
                }
                Op::Close(c) => {
                    p.release_input(&mut runs[c], true);
                    p.release_output(&mut chains[c]);
                    ins[c].clear();
                    outs[c].clear();
                }
            }
            let mut held = 0;
            for c in 0..3 {
                let mut tmp = Chain::default();
                let parked = p.parked_bytes(&runs[c]).to_vec();
                let (input, _) = p.split(&runs[c], &mut tmp, 0);
                let input = if parked.is_empty() { input } else { &parked[..] };
                prop_assert!(input.iter().eq(ins[c].iter()), "input of {}", c);
                let mut iov = arrayvec::ArrayVec::<io::IoSlice<'_>, 64>::new();
                p.gather(&chains[c], &mut iov);
                let got: Vec<u8> = iov.iter().flat_map(|s| s.iter().copied()).collect();
                prop_assert!(got.iter().eq(outs[c].iter()), "output of {}", c);
                prop_assert_eq!(chains[c].len, outs[c].len());
                prop_assert!(chains[c].len <= LIMIT);
                // Nothing idle holds a block.
                if ins[c].is_empty() {
                    prop_assert_eq!(runs[c].blocks, 0);
                }
                if outs[c].is_empty() {
                    prop_assert_eq!(chains[c].head, NIL);
                }
                held += blocks_held(&p, &runs[c], &chains[c]);
            }
            prop_assert_eq!(held, p.used_blocks());
            prop_assert_eq!(p.used_blocks() + p.free_blocks(), BLOCKS);
        }
    }
}
