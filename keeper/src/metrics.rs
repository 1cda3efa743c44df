//! Prometheus metrics for the crank and the liquidator, served as text on `GET /metrics` by a small
//! HTTP server on its own thread (std only: the keeper's async runtime stays single-threaded).
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

#[derive(Default, Debug)]
pub struct Metrics {
    pub samples_taken: AtomicU64,
    pub samples_skipped_early: AtomicU64,
    pub oracle_failures: AtomicU64,
    pub accounts_scanned: AtomicU64,
    pub accounts_liquidatable: AtomicU64,
    pub liquidations: AtomicU64,
    pub bankruptcies_resolved: AtomicU64,
    /// Largest shortfall (−maintenance health) seen in the last scan, micro-USD.
    pub shortfall_micro_usd: AtomicI64,
    pub transaction_errors: AtomicU64,
    pub send_retries: AtomicU64,
}

impl Metrics {
    pub fn render(&self) -> String {
        let mut s = String::new();
        let mut put = |name: &str, kind: &str, help: &str, v: String| {
            let _ = writeln!(s, "# HELP keeper_{name} {help}\n# TYPE keeper_{name} {kind}\nkeeper_{name} {v}");
        };
        let c = |a: &AtomicU64| a.load(Relaxed).to_string();
        put("samples_taken_total", "counter", "Risk-model samples completed by this keeper.", c(&self.samples_taken));
        put(
            "samples_skipped_early_total",
            "counter",
            "Crank rounds skipped because the next sample was not due.",
            c(&self.samples_skipped_early),
        );
        put(
            "oracle_failures_total",
            "counter",
            "Oracles found unusable (stale, wide, unverified, missing).",
            c(&self.oracle_failures),
        );
        put(
            "accounts_scanned_total",
            "counter",
            "Margin accounts whose health was computed.",
            c(&self.accounts_scanned),
        );
        put(
            "accounts_liquidatable",
            "gauge",
            "Accounts below maintenance in the last scan.",
            c(&self.accounts_liquidatable),
        );
        put("liquidations_total", "counter", "Liquidations confirmed.", c(&self.liquidations));
        put("bankruptcies_resolved_total", "counter", "Bankrupt positions resolved.", c(&self.bankruptcies_resolved));
        put(
            "max_shortfall_usd",
            "gauge",
            "Largest shortfall below maintenance margin in the last scan, USD.",
            format!("{:.6}", self.shortfall_micro_usd.load(Relaxed) as f64 / 1e6),
        );
        put(
            "transaction_errors_total",
            "counter",
            "Transactions that failed or could not be sent.",
            c(&self.transaction_errors),
        );
        put("send_retries_total", "counter", "Transient send errors retried.", c(&self.send_retries));
        s
    }

    /// Serves `GET /metrics` on `addr` from a background thread; returns the bound address.
    pub fn serve(self: &Arc<Self>, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr)?;
        let bound = listener.local_addr()?;
        let me = Arc::clone(self);
        std::thread::Builder::new().name("metrics".into()).spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut stream = stream;
                let mut buf = [0u8; 1024];
                let n = stream.read(&mut buf).unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]);
                let (status, body) = if req.starts_with("GET /metrics") {
                    ("200 OK", me.render())
                } else {
                    ("404 Not Found", "try GET /metrics\n".to_string())
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        })?;
        tracing::info!(%bound, "metrics on http://{bound}/metrics");
        Ok(bound)
    }
}
