//! The docs and the help say what is true: accuracy claims come with their spread over seeds
//! and the command that produced them, every positional argument and `--out` is explained,
//! what the README cites is in the repository, and the tour writes nothing git would track.

use crate::cli_support::{ok, root, tasim};

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn accuracy_tables_give_mean_and_spread_and_the_command_that_made_them() {
    assert!(root().join("scripts/accuracy_tables.py").is_file());
    for doc in ["README.md", "train-math/README.md"] {
        let text = read(doc);
        assert!(text.contains("scripts/accuracy_tables.py"), "{doc} names the command");
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| ["| f32", "| int8", "| plain int8", "| pre-trained"].iter().any(|p| l.starts_with(p)))
            .collect();
        assert!(!rows.is_empty(), "{doc} has accuracy rows");
        for r in rows {
            assert!(r.contains('±'), "{doc}: an accuracy row without its spread over seeds: {r}");
        }
    }
}

#[test]
fn what_the_readme_cites_is_in_the_repository() {
    let readme = read("README.md");
    assert!(readme.contains("`benches/PHOLD.md`") && root().join("benches/PHOLD.md").is_file());
    assert!(!readme.contains("shared/bench/PHOLD.md"));
    // Every file `tasim types` cites in its parameter docs is in the repository too.
    let types = ok(&tasim(&["types"]));
    let cited: Vec<&str> = types
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ';' | ',' | '`'))
        .filter(|w| w.contains('/') && [".md", ".rs", ".yaml", ".py", ".sh"].iter().any(|e| w.ends_with(e)))
        .collect();
    for path in cited {
        assert!(root().join(path).is_file(), "`tasim types` cites {path}, which is not in the repository");
    }
}

#[test]
fn the_tour_writes_nothing_git_would_track() {
    for out in ["chip.dot", "chip.mtrace", "sb.mtrace", "stream.mtrace", "sb.trace", "chip.dramsim3", "replay/x.json"] {
        let o = std::process::Command::new("git").args(["check-ignore", "-q", out]).current_dir(root()).status();
        assert!(o.expect("git").success(), "{out} is not ignored by .gitignore");
    }
}

/// The `Arguments:` lines of `tasim ARGS --help`.
fn positional_help(args: &[&str]) -> Vec<String> {
    let mut all = args.to_vec();
    all.push("--help");
    let help = ok(&tasim(&all));
    let section = help.split("Arguments:").nth(1).unwrap_or("");
    section.lines().skip(1).take_while(|l| !l.trim().is_empty()).map(str::to_string).collect()
}

/// Every command and subcommand `tasim --help` lists, found by walking the help itself (so a
/// new command is covered without editing this test).
fn all_commands(prefix: &[String]) -> Vec<Vec<String>> {
    let mut args: Vec<&str> = prefix.iter().map(String::as_str).collect();
    args.push("--help");
    let help = ok(&tasim(&args));
    let mut out = Vec::new();
    if !prefix.is_empty() {
        out.push(prefix.to_vec());
    }
    let section = help.split("Commands:").nth(1).unwrap_or("");
    for l in section.lines().skip(1).take_while(|l| !l.trim().is_empty()) {
        let name = l.split_whitespace().next().unwrap_or("");
        if !name.is_empty() && name != "help" {
            let mut sub = prefix.to_vec();
            sub.push(name.to_string());
            out.extend(all_commands(&sub));
        }
    }
    out
}

#[test]
fn every_argument_option_and_out_has_help() {
    let commands = all_commands(&[]);
    assert!(commands.len() >= 10, "{commands:?}");
    for cmd in &commands {
        let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
        for l in positional_help(&cmd) {
            assert!(l.split_whitespace().count() > 1, "{cmd:?}: `{}` has no help", l.trim());
        }
        let mut all = cmd.to_vec();
        all.push("--help");
        let help = ok(&tasim(&all));
        // An option with no help is a line with only the flag (and its value name), not
        // followed by an indented help line (clap puts long help on the next line).
        let options: Vec<&str> = help.split("Options:").nth(1).unwrap_or("").lines().collect();
        for (i, l) in options.iter().enumerate() {
            let t = l.trim();
            let flag_only =
                t.starts_with('-') && t.split_whitespace().all(|w| w.starts_with('-') || w.starts_with('<'));
            let next_is_help =
                options.get(i + 1).is_some_and(|n| n.starts_with("          ") && !n.trim().starts_with('-'));
            assert!(!flag_only || next_is_help, "{cmd:?}: `{t}` has no help");
        }
        if let Some(said) = help.split("--out").nth(1) {
            let said: String = said.chars().take(200).collect();
            assert!(
                said.contains("file") || said.contains("directory"),
                "{cmd:?}: --out says file or directory: {said}"
            );
        }
    }
    let run = ok(&tasim(&["run", "--help"]));
    for f in
        ["stats.json", "stats.csv", "summary.json", "power.csv", "epochs.csv", "energy_components.csv", "bandwidth.csv"]
    {
        assert!(run.contains(f), "run --help lists {f}");
    }
}

#[test]
fn threads_beyond_the_partitions_are_reported() {
    let out = ok(&tasim(&["run", "tests/data/reports/two_drams.yaml", "--threads", "2"]));
    assert!(out.contains("1 thread; 2 asked for, but the topology has 1 partition"), "{out}");
}
