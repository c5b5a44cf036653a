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
#[case::mem_traffic_percent_above_100(
    "traffic_write_percent.yaml",
    &[":8:28: gen: `write_percent` = 150 must be a whole number from 0 to 100",
      "field: components[0].params.write_percent", "fix: use a value in 0..=100"]
)]
#[case::dram_timing_in_a_nested_group(
    "dram_negative_timing.yaml",
    &[":11:16: dram: `timing.trcd_ns` = -18 must be a finite number from 0 and at most 1000000000",
      "field: components[1].params.timing.trcd_ns", "fix: use a value in [0, 1000000000]"]
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

const SM: &str = "tests/data/topologies/simple_memory.yaml";
const NOC: &str = "tests/data/noc/one_read.yaml";
const TRAFFIC: &str = "topologies/memory/traffic.yaml";
const PLAYER: &str = "topologies/memory/ddr4-3200.yaml";
const CHIP: &str = "topologies/paper-chip.yaml";
const RING: &str = "topologies/multichip/ring8-allreduce.yaml";
const SWITCH: &str = "topologies/multichip/switch.yaml";
const TIME: &str = "is beyond the simulator's time range";

/// Every converted type refuses a value out of its declared range, per kind of value (count,
/// time, energy, rate), naming the instance, the parameter and its value, the `--set` that
/// gave it, and a fix with the range.
#[rstest]
// simple_memory
#[case(SM, "mem.latency_ns=1e16", "`latency_ns` = 1e16 ", TIME, "0..=9e18 ps")]
#[case(
    SM,
    "mem.bytes_per_ns=-1",
    "`bytes_per_ns` = -1 ",
    "must be a finite number from 0 and at most 1000",
    "[0, 1000]"
)]
// mem_requester, mem_target
#[case(NOC, "pc0.outstanding=0", "`outstanding` = 0 ", "must be a whole number from 1 to 65536", "1..=65536")]
#[case(NOC, "pc0.bytes=1073741824", "`bytes` = 1073741824 ", "from 1 to 1048576", "1..=1048576")]
#[case(NOC, "pc0.interval_ps=18446744073709551615", "`interval_ps` = 18446744073709551615 ", TIME, "0..=9e18 ps")]
#[case(NOC, "gb.service_ps=18446744073709551615", "`service_ps` = 18446744073709551615 ", TIME, "0..=9e18 ps")]
// noc
#[case(NOC, "noc.link_pj_per_byte=-1", "`link_pj_per_byte` = -1 ", "from 0 and at most 1000000", "[0, 1000000]")]
#[case(
    NOC,
    "noc.router_latency_cycles=18446744073709551615",
    "`router_latency_cycles` = 18446744073709551615 ",
    "from 0 to 1048576",
    "0..=1048576"
)]
#[case(NOC, "noc.link_bytes_per_cycle=0", "`link_bytes_per_cycle` = 0 ", "from 1 to 1048576", "1..=1048576")]
// mem_traffic
#[case(TRAFFIC, "gen.max_outstanding=4294967295", "`max_outstanding` = 4294967295 ", "from 1 to 65536", "1..=65536")]
#[case(TRAFFIC, "gen.bytes=0", "`bytes` = 0 ", "from 1 to 1048576", "1..=1048576")]
#[case(TRAFFIC, "gen.start_ps=18446744073709551615", "`start_ps` = 18446744073709551615 ", TIME, "0..=9e18 ps")]
// trace_player
#[case(PLAYER, "player.window_ns=0", "`window_ns` = 0 ", "must be at least 1 ps", "1..=9e18 ps")]
#[case(PLAYER, "player.max_outstanding=0", "`max_outstanding` = 0 ", "from 1 to 4294967295", "1..=4294967295")]
// dvfs_unit
#[case(
    CHIP,
    "dvfs.transition_energy_nj=-1",
    "`transition_energy_nj` = -1 ",
    "from 0 and at most 1000000",
    "[0, 1000000]"
)]
#[case(CHIP, "dvfs.transition_latency_ns=1e16", "`transition_latency_ns` = 1e16 ", TIME, "0..=9e18 ps")]
#[case(CHIP, "dvfs.leakage_mw=.nan", "`leakage_mw` = NaN ", "must be a finite number", "[0, 1000000]")]
// dram_controller: each group
#[case(CHIP, "dram.geometry.banks=0", "`geometry.banks` = 0 ", "from 1 to 1024", "1..=1024")]
#[case(CHIP, "dram.energy.act_pre_pj=1e9", "`energy.act_pre_pj` = 1e9 ", "at most 1000000", "[0, 1000000]")]
#[case(
    CHIP,
    "dram.timing.data_rate_mtps=5000000",
    "`timing.data_rate_mtps` = 5000000 ",
    "from 1 to 4000000",
    "1..=4000000"
)]
#[case(CHIP, "dram.timing.trfc_ns=.inf", "`timing.trfc_ns` = inf ", "must be a finite number", "[0, 1000000000]")]
#[case(CHIP, "dram.power_down.idle_ns=1e10", "`power_down.idle_ns` = 1e10 ", "at most 1000000000", "[0, 1000000000]")]
#[case(
    CHIP,
    "dram.write_queue.high_watermark_percent=101",
    "`write_queue.high_watermark_percent` = 101 ",
    "from 1 to 100",
    "1..=100"
)]
#[case(CHIP, "dram.queue_depth=4294967295", "`queue_depth` = 4294967295 ", "from 1 to 65536", "1..=65536")]
// chip_link, collective_engine, allreduce_driver, switch
#[case(
    RING,
    "chip0.d0_next.bandwidth_gb_per_s=1e-12",
    "`bandwidth_gb_per_s` = 1e-12 ",
    "from 0.001 and at most 10000",
    "[0.001, 10000]"
)]
#[case(RING, "chip0.d0_next.energy_pj_per_bit=-1", "`energy_pj_per_bit` = -1 ", "from 0 and at most 1000", "[0, 1000]")]
#[case(
    RING,
    "chip0.coll.reduce_elements_per_cycle=0",
    "`reduce_elements_per_cycle` = 0 ",
    "from 1 to 1024",
    "1..=1024"
)]
#[case(RING, "chip0.coll.energy.add_pj_per_element=-1", "`energy.add_pj_per_element` = -1 ", "from 0", "[0, 1000000]")]
#[case(RING, "chip0.coll.chunk_kib=1e300", "`chunk_kib` = 1e300 ", "at most 1048576", "[0, 1048576]")]
#[case(RING, "chip0.drv.iterations=0", "`iterations` = 0 ", "from 1 to 1000000", "1..=1000000")]
#[case(
    RING,
    "chip0.drv.bytes=18446744073709551615",
    "`bytes` = 18446744073709551615 ",
    "from 8 to 1099511627776",
    "8..=1099511627776"
)]
#[case(
    SWITCH,
    "sw_d0_0.port_bandwidth_gb_per_s=1e9",
    "`port_bandwidth_gb_per_s` = 1e9 ",
    "at most 10000",
    "[0.001, 10000]"
)]
#[case(
    SWITCH,
    "sw_d0_0.forwarding_latency_ns=-1",
    "`forwarding_latency_ns` = -1 ",
    "from 0 and at most 1000000",
    "[0, 1000000]"
)]
fn out_of_range_per_type(
    #[case] topology: &str,
    #[case] set: &str,
    #[case] value: &str,
    #[case] why: &str,
    #[case] range: &str,
) {
    let instance = set.split('.').next().unwrap();
    let field = format!("field: --set {set}");
    let fix = format!("fix: use a value in {range}");
    refused(&["validate", topology, "--set", set], &[&format!("error: {instance}"), value, why, &field, &fix]);
}

