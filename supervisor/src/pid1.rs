//! PID 1 duties on the box: the early mounts, the `/config` filesystem
//! (created only on a blank partition), kernel modules, and the final
//! reboot or power-off. Every step logs and carries on on error: a PID 1
//! that exits panics the kernel.

use std::io::Read;
use std::path::Path;
use std::process::Command;

use nix::mount::{mount, MsFlags};

/// Bytes read from the start of a device to decide that it is blank.
const BLANK_PROBE_BYTES: usize = 128 * 1024;

fn say(msg: &str) {
    eprintln!("supervisor: {msg}");
}

/// Mounts /proc, /sys, /dev, /run and /tmp; a failure is logged, not fatal.
pub fn early_mounts() {
    let nodev = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    let table: [(&str, &str, &str, MsFlags, Option<&str>); 5] = [
        ("proc", "/proc", "proc", nodev, None),
        ("sysfs", "/sys", "sysfs", nodev, None),
        (
            "devtmpfs",
            "/dev",
            "devtmpfs",
            MsFlags::MS_NOSUID,
            Some("mode=0755"),
        ),
        (
            "tmpfs",
            "/run",
            "tmpfs",
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
            Some("mode=0755"),
        ),
        (
            "tmpfs",
            "/tmp",
            "tmpfs",
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
            Some("mode=1777"),
        ),
    ];
    for (src, target, fstype, flags, data) in table {
        let _ = std::fs::create_dir_all(target);
        if let Err(e) = mount(Some(src), target, Some(fstype), flags, data) {
            // EBUSY: already mounted (by an initramfs script, say).
            if e != nix::errno::Errno::EBUSY {
                say(&format!("cannot mount {target}: {e}"));
            }
        }
    }
}

/// True when the first blocks of `device` are all zero: no filesystem, no
/// partition table, nothing that a mkfs would destroy.
pub fn is_blank(device: &Path) -> std::io::Result<bool> {
    let mut f = std::fs::File::open(device)?;
    let mut buf = vec![0u8; BLANK_PROBE_BYTES];
    let mut filled = 0;
    while filled < buf.len() {
        let n = f.read(&mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(buf[..filled].iter().all(|&b| b == 0))
}

/// Mounts the config partition at `target`, creating an ext4 filesystem
/// first only if the device is blank.
pub fn mount_config(device: &Path, target: &Path) {
    match is_blank(device) {
        Ok(true) => {
            say(&format!(
                "{} is blank: creating its filesystem",
                device.display()
            ));
            match Command::new("mkfs.ext4")
                .args(["-q", "-L", "config"])
                .arg(device)
                .status()
            {
                Ok(s) if s.success() => {}
                Ok(s) => return say(&format!("mkfs.ext4 failed ({s}); /config not mounted")),
                Err(e) => return say(&format!("cannot run mkfs.ext4: {e}")),
            }
        }
        Ok(false) => {}
        Err(e) => return say(&format!("cannot read {}: {e}", device.display())),
    }
    let _ = std::fs::create_dir_all(target);
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    if let Err(e) = mount(Some(device), target, Some("ext4"), flags, None::<&str>) {
        say(&format!(
            "cannot mount {} on {}: {e}",
            device.display(),
            target.display()
        ));
    }
}

/// The kernel modules a hardware profile asks for: its top-level
/// `modules = [...]` list (the rest of the profile belongs to netcfg).
pub fn profile_modules(profile: &str) -> Result<Vec<String>, String> {
    #[derive(serde::Deserialize)]
    struct Profile {
        #[serde(default)]
        modules: Vec<String>,
    }
    toml::from_str::<Profile>(profile)
        .map(|p| p.modules)
        .map_err(|e| e.to_string())
}

/// Loads each module with `modprobe`, in order; failures are logged.
pub fn load_modules(modules: &[String]) {
    for m in modules {
        match Command::new("modprobe").arg(m).status() {
            Ok(s) if s.success() => {}
            Ok(s) => say(&format!("modprobe {m}: {s}")),
            Err(e) => say(&format!("cannot run modprobe {m}: {e}")),
        }
    }
}

/// The network hook: runs the hardware profile's network setup (the netcfg
/// program, when the image has one) before any service starts.
pub fn apply_network(netcfg: Option<&Path>, profile: Option<&Path>) {
    let Some(prog) = netcfg else { return };
    let mut cmd = Command::new(prog);
    cmd.arg("apply");
    if let Some(p) = profile {
        cmd.arg(p);
    }
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => say(&format!("{}: {s}", prog.display())),
        Err(e) => say(&format!("cannot run {}: {e}", prog.display())),
    }
}

/// Syncs and reboots or powers off. Returns only if the kernel refused.
/// In a PID namespace other than the machine's, the kernel kills the
/// namespace's init instead (with SIGHUP for a reboot, SIGINT for a power
/// off): the tests run this path for real that way.
pub fn power(off: bool) -> nix::Error {
    nix::unistd::sync();
    let how = if off {
        nix::sys::reboot::RebootMode::RB_POWER_OFF
    } else {
        nix::sys::reboot::RebootMode::RB_AUTOBOOT
    };
    match nix::sys::reboot::reboot(how) {
        Err(e) => e,
        Ok(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_means_all_zero_first_blocks() {
        let dir = std::env::temp_dir().join(format!("sv-blank-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let zero = dir.join("zero.img");
        std::fs::write(&zero, vec![0u8; 1 << 20]).unwrap();
        assert!(is_blank(&zero).unwrap());
        // An ext4 superblock magic (0xEF53 at byte 1080) makes it non-blank.
        let mut img = vec![0u8; 1 << 20];
        img[1080] = 0x53;
        img[1081] = 0xEF;
        let ext = dir.join("ext.img");
        std::fs::write(&ext, &img).unwrap();
        assert!(!is_blank(&ext).unwrap());
        assert!(is_blank(&dir.join("missing")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn modules_from_a_profile() {
        let p = "name = \"qemu-virtio\"\nmodules = [\"virtio_net\", \"virtio_blk\"]\n[nic]\nmgmt = \"eth0\"\n";
        assert_eq!(profile_modules(p).unwrap(), ["virtio_net", "virtio_blk"]);
        assert!(profile_modules("modules = 3").is_err());
    }
}
