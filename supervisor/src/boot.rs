//! The boot blessing hook: once the service marked `bless = true` is ready,
//! the supervisor tells the boot loader this boot is good. The A/B backends
//! (BLS boot counting, grubenv) belong to the image work; here are the trait,
//! a no-op for host mode and a file-based one for tests and simple images.

use std::path::PathBuf;

pub trait BootControl: Send {
    /// Marks the running boot good. Called at most once per supervisor run.
    fn bless(&mut self) -> std::io::Result<()>;
    /// A short name for logs.
    fn name(&self) -> &str;
}

/// Host mode: nothing to bless.
#[derive(Debug, Default)]
pub struct NoBootControl;

impl BootControl for NoBootControl {
    fn bless(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn name(&self) -> &str {
        "none"
    }
}

/// Writes `blessed` to a file (write-temp, fsync, rename), for tests and
/// images whose boot loader reads a flag file.
#[derive(Debug)]
pub struct FileBootControl {
    pub path: PathBuf,
}

impl BootControl for FileBootControl {
    fn bless(&mut self) -> std::io::Result<()> {
        use std::io::Write;
        let tmp = self.path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(b"blessed\n")?;
        f.sync_all()?;
        std::fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
    fn name(&self) -> &str {
        "file"
    }
}
