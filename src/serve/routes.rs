//! The page's routes, and nothing else: `GET /`, `GET /live.js`, `GET /events` (server-sent
//! events), `POST /control/{pause,resume,stop}`. Anything else is 404: no file is read from
//! disk, so there is no path to traverse.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures_util::Stream;

use super::feed::{self, Live};

const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/live.js");

/// The header a control request must carry: a cross-site form or image cannot set it, and a
/// script on another origin would need a CORS preflight, which this server never grants.
pub const CONTROL_HEADER: &str = "x-tasim-control";

#[derive(Clone)]
struct App {
    live: Arc<Live>,
    /// `Host` values accepted (empty: any, with `--allow-remote`).
    hosts: Arc<[String]>,
}

/// The router of the live view of `live`, listening on `local`.
pub fn router(live: Arc<Live>, local: SocketAddr, allow_remote: bool) -> Router {
    let port = local.port();
    let hosts: Arc<[String]> = if allow_remote {
        Arc::new([])
    } else {
        [local.to_string(), format!("localhost:{port}"), format!("127.0.0.1:{port}"), format!("[::1]:{port}")].into()
    };
    let app = App { live, hosts };
    Router::new()
        .route("/", get(page))
        .route("/live.js", get(script))
        .route("/events", get(events))
        .route("/control/pause", post(|s, h| control(s, h, Action::Pause)))
        .route("/control/resume", post(|s, h| control(s, h, Action::Resume)))
        .route("/control/stop", post(|s, h| control(s, h, Action::Stop)))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), check_host))
        .with_state(app)
}

/// Refuses a request naming another host: a page of another site whose name resolves to
/// 127.0.0.1 (DNS rebinding) must not read or drive the run.
async fn check_host(State(app): State<App>, req: Request, next: Next) -> Response {
    if !app.hosts.is_empty() {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        if !app.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return (StatusCode::FORBIDDEN, format!("Host `{host}` is not this server's address\n")).into_response();
        }
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn page() -> Response {
    let csp = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'";
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CONTENT_SECURITY_POLICY, csp)], PAGE).into_response()
}

async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT).into_response()
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found: this server has only /, /live.js, /events and /control/*\n").into_response()
}

/// The feed as server-sent events: a message per change (at most one per sample period),
/// the first with everything so far; the stream ends after the run's end is sent.
async fn events(State(app): State<App>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = app.live.subscribe();
    // A generation no feed has: the first message resets the page's charts.
    let start = (app.live, rx, (u64::MAX, 0, 0), false, true);
    let stream = futures_util::stream::unfold(start, |(live, mut rx, cursor, done, first)| async move {
        if done || (!first && rx.changed().await.is_err()) {
            return None;
        }
        rx.borrow_and_update();
        let (doc, cursor) = feed::message(&live, cursor);
        let done = doc["state"] == "ended";
        Some((Ok(Event::default().data(doc.to_string())), (live, rx, cursor, done, false)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

enum Action {
    Pause,
    Resume,
    Stop,
}

async fn control(State(app): State<App>, headers: HeaderMap, action: Action) -> Response {
    if !headers.contains_key(CONTROL_HEADER) {
        let msg = format!("a control request needs the `{CONTROL_HEADER}` header (the page sends it)\n");
        return (StatusCode::FORBIDDEN, msg).into_response();
    }
    match action {
        Action::Pause => app.live.pause(true),
        Action::Resume => app.live.pause(false),
        Action::Stop => app.live.stop(),
    }
    StatusCode::NO_CONTENT.into_response()
}
