//! Bad topologies in every form: each gives its exact message with file:line:column, the
//! field and a fix, and exit code 2.

use rstest::rstest;

use crate::support::*;

/// `tasim validate` on a fixture fails with exit code 2 and exactly `expected` on stderr.
fn check(fixture: &str, expected: &str) {
    let path = format!("tests/data/topologies/bad/{fixture}");
    let out = tasim(&["validate", &path]);
    assert_eq!(out.status.code(), Some(2), "{fixture}: {}", stderr(&out));
    assert_eq!(stderr(&out).trim_end(), expected.replace("{f}", &path).trim_end(), "{fixture}");
    assert!(stdout(&out).is_empty());
}

#[rstest]
#[case::syntax_error(
    "syntax_error.yaml",
    "error: {f}:5:4: did not find expected '-' indicator, while parsing a block collection at line 3 column 3
  fix: check the YAML syntax (indentation, colons, brackets) at and just before line 5"
)]
#[case::wrong_type(
    "wrong_type.yaml",
    "error: {f}:2:7: seed: invalid type: string \"many\", expected u64
  fix: see topologies/README.md for each field's type and unit"
)]
#[case::not_a_mapping(
    "not_a_mapping.yaml",
    "error: {f}:1:1: invalid type: sequence, expected a topology (a mapping with `components`, `connections`, ...)
  fix: see topologies/README.md for each field's type and unit"
)]
#[case::unknown_field("unknown_field.yaml", "error: {f}:4:1: unknown field `conections`, expected one of `name`, `description`, `seed`, `include`, `clocks`, `components`, `connections`, `fabrics`, `subsystems`, `system`, `run`, `technology`, `set`
  fix: did you mean `connections`?")]
#[case::unknown_component_type(
    "unknown_type.yaml",
    "error: {f}:4:5: unknown component type `traffic_sorce`
  field: components[0].type
  fix: did you mean `traffic_source`? (`tasim types` lists them)"
)]
#[case::unknown_parameter("unknown_param.yaml", "error: {f}:7:7: src: parameter `byts`: unknown field `byts`, expected one of `packets`, `bytes`, `interval_ps`, `start_ps`, `protocol`
  field: components[0].params.byts
  fix: did you mean `bytes`?")]
#[case::bad_parameter_value(
    "bad_param_value.yaml",
    "error: {f}:6:7: src: parameter `bytes`: invalid value: integer `-8`, expected u32
  field: components[0].params.bytes
  fix: see `tasim types` for the parameters and their units"
)]
#[case::negative_latency(
    "bad_unit_value.yaml",
    "error: {f}:8:5: `latency_ns` = -5 must be a finite number >= 0
  field: connections[0].latency_ns
  fix: give a latency of 0 or more (a channel cannot deliver before it sends)"
)]
#[case::two_latency_fields(
    "two_latencies.yaml",
    "error: {f}:6:5: give only one of `latency_ps`, `latency_ns`, `latency_cycles`
  field: connections[0]
  fix: keep one latency field and delete the others"
)]
#[case::zero_capacity(
    "zero_capacity.yaml",
    "error: {f}:9:7: gb: `capacity_kib` = 0 must be a whole number from 1 to 65536
  field: components[1].params.capacity_kib
  fix: use a value in 1..=65536 (`tasim types` lists every parameter's range)"
)]
#[case::too_many_instances(
    "two_million_chips.yaml",
    "error: tests/data/topologies/bad/../chip.yaml:5:5: the topology expands to more than 262144 instances (at `chip65536.src`)
  field: components[0].count
  fix: lower `count` (or the counts of the sub-topologies that contain it)"
)]
#[case::zero_frequency(
    "bad_frequency.yaml",
    "error: {f}:3:17: `frequency_mhz` must be a frequency above 0, not 0
  field: clocks[0].frequency_mhz
  fix: give a frequency above 0 and at most 1,000,000 MHz (a 1 ps period), or the period itself as whole picoseconds in `period_ps`"
)]
#[case::missing_latency(
    "missing_latency.yaml",
    "error: {f}:6:5: give a latency: `latency_ps`, `latency_ns` or `latency_cycles` (0 is allowed)
  field: connections[0]
  fix: add `latency_ns: 1` (or latency_ps / latency_cycles with a clock)"
)]
#[case::unknown_clock(
    "unknown_clock.yaml",
    "error: {f}:6:53: unknown clock `core_clock`
  field: connections[0].clock
  fix: did you mean `core_clk`?"
)]
#[case::unknown_instance(
    "unknown_instance.yaml",
    "error: {f}:6:21: unknown instance `snk` in `snk.in`
  field: connections[0].to
  fix: did you mean `sink`?"
)]
#[case::missing_port(
    "missing_port.yaml",
    "error: {f}:6:5: `sink` has no port `input`; its ports are: in
  field: connections[0]
  fix: use one of `in`
{f}:4:5: required input port `sink.in` (protocol `data`) is not bound
  field: components[1]
  fix: add a connection from or to `sink.in`
