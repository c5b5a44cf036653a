//! Random streams are part of the reproducibility contract: stable across runs and releases.

use sim_core::*;

#[test]
fn rng_streams_stable_across_runs() {
    // Frozen values: a change here changes every seeded result users have published.
    let mut r = SimRng::for_instance(1, "chip0.dram");
    let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
    assert_eq!(got, GOLDEN_CHIP0_DRAM);
    let mut r = SimRng::from_seed(0);
    assert_eq!(r.next_u64(), GOLDEN_SEED0);
}

const GOLDEN_CHIP0_DRAM: [u64; 3] = [0x1a61_7260_cbef_f2f2, 0xecdb_f15d_2ca5_6b28, 0x583d_92d1_d0b8_498f];
const GOLDEN_SEED0: u64 = 0x5317_5d61_490b_23df;

#[test]
fn stream_depends_on_seed_and_name_only() {
    let a: Vec<u64> = {
        let mut r = SimRng::for_instance(9, "lp3");
        (0..8).map(|_| r.next_u64()).collect()
    };
    let b: Vec<u64> = {
        let mut r = SimRng::for_instance(9, "lp3");
        (0..8).map(|_| r.next_u64()).collect()
    };
    assert_eq!(a, b);
    let mut other_seed = SimRng::for_instance(10, "lp3");
    assert_ne!(a[0], other_seed.next_u64());
}
