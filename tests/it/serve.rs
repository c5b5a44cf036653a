//! `tasim serve`: the live view in a real headless browser (Debian's `chromium` and
//! `chromium-driver`; `.ci/run` installs them), its routes, and its bind policy.
//!
//! The browser test skips (saying why) only when Chromium is absent and `CI` is unset; in CI
//! a missing browser fails. `TASIM_SCREENSHOT=PATH` also saves the page as a PNG there
//! (scripts/live-view-screenshot.sh makes docs/live-view.png with it).

mod client;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use client::{request, Browser};
use rstest::rstest;

use crate::cli_support::{dir_bytes, root, tasim, TempDir};

/// A `tasim serve` child on a free loopback port; killed on drop if still running.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    /// Serves the paper chip for `epochs` epochs (long enough to watch; the tests stop it).
    fn start(epochs: u32) -> Server {
        Server::start_with(epochs, &[])
    }

    fn start_with(epochs: u32, more: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tasim"))
            .args(["serve", "topologies/paper-chip.yaml", "--set", &format!("ctrl.epochs={epochs}")])
            .args(["--port", "0", "--sample-ms", "50"])
            .args(more)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tasim serve");
        let mut err = BufReader::new(child.stderr.take().unwrap());
        // The URL is announced once the run has started (after any warnings).
        let mut line = String::new();
        while !line.contains("http://") {
            line.clear();
            assert!(err.read_line(&mut line).unwrap() > 0, "tasim serve ended without a URL");
        }
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or_else(|| panic!("no URL in tasim's first line: {line:?}"))
            .to_string();
        // Keep reading standard error so that the child never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        Server { child, addr }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Waits for the process to exit; its exit code and standard output.
    fn wait(mut self, limit: Duration) -> (Option<i32>, String) {
        let t0 = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut out = String::new();
                self.child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
                return (status.code(), out);
            }
            assert!(t0.elapsed() < limit, "tasim serve did not exit within {limit:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the browser test can run; panics in CI when Chromium is missing.
fn browser_available() -> bool {
    let present = Path::new(client::CHROMIUM).exists() && Path::new(client::CHROMEDRIVER).exists();
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {} or {} is missing: install `chromium chromium-driver` (.ci/run does)",
            client::CHROMIUM,
            client::CHROMEDRIVER
        );
        eprintln!("SKIPPED serve::page_in_a_headless_browser: {} or {} is not installed (apt-get install chromium chromium-driver)", client::CHROMIUM, client::CHROMEDRIVER);
    }
    present
}

