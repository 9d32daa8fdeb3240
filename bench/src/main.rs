//! airgui-bench (`make bench`): measures airgui against references taken in the same run, prints
//! one table, and writes it with the machine's description to docs/benchmarks.md. The figures
//! and targets are those of TARGETS.md (P1..P7). Benchmarks measure; tests assert: nothing here
//! is a pass/fail threshold, the notes only say where a figure misses its target.
//!
//! Everything runs as real processes over real sockets: a release `airgui` (headless) and
//! `guid-demo-agent`s, in a temporary directory, killed on drop.

// A measurement tool: when something is off (a process died, /proc says something odd, IPC
// answers nonsense) it must fail loudly rather than print a figure, so unwrap, expect and
// indexing are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod latency;
mod master;
mod procs;
mod rdp_user;
mod rows;
mod soak;
mod weston;

use std::process::Command;
use std::time::Duration;

/// Command-line options; each also has an environment variable.
#[derive(Debug)]
struct Options {
    /// Seconds each rate or latency is measured for (`--seconds`, `BENCH_SECONDS`).
    seconds: f64,
    /// Seconds of the idle row (`--idle-seconds`, `BENCH_IDLE_SECONDS`); P6 says 10.
    idle_seconds: f64,
    /// Where the table goes (`--out`, `BENCH_OUT`); `-` writes nothing.
    out: Option<String>,
    /// Run the soak for this many seconds instead of the benchmarks (`--soak`).
    soak: Option<f64>,
    /// The rows to measure, such as `P3,P4` (`--rows`, `BENCH_ROWS`); all by default.
    rows: Option<Vec<String>>,
}

impl Options {
    fn parse() -> Options {
        let env = |name: &str| std::env::var(name).ok();
        let mut options = Options {
            seconds: env("BENCH_SECONDS").map_or(10.0, |s| s.parse().expect("BENCH_SECONDS")),
            idle_seconds: env("BENCH_IDLE_SECONDS")
                .map_or(10.0, |s| s.parse().expect("BENCH_IDLE_SECONDS")),
            out: env("BENCH_OUT"),
            soak: None,
            rows: env("BENCH_ROWS").map(|rows| split_rows(&rows)),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
            match arg.as_str() {
                "--seconds" => options.seconds = value().parse().expect("--seconds"),
                "--idle-seconds" => options.idle_seconds = value().parse().expect("--idle-seconds"),
                "--out" => options.out = Some(value()),
                "--soak" => options.soak = Some(value().parse().expect("--soak")),
                "--rows" => options.rows = Some(split_rows(&value())),
                "-h" | "--help" => {
                    println!(
                        "airgui-bench [--seconds S] [--idle-seconds S] [--rows P1,P2,..] \
                         [--out FILE|-]\n\
                         airgui-bench --soak S [--out FILE|-]\n\
                         S: seconds per measurement (default 10; BENCH_SECONDS), idle row \
                         (default 10; BENCH_IDLE_SECONDS), or of the soak; FILE: default \
                         docs/benchmarks.md, or docs/soak.md for the soak (BENCH_OUT)"
                    );
                    std::process::exit(0);
                }
                other => panic!("unknown argument {other:?}; see --help"),
            }
        }
        assert!(options.seconds >= 1.0, "--seconds must be at least 1");
        options
    }

    /// Whether row `id` (such as "P3") is to be measured.
    fn wants(&self, id: &str) -> bool {
        self.rows
            .as_ref()
            .is_none_or(|rows| rows.iter().any(|row| row == id))
    }
}

fn split_rows(rows: &str) -> Vec<String> {
    rows.split(',')
        .map(|row| row.trim().to_uppercase())
        .collect()
}

/// A measurement giving one or more rows.
type Measure<'a> = dyn Fn() -> Vec<Row> + 'a;

/// One line of the table.
#[derive(Debug)]
pub struct Row {
    pub id: &'static str,
    pub what: &'static str,
    pub measured: String,
    pub reference: String,
    pub target: String,
    pub notes: String,
}

