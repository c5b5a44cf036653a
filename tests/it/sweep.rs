//! `tasim sweep`: the grid, each point equal to its own `tasim run`, the table and plots,
//! shards merged equal to one local sweep, resume, bad input; and (with TASIM_SLURM_TEST=1)
//! the same sweep as a real Slurm job array.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::cli_support::{dir_bytes, ok, root, tasim, TempDir};

const PIPELINE: &str = "tests/data/topologies/pipeline.yaml";
/// Six points of the pipeline: the sink's service time on x, two source lengths as series.
const GRID: [&str; 4] = ["--set", "sink.service_ps=10000,50000,100000", "--set", "src.packets=10,20"];

fn sweep(out: &TempDir, sub: &str, extra: &[&str]) -> Output {
    let dir = out.str(sub);
    let mut args = vec!["sweep", PIPELINE];
    args.extend(GRID);
    args.extend(["--out", dir.as_str()]);
    args.extend(extra);
    tasim(&args)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// table.csv, table.jsonl and every plot, by name.
fn gathered(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        ("table.csv".to_string(), std::fs::read(dir.join("table.csv")).expect("table.csv")),
        ("table.jsonl".to_string(), std::fs::read(dir.join("table.jsonl")).expect("table.jsonl")),
    ];
    files.extend(dir_bytes(&dir.join("plots")));
    files
}

#[test]
fn the_grid_is_the_cartesian_product_last_key_fastest() {
    let t = TempDir::new("sweep-grid");
    let stdout = ok(&sweep(&t, "s", &["--dry-run", "--set", "seed=5"]));
    assert_eq!(
        stdout,
        "points 6\n\
         0 seed=5 sink.service_ps=10000 src.packets=10\n\
         1 seed=5 sink.service_ps=10000 src.packets=20\n\
         2 seed=5 sink.service_ps=50000 src.packets=10\n\
         3 seed=5 sink.service_ps=50000 src.packets=20\n\
         4 seed=5 sink.service_ps=100000 src.packets=10\n\
         5 seed=5 sink.service_ps=100000 src.packets=20\n"
    );
    let m: Value = serde_json::from_str(&read(&t.path("s/manifest.json"))).expect("manifest is JSON");
    assert_eq!(m["points"].as_array().map(Vec::len), Some(6));
    assert_eq!(m["points"][3]["params"]["sink.service_ps"], "50000");
    assert_eq!(m["plot_x"], "sink.service_ps");
    assert!(!t.path("s/points/0.json").exists(), "a dry run runs nothing");
}

/// Each point's output directory is byte for byte what `tasim run` with its values writes,
/// for a chip (summary.json, epochs, power) and for a plain topology.
#[test]
fn every_point_is_its_own_tasim_run() {
    let t = TempDir::new("sweep-point");
    let chip = "topologies/paper-chip.yaml";
    let s = t.str("s");
    ok(&tasim(&["sweep", chip, "--set", "ctrl.epochs=1", "--set", "gb.banks=2,4", "--out", &s, "--jobs", "2"]));
    for (k, banks) in [(0, "2"), (1, "4")] {
        let alone = t.str(&format!("alone{k}"));
        ok(&tasim(&["run", chip, "--set", &format!("gb.banks={banks}"), "--set", "ctrl.epochs=1", "--out", &alone]));
        let point = dir_bytes(&t.path(&format!("s/points/{k}")));
        assert!(point.iter().any(|(name, _)| name == "summary.json"));
        assert_eq!(point, dir_bytes(Path::new(&alone)), "point {k}");
    }
    let rows: Vec<Value> =
        read(&t.path("s/table.jsonl")).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    let summary: Value = serde_json::from_str(&read(&t.path("s/points/1/summary.json"))).expect("summary");
    assert_eq!(rows[1]["results"]["simulated_ps"], summary["simulated_ps"]);
    assert_eq!(rows[1]["results"]["energy.chip_uj"], summary["energy"]["chip_uj"]);
    assert_eq!(rows[1]["results"]["epochs"], 1);
    assert_eq!(rows[1]["results"]["last_epoch.held_out_accuracy"], summary["epochs"][0]["held_out_accuracy"]);

    let p = t.str("p");
    ok(&sweep(&t, "p", &["--set", "seed=9"]));
    let alone = t.str("alone-p");
    ok(&tasim(&[
        "run",
        PIPELINE,
        "--seed",
        "9",
        "--set",
        "sink.service_ps=50000",
        "--set",
        "src.packets=20",
        "--out",
        &alone,
    ]));
    assert_eq!(dir_bytes(&Path::new(&p).join("points/3")), dir_bytes(Path::new(&alone)));
}

