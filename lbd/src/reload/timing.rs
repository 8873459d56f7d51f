//! Where a reload spends its time. With `LBD_RELOAD_TIMING=1` in the
//! environment, every reload prints one line to stderr naming its phases
//! and their durations, so that a slow reload of a big configuration can
//! be explained without a profiler. Without the variable the laps are still
//! taken (a clock read each, a few per reload) but nothing is printed.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Whether `LBD_RELOAD_TIMING` asks for the phase line (read once).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var_os("LBD_RELOAD_TIMING").is_some_and(|v| !v.is_empty() && v != "0")
    })
}

/// The phases of one reload, in the order they ran.
#[derive(Debug, Clone)]
pub struct Laps {
    started: Instant,
    /// The process's CPU time at the start (ms), so that the line can say
    /// what the reload cost besides how long it took.
    cpu_started: f64,
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Default for Laps {
    fn default() -> Self {
        Laps::start()
    }
}

impl Laps {
    pub fn start() -> Laps {
        let now = Instant::now();
        Laps {
            started: now,
            cpu_started: process_cpu_ms(),
            last: now,
            laps: Vec::new(),
        }
    }

    /// Ends phase `name`: the time since the previous lap (or the start).
    pub fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        self.laps.push((name, now - self.last));
        self.last = now;
    }

    /// Records a phase measured elsewhere (inside the configuration loader
    /// or the runtime build), and restarts the lap clock.
    pub fn add(&mut self, name: &'static str, took: Duration) {
        self.laps.push((name, took));
        self.last = Instant::now();
    }

    /// The phases so far.
    pub fn laps(&self) -> &[(&'static str, Duration)] {
        &self.laps
    }

    /// `reload timing: read 0.3 ms, parse 20.1 ms, ..., total 41.0 ms (cpu
    /// 38.2 ms, process cpu 1234.5 ms)`: the CPU is the whole process's,
    /// serving threads included; the process's running total tells, between
    /// two reloads of an idle process, what a whole reload cost (freeing
    /// the retired generation included, which comes after this line).
    pub fn render(&self, what: &str) -> String {
        let mut s = format!("{what} timing:");
        for (name, d) in &self.laps {
            s.push_str(&format!(" {name} {:.1} ms,", ms(*d)));
        }
        let cpu = process_cpu_ms();
        s.push_str(&format!(
            " total {:.1} ms (cpu {:.1} ms, process cpu {cpu:.1} ms)",
            ms(self.started.elapsed()),
            cpu - self.cpu_started
        ));
        s
    }

    /// Prints [`render`](Self::render) on stderr when timing is enabled.
    pub fn report(&self, what: &str) {
        if enabled() {
            crate::server::say("[NOTICE]", &self.render(what));
        }
    }
}

/// Marks a step of process start-up (a `-W` reload is a worker starting):
/// with timing enabled, prints the wall and CPU milliseconds since `main`
/// began, so a worker's start can be split as a reload is.
pub fn startup_mark(step: &str) {
    static T0: OnceLock<Instant> = OnceLock::new();
    let t0 = *T0.get_or_init(Instant::now);
    if !enabled() {
        return;
    }
    let cpu = process_cpu_ms();
    crate::server::say(
        "[NOTICE]",
        &format!(
            "startup timing: {step} at {:.1} ms (cpu {cpu:.1} ms)",
            ms(t0.elapsed())
        ),
    );
}

/// User plus system CPU time of the whole process so far, in ms.
fn process_cpu_ms() -> f64 {
    let tv = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 * 1000.0 + t.tv_usec() as f64 / 1e3;
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .map(|u| tv(u.user_time()) + tv(u.system_time()))
        .unwrap_or(0.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laps_are_named_in_order_and_the_line_ends_with_the_total() {
        let mut l = Laps::start();
        l.lap("parse");
        l.add("build", Duration::from_millis(12));
        l.lap("swap");
        let names: Vec<_> = l.laps().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["parse", "build", "swap"]);
        let line = l.render("reload");
        assert!(line.starts_with("reload timing: parse "), "{line}");
        assert!(line.contains(" build 12.0 ms,"), "{line}");
        assert!(line.contains(", total "), "{line}");
    }
}
