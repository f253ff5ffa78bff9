//! Where device-code logins (access and refresh tokens) are kept between runs: the OS keyring when
//! built with the `keyring` feature and a keyring answers, otherwise a JSON file in the user's
//! cache directory that only its owner may read (0600, written atomically: temp file with its
//! permissions set before any content, then rename). A cache file others can read is refused.
//! `--no-cache` uses [`MemoryStore`], which keeps nothing on disk.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AuthError, AuthUi, EnvVars};
use crate::secret::Secret;

/// The variable that moves the cache directory (tests, portable setups).
pub const CACHE_DIR_VAR: &str = "PROVCTL_CACHE_DIR";

/// The cache file's name inside the cache directory.
pub const CACHE_FILE: &str = "tokens.json";

/// One user sign-in: the tokens and what they were issued for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedLogin {
    /// The profile this login belongs to.
    pub profile: String,
    /// The authority base URL (`https://login.microsoftonline.com/`).
    pub authority: String,
    /// The tenant asked for at sign-in (`organizations`, a GUID or a domain).
    pub tenant: String,
    /// The public client id.
    pub client_id: String,
    /// The latest access token.
    pub access_token: Secret,
    /// When the access token expires.
    pub expires_on: DateTime<Utc>,
    /// The refresh token (absent when the server gave none).
    pub refresh_token: Option<Secret>,
    /// The signed-in account's name, for `whoami` and `logout` messages.
    pub account: Option<String>,
    /// The delegated Graph permissions the access token was granted (`Synchronization.Read.All`),
    /// from the token answer's `scope`: a command that needs more renews the token for them rather
    /// than using this one. Empty for logins cached before provctl kept them.
    pub scopes: Vec<String>,
}

impl CachedLogin {
    /// True when the login's token was granted every one of `needed` (case-insensitive).
    pub fn covers(&self, needed: &[String]) -> bool {
        needed
            .iter()
            .all(|n| self.scopes.iter().any(|s| s.eq_ignore_ascii_case(n)))
    }

    /// The key this login is stored under.
    pub fn key(&self) -> CacheKey {
        CacheKey::new(
            &self.profile,
            &self.authority,
            &self.tenant,
            &self.client_id,
        )
    }
}

/// Identifies a login: profile, authority, tenant and client id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CacheKey(String);

impl CacheKey {
    /// The key of a login.
    pub fn new(profile: &str, authority: &str, tenant: &str, client_id: &str) -> Self {
        CacheKey(format!(
            "{profile}|{}|{}|{}",
            authority.trim_end_matches('/'),
            tenant.to_ascii_lowercase(),
            client_id.to_ascii_lowercase()
        ))
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Storage for logins.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The login stored under `key`, if any.
    fn load(&self, key: &CacheKey) -> Result<Option<CachedLogin>, AuthError>;
    /// Stores (or replaces) a login.
    fn save(&self, login: &CachedLogin) -> Result<(), AuthError>;
    /// Removes the logins of `profile` (only those of `tenant` when given); returns them.
    fn remove(&self, profile: &str, tenant: Option<&str>) -> Result<Vec<CachedLogin>, AuthError>;
    /// Where the logins are kept, in words (`/home/u/.cache/provctl/tokens.json`).
    fn describe(&self) -> String;
}

/// Keeps logins in memory only (`--no-cache`).
#[derive(Debug, Default)]
pub struct MemoryStore(Mutex<BTreeMap<CacheKey, CachedLogin>>);

impl TokenStore for MemoryStore {
    fn load(&self, key: &CacheKey) -> Result<Option<CachedLogin>, AuthError> {
        Ok(self.0.lock().ok().and_then(|m| m.get(key).cloned()))
    }

    fn save(&self, login: &CachedLogin) -> Result<(), AuthError> {
        if let Ok(mut m) = self.0.lock() {
            m.insert(login.key(), login.clone());
        }
        Ok(())
    }

    fn remove(&self, profile: &str, tenant: Option<&str>) -> Result<Vec<CachedLogin>, AuthError> {
        let Ok(mut m) = self.0.lock() else {
            return Ok(Vec::new());
        };
        let keys: Vec<CacheKey> = m
            .values()
            .filter(|l| matches_login(l, profile, tenant))
            .map(CachedLogin::key)
            .collect();
        Ok(keys.iter().filter_map(|k| m.remove(k)).collect())
    }