#[test]
fn the_table_is_csv_and_json_lines_with_one_row_per_point() {
    let t = TempDir::new("sweep-table");
    let stdout = ok(&sweep(&t, "s", &[]));
    assert!(stdout.contains("6 ran, 0 already done, 0 failed"), "{stdout}");
    let csv = read(&t.path("s/table.csv"));
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(&header[..4], ["index", "sink.service_ps", "src.packets", "status"]);
    assert_eq!(header.last(), Some(&"error"));
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 6);
    let jsonl: Vec<Value> =
        read(&t.path("s/table.jsonl")).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[0], k.to_string());
        assert_eq!(row[col("status")], "ok");
        let stats: Value = serde_json::from_str(&read(&t.path(&format!("s/points/{k}/stats.json")))).expect("stats");
        assert_eq!(row[col("end_ps")], stats["end_ps"].to_string());
        assert_eq!(row[col("stats.sink.received")], stats["stats"]["sink.received"].to_string());
        assert_eq!(jsonl[k]["index"], k);
        assert_eq!(jsonl[k]["params"]["src.packets"].to_string(), row[col("src.packets")]);
        assert_eq!(jsonl[k]["results"]["end_ps"], stats["end_ps"]);
    }
    // A slower sink takes longer for the same packets.
    let end = |k: usize| rows[k][col("end_ps")].parse::<u64>().expect("a number");
    assert!(end(0) < end(2) && end(2) < end(4), "{csv}");
}

#[test]
fn plots_are_svg_with_one_line_per_series() {
    let t = TempDir::new("sweep-plot");
    ok(&sweep(&t, "s", &["--scaling", "--plot-x", "sink.service_ps"]));
    for name in ["end_ps.svg", "stats.sink.received.svg", "scaling.speedup.svg", "scaling.efficiency.svg"] {
        let svg = read(&t.path(&format!("s/plots/{name}")));
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}: {e}"));
        let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).map(str::trim).collect();
        for label in ["src.packets=10", "src.packets=20", "sink.service_ps"] {
            assert!(texts.iter().any(|t| t.contains(label)), "{name}: no `{label}` in {texts:?}");
        }
        // A line and a legend swatch per series (the ideal line adds one pair on speedup).
        let lines =
            doc.descendants().filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("2"));
        assert_eq!(lines.count(), if name == "scaling.speedup.svg" { 6 } else { 4 }, "{name}");
    }
    // speedup = time(x0)/time(x) against the smallest x of the series.
    let rows: Vec<Value> =
        read(&t.path("s/table.jsonl")).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    let f = |k: usize, m: &str| rows[k]["results"][m].as_f64().expect("number");
    assert_eq!(f(0, "scaling.speedup"), 1.0);
    assert_eq!(f(4, "scaling.speedup"), f(0, "end_ps") / f(4, "end_ps"));
    assert_eq!(f(4, "scaling.efficiency"), f(4, "scaling.speedup") * 10000.0 / 100000.0);
}

