//! Per-service rings of output lines for `lbctl logs`: bounded, numbered so
//! a follower can ask for what came after the last line it saw.

use std::collections::VecDeque;

use lbapi::dbus::LogLine;

#[derive(Debug)]
pub struct LogRing {
    lines: VecDeque<LogLine>,
    cap: usize,
    next_seq: u64,
}

impl LogRing {
    pub fn new(cap: usize) -> LogRing {
        LogRing {
            lines: VecDeque::new(),
            cap: cap.max(1),
            next_seq: 1,
        }
    }

    pub fn push(&mut self, stream: &str, line: String) {
        if self.lines.len() == self.cap {
            self.lines.pop_front();
        }
        self.lines.push_back(LogLine {
            seq: self.next_seq,
            stream: stream.to_string(),
            line,
        });
        self.next_seq += 1;
    }

    pub fn tail(&self, n: usize) -> Vec<LogLine> {
        let skip = self.lines.len().saturating_sub(n);
        self.lines.iter().skip(skip).cloned().collect()
    }

    pub fn since(&self, after: u64) -> Vec<LogLine> {
        self.lines
            .iter()
            .filter(|l| l.seq > after)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_lines_numbered() {
        let mut r = LogRing::new(3);
        for i in 1..=5 {
            r.push("out", format!("line {i}"));
        }
        let t: Vec<String> = r.tail(10).into_iter().map(|l| l.line).collect();
        assert_eq!(t, ["line 3", "line 4", "line 5"]);
        assert_eq!(r.tail(1)[0].seq, 5);
        let s: Vec<u64> = r.since(3).into_iter().map(|l| l.seq).collect();
        assert_eq!(s, [4, 5]);
        assert!(r.since(5).is_empty());
    }
}