fn main() {
    let options = Options::parse();
    if let Some(seconds) = options.soak {
        soak(seconds, options.out.as_deref().unwrap_or("docs/soak.md"));
        return;
    }
    let seconds = Duration::from_secs_f64(options.seconds);
    let machine = machine();
    eprintln!(
        "airgui-bench: {} s per measurement\n{machine}",
        options.seconds
    );
    let idle = Duration::from_secs_f64(options.idle_seconds);
    let measures: [(&str, &str, &Measure); 7] = [
        ("P1", "full-window updates", &|| {
            vec![rows::full_window(seconds)]
        }),
        ("P2", "small damage latency", &|| {
            rows::small_damage(seconds)
        }),
        ("P3", "against Weston's RDP backend", &|| {
            vec![weston::against_weston(seconds)]
        }),
        ("P4", "master end to end", &|| {
            vec![master::end_to_end(seconds)]
        }),
        ("P5", "input round trip through the master", &|| {
            vec![master::input_through_master(200)]
        }),
        ("P6", "idle", &|| vec![rows::idle(idle)]),
        ("P7", "scale", &|| vec![rows::scale()]),
    ];
    let mut table = Vec::new();
    for (id, what, measure) in measures {
        if options.wants(id) {
            eprintln!("{id}: {what}…");
            table.extend(measure());
        }
    }
    let markdown = render(&table);
    println!("{markdown}");
    let out = options.out.as_deref().unwrap_or("docs/benchmarks.md");
    if out != "-" {
        let document = format!(
            "# Benchmarks\n\n\
             Written by `make bench` (the `airgui-bench` binary in `bench/`); rerun it to \
             replace this file. Each figure stands next to its reference, measured in the same \
             run where there is one, and the target from TARGETS.md. Benchmarks measure, they \
             do not pass or fail: the notes say where a figure misses its target.\n\n\
             ## Machine\n\n{machine}\n\
             ## Results ({} s per measurement, {} s idle)\n\n{markdown}\n\
             Load average after the run (1, 5, 15 min): {}. A loaded machine (other builds, \
             tests) shows mostly in the p99 latencies.\n\n{}",
            options.seconds,
            options.idle_seconds,
            load_average(),
            rows::METHOD
        );
        std::fs::write(out, document).unwrap_or_else(|error| panic!("writing {out}: {error}"));
        eprintln!("written to {out}");
    }
}

/// `make soak`: prints the report, writes it to `out` (unless `-`), and exits with 1 if airgui's
/// memory or descriptors grew.
fn soak(seconds: f64, out: &str) {
    let machine = machine();
    eprintln!("airgui-bench: soak for {seconds} s\n{machine}");
    let (report, flat) = soak::run(Duration::from_secs_f64(seconds));
    println!("{report}");
    if out != "-" {
        let document = format!(
            "# Soak\n\nWritten by `make soak` (`airgui-bench --soak`); rerun it to replace this \
             file. The criterion is in `bench/src/soak.rs` and `docs/security.md`.\n\n\
             ## Machine\n\n{machine}\n## Result\n\n{report}"
        );
        std::fs::write(out, document).unwrap_or_else(|error| panic!("writing {out}: {error}"));
        eprintln!("written to {out}");
    }
    if !flat {
        std::process::exit(1);
    }
}

fn render(table: &[Row]) -> String {
    let mut text = String::from(
        "| # | what | measured | reference (same run) | target | notes |\n\
         |---|---|---|---|---|---|\n",
    );
    for row in table {
        text.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            row.id, row.what, row.measured, row.reference, row.target, row.notes
        ));
    }
    text
}

/// CPU model, cores, memory, kernel, rustc and date, as a markdown list.
/// /proc/loadavg's three averages: other work on the machine shows in the latencies.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(", ")
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name")?.split_once(':'))
        .map_or("unknown".into(), |(_, model)| model.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kb: u64 = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let run = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .map_or("unknown".into(), |text| text.trim().to_string())
    };
    format!(
        "- CPU: {model}\n- cores: {cores}\n- memory: {:.1} GiB\n- kernel: Linux {}\n- rustc: {}\n\
         - date: {}\n- load average before the run (1, 5, 15 min): {}\n",
        memory_kb as f64 / (1024.0 * 1024.0),
        kernel.trim(),
        run("rustc", &["--version"]),
        run("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        load_average(),
    )
}