/// Shares run apart (round robin, or one index per task from the cluster's variable) and
/// merged give the same table and plots, byte for byte, as one local sweep.
#[test]
fn shards_merged_equal_the_local_sweep() {
    let t = TempDir::new("sweep-shard");
    ok(&sweep(&t, "local", &[]));
    ok(&sweep(&t, "one-job", &["--jobs", "1"]));
    assert_eq!(gathered(&t.path("one-job")), gathered(&t.path("local")), "the same on 1 and on 2 jobs");
    let stdout = ok(&sweep(&t, "shards", &["--shard", "0/2"]));
    assert!(stdout.contains("tasim sweep merge"), "{stdout}");
    assert!(!t.path("shards/table.csv").exists(), "a share does not write the table");
    let early = tasim(&["sweep", "merge", &t.str("shards")]);
    assert_eq!(early.status.code(), Some(2));
    assert!(stderr(&early).contains("3 of 6 points have no result: 1, 3, 5"), "{}", stderr(&early));
    // The second share takes I from the cluster's variable, as an array smaller than the grid.
    let dir = t.str("shards");
    let mut args = vec!["sweep", PIPELINE];
    args.extend(GRID);
    args.extend(["--out", dir.as_str(), "--shard", "env/2"]);
    ok(&std::process::Command::new(env!("CARGO_BIN_EXE_tasim"))
        .args(&args)
        .env("SLURM_ARRAY_TASK_ID", "1")
        .current_dir(root())
        .output()
        .expect("run tasim"));
    ok(&tasim(&["sweep", "merge", &dir]));
    assert_eq!(gathered(&t.path("shards")), gathered(&t.path("local")));

    let dir = t.str("tasks");
    for k in 0..6 {
        let var = if k % 2 == 0 { "SLURM_ARRAY_TASK_ID" } else { "JOB_COMPLETION_INDEX" };
        let mut args = vec!["sweep", PIPELINE];
        args.extend(GRID);
        args.extend(["--out", dir.as_str(), "--index", "env"]);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tasim"))
            .args(&args)
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX")
            .env(var, k.to_string())
            .current_dir(root())
            .output()
            .expect("run tasim");
        ok(&out);
    }
    ok(&tasim(&["sweep", "merge", &dir]));
    assert_eq!(gathered(Path::new(&dir)), gathered(&t.path("local")));
}

#[test]
fn resume_skips_the_points_already_done() {
    let t = TempDir::new("sweep-resume");
    ok(&sweep(&t, "s", &[]));
    let before: Vec<Vec<u8>> =
        (0..6).map(|k| std::fs::read(t.path(&format!("s/points/{k}.json"))).expect("result")).collect();
    std::fs::remove_file(t.path("s/points/4.json")).expect("remove");
    let stdout = ok(&sweep(&t, "s", &["--resume"]));
    assert!(stdout.contains("1 ran, 5 already done, 0 failed"), "{stdout}");
    for (k, bytes) in before.iter().enumerate().filter(|(k, _)| *k != 4) {
        assert_eq!(&std::fs::read(t.path(&format!("s/points/{k}.json"))).expect("result"), bytes, "point {k}");
    }
    // Without --resume every point runs again.
    assert!(ok(&sweep(&t, "s", &[])).contains("6 ran, 0 already done"));
    // Another grid in the same directory is refused.
    let other = tasim(&["sweep", PIPELINE, "--set", "src.packets=1,2", "--out", &t.str("s")]);
    assert_eq!(other.status.code(), Some(2));
    assert!(stderr(&other).contains("holds another sweep"), "{}", stderr(&other));
}

