//! The process's own figures under the names every Prometheus client library exports
//! (`process_cpu_seconds_total`, `process_resident_memory_bytes`, …), so the dashboards and
//! alerts teams already have for other services work here too. Linux only: read from `/proc`
//! every health round; elsewhere nothing is recorded.

/// What `/proc` says about this process at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessFigures {
    pub cpu_seconds: f64,
    pub resident_bytes: u64,
    pub virtual_bytes: u64,
    pub threads: u64,
    pub start_time_seconds: f64,
    pub open_fds: u64,
    pub max_fds: Option<u64>,
}

/// Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on every Linux ABI).
const TICKS_PER_SECOND: f64 = 100.0;

/// The fields of `/proc/self/stat` used here, after the command name (which may itself hold
/// spaces and parentheses, so the split starts after the last `)`): utime, stime,
/// num_threads, starttime (ticks since boot) and vsize (bytes).
pub fn parse_stat(stat: &str) -> Option<(f64, u64, u64, f64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Field n of proc(5) is fields[n - 3]: the state (field 3) comes first.
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    let cpu_ticks = field(14)? + field(15)?;
    Some((
        cpu_ticks as f64 / TICKS_PER_SECOND,
        field(20)?,
        field(23)?,
        field(22)? as f64 / TICKS_PER_SECOND,
    ))
}

/// `VmRSS` of `/proc/self/status`, in bytes.
pub fn parse_resident_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The boot time (`btime`, seconds since the epoch) of `/proc/stat`.
pub fn parse_boot_time(stat: &str) -> Option<f64> {
    let line = stat.lines().find(|l| l.starts_with("btime "))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The soft limit of "Max open files" in `/proc/self/limits`; `None` when unlimited.
pub fn parse_max_fds(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Reads `/proc` now; `None` where it is not there (not Linux).
pub fn read() -> Option<ProcessFigures> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let (cpu_seconds, threads, virtual_bytes, started_after_boot) = parse_stat(&stat)?;
    let boot = parse_boot_time(&std::fs::read_to_string("/proc/stat").ok()?)?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
    let max_fds = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| parse_max_fds(&l));
    Some(ProcessFigures {
        cpu_seconds,
        resident_bytes: parse_resident_bytes(&status)?,
        virtual_bytes,
        threads,
        start_time_seconds: boot + started_after_boot,
        open_fds,
        max_fds,
    })
}

/// Sets the gauges from `/proc` (nothing when it cannot be read).
pub fn record() {
    let Some(p) = read() else { return };
    metrics::gauge!("process_cpu_seconds_total").set(p.cpu_seconds);
    metrics::gauge!("process_resident_memory_bytes").set(p.resident_bytes as f64);
    metrics::gauge!("process_virtual_memory_bytes").set(p.virtual_bytes as f64);
    metrics::gauge!("process_threads").set(p.threads as f64);
    metrics::gauge!("process_start_time_seconds").set(p.start_time_seconds);
    metrics::gauge!("process_open_fds").set(p.open_fds as f64);
    if let Some(max) = p.max_fds {
        metrics::gauge!("process_max_fds").set(max as f64);
    }
}

/// HELP text of the process metrics.
pub fn describe() {
    metrics::describe_gauge!(
        "process_cpu_seconds_total",
        metrics::Unit::Seconds,
        "User and system CPU time the process has used (only grows; rate() gives cores in use)"
    );
    metrics::describe_gauge!(
        "process_resident_memory_bytes",
        metrics::Unit::Bytes,
        "Resident memory of the process"
    );
    metrics::describe_gauge!(
        "process_virtual_memory_bytes",
        metrics::Unit::Bytes,
        "Virtual memory of the process"
    );
    metrics::describe_gauge!("process_threads", "Threads of the process");
    metrics::describe_gauge!(
        "process_start_time_seconds",
        metrics::Unit::Seconds,
        "When the process started, in seconds since the Unix epoch"
    );
    metrics::describe_gauge!("process_open_fds", "Open file descriptors of the process");
    metrics::describe_gauge!(
        "process_max_fds",
        "The process's limit of open file descriptors"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_read_after_the_last_parenthesis_of_the_name() {
        // A command name with a space and a parenthesis, as proc(5) allows.
        let stat = "4242 (gigshield (x) y) S 1 4242 4242 0 -1 4194560 1200 0 0 0 \
                    250 130 0 0 20 0 9 0 123456 987654321 5000 18446744073709551615";
        let (cpu, threads, vsize, started) = parse_stat(stat).unwrap();
        assert_eq!(cpu, 3.8);
        assert_eq!(threads, 9);
        assert_eq!(vsize, 987_654_321);
        assert_eq!(started, 1234.56);
        assert_eq!(parse_stat("4242 gigshield S 1"), None);
    }

    #[test]
    fn memory_boot_time_and_file_limits_come_from_their_lines() {
        assert_eq!(
            parse_resident_bytes("Name:\tx\nVmRSS:\t  20480 kB\nThreads:\t9\n"),
            Some(20_971_520)
        );
        assert_eq!(
            parse_boot_time("cpu  1 2 3\nbtime 1764547200\n"),
            Some(1_764_547_200.0)
        );
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1048576              1048576              files\n";
        assert_eq!(parse_max_fds(limits), Some(1_048_576));
        assert_eq!(
            parse_max_fds("Max open files            unlimited            unlimited   files\n"),
            None
        );
    }

    #[test]
    fn this_process_reads_itself_on_linux() {
        if cfg!(target_os = "linux") {
            let p = read().expect("/proc is readable on Linux");
            assert!(p.resident_bytes > 0 && p.threads >= 1 && p.open_fds >= 3);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs_f64();
            assert!(
                p.start_time_seconds <= now + 1.0 && p.start_time_seconds > now - 86_400.0 * 365.0
            );
        }
    }
}