2 problems found"
)]
#[case::missing_include("missing_include.yaml", "error: {f}:3:5: cannot read topology file `tests/data/topologies/bad/no_such_file.yaml`: No such file or directory (os error 2)
  field: include[0]
  fix: check the path; it is relative to the file that names it")]
#[case::empty(
    "empty.yaml",
    "error: {f}: the topology declares no components
  fix: add a `components:` list (or `subsystems:`); see topologies/README.md"
)]
fn bad_yaml(#[case] fixture: &str, #[case] expected: &str) {
    check(fixture, expected);
}

#[test]
fn include_loop() {
    check(
        "include_loop_a.yaml",
        "error: tests/data/topologies/bad/include_loop_b.yaml:1:11: include loop: tests/data/topologies/bad/include_loop_a.yaml -> tests/data/topologies/bad/include_loop_b.yaml -> tests/data/topologies/bad/include_loop_a.yaml
  field: include[0]
  fix: a file may not include or instantiate itself, directly or through others",
    );
}

/// The kernel's elaboration errors, mapped back to the YAML line that caused them.
#[rstest]
#[case::duplicate_instance_name(
    "duplicate_name.yaml",
    "error: {f}:4:6: duplicate instance name `a` (first declared at {f}:3:5)
  field: components[1].name
  fix: rename one of them"
)]
#[case::unbound_required_port(
    "unbound_port.yaml",
    "error: {f}:3:5: required output port `src.out` (protocol `data`) is not bound
  field: components[0]
  fix: add a connection from or to `src.out`"
)]
#[case::protocol_mismatch(
    "protocol_mismatch.yaml",
    "error: {f}:6:5: protocol mismatch: `src.out` speaks `mem` but `sink.in` speaks `noc`
  field: connections[0]
  fix: connect ports of the same protocol"
)]
#[case::port_bound_twice(
    "bound_twice.yaml",
    "error: {f}:8:5: port `src.out` is bound twice: to `a.in` and to `b.in`
  field: connections[1]
  fix: a port takes one channel; add a router, a buffer or a fabric to share it"
)]
#[case::zero_latency_cycle("zero_latency_cycle.yaml", "error: {f}:3:5: zero-latency cycle through `a`, `b`: events could chase each other forever at one instant; give one link in the loop a latency
  field: components[0]
  fix: give one link of the loop a latency (even 1 ps)")]
#[case::zero_latency_between_partitions("zero_latency_crossing.yaml", "error: {f}:6:5: `src.out` -> `sink.in` crosses partitions 0 and 1 with zero latency; a link between partitions needs a latency above 0 (it is what lets partitions run in parallel)
  field: connections[0]
  fix: give the link a latency")]
#[case::wrong_direction(
    "wrong_direction.yaml",
    "error: {f}:6:5: `sink.in` is an input port but is bound as an output
  field: connections[0]
  fix: `from` takes an output port and `to` an input port
{f}:6:5: `src.out` is an output port but is bound as an input
  field: connections[0]
  fix: `from` takes an output port and `to` an input port
2 problems found"
)]
fn elaboration_error(#[case] fixture: &str, #[case] expected: &str) {
    check(fixture, expected);
}
