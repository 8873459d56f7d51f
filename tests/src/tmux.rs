//! A terminal program run in a detached tmux session of fixed size, on a
//! tmux server of its own, so a test can type keys and read the screen.
//! Dropping the handle kills that tmux server and the program with it.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Tmux {
    /// The `-L` socket name: private to this handle.
    socket: String,
}

impl Tmux {
    /// Whether tmux is installed (tests skip with a message when not).
    pub fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Starts `command` (a shell command line) in a `cols`x`rows` window.
    pub fn start(command: &str, cols: u16, rows: u16) -> Tmux {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let t = Tmux {
            socket: format!("rampart-e2e-{}-{n}", std::process::id()),
        };
        let (cols, rows) = (cols.to_string(), rows.to_string());
        let ok = t.run(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &cols,
            "-y",
            &rows,
            command,
        ]);
        assert!(ok.is_some(), "cannot start tmux with {command:?}");
        // Keep the pane after the program exits, so its last screen (an
        // error message, a traceback) can still be read.
        let _ = t.run(&["set-option", "-t", "t", "remain-on-exit", "on"]);
        t
    }

    fn run(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The visible screen, one line per row.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
            .unwrap_or_default()
    }

    /// Types keys, in tmux's key names (`Down`, `F10`, `Enter`, `q`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).is_some(), "tmux send-keys {keys:?} failed");
    }

    /// Types `text` literally.
    pub fn type_text(&self, text: &str) {
        assert!(
            self.run(&["send-keys", "-t", "t", "-l", text]).is_some(),
            "tmux send-keys -l {text:?} failed"
        );
    }

    /// Types `text` and Enter: answers a prompt.
    pub fn line(&self, text: &str) {
        if !text.is_empty() {
            self.type_text(text);
        }
        self.keys(&["Enter"]);
    }

    /// Waits until the screen's last non-empty line ends with `prompt`: the
    /// program is waiting for an answer to it.
    pub fn wait_prompt(&self, within: Duration, prompt: &str) -> String {
        let want = prompt.trim_end();
        self.wait_screen(within, prompt, |s| {
            s.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.trim_end().ends_with(want))
        })
    }

    /// Waits until `text` is on the screen.
    pub fn wait_text(&self, within: Duration, text: &str) -> String {
        self.wait_screen(within, text, |s| s.contains(text))
    }

    /// Whether the program in the pane has exited.
    pub fn program_exited(&self) -> bool {
        self.run(&["display-message", "-p", "-t", "t", "#{pane_dead}"])
            .is_none_or(|s| s.trim() == "1")
    }

    /// Waits until `pred` holds for the screen and returns that screen, or
    /// None once `within` has passed.
    pub fn poll_screen(&self, within: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + within;
        loop {
            let s = self.screen();
            if pred(&s) {
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Like [`Tmux::poll_screen`], panicking with the last screen seen.
    pub fn wait_screen(&self, within: Duration, what: &str, pred: impl Fn(&str) -> bool) -> String {
        match self.poll_screen(within, pred) {
            Some(s) => s,
            None => panic!(
                "screen never showed {what} within {within:?}; last screen:\n{}",
                self.screen()
            ),
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
