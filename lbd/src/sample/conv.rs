//! Converters (spec 5.5): functions applied to a sample after its fetch.

use super::{ParseEnv, Sample, SampleCtx, SampleType};

/// A compiled converter.
#[derive(Debug, Clone)]
pub struct Conv {
    name: String,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Lower,
    Upper,
}

impl Conv {
    pub(crate) fn new(
        name: &str,
        _args: Option<Vec<String>>,
        _input: SampleType,
        _env: &ParseEnv<'_>,
    ) -> Result<Conv, String> {
        let kind = match name {
            "lower" => Kind::Lower,
            "upper" => Kind::Upper,
            _ => return Err(format!("unknown converter '{name}'")),
        };
        Ok(Conv {
            name: name.into(),
            kind,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn out_type(&self, _input: SampleType) -> SampleType {
        SampleType::Str
    }

    pub(crate) fn apply(&self, _cx: &mut dyn SampleCtx, s: Sample) -> Option<Sample> {
        let Sample::Str(mut v) = s.cast(SampleType::Str)? else {
            return None;
        };
        match self.kind {
            Kind::Lower => v.make_ascii_lowercase(),
            Kind::Upper => v.make_ascii_uppercase(),
        }
        Some(Sample::Str(v))
    }
}
