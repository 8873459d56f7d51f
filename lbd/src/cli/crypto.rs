//! What `lbd -vv` says about TLS acceleration: the crypto provider, the
//! CPU features its assembly uses, and whether an Intel QAT device is
//! present (read from sysfs, so it is shown, not claimed). Detection reads
//! from paths given by the caller so it is tested against a fake sysfs.

use std::path::Path;

/// The provider TLS runs on; kept equal to Cargo.lock by a unit test.
pub const RUSTLS_VERSION: &str = "0.23.46";
pub const AWS_LC_RS_VERSION: &str = "1.19.0";

/// PCI device ids of Intel QuickAssist endpoints (physical and virtual
/// functions): C62x, DH895xCC, C3xxx, 4xxx/401xx, 420xx and their VFs.
const QAT_IDS: &[u16] = &[
    0x0435, 0x0443, 0x37c8, 0x37c9, 0x19e2, 0x19e3, 0x18ee, 0x18ef, 0x18a0, 0x18a1, 0x4940, 0x4941,
    0x4942, 0x4943, 0x4944, 0x4945, 0x4946, 0x4947, 0x6f54, 0x6f55,
];
const INTEL: u16 = 0x8086;

/// The CPU features aws-lc's bulk ciphers and hashes use, in report order:
/// (name as `-vv` prints it, `/proc/cpuinfo` flag).
const CPU_FEATURES: &[(&str, &str)] = &[
    ("AES-NI", "aes"),
    ("VAES", "vaes"),
    ("AVX2", "avx2"),
    ("PCLMULQDQ", "pclmulqdq"),
    ("SHA", "sha_ni"),
];

/// Each CPU feature and whether the `flags` line of a cpuinfo text has it.
pub fn features_from_cpuinfo(cpuinfo: &str) -> Vec<(&'static str, bool)> {
    let flags: Vec<&str> = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags") || l.starts_with("Features"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.split_whitespace().collect())
        .unwrap_or_default();
    CPU_FEATURES
        .iter()
        .map(|(name, flag)| (*name, flags.contains(flag)))
        .collect()
}

/// This process's CPU features: the CPUID answer on x86-64 (what aws-lc
/// sees too), else the kernel's cpuinfo.
pub fn cpu_features() -> Vec<(&'static str, bool)> {
    #[cfg(target_arch = "x86_64")]
    {
        vec![
            ("AES-NI", std::arch::is_x86_feature_detected!("aes")),
            ("VAES", std::arch::is_x86_feature_detected!("vaes")),
            ("AVX2", std::arch::is_x86_feature_detected!("avx2")),
            (
                "PCLMULQDQ",
                std::arch::is_x86_feature_detected!("pclmulqdq"),
            ),
            ("SHA", std::arch::is_x86_feature_detected!("sha")),
        ]
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        features_from_cpuinfo(&std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default())
    }
}

/// The QAT devices under a sysfs `devices` directory (normally
/// `/sys/bus/pci/devices`): each as (PCI address, device id).
pub fn qat_devices(pci_devices: &Path) -> Vec<(String, u16)> {
    let Ok(dir) = std::fs::read_dir(pci_devices) else {
        return Vec::new();
    };
    let mut found: Vec<(String, u16)> = dir
        .flatten()
        .filter_map(|e| {
            let vendor = hex_id(&e.path().join("vendor"))?;
            let device = hex_id(&e.path().join("device"))?;
            (vendor == INTEL && QAT_IDS.contains(&device))
                .then(|| (e.file_name().to_string_lossy().into_owned(), device))
        })
        .collect();
    found.sort();
    found
}

/// A sysfs id file's `0x8086`-style contents.
fn hex_id(p: &Path) -> Option<u16> {
    let s = std::fs::read_to_string(p).ok()?;
    u16::from_str_radix(s.trim().trim_start_matches("0x"), 16).ok()
}

