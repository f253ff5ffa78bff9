//! Profiles: named sets of sign-in settings (tenant, cloud, method, client id, certificate path)
//! kept in `config.toml` in the platform config directory (`PROVCTL_CONFIG_DIR` overrides it).
//! `--profile` or `PROVCTL_PROFILE` picks one, else the file's `current` one. A profile never holds
//! a secret: keys that look like one are refused.
//!
//! ```toml
//! current = "contoso"
//!
//! [profiles.contoso]
//! tenant = "contoso.onmicrosoft.com"
//! cloud = "global"
//! auth = "device-code"
//! client-id = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
//! ```

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::graph::Cloud;
use crate::graph::auth::{AuthMethod, EnvVars};

/// A selected profile, validated: the sign-in settings the auth layer takes. It is defined there, so
/// `graph::auth` never depends on this module; this module reads and writes it.
pub use crate::graph::auth::Profile;

/// The variable that moves the config directory.
pub const CONFIG_DIR_VAR: &str = "PROVCTL_CONFIG_DIR";
/// The variable that selects a profile.
pub const PROFILE_VAR: &str = "PROVCTL_PROFILE";
/// The config file's name.
pub const CONFIG_FILE: &str = "config.toml";

/// The keys a profile accepts, as `provctl config set` spells them.
pub const KEYS: [&str; 5] = ["tenant", "cloud", "auth", "client-id", "certificate-path"];

/// Why the configuration could not be read, changed or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read or written.
    #[error("{}: {message}", path.display())]
    Io {
        /// The config file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("{}: {message}; fix or delete the file", path.display())]
    Parse {
        /// The config file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A key or value was refused.
    #[error("{0}")]
    Invalid(String),
    /// The profile does not exist.
    #[error("no profile named '{name}'{}", if known.is_empty() { String::new() } else { format!(": known profiles are {}", known.join(", ")) })]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The profiles that exist.
        known: Vec<String>,
    },
    /// No config directory could be found.
    #[error("no configuration directory for this user: set {CONFIG_DIR_VAR}")]
    NoConfigDir,
}

/// A profile's settings, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ProfileValues {
    /// Tenant id or domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Cloud name (`global`, `usgov`, `usgov-dod`, `china`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    /// Sign-in method name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
    /// Application (client) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Certificate file for `--auth certificate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_path: Option<PathBuf>,
}

impl Profile {
    fn from_values(name: &str, v: &ProfileValues) -> Result<Self, ConfigError> {
        let bad = |key: &str, e: String| {
            ConfigError::Invalid(format!("profile '{name}', key {key}: {e}"))
        };
        Ok(Profile {
            name: name.to_owned(),
            tenant: v.tenant.clone(),
            cloud: v
                .cloud
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|e| bad("cloud", e))?,
            auth: v
                .auth
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|e| bad("auth", e))?,
            client_id: v.client_id.clone(),
            certificate_path: v.certificate_path.clone(),
        })
    }
}

/// The whole config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// The profile used when neither `--profile` nor `PROVCTL_PROFILE` names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    /// Profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileValues>,
}

/// The config file: `$PROVCTL_CONFIG_DIR/config.toml`, else the platform's
/// (`~/.config/provctl/config.toml` on Linux).
pub fn config_path(env: &EnvVars) -> Result<PathBuf, ConfigError> {
    if let Some(d) = env.get(CONFIG_DIR_VAR) {
        return Ok(PathBuf::from(d).join(CONFIG_FILE));
    }
    directories::ProjectDirs::from("", "", "provctl")
        .map(|p| p.config_dir().join(CONFIG_FILE))
        .ok_or(ConfigError::NoConfigDir)
}

fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "secret",
        "password",
        "passwd",
        "token",
        "credential",
        "private",
        "pfx-pass",
    ]
    .iter()
    .any(|w| k.contains(w))
}

