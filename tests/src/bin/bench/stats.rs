//! Order statistics over per-round samples. Medians, because a shared machine produces
//! outliers (another job's compile lands on one round) that would drag a mean.

use serde::Serialize;

/// The q-quantile (0..=1) by linear interpolation; NaN for no samples.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

pub fn median(values: &[f64]) -> f64 {
    quantile(values, 0.5)
}

/// The median of per-round ratios with its interquartile range: the spread says how far
/// to trust the median (an A/A run shows the noise floor this way).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RatioSummary {
    pub median: f64,
    pub p25: f64,
    pub p75: f64,
}

pub fn ratio_summary(numer: &[f64], denom: &[f64]) -> RatioSummary {
    let ratios: Vec<f64> = numer.iter().zip(denom).map(|(a, b)| a / b).collect();
    RatioSummary {
        median: median(&ratios),
        p25: quantile(&ratios, 0.25),
        p75: quantile(&ratios, 0.75),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_ignores_one_outlier() {
        assert_eq!(median(&[1.0, 1.1, 0.9, 50.0, 1.0]), 1.0);
        assert_eq!(median(&[1.0, 3.0]), 2.0);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn ratios_are_taken_per_round() {
        let r = ratio_summary(&[2.0, 4.0, 6.0], &[1.0, 4.0, 2.0]);
        assert_eq!(r.median, 2.0);
        assert_eq!(r.p25, 1.5);
        assert_eq!(r.p75, 2.5);
    }
}
