//! Options of a load: `--clusters` and the environment (as for `mm2.properties`), the
//! mounted Kubernetes Secrets directory and the path mounts for config provider references.

use std::path::PathBuf;

use crate::providers::Env;
use crate::providers::secrets::SecretsDir;

/// Options of a load.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `--clusters`: keep only flows whose *target* is listed (MM2 dedicated mode's
    /// "produce locally, consume remotely"). `None` keeps all flows.
    pub clusters: Option<Vec<String>>,
    /// Where `${env:...}` references are looked up.
    pub env: Env,
}

/// Options of `load_config_files`: one load of one or several input files.
#[derive(Clone, Debug, Default)]
pub struct LoadConfigOptions {
    /// `--clusters` and where `${env:...}` is looked up (as for `mm2.properties`).
    pub load: LoadOptions,
    /// Directory of mounted Kubernetes Secrets (`DIR/<secretName>/<key>`) for custom
    /// resources. `None`: `$STRAIT_SECRETS_DIR`, else `/etc/strait/secrets`.
    pub secrets_dir: Option<PathBuf>,
    /// Path prefixes rewritten in `${file:PATH:key}` / `${directory:PATH:file}`
    /// references before they are resolved, `(as written, on this machine)`: e.g. a
    /// container's `/opt/kafka/custom-config` mounted from `./connect`.
    pub mounts: Vec<(PathBuf, PathBuf)>,
}

impl LoadConfigOptions {
    /// The secrets directory in effect.
    pub fn secrets(&self) -> SecretsDir {
        SecretsDir::resolve(self.secrets_dir.as_deref())
    }
}
