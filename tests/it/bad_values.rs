//! Values out of range (issue 10, classes 1 to 3): times past the simulator's range, counts
//! that would allocate without bound, energies and voltages that are not physical, clocks the
//! 1 ps step cannot hold, rates that round to nothing. Each is refused with exit code 2, the
//! file and line:column (or the `--set` / option that gave it), the field and a fix — or,
//! for values in range whose sum passes the end of time, a run that stops with an error.

use rstest::rstest;

use crate::support::*;

/// `tasim args` fails with exit code 2, nothing on stdout, and stderr has each of `parts`.
fn refused(args: &[&str], parts: &[&str]) {
    let out = tasim(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for p in parts {
        assert!(err.contains(p), "{args:?}: missing {p:?} in\n{err}");
    }
}

#[rstest]
#[case::negative_energy(
    "negative_energy.yaml",
    &[":8:16: gb: `energy.read_pj_per_byte` = -5 must be a finite number from 0 and at most 1000000",
      "field: components[0].params.energy.read_pj_per_byte", "fix: use a value in [0, 1000000]"]
)]
#[case::huge_voltage(
    "huge_voltage.yaml",
    &[":3:40: `voltage_v` = 1e30 is outside the supply range", "field: clocks[0].voltage_v", "fix: give the supply in volts"]
)]
#[case::clock_above_the_time_step(
    "terahertz_clock.yaml",
    &[":3:22: `frequency_mhz` = 2000000 MHz has a period of 0.5 ps", "field: clocks[0].frequency_mhz", "fix: give a frequency"]
)]
#[case::rate_that_rounds_to_nothing(
    "tiny_bandwidth.yaml",
    &[":6:49: `bandwidth_gb_per_s` = 1e-12 GB/s is outside", "field: connections[0].bandwidth_gb_per_s", "fix:"]
)]
#[case::latency_cycles_past_the_range(
    "huge_cycles.yaml",
    &[":8:34: `latency_cycles` = 18446744073709551615 cycles of `clk` is beyond the simulator's time range",
      "field: connections[0].latency_cycles"]
)]
fn out_of_range_in_a_topology(#[case] fixture: &str, #[case] parts: &[&str]) {
    let path = format!("tests/data/topologies/bad/{fixture}");
    let mut all = vec![path.as_str()];
    all.extend_from_slice(parts);
    refused(&["validate", &path], &all);
}

/// One bad clock is one error: the instances and links naming it get no "unknown clock".
#[test]
fn a_bad_clock_is_reported_once() {
    let out = tasim(&["validate", "tests/data/topologies/bad/terahertz_clock.yaml"]);
    let err = stderr(&out);
    assert!(!err.contains("unknown clock"), "{err}");
    assert_eq!(err.matches("error").count(), 1, "{err}");
}

