//! Calling the services as their users do, through outages: bearer tokens per role, a
//! bounded retry that resends the same request (every write is idempotent by request_id or
//! by the platform's own ids), and a progress line on stderr.

use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gigshield_kit::Role;
use gigshield_kit::auth::TokenMinter;
use tonic::{Code, Status};

use crate::stack::DEV_SIGNING_KEY;

/// Mints development tokens (cheap: one Ed25519 signature).
#[derive(Clone)]
pub struct Tokens {
    minter: Arc<TokenMinter>,
}

impl Tokens {
    pub fn new(repo_root: &Path) -> anyhow::Result<Self> {
        let minter = crate::stack::dev_minter(&repo_root.join(DEV_SIGNING_KEY))?;
        Ok(Self {
            minter: Arc::new(minter),
        })
    }

    pub fn request<T>(&self, role: &Role, message: T) -> tonic::Request<T> {
        let token = self
            .minter
            .mint("demo", role, Duration::from_secs(4 * 3600));
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("ASCII token"),
        );
        request.set_timeout(Duration::from_secs(60));
        request
    }
}

/// Which failures are worth another attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Only the infrastructure's: the service, its database or Kafka unreachable.
    Transient,
    /// Also NOT_FOUND and FAILED_PRECONDITION: a replica may not know yet what another
    /// service already said (a worker registered a moment ago).
    Eventual,
    /// [`Retry::Eventual`] and PERMISSION_DENIED: a relative's delegation may not have reached
    /// the service yet.
    Delegated,
}

fn transient(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable
            | Code::Unknown
            | Code::Internal
            | Code::DeadlineExceeded
            | Code::Cancelled
            | Code::Aborted
            | Code::ResourceExhausted
    )
}

/// Counts retries for the summary.
#[derive(Default)]
pub struct RetryStats {
    pub retries: AtomicU64,
}

/// How long one call keeps retrying: long enough for a broker or database restart.
pub const RETRY_FOR: Duration = Duration::from_secs(240);

/// Calls `attempt` until it succeeds, fails for good, or [`RETRY_FOR`] passes. The closure
/// must build the same request each time.
pub async fn retry<T, F, Fut>(
    stats: &RetryStats,
    policy: Retry,
    mut attempt: F,
) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    let deadline = tokio::time::Instant::now() + RETRY_FOR;
    let mut pause = Duration::from_millis(100);
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(status) => {
                let eventual = matches!(status.code(), Code::NotFound | Code::FailedPrecondition);
                let again = transient(status.code())
                    || (policy == Retry::Eventual && eventual)
                    || (policy == Retry::Delegated
                        && (eventual || status.code() == Code::PermissionDenied));
                if !again || tokio::time::Instant::now() >= deadline {
                    return Err(status);
                }
                stats.retries.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// A self-drawn progress line on stderr (carriage return), redrawn at most 5 times a second.
pub struct Progress {
    label: String,
    total: u64,
    done: AtomicU64,
    started: Instant,
    last_draw: std::sync::Mutex<Instant>,
    /// On a terminal the bar redraws in place; into a file or pipe only the final line is
    /// written (no carriage-return frames in logs).
    live: bool,
}

impl Progress {
    pub fn new(label: &str, total: u64) -> Arc<Self> {
        let progress = Arc::new(Self {
            label: label.to_string(),
            total,
            done: AtomicU64::new(0),
            started: Instant::now(),
            last_draw: std::sync::Mutex::new(Instant::now() - Duration::from_secs(1)),
            live: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        });
        if progress.live {
            progress.draw(0);
        }
        progress
    }

    pub fn add(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        if !self.live {
            return;
        }
        let mut last = self.last_draw.lock().expect("progress lock");
        if last.elapsed() >= Duration::from_millis(200) {
            *last = Instant::now();
            drop(last);
            self.draw(done);
        }
    }

    fn draw(&self, done: u64) {
        const WIDTH: u64 = 30;
        let filled = (done.min(self.total) * WIDTH)
            .checked_div(self.total)
            .unwrap_or(WIDTH);
        let secs = self.started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "{}  {:<28} [{}{}] {done:>8}/{:<8} {rate:>8.0}/s {secs:>6.1}s",
            if self.live { "\r" } else { "" },
            self.label,
            "#".repeat(filled as usize),
            "-".repeat((WIDTH - filled) as usize),
            self.total
        );
        let _ = err.flush();
    }

    /// Draws the final state and ends the line.
    pub fn finish(&self) {
        self.draw(self.done.load(Ordering::Relaxed));
        eprintln!();
    }
}