impl Config {
    /// Reads `path`; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(ConfigError::Io {
                    path: path.to_owned(),
                    message: format!("cannot read: {e}"),
                });
            }
        };
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.message().to_owned(),
        })
    }

    /// Writes the config to `path` (temp file + rename).
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let io = |e: std::io::Error| ConfigError::Io {
            path: path.to_owned(),
            message: format!("cannot write: {e}"),
        };
        let text = toml::to_string_pretty(self).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let dir = path.parent().ok_or_else(|| ConfigError::Io {
            path: path.to_owned(),
            message: "has no parent directory".into(),
        })?;
        std::fs::create_dir_all(dir).map_err(io)?;
        let tmp = dir.join(format!(
            ".{CONFIG_FILE}.{}.tmp",
            uuid::Uuid::new_v4().simple()
        ));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(io(e));
        }
        Ok(())
    }

    /// Sets `key` of `profile` (creating the profile). Values are checked: `cloud` and `auth` must
    /// be known names, `client-id` a GUID; secrets are refused.
    pub fn set(&mut self, profile: &str, key: &str, value: &str) -> Result<(), ConfigError> {
        if looks_secret(key) {
            return Err(ConfigError::Invalid(format!(
                "'{key}' looks like a secret, and profiles never hold secrets (the file is not \
                 protected). Pass secrets through the environment (AZURE_CLIENT_SECRET, \
                 AZURE_CLIENT_CERTIFICATE_PASSWORD) or use `provctl login`, whose tokens are kept \
                 in the protected token cache"
            )));
        }
        validate_profile_name(profile)?;
        let key = normalise_key(key)?;
        let v = self.profiles.entry(profile.to_owned()).or_default();
        let value = value.trim();
        let slot_value = (!value.is_empty()).then(|| value.to_owned());
        match key {
            "tenant" => v.tenant = slot_value,
            "cloud" => {
                if let Some(c) = &slot_value {
                    c.parse::<Cloud>().map_err(ConfigError::Invalid)?;
                }
                v.cloud = slot_value;
            }
            "auth" => {
                if let Some(a) = &slot_value {
                    let m = a.parse::<AuthMethod>().map_err(ConfigError::Invalid)?;
                    v.auth = Some(m.name().to_owned());
                } else {
                    v.auth = None;
                }
            }
            // An app registration's client id is a GUID; anything else fails every sign-in later,
            // far from the typo.
            "client-id" => {
                v.client_id = match &slot_value {
                    Some(id) => Some(
                        crate::graph::odata::guid(id, "client-id")
                            .map_err(|e| ConfigError::Invalid(e.to_string()))?,
                    ),
                    None => None,
                }
            }
            _ => v.certificate_path = slot_value.map(PathBuf::from),
        }
        Ok(())
    }

    /// The value of `key` in `profile`, `None` when unset.
    pub fn get(&self, profile: &str, key: &str) -> Result<Option<String>, ConfigError> {
        let key = normalise_key(key)?;
        let v = self
            .profiles
            .get(profile)
            .ok_or_else(|| self.unknown(profile))?;
        Ok(match key {
            "tenant" => v.tenant.clone(),
            "cloud" => v.cloud.clone(),
            "auth" => v.auth.clone(),
            "client-id" => v.client_id.clone(),
            _ => v.certificate_path.as_ref().map(|p| p.display().to_string()),
        })
    }

    /// Makes `profile` the current one (it must exist).
    pub fn use_profile(&mut self, profile: &str) -> Result<(), ConfigError> {
        if !self.profiles.contains_key(profile) {
            return Err(self.unknown(profile));
        }
        self.current = Some(profile.to_owned());
        Ok(())
    }

    /// The profile named by `--profile`, else `PROVCTL_PROFILE`, else `current`; `None` when none
    /// is named and no current one is set. A named profile that does not exist is an error.
    pub fn select(
        &self,
        flag: Option<&str>,
        env: &EnvVars,
    ) -> Result<Option<Profile>, ConfigError> {
        let name = flag
            .map(str::to_owned)
            .or_else(|| env.get(PROFILE_VAR).map(str::to_owned))
            .or_else(|| self.current.clone());
        let Some(name) = name else {
            return Ok(None);
        };
        match self.profiles.get(&name) {
            Some(v) => Profile::from_values(&name, v).map(Some),
            None => Err(self.unknown(&name)),
        }
    }

    fn unknown(&self, name: &str) -> ConfigError {
        ConfigError::UnknownProfile {
            name: name.to_owned(),
            known: self.profiles.keys().cloned().collect(),
        }
    }
}

