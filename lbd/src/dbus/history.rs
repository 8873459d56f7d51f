//! The configuration file and its saved versions on disk.
//!
//! Every version lbd puts in force through D-Bus is kept as `<id>.cfg` in
//! the history directory, with `<id>.comment` saying why; ids count up and
//! are never reused, and the highest is the text in force. Writes are
//! atomic (temporary file, fsync, rename, fsync of the directory), so a
//! power cut leaves either the old or the new file, never half of one.
//! The confirmation an Apply waits for is kept there too, as `pending`
//! (version, previous version, deadline in Unix milliseconds), so that a
//! restart neither forgets it nor lets it run forever.
//! This module does no reloading: it only reads and writes files.

use lbapi::dbus::Version;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// The configuration file and its history directory.
#[derive(Debug, Clone)]
pub struct Store {
    pub config: PathBuf,
    pub dir: PathBuf,
}

impl Store {
    /// `dir` defaults to `.lbd-history` next to the configuration file.
    pub fn new(config: PathBuf, dir: Option<PathBuf>) -> Store {
        let dir = dir.unwrap_or_else(|| {
            config
                .parent()
                .unwrap_or(Path::new("."))
                .join(".lbd-history")
        });
        Store { config, dir }
    }

    /// The configuration file's text now.
    pub fn current_text(&self) -> io::Result<String> {
        fs::read_to_string(&self.config)
    }

    /// Replaces the configuration file atomically.
    pub fn write_config(&self, text: &str) -> io::Result<()> {
        write_atomic(&self.config, text.as_bytes())
    }

    /// Saved version ids, ascending.
    fn ids(&self) -> io::Result<Vec<u32>> {
        let rd = match fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut ids: Vec<u32> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                name.strip_suffix(".cfg")?.parse().ok()
            })
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// The highest saved version; 0 when there is none.
    pub fn latest(&self) -> io::Result<u32> {
        Ok(self.ids()?.last().copied().unwrap_or(0))
    }

    /// Saves `text` as the next version and returns its id.
    pub fn save(&self, text: &str, comment: &str) -> io::Result<u32> {
        fs::create_dir_all(&self.dir)?;
        let id = self.latest()? + 1;
        write_atomic(&self.dir.join(format!("{id}.comment")), comment.as_bytes())?;
        // The .cfg last: a version exists once its text does.
        write_atomic(&self.dir.join(format!("{id}.cfg")), text.as_bytes())?;
        Ok(id)
    }

    /// A saved version's text; None when there is no such version.
    pub fn text(&self, id: u32) -> io::Result<Option<String>> {
        match fs::read_to_string(self.dir.join(format!("{id}.cfg"))) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every saved version, oldest first.
    pub fn list(&self) -> io::Result<Vec<Version>> {
        let mut out = Vec::new();
        for id in self.ids()? {
            let meta = fs::metadata(self.dir.join(format!("{id}.cfg")))?;
            let timestamp = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            let comment =
                fs::read_to_string(self.dir.join(format!("{id}.comment"))).unwrap_or_default();
            out.push(Version {
                id,
                timestamp,
                size: meta.len(),
                comment,
            });
        }
        Ok(out)
    }
}

/// A commit-confirmed Apply waiting for Confirm, as kept on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingRecord {
    /// The version applied.
    pub version: u32,
    /// The version that goes back into force at the deadline.
    pub previous: u32,
    /// Wall-clock time, Unix milliseconds: a monotonic clock does not
    /// survive a restart.
    pub deadline_ms: u64,
}

impl PendingRecord {
    fn render(&self) -> String {
        format!(
            "version {}\nprevious {}\ndeadline {}\n",
            self.version, self.previous, self.deadline_ms
        )
    }

    fn parse(text: &str) -> Option<PendingRecord> {
        let mut version = None;
        let mut previous = None;
        let mut deadline_ms = None;
        for line in text.lines() {
            let (k, v) = line.split_once(' ')?;
            match k {
                "version" => version = v.parse().ok(),
                "previous" => previous = v.parse().ok(),
                "deadline" => deadline_ms = v.parse().ok(),
                _ => {}
            }
        }
        Some(PendingRecord {
            version: version?,
            previous: previous?,
            deadline_ms: deadline_ms?,
        })
    }

