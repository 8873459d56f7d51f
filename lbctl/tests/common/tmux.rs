//! A program in a detached tmux session on a tmux server of its own: a
//! real pseudo-terminal a test can type into and read. Dropping the handle
//! kills that server and the program with it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn available() -> bool {
        Command::new("tmux").arg("-V").output().is_ok()
    }

    /// Starts `command` (a shell command line) in an 80x24 window.
    pub fn start(tag: &str, command: &str) -> Tmux {
        let t = Tmux {
            socket: format!("lbctl-{tag}-{}", std::process::id()),
        };
        let ok = t.run(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "80",
            "-y",
            "24",
            command,
        ]);
        assert!(ok.is_some(), "cannot start tmux with {command:?}");
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

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
            .unwrap_or_default()
    }

    /// Waits until the screen's last non-empty line ends with `prompt`.
    pub fn wait_prompt(&self, prompt: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.screen();
            if s.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.trim_end().ends_with(prompt.trim_end()))
            {
                return;
            }
            assert!(Instant::now() < deadline, "no {prompt:?} on:\n{s}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(Instant::now() < deadline, "no {text:?} on:\n{s}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `text` and Enter.
    pub fn line(&self, text: &str) {
        if !text.is_empty() {
            self.run(&["send-keys", "-t", "t", "-l", text]);
        }
        self.run(&["send-keys", "-t", "t", "Enter"]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