fn normalise_key(key: &str) -> Result<&'static str, ConfigError> {
    let k = key.trim().to_ascii_lowercase().replace('_', "-");
    let k = match k.as_str() {
        "tenant-id" => "tenant",
        "auth-method" | "method" => "auth",
        "certificate" | "cert" => "certificate-path",
        other => other,
    };
    KEYS.into_iter().find(|known| *known == k).ok_or_else(|| {
        ConfigError::Invalid(format!(
            "unknown key '{key}': expected one of {}",
            KEYS.join(", ")
        ))
    })
}

fn validate_profile_name(name: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid(format!(
            "profile name '{name}' may use only letters, digits, '-', '_' and '.'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_list_and_use_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let env = EnvVars::from_pairs([(CONFIG_DIR_VAR, dir.path().to_str().unwrap())]);
        let path = config_path(&env).unwrap();
        let mut c = Config::load(&path).unwrap();
        c.set("contoso", "tenant", "contoso.onmicrosoft.com")
            .unwrap();
        c.set("contoso", "auth", "MSI").unwrap();
        c.set("contoso", "cloud", "usgov").unwrap();
        c.set(
            "fabrikam",
            "client_id",
            "{14D82EEC-204B-4C2F-B7E8-296A70DAB67E}",
        )
        .unwrap();
        let typo = c
            .set("fabrikam", "client-id", "14d82eec-204b-4c2f-b7e8")
            .unwrap_err();
        assert!(
            typo.to_string()
                .contains("client-id '14d82eec-204b-4c2f-b7e8' is not a GUID"),
            "{typo}"
        );
        c.use_profile("contoso").unwrap();
        c.save(&path).unwrap();

        let c = Config::load(&path).unwrap();
        assert_eq!(
            c.get("contoso", "auth").unwrap().as_deref(),
            Some("managed-identity")
        );
        assert_eq!(
            c.get("fabrikam", "client-id").unwrap().as_deref(),
            Some("14d82eec-204b-4c2f-b7e8-296a70dab67e")
        );
        assert_eq!(
            c.profiles.keys().collect::<Vec<_>>(),
            ["contoso", "fabrikam"]
        );
        let p = c.select(None, &EnvVars::default()).unwrap().unwrap();
        assert_eq!(p.name, "contoso");
        assert_eq!(p.cloud, Some(Cloud::UsGov));
        assert_eq!(p.auth, Some(AuthMethod::ManagedIdentity));
        let env = EnvVars::from_pairs([(PROFILE_VAR, "fabrikam")]);
        assert_eq!(c.select(None, &env).unwrap().unwrap().name, "fabrikam");
        assert_eq!(
            c.select(Some("contoso"), &env).unwrap().unwrap().name,
            "contoso"
        );
        let err = c.select(Some("nope"), &env).unwrap_err().to_string();
        assert!(
            err.contains("'nope'") && err.contains("contoso, fabrikam"),
            "{err}"
        );
    }

    #[test]
    fn secrets_and_unknown_keys_are_refused() {
        let mut c = Config::default();
        for key in [
            "client-secret",
            "password",
            "access_token",
            "certificate-password",
        ] {
            let err = c.set("p", key, "hunter2").unwrap_err().to_string();
            assert!(err.contains("never hold secrets"), "{key}: {err}");
        }
        let err = c.set("p", "colour", "blue").unwrap_err().to_string();
        assert!(err.contains("expected one of tenant, cloud, auth"), "{err}");
        let err = c.set("p", "cloud", "mars").unwrap_err().to_string();
        assert!(err.contains("unknown cloud"), "{err}");
        assert!(c.profiles.is_empty() || c.profiles["p"] == ProfileValues::default());
        assert!(c.use_profile("ghost").is_err());
    }
}
