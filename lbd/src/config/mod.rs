//! TEMPORARY STUB (replaced by the config branch).
pub mod model;
use std::path::PathBuf;
pub const LBD_VERSION_COMPAT: &str = "2.6.12";
pub const FEATURES: &[&str] = &["OPENSSL", "PROMEX"];
pub trait EnvSource {}
pub struct ProcessEnv;
impl EnvSource for ProcessEnv {}
pub struct Diagnostic;
impl Diagnostic {
    pub fn render(&self, _pid: u32) -> String {
        String::new()
    }
    pub fn is_warning(&self) -> bool {
        false
    }
}
pub struct LoadOutcome {
    pub config: Option<model::Config>,
    pub diags: Vec<Diagnostic>,
    pub files: Vec<String>,
}
pub struct CheckReport {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}
pub fn load(_p: &[PathBuf], _e: &dyn EnvSource) -> LoadOutcome {
    LoadOutcome {
        config: None,
        diags: vec![],
        files: vec![],
    }
}
pub fn run_check(_p: &[PathBuf], _q: bool, _z: bool, _pid: u32, _e: &dyn EnvSource) -> CheckReport {
    CheckReport {
        stdout: String::new(),
        stderr: String::new(),
        exit_code: 1,
    }
}