/// Polls `f` until it returns Some, for at most `limit`.
fn until<T>(limit: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let t0 = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(t0.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What the page shows, read from its DOM.
const READ_PAGE: &str = r#"
    const t = (id) => document.getElementById(id).textContent;
    const n = (id) => Number(document.getElementById(id).dataset.points);
    return {state: t("state"), epochs: t("epochs"), simulated: t("simulated"), rate: t("rate"),
            eta: t("eta"), power: n("power"), bandwidth: n("bandwidth"), accuracy: n("accuracy"),
            message: t("message")};
"#;

#[test]
fn page_in_a_headless_browser() {
    if !browser_available() {
        return;
    }
    let server = Server::start(1000);
    let profile = TempDir::new("chromium-profile");
    let browser = Browser::start(&profile.0);
    browser.open(&server.url());
    let page = || browser.eval(READ_PAGE);

    // It loads and runs: the topology's name, a state, and the epochs planned.
    let first = until(Duration::from_secs(60), "the page to show the run", || {
        let p = page();
        (p["state"] == "running" && p["epochs"].as_str()?.ends_with("/ 1000")).then_some(p)
    });
    // The progress advances: simulated time moves and epochs complete.
    let later = until(Duration::from_secs(120), "two epochs on the page", || {
        let p = page();
        let done: u32 = p["epochs"].as_str()?.split(" / ").next()?.parse().ok()?;
        (done >= 2 && p["simulated"] != first["simulated"]).then_some(p)
    });
    // The charts received points: power and bandwidth per sample, accuracy per epoch.
    assert!(later["power"].as_u64().unwrap() >= 2, "{later}");
    assert!(later["bandwidth"].as_u64().unwrap() >= 2, "{later}");
    assert!(later["accuracy"].as_u64().unwrap() >= 2, "{later}");
    assert_ne!(later["rate"], "\u{2013}", "events/s shown: {later}");
    assert_ne!(later["eta"], "\u{2013}", "a time left is estimated after an epoch: {later}");
    if let Some(path) = std::env::var_os("TASIM_SCREENSHOT") {
        // For the README: charts with some history in them.
        until(Duration::from_secs(300), "ten epochs for the screenshot", || {
            let done: u32 = page()["epochs"].as_str()?.split(" / ").next()?.parse().ok()?;
            (done >= 10).then_some(())
        });
        std::fs::write(&path, browser.screenshot()).expect("write the screenshot");
    }

    // Pause holds the run (simulated time stands still); Resume lets it go on.
    browser.click("#pause");
    let paused = until(Duration::from_secs(30), "the page to show the pause", || {
        let p = page();
        (p["state"] == "paused").then_some(p)
    });
    std::thread::sleep(Duration::from_millis(600));
    let still = page();
    assert_eq!(still["state"], "paused");
    assert_eq!(still["simulated"], paused["simulated"], "simulated time moved while paused");
    browser.click("#pause");
    until(Duration::from_secs(60), "the run to go on after Resume", || {
        let p = page();
        (p["state"] == "running" && p["simulated"] != paused["simulated"]).then_some(())
    });

    // Stop ends the run: the page says so, and tasim prints its report and exits.
    browser.click("#stop");
    let ended = until(Duration::from_secs(60), "the page to show the end", || {
        let p = page();
        (p["state"] == "ended").then_some(p)
    });
    assert!(ended["message"].as_str().unwrap().contains("reached the end time"), "{ended}");
    let (code, out) = server.wait(Duration::from_secs(60));
    assert_eq!(code, Some(0), "{out}");
    let outcome = out.lines().find(|l| l.starts_with("outcome")).unwrap_or_default().to_string();
    assert!(outcome.contains("reached the end time;") && outcome.contains("of 1000 epochs trained"), "{out}");
    assert!(!outcome.contains(" 1000 of 1000"), "stopped before the end: {outcome}");
}

#[test]
fn only_its_own_routes_are_served() {
    let server = Server::start(1000);
    let a = server.addr.as_str();
    let get = |path: &str| request(a, "GET", path, &[], None);
    let page = get("/");
    assert_eq!(page.status, 200);
    assert!(page.head.to_ascii_lowercase().contains("content-type: text/html"), "{}", page.head);
    assert!(page.body.contains("<script src=\"/live.js\">"));
    assert_eq!(get("/live.js").status, 200);
    for path in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/..%2fCargo.toml",
        "/Cargo.toml",
        "/etc/passwd",
        "/etc",
        "//etc/passwd",
        "/src/serve/page/index.html",
        "/page/index.html",
        "/index.html",
        "/live.js/..",
        "/events/../../Cargo.toml",
    ] {
        let r = get(path);
        assert_eq!(r.status, 404, "{path}: {}", r.head);
        assert!(!r.body.contains("[package]") && !r.body.contains("root:"), "{path}: {}", r.body);
    }
    // Control: POST only, and only with the page's header (a cross-site form cannot send it).
    assert_eq!(get("/control/stop").status, 405);
    assert_eq!(request(a, "POST", "/control/stop", &[], None).status, 403);
    // Another site's name resolving to 127.0.0.1 (DNS rebinding) is refused.
    assert_eq!(request(a, "GET", "/", &[("Host", "attacker.example")], None).status, 403);
    assert_eq!(request(a, "GET", "/events", &[("Host", "attacker.example:80")], None).status, 403);
    // Pause, resume and stop through the routes; the run ends as --until-ns would.
    let control = |what: &str| request(a, "POST", &format!("/control/{what}"), &[("x-tasim-control", "1")], None);
    assert_eq!(control("pause").status, 204);
    assert_eq!(control("resume").status, 204);
    assert_eq!(control("stop").status, 204);
    let (code, out) = server.wait(Duration::from_secs(60));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("outcome    reached the end time;"), "{out}");
}

