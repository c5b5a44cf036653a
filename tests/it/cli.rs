//! The command line: bad arguments and missing files exit with 2 and say why.

use crate::support::*;

#[test]
fn missing_topology_file() {
    let out = tasim(&["run", "no/such/topology.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: cannot read topology file `no/such/topology.yaml`"), "{}", stderr(&out));
}

#[test]
fn unknown_subcommand_and_flag() {
    assert_eq!(tasim(&["simulate", "x.yaml"]).status.code(), Some(2));
    assert_eq!(tasim(&["run", "--frobnicate", "x.yaml"]).status.code(), Some(2));
}

#[test]
fn zero_threads() {
    let out = tasim(&["run", "tests/data/topologies/pipeline.yaml", "--threads", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--threads 0"), "{}", stderr(&out));
    let out = tasim(&["bench", "phold", "--threads", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn override_of_a_missing_instance_suggests_the_right_one() {
    let out = tasim(&["validate", "tests/data/topologies/pipeline.yaml", "--set", "snk.service_ps=5"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim_end(),
        "error: `snk.service_ps` names no instance parameter: there is no instance `snk`\n  field: --set snk.service_ps=5\n  fix: did you mean `sink`?"
    );
}

#[test]
fn override_of_an_unknown_parameter() {
    let out = tasim(&["validate", "tests/data/topologies/pipeline.yaml", "--set", "sink.service=5"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("sink: parameter `service`: unknown field `service`"), "{err}");
    assert!(err.contains("field: --set sink.service=5"), "{err}");
    assert!(err.contains("did you mean `service_ps`?"), "{err}");
}

#[test]
fn malformed_override() {
    let out = tasim(&["validate", "tests/data/topologies/pipeline.yaml", "--set", "sink"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("an override is `instance.param=value`"));
}

#[test]
fn bad_until() {
    let out = tasim(&["run", "tests/data/topologies/pipeline.yaml", "--until-ns=-3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--until-ns"), "{}", stderr(&out));
}

#[test]
fn types_lists_every_registered_type() {
    let out = tasim(&["types"]);
    assert!(out.status.success());
    for t in tasim::registry::registry() {
        assert!(stdout(&out).contains(t.name), "{}", t.name);
    }
}