    /// Time left before the deadline, zero once it passed.
    pub fn remaining(&self, now: std::time::SystemTime) -> std::time::Duration {
        let now_ms = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        std::time::Duration::from_millis(self.deadline_ms.saturating_sub(now_ms))
    }
}

impl Store {
    fn pending_path(&self) -> PathBuf {
        self.dir.join("pending")
    }

    /// Records the confirmation an Apply now waits for.
    pub fn save_pending(&self, p: &PendingRecord) -> io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        write_atomic(&self.pending_path(), p.render().as_bytes())
    }

    /// The confirmation waiting, if any. A record that does not parse (a
    /// hand-edited file) is an error, not silently dropped.
    pub fn load_pending(&self) -> io::Result<Option<PendingRecord>> {
        let text = match fs::read_to_string(self.pending_path()) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        PendingRecord::parse(&text).map(Some).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: not a pending confirmation",
                    self.pending_path().display()
                ),
            )
        })
    }

    /// Forgets the confirmation (confirmed, rolled back, or replaced).
    pub fn clear_pending(&self) -> io::Result<()> {
        match fs::remove_file(self.pending_path()) {
            Ok(()) => fs::File::open(&self.dir)?.sync_all(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Writes `path` through a temporary file in the same directory, so the
/// rename is atomic, and syncs the directory so the rename survives a crash.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
    let tmp = dir.join(format!(".{}.lbd-tmp", name.to_string_lossy()));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)?;
    fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempdir::Dir, Store) {
        let d = tempdir::Dir::new();
        let cfg = d.0.join("lbd.cfg");
        fs::write(&cfg, "old\n").unwrap();
        (d, Store::new(cfg, None))
    }

    /// A throwaway directory under the system temp dir.
    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                let p = std::env::temp_dir().join(format!(
                    "lbd-history-test-{}-{}",
                    std::process::id(),
                    fastrand::u64(..)
                ));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn versions_count_up_and_keep_text_and_comment() {
        let (_d, s) = store();
        assert_eq!(s.latest().unwrap(), 0);
        assert_eq!(s.save("a\n", "initial").unwrap(), 1);
        assert_eq!(s.save("bb\n", "applied").unwrap(), 2);
        let l = s.list().unwrap();
        assert_eq!(l.iter().map(|v| v.id).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(l[1].size, 3);
        assert_eq!(l[0].comment, "initial");
        assert_eq!(s.text(1).unwrap().as_deref(), Some("a\n"));
        assert_eq!(s.text(9).unwrap(), None);
    }

    #[test]
    fn default_history_dir_is_next_to_the_config() {
        let s = Store::new(PathBuf::from("/etc/lbd/lbd.cfg"), None);
        assert_eq!(s.dir, PathBuf::from("/etc/lbd/.lbd-history"));
    }

    #[test]
    fn a_pending_confirmation_survives_on_disk_until_cleared() {
        let (_d, s) = store();
        assert_eq!(s.load_pending().unwrap(), None);
        let p = PendingRecord {
            version: 3,
            previous: 2,
            deadline_ms: 1_000_000,
        };
        s.save_pending(&p).unwrap();
        assert_eq!(s.load_pending().unwrap(), Some(p));
        // Not a version: the history lists only the .cfg files.
        assert!(s.list().unwrap().is_empty());
        s.clear_pending().unwrap();
        assert_eq!(s.load_pending().unwrap(), None);
        s.clear_pending().unwrap();
    }

    #[test]
    fn remaining_time_counts_down_to_zero() {
        let p = PendingRecord {
            version: 2,
            previous: 1,
            deadline_ms: 10_000,
        };
        let at = |ms| UNIX_EPOCH + std::time::Duration::from_millis(ms);
        assert_eq!(p.remaining(at(4_000)), std::time::Duration::from_secs(6));
        assert_eq!(p.remaining(at(12_000)), std::time::Duration::ZERO);
    }

    #[test]
    fn a_damaged_pending_file_is_an_error() {
        let (_d, s) = store();
        fs::create_dir_all(&s.dir).unwrap();
        fs::write(s.dir.join("pending"), "version x\n").unwrap();
        assert!(s.load_pending().is_err());
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let (d, s) = store();
        s.write_config("new\n").unwrap();
        assert_eq!(s.current_text().unwrap(), "new\n");
        let names: Vec<_> = fs::read_dir(&d.0)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
