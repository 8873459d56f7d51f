//! Sets of CPUs in the kernel's two spellings: lists (`0-3,8`, as in
//! `smp_affinity_list` and `cpu/online`) and comma-grouped hex masks (`00000000,0000000f`,
//! as in `rps_cpus` / `xps_cpus`).

use std::collections::BTreeSet;
use std::fmt;

/// Upper bound on CPU numbers we accept; keeps a typo like `0-99999999` from allocating.
const MAX_CPUS: u32 = 8192;

#[derive(Debug, Clone, PartialEq, Eq, Default, Hash, PartialOrd, Ord)]
pub struct CpuSet(BTreeSet<u32>);

impl CpuSet {
    pub fn new() -> Self {
        CpuSet::default()
    }

    pub fn from_cpus(cpus: impl IntoIterator<Item = u32>) -> Self {
        CpuSet(cpus.into_iter().collect())
    }

    pub fn insert(&mut self, cpu: u32) {
        self.0.insert(cpu);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().copied()
    }

    pub fn highest(&self) -> Option<u32> {
        self.0.iter().next_back().copied()
    }

    /// Parses a CPU list such as `0-3,8,10-11` (whitespace around it is ignored).
    pub fn parse_list(s: &str) -> Result<CpuSet, String> {
        let mut set = CpuSet::new();
        let s = s.trim();
        if s.is_empty() {
            return Ok(set);
        }
        for part in s.split(',') {
            let part = part.trim();
            let (a, b) = match part.split_once('-') {
                Some((a, b)) => (a, b),
                None => (part, part),
            };
            let num = |x: &str| {
                x.trim()
                    .parse::<u32>()
                    .map_err(|_| format!("bad CPU number {x:?} in list {s:?}"))
            };
            let (a, b) = (num(a)?, num(b)?);
            if a > b || b >= MAX_CPUS {
                return Err(format!("bad CPU range {part:?}"));
            }
            set.0.extend(a..=b);
        }
        Ok(set)
    }

    /// Parses a hex mask, with or without the kernel's comma grouping and `0x`.
    pub fn parse_mask(s: &str) -> Result<CpuSet, String> {
        let s = s.trim();
        let hex: String = s
            .trim_start_matches("0x")
            .chars()
            .filter(|c| *c != ',')
            .collect();
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("bad CPU mask {s:?}"));
        }
        let mut set = CpuSet::new();
        for (i, c) in hex.chars().rev().enumerate() {
            let nibble = c.to_digit(16).unwrap_or(0);
            for bit in 0..4 {
                if nibble & (1 << bit) != 0 {
                    let cpu = (i * 4 + bit) as u32;
                    if cpu >= MAX_CPUS {
                        return Err(format!("CPU mask {s:?} is wider than {MAX_CPUS} CPUs"));
                    }
                    set.insert(cpu);
                }
            }
        }
        Ok(set)
    }

    /// The list spelling, ranges collapsed (`0-3,8`).
    pub fn to_list(&self) -> String {
        let mut out = Vec::new();
        let mut it = self.0.iter().copied().peekable();
        while let Some(a) = it.next() {
            let mut b = a;
            while it.peek() == Some(&(b + 1)) {
                b += 1;
                it.next();
            }
            out.push(if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            });
        }
        out.join(",")
    }

    /// The mask spelling the kernel prints for `ncpus` possible CPUs: 32-bit groups of 8
    /// hex digits, most significant first, separated by commas.
    pub fn to_mask(&self, ncpus: u32) -> String {
        let width = ncpus.max(self.highest().map_or(0, |m| m + 1)).max(1);
        let groups = width.div_ceil(32) as usize;
        let mut words = vec![0u32; groups];
        for c in self.iter() {
            words[(c / 32) as usize] |= 1 << (c % 32);
        }
        let mut parts: Vec<String> = words.iter().rev().map(|w| format!("{w:08x}")).collect();
        // The kernel prints only as many digits as the CPU count needs in the top group.
        let top_digits = (((width - 1) % 32) / 4 + 1) as usize;
        if let Some(first) = parts.first_mut() {
            *first = first[8 - top_digits..].to_string();
        }
        parts.join(",")
    }
}

impl fmt::Display for CpuSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_list())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip() {
        let s = CpuSet::parse_list("0-3,8,10-11\n").unwrap();
        assert_eq!(s.to_list(), "0-3,8,10-11");
        assert!(CpuSet::parse_list("3-1").is_err());
        assert!(CpuSet::parse_list("x").is_err());
        assert!(CpuSet::parse_list("").unwrap().is_empty());
    }

    #[test]
    fn masks_match_kernel_spelling() {
        assert_eq!(CpuSet::from_cpus([1]).to_mask(2), "2");
        assert_eq!(CpuSet::from_cpus([0, 3]).to_mask(4), "9");
        assert_eq!(CpuSet::from_cpus([15]).to_mask(16), "8000");
        assert_eq!(CpuSet::from_cpus([1]).to_mask(64), "00000000,00000002");
        assert_eq!(CpuSet::from_cpus([63]).to_mask(64), "80000000,00000000");
        assert_eq!(CpuSet::new().to_mask(8), "00");
        assert_eq!(
            CpuSet::parse_mask("00000000,00000002").unwrap(),
            CpuSet::from_cpus([1])
        );
        assert_eq!(CpuSet::parse_mask("0xff").unwrap().len(), 8);
        assert!(CpuSet::parse_mask("zz").is_err());
    }
}