/// The live power is the energy the meters book per event: over a whole run it equals the
/// report's dynamic chip energy less the idle clock energy the cores charge at the end (and
/// less the last window of each meter, never marked).
#[test]
fn live_power_adds_up_to_the_reports_energy() {
    let out = TempDir::new("serve-energy");
    let server = Server::start_with(3, &["--out", &out.str("run")]);
    // The event stream ends with the run: everything the page would have seen.
    let sse = request(&server.addr, "GET", "/events", &[], None).body;
    let (code, stdout) = server.wait(Duration::from_secs(120));
    assert_eq!(code, Some(0), "{stdout}");
    let msgs: Vec<serde_json::Value> =
        sse.lines().filter_map(|l| l.strip_prefix("data:")).map(|d| serde_json::from_str(d.trim()).unwrap()).collect();
    let last = msgs.last().expect("messages");
    assert_eq!(last["state"], "ended");
    assert_eq!(last["epochs_done"], 3);
    assert!(last["outcome"].as_str().unwrap().starts_with("training finished"), "{last}");
    let mut points = Vec::new();
    for m in &msgs {
        if m["reset"] == true {
            points.clear();
        }
        points.extend(m["points"].as_array().unwrap().iter().cloned());
    }
    // mW x ms = uJ; each point's power holds from the previous point's time.
    let (mut prev_ms, mut live_uj) = (0.0, 0.0);
    for p in &points {
        let ms = p[0].as_f64().unwrap();
        live_uj += p[1].as_f64().unwrap() * (ms - prev_ms);
        prev_ms = ms;
    }
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path("run/stats.json")).unwrap()).unwrap();
    let sum = |suffix: &str| -> f64 {
        let s = stats["stats"].as_object().unwrap();
        s.iter().filter(|(k, _)| k.ends_with(suffix)).filter_map(|(_, v)| v.as_f64()).sum::<f64>() * 1e-6
    };
    let booked_uj = sum(".energy.dynamic_pj") - sum(".energy.kind.clock_idle_pj");
    assert!(booked_uj > 100.0, "{booked_uj}");
    let ratio = live_uj / booked_uj;
    assert!((0.99..=1.0 + 1e-9).contains(&ratio), "live {live_uj} uJ, booked {booked_uj} uJ");
    assert_eq!(prev_ms * 1e9, last["simulated_ms"].as_f64().unwrap() * 1e9, "the points reach the end");
}

/// Serving a run changes nothing in it: slicing it, observing it and sampling it leave the
/// results as `tasim run` writes them, byte for byte, on one thread or several.
#[rstest]
#[case("topologies/paper-chip.yaml", "1")]
#[case("topologies/multichip/ring4.yaml", "2")]
fn a_served_run_writes_what_run_writes(#[case] topology: &str, #[case] threads: &str) {
    let dir = TempDir::new(&format!("serve-same-{threads}"));
    let (run, served) = (dir.str("run"), dir.str("served"));
    crate::cli_support::ok(&tasim(&["run", topology, "--threads", threads, "--out", &run]));
    let out = tasim(&["serve", topology, "--threads", threads, "--out", &served, "--port", "0"]);
    let stdout = crate::cli_support::ok(&out);
    assert!(stdout.contains("outcome    training finished"), "{stdout}");
    let (a, b) = (dir_bytes(&dir.path("run")), dir_bytes(&dir.path("served")));
    assert!(a.len() >= 6, "{:?}", a.iter().map(|f| &f.0).collect::<Vec<_>>());
    assert_eq!(a.iter().map(|f| &f.0).collect::<Vec<_>>(), b.iter().map(|f| &f.0).collect::<Vec<_>>());
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between run and serve");
    }
}

/// Ctrl-C (SIGINT) stops the run as Stop does: the report is printed, and the exit code is
/// 130, as a shell reports an interrupted command.
#[test]
fn ctrl_c_stops_the_run_and_exits_with_130() {
    let server = Server::start(1000);
    // The run is going: the page is served.
    assert_eq!(request(&server.addr, "GET", "/", &[], None).status, 200);
    std::thread::sleep(Duration::from_millis(300));
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let (code, out) = server.wait(Duration::from_secs(60));
    assert_eq!(code, Some(130), "{out}");
    assert!(out.contains("outcome    reached the end time;") && out.contains("of 1000 epochs trained"), "{out}");
}

#[rstest]
#[case("0.0.0.0")]
#[case("::")]
#[case("10.1.2.3")]
fn a_non_loopback_bind_is_refused(#[case] addr: &str) {
    let out = tasim(&["serve", "topologies/paper-chip.yaml", "--bind", addr]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("--bind {addr}")) && err.contains("not a loopback address"), "{err}");
    assert!(err.contains("fix:") && err.contains("--allow-remote"), "{err}");
}

/// With --allow-remote the address passes the check (shown without serving on it: the next
/// check, of --sample-ms, is what stops this command).
#[test]
fn allow_remote_lets_a_non_loopback_bind_pass() {
    let out =
        tasim(&["serve", "topologies/paper-chip.yaml", "--bind", "0.0.0.0", "--allow-remote", "--sample-ms", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("--bind") && err.contains("--sample-ms 1 is not in 10..=10000"), "{err}");
}

/// A topology that does not load or elaborate is an input error as with `run` (exit 2), and
/// no URL is announced for a run that never starts.
#[test]
fn bad_input_fails_before_the_page_is_announced() {
    let out = tasim(&["serve", "topologies/paper-chip.yaml", "--set", "ctrl.epochs=0", "--port", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--set ctrl.epochs=0") && err.contains("fix:"), "{err}");
    assert!(!err.contains("http://"), "{err}");
}