#[rstest]
#[case::service_time_at_the_end_of_time(
    &["run", "tests/data/topologies/pipeline.yaml", "--set", "sink.service_ps=18446744073709551615"],
    &["sink: `service_ps` = 18446744073709551615 is beyond the simulator's time range", "field: --set sink.service_ps=", "fix: use a value in 0..=9e18 ps"]
)]
#[case::epochs_that_would_overflow_a_capacity(
    &["run", "topologies/paper-chip.yaml", "--set", "ctrl.epochs=18446744073709551615"],
    &["ctrl: `epochs` = 18446744073709551615 must be a whole number from 1 to 100000", "field: --set ctrl.epochs="]
)]
#[case::epochs_that_would_allocate_100_gb(
    &["run", "topologies/paper-chip.yaml", "--set", "ctrl.epochs=4294967296"],
    &["`epochs` = 4294967296 must be a whole number from 1 to 100000"]
)]
#[case::samples_in_flight(
    &["validate", "topologies/paper-chip.yaml", "--set", "ctrl.samples_in_flight=18446744073709551615"],
    &["`samples_in_flight` = 18446744073709551615 must be a whole number from 0 to 65536"]
)]
#[case::negative_energy_by_set(
    &["validate", "topologies/paper-chip.yaml", "--set", "pc0.energy.mac_pj=-1"],
    &["pc0: `energy.mac_pj` = -1 must be a finite number from 0"]
)]
#[case::nan_energy(
    &["validate", "topologies/paper-chip.yaml", "--set", "uc.energy.leakage_mw=.nan"],
    &["uc: `energy.leakage_mw` = NaN must be a finite number"]
)]
#[case::huge_nominal_voltage(
    &["validate", "topologies/paper-chip.yaml", "--set", "gb.energy.nominal_v=1e30"],
    &["gb: `energy.nominal_v` = 1e30 must be a finite number above 0 and at most 5"]
)]
#[case::until_past_the_range(
    &["run", "tests/data/topologies/pipeline.yaml", "--until-ns", "1e17"],
    &["`--until-ns` = 1e17 is beyond the simulator's time range", "field: --until-ns"]
)]
#[case::phold_without_lookahead(
    &["bench", "phold", "--lps", "2", "--end-ps", "1000", "--lookahead-ps", "0"],
    &["`--lookahead-ps` = 0 must be at least 1 ps", "field: --lookahead-ps", "fix:"]
)]
#[case::packets_all_queued_at_once(
    &["run", "tests/data/topologies/pipeline.yaml", "--set", "src.packets=9223372036854775808"],
    &["`packets` = 9223372036854775808 must be a whole number from 0 to 4194304", "field: --set src.packets="]
)]
#[case::phold_events_in_flight(
    &["bench", "phold", "--lps", "1048576", "--population", "1024"],
    &["`--population` = 1024 with `lps` = 1048576 is more than 16777216 events in flight", "field: --population"]
)]
#[case::train_epochs_that_overflow(
    &["train", "--model", "models/paper-cnn.yaml", "--dataset", "synth:personal", "--epochs", "9223372036854775808"],
    &["--epochs 9223372036854775808 is more than 100000", "field: --epochs", "fix:"]
)]
#[case::phold_too_many_lps(
    &["bench", "phold", "--lps", "4294967296"],
    &["`--lps` = 4294967296 must be a whole number from 1 to 1048576", "field: --lps"]
)]
fn out_of_range_on_the_command_line(#[case] args: &[&str], #[case] parts: &[&str]) {
    refused(args, parts);
}

/// Values each in range whose sum passes the end of simulated time: the kernel stops the run
/// with an error naming the instance (at its declaration), instead of wrapping around.
#[test]
fn a_run_that_reaches_the_end_of_time_stops_with_an_error() {
    let path = "tests/data/topologies/bad/end_of_time.yaml";
    refused(
        &["run", path],
        &[
            &format!("{path}:5:5: the simulation stopped: src at 18000000 s"),
            "a timer would fall at or past the end of simulated time",
            "field: components[0]",
        ],
    );
}

/// Every declared default is inside its own range (defaults are checked like written values).
#[test]
fn shipped_topologies_pass_the_range_checks() {
    for t in ["topologies/paper-chip.yaml", "tests/data/topologies/pipeline.yaml"] {
        let out = tasim(&["validate", t]);
        assert_eq!(out.status.code(), Some(0), "{t}: {}", stderr(&out));
    }
}

/// `tasim types` prints the declared range of each declared parameter.
#[test]
fn types_lists_declared_ranges() {
    let out = tasim(&["types"]);
    let text = stdout(&out);
    assert!(text.contains("read_pj_per_byte: (derived)  in [0, 1000000], or absent: "), "{text}");
    assert!(text.contains("epochs: 1  in 1..=100000"), "{text}");
    assert!(text.contains("service_ps: 0  in 0..=9e18 ps"), "{text}");
}

/// A write to standard output that fails (a full disk) fails the command; a closed pipe
/// (`| head`) does not.
#[test]
fn a_full_standard_output_fails_the_command() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full exists on Linux");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tasim"))
        .args(["graph", "topologies/paper-chip.yaml"])
        .current_dir(root())
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("error: writing to standard output: No space left on device"), "{}", stderr(&out));
}
