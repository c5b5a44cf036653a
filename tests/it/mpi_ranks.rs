//! One simulation over several processes: the window protocol over ranks gives the files of
//! `--threads 1` byte for byte. In one process (ranks on threads, `sim_core::local_ranks`)
//! always; over real MPI ranks (`mpirun -np 2` and `-np 4`) when built with `--features mpi`,
//! which `.ci/run` does (a plain `cargo test` lists that part as ignored, saying why).

use std::path::Path;

use rstest::rstest;
use sim_core::{local_ranks, Transport};
use tasim::bench::{run_topology, run_topology_ranked, TopologyResult};

use crate::support::*;

const RING16: &str = "topologies/bench/ring16-100ns.yaml";
const ALLREDUCE8: &str = "topologies/multichip/ring8-allreduce.yaml";

/// The toy ring with 3,000 packets per chip instead of 100,000, so that the test stays short.
fn sets(file: &str) -> Vec<String> {
    if file == RING16 {
        (0..16).map(|i| format!("chip{i}.src.packets=3000")).collect()
    } else {
        Vec::new()
    }
}

/// Runs `file` over `ranks` ranks on threads of this process; rank 0's result.
fn over_local_ranks(file: &str, ranks: usize) -> TopologyResult {
    let path = root().join(file);
    let sets = sets(file);
    let results: Vec<Option<TopologyResult>> = std::thread::scope(|s| {
        let handles: Vec<_> = local_ranks(ranks)
            .into_iter()
            .map(|mut t| {
                let (path, sets) = (&path, &sets);
                s.spawn(move || run_topology_ranked(path, sets, &mut t as &mut dyn Transport).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results[1..].iter().all(Option::is_none), "only rank 0 reports");
    results.into_iter().next().flatten().expect("rank 0 reports")
}

#[rstest]
#[case::toy_ring_two_ranks(RING16, 2)]
#[case::toy_ring_four_ranks(RING16, 4)]
#[case::allreduce_system_three_ranks(ALLREDUCE8, 3)]
fn ranks_in_one_process_give_the_statistics_of_one_thread(#[case] file: &str, #[case] ranks: usize) {
    let seq = run_topology(&root().join(file), &sets(file), 1, false).unwrap();
    let par = over_local_ranks(file, ranks);
    assert_eq!(par.stats, seq.stats);
    assert_eq!((par.events, par.end), (seq.events, seq.end));
    assert_eq!((par.sync.ranks, par.sync.engines), (ranks, ranks));
    // Events really crossed ranks, and every window was a synchronisation.
    assert!(par.sync.exchanged > 0 && par.sync.windows > 0, "{:?}", par.sync);
    assert_eq!(par.sync.synchronisations, par.sync.windows);
}

/// `tasim run FILE --out DIR` with `launcher` before it (`mpirun -np N ...`), or alone.
fn run_out(file: &str, launcher: &[&str], dir: &Path) -> String {
    let exe = env!("CARGO_BIN_EXE_tasim");
    let (head, rest) = match launcher.split_first() {
        Some((h, rest)) => (*h, [rest, &[exe]].concat()),
        None => (exe, Vec::new()),
    };
    let out_arg = dir.display().to_string();
    let sets = sets(file);
    let mut args: Vec<&str> = [rest.as_slice(), &["run", file, "--out", &out_arg]].concat();
    for s in &sets {
        args.extend(["--set", s]);
    }
    let out = std::process::Command::new(head).args(&args).current_dir(root()).output().expect("the launcher runs");
    assert!(out.status.success(), "{head} {args:?}:\n{}\n{}", stdout(&out), stderr(&out));
    stdout(&out)
}

/// Every file of `a` and `b`, compared byte for byte.
fn assert_same_files(a: &Path, b: &Path) {
    let names = |d: &Path| {
        let mut n: Vec<_> = std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name()).collect();
        n.sort();
        n
    };
    assert_eq!(names(a), names(b));
    for n in names(a) {
        assert!(std::fs::read(a.join(&n)).unwrap() == std::fs::read(b.join(&n)).unwrap(), "{n:?} differs");
    }
}

#[rstest]
#[case::toy_ring(RING16)]
#[case::allreduce_system(ALLREDUCE8)]
#[cfg_attr(
    not(feature = "mpi"),
    ignore = "needs `--features mpi` and Open MPI: `.ci/run` runs `cargo test --features mpi --test it mpi_ranks`"
)]
fn mpirun_writes_the_files_of_one_thread(#[case] file: &str) {
    let stem = Path::new(file).file_stem().unwrap().to_string_lossy().into_owned();
    let one = scratch(&format!("mpi_{stem}_1"));
    run_out(file, &[], &one);
    for np in ["2", "4"] {
        let dir = scratch(&format!("mpi_{stem}_{np}"));
        let text = run_out(file, &mpirun(np), &dir);
        assert!(text.contains(&format!("threads    {np} ranks ({np} engines")), "{text}");
        // Rank 0 alone reports: one report, not one per rank.
        assert_eq!(text.matches("topology   ").count(), 1, "{text}");
        assert_same_files(&one, &dir);
    }
}

/// The launcher's arguments for `np` ranks on this machine: `--oversubscribe` (four ranks on
/// two cores), and leave to run as root where the tests do.
fn mpirun(np: &str) -> Vec<&str> {
    let mut launcher = vec!["mpirun", "-np", np, "--oversubscribe"];
    if rustix::process::getuid().is_root() {
        launcher.push("--allow-run-as-root");
    }
    launcher
}

/// A system of chips that train is refused with exit code 2 and one message (rank 0's),
/// rather than run with the trained model scattered over the ranks.
#[test]
#[cfg_attr(
    not(feature = "mpi"),
    ignore = "needs `--features mpi` and Open MPI: `.ci/run` runs `cargo test --features mpi --test it mpi_ranks`"
)]
fn mpirun_refuses_chips_that_train() {
    let exe = env!("CARGO_BIN_EXE_tasim");
    let launcher = mpirun("2");
    let out = std::process::Command::new(launcher[0])
        .args(&launcher[1..])
        .args([exe, "run", "topologies/multichip/ring4.yaml"])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.matches("cannot run over MPI ranks").count(), 1, "{err}");
    assert!(err.contains("--threads N"), "{err}");
}

/// A build without MPI refuses to be one of several ranks rather than run the whole
/// simulation in each (Open MPI's variables stand in for `mpirun` here).
#[cfg(not(feature = "mpi"))]
#[test]
fn a_build_without_mpi_refuses_to_run_as_one_of_several_ranks() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tasim"))
        .args(["run", RING16])
        .env("OMPI_COMM_WORLD_SIZE", "2")
        .env("OMPI_COMM_WORLD_RANK", "0")
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("built without MPI support") && err.contains("--features mpi"), "{err}");
}