/// A point that fails while running is a row with its error; the other points complete and
/// the sweep exits non-zero (2: the failure was the point's input).
#[test]
fn a_failing_point_is_reported_in_its_row() {
    let t = TempDir::new("sweep-fail");
    let s = t.str("s");
    let out = tasim(&[
        "sweep",
        "tests/data/dram/stream.yaml",
        "--set",
        "gen.base_addr=0,1073741800",
        "--set",
        "gen.range_bytes=64",
        "--set",
        "gen.requests=10",
        "--out",
        &s,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("1 of 2 points failed (1)"), "{}", stderr(&out));
    let rows: Vec<Value> =
        read(&t.path("s/table.jsonl")).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(rows[0]["status"], "ok");
    assert!(rows[0]["results"]["end_ps"].as_u64().is_some());
    assert_eq!(rows[1]["status"], "failed");
    assert!(rows[1]["error"].as_str().is_some_and(|e| e.contains("goes beyond the capacity")), "{}", rows[1]);
    assert!(read(&t.path("s/table.csv")).contains(",failed,"));
}

/// Bad input stops the sweep before any point runs: exit code 2, the field and a fix.
#[rstest::rstest]
#[case::no_equals(&["--set", "sink.service_ps"], "field: --set sink.service_ps")]
#[case::empty_value(&["--set", "sink.service_ps=1,,2"], "an empty value")]
#[case::unknown_instance(&["--set", "nope.x=1,2"], "there is no instance `nope`")]
#[case::unknown_parameter(&["--set", "sink.service=1,2"], "unknown field `service`")]
#[case::bad_value(&["--set", "src.packets=1,minus"], "field: --set src.packets=minus")]
#[case::plot_x(&["--set", "src.packets=1,2", "--plot-x", "src.packet"], "did you mean `src.packets`?")]
#[case::index(&["--set", "src.packets=1,2", "--index", "2"], "point 2 does not exist: the sweep has 2 points")]
#[case::shard(&["--set", "src.packets=1,2", "--shard", "2/2"], "share 2 of 2 does not exist")]
#[case::jobs(&["--set", "src.packets=1,2", "--jobs", "0"], "--jobs 0")]
#[case::twice(&["--set", "src.packets=1,2,1"], "`1` given twice")]
fn bad_input_exits_2_before_running(#[case] args: &[&str], #[case] says: &str) {
    static CASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let t = TempDir::new(&format!("sweep-bad{}", CASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
    let out_dir = t.str("s");
    let mut all = vec!["sweep", PIPELINE, "--out", out_dir.as_str()];
    all.extend(args);
    let out = tasim(&all);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(says), "wanted `{says}` in:\n{}", stderr(&out));
    assert!(stderr(&out).contains("fix:"), "{}", stderr(&out));
    assert!(!t.path("s/points").exists(), "nothing ran");
}

/// An --out directory that holds other files (and no manifest) is not a sweep's: refused
/// before any point runs, so points never mix with what it holds.
#[test]
fn a_directory_of_other_files_is_refused_as_out() {
    let t = TempDir::new("sweep-foreign");
    std::fs::create_dir_all(t.path("s")).unwrap();
    std::fs::write(t.path("s/notes.txt"), "mine").unwrap();
    let out = sweep(&t, "s", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("holds files and no sweep manifest"), "{}", stderr(&out));
    assert!(!t.path("s/points").exists() && t.path("s/notes.txt").exists());
}

#[test]
fn index_env_needs_a_cluster_variable() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tasim"))
        .args(["sweep", PIPELINE, "--set", "src.packets=1,2", "--index", "env", "--out", "/nonexistent/never"])
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .current_dir(root())
        .output()
        .expect("run tasim");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set"), "{}", stderr(&out));
}

/// The sweep above as a Slurm job array on a one-node cluster (deploy/slurm-localhost.sh
/// starts it; `.ci/run` does with TASIM_SLURM_TEST=1), submitted by deploy/submit-sweep.sh
/// and merged by its dependent job: the table and plots equal the local sweep's. Without
/// TASIM_SLURM_TEST=1 it checks nothing, and says so.
#[test]
fn a_slurm_job_array_gives_the_local_table() {
    if std::env::var("TASIM_SLURM_TEST").as_deref() != Ok("1") {
        eprintln!("a_slurm_job_array_gives_the_local_table: not run (set TASIM_SLURM_TEST=1 with a Slurm cluster up)");
        return;
    }
    let t = TempDir::new("sweep-slurm");
    ok(&sweep(&t, "local", &[]));
    let dir = t.str("slurm");
    let mut args: Vec<&str> = vec![PIPELINE];
    args.extend(GRID);
    args.extend(["--out", dir.as_str()]);
    let start = std::time::Instant::now();
    let out = std::process::Command::new(root().join("deploy/submit-sweep.sh"))
        .args(&args)
        .env("TASIM", env!("CARGO_BIN_EXE_tasim"))
        .env("TASIM_SUBMIT_WAIT", "1")
        .current_dir(root())
        .output()
        .expect("run deploy/submit-sweep.sh (is Slurm up? deploy/slurm-localhost.sh)");
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    eprintln!("slurm job array of 6 points and its merge: {:.1} s", start.elapsed().as_secs_f64());
    assert_eq!(gathered(Path::new(&dir)), gathered(&t.path("local")));
}