/// The `-vv` lines after the HAProxy-compatible ones.
pub fn report(pci_devices: &Path) -> Vec<String> {
    let feats: Vec<String> = cpu_features()
        .iter()
        .map(|(n, on)| format!("{}{n}", if *on { '+' } else { '-' }))
        .collect();
    let mut out = vec![
        format!("TLS provider : rustls {RUSTLS_VERSION} with aws-lc-rs {AWS_LC_RS_VERSION}"),
        format!("CPU crypto features : {}", feats.join(" ")),
    ];
    // aws-lc honours OpenSSL's capability mask, used to measure without AES-NI.
    if let Ok(mask) = std::env::var("OPENSSL_ia32cap") {
        out.push(format!("CPU features masked by OPENSSL_ia32cap={mask}"));
    }
    let qat = qat_devices(pci_devices);
    if qat.is_empty() {
        out.push("Intel QAT : none found".to_string());
    } else {
        let list: Vec<String> = qat
            .iter()
            .map(|(addr, id)| format!("{addr} (8086:{id:04x})"))
            .collect();
        out.push(format!(
            "Intel QAT : {} device(s): {} (not used by the TLS provider)",
            qat.len(),
            list.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn fake_device(root: &Path, addr: &str, vendor: &str, device: &str) {
        let d = root.join(addr);
        ok(std::fs::create_dir_all(&d));
        ok(std::fs::write(d.join("vendor"), format!("{vendor}\n")));
        ok(std::fs::write(d.join("device"), format!("{device}\n")));
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("lbd-qat-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        ok(std::fs::create_dir_all(&d));
        d
    }

    #[test]
    fn qat_found_among_other_pci_devices() {
        let root = scratch("some");
        fake_device(&root, "0000:00:02.0", "0x8086", "0x3e92"); // Intel GPU
        fake_device(&root, "0000:3d:00.0", "0x8086", "0x37c8"); // C62x QAT
        fake_device(&root, "0000:6b:00.0", "0x8086", "0x4940"); // 4xxx QAT
        fake_device(&root, "0000:05:00.0", "0x10de", "0x37c8"); // not Intel
        ok(std::fs::create_dir_all(root.join("0000:07:00.0"))); // no ids
        assert_eq!(
            qat_devices(&root),
            vec![
                ("0000:3d:00.0".to_string(), 0x37c8),
                ("0000:6b:00.0".to_string(), 0x4940)
            ]
        );
        let lines = report(&root);
        assert!(lines
            .iter()
            .any(|l| l.starts_with("Intel QAT : 2 device(s): 0000:3d:00.0 (8086:37c8)")));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn no_qat_when_absent_or_no_sysfs() {
        let root = scratch("none");
        fake_device(&root, "0000:00:1f.0", "0x8086", "0xa304");
        assert!(qat_devices(&root).is_empty());
        assert!(qat_devices(&root.join("missing")).is_empty());
        assert!(report(&root.join("missing")).contains(&"Intel QAT : none found".to_string()));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn cpuinfo_flags_are_read() {
        let info = "processor\t: 0\nflags\t\t: fpu sse2 aes pclmulqdq avx2 sha_ni\n";
        assert_eq!(
            features_from_cpuinfo(info),
            vec![
                ("AES-NI", true),
                ("VAES", false),
                ("AVX2", true),
                ("PCLMULQDQ", true),
                ("SHA", true)
            ]
        );
        assert!(features_from_cpuinfo("").iter().all(|(_, on)| !on));
    }

    #[test]
    fn provider_versions_match_the_lockfile() {
        let lock = ok(std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock"),
        ));
        for (name, v) in [("rustls", RUSTLS_VERSION), ("aws-lc-rs", AWS_LC_RS_VERSION)] {
            let entry = format!("name = \"{name}\"\nversion = \"{v}\"");
            assert!(lock.contains(&entry), "{name} is not {v} in Cargo.lock");
        }
    }
}
