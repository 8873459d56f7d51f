//! A line diff in unified format for `lbctl config diff`: the running
//! configuration against a file. Configurations are small, so a plain
//! longest-common-subsequence table over the lines that differ is enough.

/// One line of the edit script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same,
    Del,
    Add,
}

/// Beyond this many table cells the middle part is shown as replaced
/// wholesale rather than minimised.
const MAX_CELLS: usize = 4_000_000;

fn script<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<(Op, &'a str)> {
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..]
        .iter()
        .rev()
        .zip(b[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    let mut out: Vec<(Op, &str)> = a[..pre].iter().map(|l| (Op::Same, *l)).collect();
    if am.len().saturating_mul(bm.len()) > MAX_CELLS {
        out.extend(am.iter().map(|l| (Op::Del, *l)));
        out.extend(bm.iter().map(|l| (Op::Add, *l)));
    } else {
        // lcs[i][j]: common length of am[i..] and bm[j..].
        let w = bm.len() + 1;
        let mut lcs = vec![0u32; (am.len() + 1) * w];
        for i in (0..am.len()).rev() {
            for j in (0..bm.len()).rev() {
                lcs[i * w + j] = if am[i] == bm[j] {
                    lcs[(i + 1) * w + j + 1] + 1
                } else {
                    lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < am.len() || j < bm.len() {
            if i < am.len() && j < bm.len() && am[i] == bm[j] {
                out.push((Op::Same, am[i]));
                i += 1;
                j += 1;
            } else if i < am.len() && (j == bm.len() || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])
            {
                // Deletions before additions, as diff -u prints them.
                out.push((Op::Del, am[i]));
                i += 1;
            } else {
                out.push((Op::Add, bm[j]));
                j += 1;
            }
        }
    }
    out.extend(a[a.len() - suf..].iter().map(|l| (Op::Same, *l)));
    out
}

/// `diff -u` style output with three lines of context; empty when the
/// texts have the same lines.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = script(&a, &b);
    if ops.iter().all(|(o, _)| *o == Op::Same) {
        return String::new();
    }
    const CTX: usize = 3;
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    // Positions (in `ops`) of changes, grouped into hunks.
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != Op::Same).collect();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(CTX);
        let mut end = changed[k];
        while k < changed.len() && changed[k] <= end + 2 * CTX + 1 {
            end = changed[k];
            k += 1;
        }
        let end = (end + CTX + 1).min(ops.len());
        // Line numbers where the hunk starts on each side.
        let (mut la, mut lb) = (1, 1);
        for (o, _) in &ops[..start] {
            match o {
                Op::Same => {
                    la += 1;
                    lb += 1
                }
                Op::Del => la += 1,
                Op::Add => lb += 1,
            }
        }
        let na = ops[start..end]
            .iter()
            .filter(|(o, _)| *o != Op::Add)
            .count();
        let nb = ops[start..end]
            .iter()
            .filter(|(o, _)| *o != Op::Del)
            .count();
        out += &format!("@@ -{la},{na} +{lb},{nb} @@\n");
        for (o, l) in &ops[start..end] {
            let c = match o {
                Op::Same => ' ',
                Op::Del => '-',
                Op::Add => '+',
            };
            out.push(c);
            out += l;
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn same_text_is_empty() {
        assert_eq!(unified("a\nb\n", "a\nb\n", "x", "y"), "");
    }

    #[test]
    fn changed_line_with_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\nten\n";
        let d = unified(old, new, "running", "new.cfg");
        assert_eq!(
            d,
            "--- running\n+++ new.cfg\n@@ -2,8 +2,9 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n 9\n+ten\n"
        );
    }

    #[test]
    fn far_apart_changes_make_two_hunks() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new: String = (1..=20)
            .map(|i| match i {
                2 => "two\n".to_string(),
                19 => "nineteen\n".to_string(),
                _ => format!("{i}\n"),
            })
            .collect();
        let d = unified(&old, &new, "a", "b");
        assert_eq!(d.matches("@@ ").count(), 2, "{d}");
        assert!(d.contains("-19\n+nineteen\n"), "{d}");
    }
}