    fn describe(&self) -> String {
        "memory (nothing kept on disk)".to_owned()
    }
}

fn matches_login(l: &CachedLogin, profile: &str, tenant: Option<&str>) -> bool {
    l.profile == profile && tenant.is_none_or(|t| l.tenant.eq_ignore_ascii_case(t))
}

/// The on-disk shape. Tokens are plain strings here only: in memory they are [`Secret`]s.
#[derive(Serialize, Deserialize, Default)]
struct CacheFile {
    version: u32,
    logins: BTreeMap<String, StoredLogin>,
}

#[derive(Serialize, Deserialize)]
struct StoredLogin {
    profile: String,
    authority: String,
    tenant: String,
    client_id: String,
    access_token: String,
    expires_on: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    scopes: Vec<String>,
}

impl From<&CachedLogin> for StoredLogin {
    fn from(l: &CachedLogin) -> Self {
        StoredLogin {
            profile: l.profile.clone(),
            authority: l.authority.clone(),
            tenant: l.tenant.clone(),
            client_id: l.client_id.clone(),
            access_token: l.access_token.expose().to_owned(),
            expires_on: l.expires_on,
            refresh_token: l.refresh_token.as_ref().map(|s| s.expose().to_owned()),
            account: l.account.clone(),
            scopes: l.scopes.clone(),
        }
    }
}

impl From<StoredLogin> for CachedLogin {
    fn from(s: StoredLogin) -> Self {
        CachedLogin {
            profile: s.profile,
            authority: s.authority,
            tenant: s.tenant,
            client_id: s.client_id,
            access_token: Secret::new(s.access_token),
            expires_on: s.expires_on,
            refresh_token: s.refresh_token.map(Secret::new),
            account: s.account,
            scopes: s.scopes,
        }
    }
}

/// Keeps logins in one JSON file readable by its owner only.
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// A store in `dir` (created on first save, owner-only).
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        FileStore {
            path: dir.into().join(CACHE_FILE),
        }
    }

    /// A store in the file `path`.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        FileStore { path: path.into() }
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, message: impl Into<String>) -> AuthError {
        AuthError::Cache {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    fn read(&self) -> Result<CacheFile, AuthError> {
        let file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(CacheFile::default()),
            Err(e) => return Err(self.err(format!("cannot open: {e}"))),
        };
        check_owner_only(&file, &self.path)?;
        let file_content = std::io::read_to_string(file)
            .map(Secret::new)
            .map_err(|e| self.err(format!("cannot read: {e}")))?;
        serde_json::from_str(file_content.expose()).map_err(|e| {
            self.err(format!(
                "is not a provctl token cache ({e}); delete it and run `provctl login` again"
            ))
        })
    }

    fn write(&self, data: &CacheFile) -> Result<(), AuthError> {
        let dir = self
            .path
            .parent()
            .ok_or_else(|| self.err("has no parent directory"))?;
        create_private_dir(dir)
            .map_err(|e| self.err(format!("cannot create its directory: {e}")))?;
        let json =
            Secret::new(serde_json::to_string_pretty(data).map_err(|e| self.err(e.to_string()))?);
        let tmp = dir.join(format!(
            ".{CACHE_FILE}.{}.tmp",
            uuid::Uuid::new_v4().simple()
        ));
        let result = (|| -> std::io::Result<()> {
            let mut f = create_private_file(&tmp)?;
            f.write_all(json.expose().as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(self.err(format!("cannot write: {e}")));
        }
        Ok(())
    }
}

impl TokenStore for FileStore {
    fn load(&self, key: &CacheKey) -> Result<Option<CachedLogin>, AuthError> {
        let mut data = self.read()?;
        Ok(data.logins.remove(key.as_str()).map(CachedLogin::from))
    }

    fn save(&self, login: &CachedLogin) -> Result<(), AuthError> {
        let mut data = self.read()?;
        data.version = 1;
        data.logins
            .insert(login.key().as_str().to_owned(), StoredLogin::from(login));
        self.write(&data)
    }

    fn remove(&self, profile: &str, tenant: Option<&str>) -> Result<Vec<CachedLogin>, AuthError> {
        if !self.path.exists() {
            return Ok(Vec::new());
        }
        let data = self.read()?;
        let (gone, kept): (Vec<_>, Vec<_>) = data.logins.into_iter().partition(|(_, l)| {
            l.profile == profile && tenant.is_none_or(|t| l.tenant.eq_ignore_ascii_case(t))
        });
        if gone.is_empty() {
            return Ok(Vec::new());
        }
        let rest = CacheFile {
            version: 1,
            logins: kept.into_iter().collect(),
        };
        self.write(&rest)?;
        Ok(gone
            .into_iter()
            .map(|(_, l)| CachedLogin::from(l))
            .collect())
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

#[cfg(unix)]
fn check_owner_only(file: &std::fs::File, path: &Path) -> Result<(), AuthError> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata().map_err(|e| AuthError::Cache {
        path: path.to_owned(),
        message: format!("cannot read its permissions: {e}"),
    })?;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(AuthError::Cache {
            path: path.to_owned(),
            message: format!(
                "can be read by other users (mode {mode:03o}), so it is not used; run `chmod 600 {}` \
                 if you trust its content, or delete it and run `provctl login` again",
                path.display()
            ),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner_only(_file: &std::fs::File, _path: &Path) -> Result<(), AuthError> {
    // On Windows the file lives in the user's profile, which only the user can read.
    Ok(())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Creates `path` new, owner read/write only, before any content is written.
fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// The cache directory: `PROVCTL_CACHE_DIR`, else the platform's (`~/.cache/provctl` on Linux).
pub fn cache_dir(env: &EnvVars) -> Option<PathBuf> {
    if let Some(d) = env.get(CACHE_DIR_VAR) {
        return Some(PathBuf::from(d));
    }
    directories::ProjectDirs::from("", "", "provctl").map(|p| p.cache_dir().to_owned())
}

static FILE_NOTICE_SHOWN: AtomicBool = AtomicBool::new(false);

/// The store for device-code logins: memory with `no_cache`, the OS keyring when available
/// (feature `keyring`), else the owner-only file (with a one-time notice to `ui` saying where;
/// `None` when only looking).
pub fn default_store(
    env: &EnvVars,
    no_cache: bool,
    ui: Option<&dyn AuthUi>,
) -> Result<std::sync::Arc<dyn TokenStore>, AuthError> {
    if no_cache {
        return Ok(std::sync::Arc::new(MemoryStore::default()));
    }
    let dir = cache_dir(env).ok_or_else(|| {
        AuthError::NotConfigured(format!(
            "no cache directory could be found for this user: set {CACHE_DIR_VAR}, or use --no-cache"
        ))
    })?;
    #[cfg(feature = "keyring")]
    let why_not_keyring = match keyring_store::KeyringStore::open(&dir) {
        Ok(store) => return Ok(std::sync::Arc::new(store)),
        Err(why) => format!("no OS keyring answered ({why})"),
    };
    #[cfg(not(feature = "keyring"))]
    let why_not_keyring = "this build has no OS keyring support".to_owned();
    let store = FileStore::in_dir(dir);
    if let Some(ui) = ui
        && !store.path().exists()
        && !FILE_NOTICE_SHOWN.swap(true, Ordering::Relaxed)
    {
        ui.notice(&format!(
            "{why_not_keyring}; sign-in tokens are kept in {} (readable by you only)",
            store.path().display()
        ));
    }
    Ok(std::sync::Arc::new(store))
}

/// The OS keyring (feature `keyring`): one keyring entry per login, holding the tokens, and an
/// owner-only index file without tokens so `logout` can find a profile's entries.
#[cfg(feature = "keyring")]
pub mod keyring_store {
    use super::*;

    const SERVICE: &str = "provctl";

    /// Logins in the OS keyring.
    #[derive(Debug)]
    pub struct KeyringStore {
        index: FileStore,
    }

    fn keyring_err(e: impl fmt::Display) -> AuthError {
        AuthError::Cache {
            path: PathBuf::from("(OS keyring)"),
            message: e.to_string(),
        }
    }

    impl KeyringStore {
        /// Opens the keyring, checking that it answers; the index lives in `dir`.
        pub fn open(dir: &Path) -> Result<Self, String> {
            if let Err(e) = keyring::Entry::store_status() {
                return Err(e.to_string());
            }
            let probe = keyring::Entry::new(SERVICE, "provctl-probe").map_err(|e| e.to_string())?;
            match probe.get_password() {
                Ok(_) | Err(keyring::Error::NoEntry) => Ok(KeyringStore {
                    index: FileStore::at(dir.join("keyring-index.json")),
                }),
                Err(e) => Err(e.to_string()),
            }
        }

        fn entry(key: &CacheKey) -> Result<keyring::Entry, AuthError> {
            keyring::Entry::new(SERVICE, key.as_str()).map_err(keyring_err)
        }
    }

    impl TokenStore for KeyringStore {
        fn load(&self, key: &CacheKey) -> Result<Option<CachedLogin>, AuthError> {
            match Self::entry(key)?.get_password() {
                Ok(json) => {
                    let json = Secret::new(json);
                    let stored: StoredLogin =
                        serde_json::from_str(json.expose()).map_err(keyring_err)?;
                    Ok(Some(stored.into()))
                }
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(keyring_err(e)),
            }
        }

        fn save(&self, login: &CachedLogin) -> Result<(), AuthError> {
            let json =
                Secret::new(serde_json::to_string(&StoredLogin::from(login)).map_err(keyring_err)?);
            Self::entry(&login.key())?
                .set_password(json.expose())
                .map_err(keyring_err)?;
            let mut meta = login.clone();
            meta.access_token = Secret::default();
            meta.refresh_token = None;
            self.index.save(&meta)
        }

        fn remove(
            &self,
            profile: &str,
            tenant: Option<&str>,
        ) -> Result<Vec<CachedLogin>, AuthError> {
            let gone = self.index.remove(profile, tenant)?;
            for l in &gone {
                match Self::entry(&l.key())?.delete_credential() {
                    Ok(()) | Err(keyring::Error::NoEntry) => {}
                    Err(e) => return Err(keyring_err(e)),
                }
            }
            Ok(gone)
        }

        fn describe(&self) -> String {
            "the OS keyring".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(profile: &str, tenant: &str) -> CachedLogin {
        CachedLogin {
            profile: profile.into(),
            authority: "https://login.test/".into(),
            tenant: tenant.into(),
            client_id: "cid".into(),
            access_token: Secret::new("at-hunter2"),
            expires_on: DateTime::from_timestamp(4_000_000_000, 0).unwrap(),
            refresh_token: Some(Secret::new("rt-hunter3")),
            account: Some("adele@contoso.com".into()),
            scopes: vec!["Synchronization.ReadWrite.All".into()],
        }
    }

    #[test]
    fn a_login_covers_only_the_permissions_it_was_granted() {
        let l = login("default", "contoso.com");
        assert!(l.covers(&[]));
        assert!(l.covers(&["synchronization.readwrite.all".into()]));
        assert!(!l.covers(&[
            "Synchronization.ReadWrite.All".into(),
            "ProvisioningLog.Read.All".into()
        ]));
    }

    #[test]
    fn a_saved_login_comes_back_and_logout_removes_only_its_profile() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::in_dir(dir.path().join("sub"));
        let a = login("default", "contoso.com");
        let b = login("work", "fabrikam.com");
        store.save(&a).unwrap();
        store.save(&b).unwrap();
        assert_eq!(store.load(&a.key()).unwrap(), Some(a.clone()));
        let gone = store.remove("default", None).unwrap();
        assert_eq!(gone, vec![a.clone()]);
        assert_eq!(store.load(&a.key()).unwrap(), None);
        assert_eq!(store.load(&b.key()).unwrap(), Some(b));
        assert!(!format!("{a:?}").contains("hunter"));
    }

    #[cfg(unix)]
    #[test]
    fn the_cache_file_and_its_directory_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::in_dir(dir.path().join("c"));
        store.save(&login("default", "t")).unwrap();
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = std::fs::metadata(dir.path().join("c"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dmode, 0o700);
        // No temp files left behind.
        assert_eq!(std::fs::read_dir(dir.path().join("c")).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_cache_file_others_can_read_is_refused_with_the_chmod_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::in_dir(dir.path());
        let l = login("default", "t");
        store.save(&l).unwrap();
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.load(&l.key()).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        assert!(err.contains(&store.path().display().to_string()), "{err}");
        assert!(err.contains("644"), "{err}");
        assert!(!err.contains("hunter"));
    }

    #[derive(Debug, Default)]
    struct Notices(Mutex<Vec<String>>);

    impl AuthUi for Notices {
        fn device_code(&self, _prompt: &super::super::DeviceCodePrompt) {}
        fn notice(&self, message: &str) {
            self.0.lock().unwrap().push(message.to_owned());
        }
    }

    #[test]
    fn without_a_keyring_the_file_is_used_and_a_notice_names_it_once() {
        let dir = tempfile::tempdir().unwrap();
        let env = EnvVars::from_pairs([(CACHE_DIR_VAR, dir.path().to_str().unwrap())]);
        let ui = Notices::default();
        let store = default_store(&env, false, Some(&ui)).unwrap();
        let _again = default_store(&env, false, Some(&ui)).unwrap();
        if store.describe().contains("keyring") {
            return; // a keyring answered on this machine
        }
        assert!(store.describe().ends_with(CACHE_FILE));
        let notices = ui.0.lock().unwrap().clone();
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(notices[0].contains(CACHE_FILE), "{notices:?}");
    }

    #[test]
    fn no_cache_keeps_nothing_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let env = EnvVars::from_pairs([(CACHE_DIR_VAR, dir.path().to_str().unwrap())]);
        let store = default_store(&env, true, None).unwrap();
        store.save(&login("default", "t")).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(store.describe().contains("memory"));
    }
}