/// Every registered type declares its parameters (so `tasim types` prints them and the edge
/// checks them), and every numeric default is a number inside its own range: the test that
/// keeps the class closed when a type is added.
#[test]
fn every_type_declares_its_parameters_and_defaults_lie_in_range() {
    use components::param::{flatten, Number, Range};
    for t in tasim::registry::registry() {
        let decls = tasim::registry::declared(t.name).unwrap_or_else(|| panic!("`{}` has no declarations", t.name));
        assert!(t.params.is_empty(), "`{}` keeps a hand-written params text beside its declarations", t.name);
        assert!(!decls.is_empty(), "{}", t.name);
        for (path, d) in flatten(decls) {
            let n = if let Ok(v) = d.default.parse::<u64>() {
                Number::Unsigned(v)
            } else if let Ok(v) = d.default.parse::<i64>() {
                Number::Signed(v)
            } else if let Ok(v) = d.default.parse::<f64>() {
                Number::Real(v)
            } else {
                // Not a number: a numeric parameter's default must then say where it comes from.
                let numeric = !matches!(d.range, Range::Other | Range::Group(_));
                assert!(
                    !numeric || d.default.starts_with('(') || d.default.is_empty(),
                    "{}.{path}: default {:?} is neither a number nor an explanation",
                    t.name,
                    d.default
                );
                continue;
            };
            if let Err(e) = d.check(&path, n) {
                panic!("{}.{path}: default {} is outside its own range: {}", t.name, d.default, e.message);
            }
            assert!(!d.doc.is_empty(), "{}.{path} has no doc", t.name);
        }
    }
}

/// What each DRAM preset supplies (the defaults shown as `(preset)`) meets the same ranges.
#[test]
fn every_dram_preset_lies_in_the_declared_ranges() {
    use components::dram::{DramParams, Preset};
    for preset in Preset::ALL {
        let p = DramParams { preset, ..DramParams::new("clk") };
        if let Err(e) = tasim::registry::check_dram(&p) {
            panic!("{}: {}", preset.name(), e.message);
        }
    }
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
    assert!(text.contains("timing.trcd_ns: (preset)  in [0, 1000000000]"), "{text}");
    assert!(text.contains("bandwidth_gb_per_s: 25  in [0.001, 10000]"), "{text}");
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
