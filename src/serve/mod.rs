//! `tasim serve`: a run watched live in a browser.
//!
//! ```text
//!  sim thread ── drive(): run_until in slices of ~sample_ms wall ──> Live (feed + control)
//!     │  LiveObserver: bytes on memory ports, energy marks (atomics)        │  watch
//!     └─ prints the usual report at the end                                 v
//!  tokio (current thread): axum on 127.0.0.1 ── GET / , /live.js , /events (SSE)
//!                                              POST /control/{pause,resume,stop}
//! ```
//!
//! The simulation runs on its own thread exactly as `tasim run` would (the same slicing
//! never changes a result: `run_until(a)` then `run_until(b)` equals `run_until(b)`); between
//! slices it publishes a sample and honours pause (it blocks there) and stop (the run ends
//! as `--until-ns` would, and the report is printed). tokio lives in this module only: the
//! kernel and the components know nothing of it.
//!
//! Security stance: loopback only unless `--allow-remote`; only the page's own routes exist
//! (no files are served from disk); control requests need a custom header (so a cross-site
//! form cannot send them), and requests naming another `Host` are refused (DNS rebinding).

mod drive;
mod feed;
mod observe;
mod routes;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use clap::Args;
use serde_json::Value;

use crate::InputError;
pub use drive::drive;
pub use feed::Live;
pub use observe::LiveObserver;

/// Options of `tasim serve` besides the run's own.
#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    /// TCP port of the page (0: any free port; the URL is printed on standard error).
    #[arg(long, default_value_t = 8023)]
    pub port: u16,
    /// Address to listen on. Loopback (127.0.0.1, ::1) unless --allow-remote is given.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Allow a non-loopback --bind: anyone who can reach the port can then watch, pause and
    /// stop the run (there is no authentication).
    #[arg(long)]
    pub allow_remote: bool,
    /// Publish a sample to the page at most this often, in ms of wall time (10..=10000).
    #[arg(long, value_name = "MS", default_value_t = 100)]
    pub sample_ms: u64,
}

/// The run ended because of Ctrl-C (the binary exits with 130, as a shell reports SIGINT).
#[derive(Debug, thiserror::Error)]
#[error("interrupted (Ctrl-C): the run was stopped and its report printed")]
pub struct Interrupted;

/// Checks the options: a non-loopback address needs `--allow-remote`.
pub fn check_args(a: &ServeArgs) -> Result<(), InputError> {
    if !a.bind.is_loopback() && !a.allow_remote {
        return Err(InputError::new(format!(
            "--bind {}: not a loopback address; the page can pause and stop the run and has no authentication",
            a.bind
        ))
        .field("--bind")
        .fix("use --bind 127.0.0.1 (the default) and an SSH tunnel, or add --allow-remote to serve on that address"));
    }
    if !(10..=10_000).contains(&a.sample_ms) {
        return Err(InputError::new(format!("--sample-ms {} is not in 10..=10000", a.sample_ms))
            .field("--sample-ms")
            .fix("give a sampling period between 10 ms and 10 s"));
    }
    Ok(())
}

/// Serves the page while `job` runs the simulation on its own thread with the given [`Live`]
/// handle; returns `job`'s result when it ends (after the page has seen the end), or
/// [`Interrupted`] after Ctrl-C (the run is stopped and `job` still finishes and reports).
///
/// Errors: the options ([`check_args`], exit 2), a port that cannot be bound (exit 2), the
/// run's own errors.
pub fn serve<F>(args: &ServeArgs, job: F) -> Result<Value>
where
    F: FnOnce(&Live) -> Result<Value> + Send + 'static,
{
    check_args(args)?;
    let addr = SocketAddr::new(args.bind, args.port);
    // Bound before the run starts, so that a busy port is an error at once.
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        InputError::new(format!("--port {}: cannot listen on {addr}: {e}", args.port))
            .field("--port")
            .fix("choose another port, or --port 0 for any free one")
    })?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let live = Arc::new(Live::new(Duration::from_millis(args.sample_ms)));
    live.announce(format!("serving the live view on http://{local}/ (Ctrl-C stops the run)"));
    let rt = tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let sim_live = live.clone();
        let sim = std::thread::Builder::new().name("tasim-sim".into()).spawn(move || {
            let result = job(&sim_live);
            sim_live.end(&result);
            let _ = done_tx.send(result);
        })?;
        let app = routes::router(live.clone(), local, args.allow_remote);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).with_graceful_shutdown(async { drop(stop_rx.await) }).await
        });
        let mut interrupted = false;
        tokio::pin!(done_rx);
        let result = tokio::select! {
            r = &mut done_rx => r,
            _ = tokio::signal::ctrl_c() => {
                interrupted = true;
                eprintln!("interrupted: stopping the run (Ctrl-C again exits at once)");
                live.stop();
                tokio::spawn(async {
                    if tokio::signal::ctrl_c().await.is_ok() {
                        std::process::exit(130);
                    }
                });
                (&mut done_rx).await
            }
        };
        // The page's event streams end with the run; give them a moment to deliver the end.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = stop_tx.send(());
        match tokio::time::timeout(Duration::from_secs(2), server).await {
            Ok(Ok(Err(e))) => tracing::warn!("live view server: {e}"),
            Ok(Err(e)) => tracing::warn!("live view server task: {e}"),
            _ => {}
        }
        let _ = sim.join();
        let result = result.map_err(|_| anyhow::anyhow!("the simulation thread ended without a result"))?;
        match (result, interrupted) {
            (Ok(_), true) => Err(Interrupted.into()),
            (r, _) => r,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(bind: &str, allow_remote: bool) -> ServeArgs {
        ServeArgs { port: 0, bind: bind.parse().unwrap(), allow_remote, sample_ms: 100 }
    }

    #[test]
    fn loopback_is_the_default_and_anything_else_needs_allow_remote() {
        assert!(check_args(&args("127.0.0.1", false)).is_ok());
        assert!(check_args(&args("::1", false)).is_ok());
        for addr in ["0.0.0.0", "::", "192.168.1.2"] {
            let e = check_args(&args(addr, false)).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("--bind"));
            assert!(e.fix.as_deref().unwrap().contains("--allow-remote"));
            assert!(check_args(&args(addr, true)).is_ok());
        }
    }
}
