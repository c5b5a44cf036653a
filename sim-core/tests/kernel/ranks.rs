//! Runs over ranks (processes, here threads linked by [`local_ranks`]) are bit-identical to
//! the sequential run: statistics, event counts, end time, stop and abort, with one engine
//! per rank or several.

use rstest::rstest;
use sim_core::*;

use crate::partitions::{build, Gossip, PARTITIONS};

type Ranked = (Result<RunOutcome, SimError>, Option<Report>);

/// Every rank builds the model with `engines` engines and runs it in slices of `slice_ns`
/// to 20 µs; what each rank returned, in rank order.
fn ranked(ranks: usize, engines: usize, slice_ns: u64, tweak: fn(u32, &mut Gossip)) -> Vec<Ranked> {
    std::thread::scope(|s| {
        let handles: Vec<_> = local_ranks(ranks)
            .into_iter()
            .map(|mut t| {
                s.spawn(move || {
                    let (mut sim, _) = build(engines, ThreadPolicy::Fixed, tweak);
                    let mut r = Ok(RunOutcome::ReachedEnd);
                    let mut at = 0;
                    while at < 20_000 && r == Ok(RunOutcome::ReachedEnd) {
                        at = (at + slice_ns).min(20_000);
                        r = sim.run_until_ranked(SimTime::from_ns(at), &mut t);
                    }
                    (r, sim.finish_ranked(&mut t))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn sequential(tweak: fn(u32, &mut Gossip)) -> (Result<RunOutcome, SimError>, Report) {
    let (mut sim, _) = build(1, ThreadPolicy::Fixed, tweak);
    let r = sim.run_until(SimTime::from_ns(20_000));
    (r, sim.finish())
}

/// Rank 0 has the report, the others none; every rank returned the same outcome.
fn report_of(all: Vec<Ranked>) -> (Result<RunOutcome, SimError>, Report) {
    let outcome = all[0].0.clone();
    for (rank, (r, rep)) in all.iter().enumerate() {
        assert_eq!(r, &outcome, "rank {rank}");
        assert_eq!(rep.is_some(), rank == 0, "rank {rank}");
    }
    (outcome, all.into_iter().next().unwrap().1.unwrap())
}

#[rstest]
#[case::two_ranks_one_engine_each(2, 2, 20_000)]
#[case::two_ranks_two_engines_each(2, 4, 20_000)]
#[case::three_ranks_uneven(3, 4, 20_000)]
#[case::four_ranks_in_slices(4, 4, 3_000)]
#[case::one_engine_on_two_ranks(2, 1, 20_000)]
fn a_run_over_ranks_is_bit_identical_to_sequential(
    #[case] ranks: usize,
    #[case] engines: usize,
    #[case] slice_ns: u64,
) {
    let (r1, seq) = sequential(|_, _| {});
    let (rn, par) = report_of(ranked(ranks, engines, slice_ns, |_, _| {}));
    assert_eq!(r1, Ok(RunOutcome::ReachedEnd));
    assert_eq!(rn, r1);
    assert!(seq.events > 10_000, "a busy model: {} events", seq.events);
    assert_eq!((par.events, par.end), (seq.events, seq.end));
    assert_eq!(par.stats, seq.stats);
    assert_eq!((par.sync.ranks, par.sync.engines), (ranks, engines.min(PARTITIONS as usize)));
    if engines > 1 {
        assert!(par.sync.windows > 100 && par.sync.exchanged > 0, "{:?}", par.sync);
    } else {
        // One engine (on the last rank; the first has none) runs its events in one window.
        assert_eq!((par.sync.windows, par.sync.exchanged), (1, 0), "{:?}", par.sync);
    }
}

#[rstest]
#[case(2)]
#[case(4)]
fn stop_ends_at_the_same_event_over_ranks(#[case] ranks: usize) {
    let tweak = |i: u32, g: &mut Gossip| {
        if i == 9 {
            g.stop_after = Some(40);
        }
    };
    let (r1, seq) = sequential(tweak);
    let (rn, par) = report_of(ranked(ranks, ranks, 20_000, tweak));
    assert_eq!(r1, Ok(RunOutcome::Stopped));
    assert_eq!(rn, r1);
    assert_eq!((par.events, par.end), (seq.events, seq.end));
    assert_eq!(par.stats, seq.stats);
}

#[rstest]
#[case(2)]
#[case(4)]
fn every_rank_reports_the_sequential_abort(#[case] ranks: usize) {
    let tweak = |i: u32, g: &mut Gossip| {
        if i == 3 || i == 20 {
            g.abort_at_seen = Some(30);
        }
    };
    let (r1, _) = sequential(tweak);
    assert!(matches!(r1, Err(SimError::Aborted { .. })), "{r1:?}");
    let all = ranked(ranks, ranks, 20_000, tweak);
    for (r, _) in &all {
        assert_eq!(r, &r1);
    }
}
