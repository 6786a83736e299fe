//! Slow and greedy clients against the real accept loop on a loopback port: headers that drip
//! in are cut off at the header deadline, a body that drips in is answered 408 at the body
//! deadline, and connections past the limit are answered 503 and closed — while a well-behaved
//! client is still served.

mod common;

use std::time::{Duration, Instant};

use common::App;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use yimen_service::limits::LimitSettings;

const HEADER_DEADLINE: Duration = Duration::from_secs(1);
const BODY_DEADLINE: Duration = Duration::from_secs(1);

async fn server(max_connections: usize) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let settings = LimitSettings {
        header_timeout: HEADER_DEADLINE,
        body_timeout: BODY_DEADLINE,
        max_connections,
        sign_ins_per_minute: 1_000,
        openings_per_minute: 1_000,
        uploads_per_minute: 1_000,
    };
    let app = App::start_with(settings.clone()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let router = app.router.clone();
        let _keep = app;
        yimen::listen::serve(listener, router, &settings, async {
            let _ = rx.await;
        })
        .await
        .expect("serve");
    });
    (addr, tx)
}

/// Reads until the server closes the connection (or `limit` passes); what arrived.
async fn read_to_close(s: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = Instant::now() + limit;
    loop {
        let left = end.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, s.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&buf).into_owned()),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => return None,
        }
    }
}

async fn healthz(addr: std::net::SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    read_to_close(&mut s, Duration::from_secs(10)).await.expect("an answer")
}

#[tokio::test]
async fn headers_that_drip_in_are_cut_off_at_the_deadline() {
    let (addr, _stop) = server(64).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let started = Instant::now();
    // One header byte every 200 ms would take 20 s to finish; the server must not wait.
    let dripping = async {
        for _ in 0..100 {
            if s.write_all(b"X").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(15), dripping).await;
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(15),
        "the server kept a dripping client for {waited:?}"
    );
    assert!(
        healthz(addr).await.starts_with("HTTP/1.1 200"),
        "others are still served"
    );
}

#[tokio::test]
async fn a_body_that_drips_in_is_answered_408_and_reaches_no_handler() {
    let (addr, _stop) = server(64).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(
        b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    )
    .await
    .expect("write");
    let answer = read_to_close(&mut s, Duration::from_secs(10))
        .await
        .expect("the server answers within the body deadline and a margin");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");
}

#[tokio::test]
async fn connections_past_the_limit_are_answered_503_and_closed() {
    let (addr, _stop) = server(3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        // Half a request: each holds a slot until its header deadline.
        s.write_all(b"GET /healthz HTTP/1.1\r\n").await.expect("write");
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(addr).await.expect("connect");
    let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let answer = read_to_close(&mut extra, Duration::from_secs(5))
        .await
        .expect("refused at once");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Retry-After: 1"), "{answer}");
    // When the half-open ones are cut off, their slots free up.
    drop(held);
    tokio::time::sleep(HEADER_DEADLINE + Duration::from_millis(500)).await;
    assert!(healthz(addr).await.starts_with("HTTP/1.1 200"));
}
