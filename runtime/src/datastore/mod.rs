//! Datastores (DESIGN section 2.3, issue 12): where data lives, behind one interface.
//!
//! A [`Store`] is a local folder ([`local`]) or an Azure Blob container / Data Lake Storage
//! Gen2 file system ([`azure`], over the `object_store` crate). Both list, read, write and
//! delete files by `/`-separated paths ([`paths`]); [`transfer`] builds `sluice datastore
//! upload|download|list|rm` on that: patterns, bounded parallelism, overwrite rules, integrity
//! checks, progress ([`progress`]).
//!
//! Credentials come from the environment variables the workspace file names (`${env:NAME}`),
//! are read only here, and never reach a message: errors name the variable, and text from the
//! network stack passes through a [`Redactor`] that knows every secret in use.

pub mod azure;
mod azure_http;
mod azure_sign;
mod error;
pub mod local;
pub mod paths;
pub mod progress;
pub mod transfer;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sluice_compiler::ir::{DatastoreKind, SecretField, Workspace};
use sluice_compiler::suggest::{did_you_mean, list_names};

pub use error::DatastoreError;
pub use transfer::{DownloadRequest, RemoveRequest, Summary, UploadRequest};

/// A file on a datastore, as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the datastore's root.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification, Unix milliseconds.
    pub modified_ms: Option<i64>,
    /// The service's entity tag (changes whenever the blob is written).
    pub etag: Option<String>,
    /// MD5 of the content, as the service reports it (Azure's `Content-MD5`).
    pub md5: Option<[u8; 16]>,
}

/// How transfers behave on the network.
#[derive(Debug, Clone, Copy)]
pub struct NetOptions {
    /// Retries of a failed request (connection errors, timeouts, 5xx, 429), with exponential
    /// backoff from 100 ms up to 8 s.
    pub retries: usize,
    /// Longest time to keep retrying one request.
    pub retry_timeout: Duration,
    /// Longest time one request may take before it is retried (each range of a download is a
    /// request: a large file is not bound by it).
    pub request_timeout: Duration,
}

impl Default for NetOptions {
    fn default() -> Self {
        NetOptions {
            retries: 5,
            retry_timeout: Duration::from_secs(120),
            request_timeout: Duration::from_secs(300),
        }
    }
}

/// One datastore, opened.
#[derive(Debug)]
pub enum Store {
    /// A folder on this machine.
    Local(local::LocalStore),
    /// An Azure Blob container or Data Lake Storage Gen2 file system.
    Azure(Box<azure::AzureStore>),
}

/// What a single-file write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    /// Written; the MD5 of what was sent, as both sides computed it.
    Written {
        /// MD5 of the content.
        md5: [u8; 16],
    },
    /// Not written: something is already there and overwriting is off.
    Exists,
}

/// Counts transferred bytes for a progress display.
pub type ByteCounter = Arc<dyn Fn(u64) + Send + Sync>;

impl Store {
    /// The datastore's name.
    pub fn name(&self) -> &str {
        match self {
            Store::Local(s) => &s.name,
            Store::Azure(s) => &s.name,
        }
    }

    /// `datastore `lake` (container `data` of account `acct`)`, for messages.
    pub fn describe(&self) -> String {
        match self {
            Store::Local(s) => format!("datastore `{}` (folder {})", s.name, s.root.display()),
            Store::Azure(s) => {
                format!("datastore `{}` (container `{}` of account `{}`)", s.name, s.container, s.account)
            }
        }
    }

    /// Every file under `prefix` (a folder; `""`: everything), sorted by path.
    pub async fn list(&self, prefix: &str) -> Result<Vec<Entry>, DatastoreError> {
        let mut entries = match self {
            Store::Local(s) => s.list(prefix).await?,
            Store::Azure(s) => s.list(prefix).await?,
        };
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(entries)
    }

    /// The file at `path`, if one is there.
    pub async fn head(&self, path: &str) -> Result<Option<Entry>, DatastoreError> {
        match self {
            Store::Local(s) => s.head(path).await,
            Store::Azure(s) => s.head(path).await,
        }
    }

    /// Makes the container (or folder) if it is missing; true when it made it.
    pub async fn ensure_container(&self) -> Result<bool, DatastoreError> {
        match self {
            Store::Local(s) => s.ensure_root().await,
            Store::Azure(s) => s.ensure_container().await,
        }
    }

    /// Writes the local file `src` (of `size` bytes) to `dst`: whole or not at all, checked
    /// against the MD5 the service computed; an existing file is kept unless `overwrite`.
    pub async fn put_file(
        &self,
        src: &Path,
        size: u64,
        dst: &str,
        overwrite: bool,
        counter: ByteCounter,
    ) -> Result<PutOutcome, DatastoreError> {
        match self {
            Store::Local(s) => s.put_file(src, dst, overwrite, counter).await,
            Store::Azure(s) => s.put_file(src, size, dst, overwrite, counter).await,
        }
    }

    /// Reads `src` into the local file `tmp` (created or truncated), checking the content
    /// against the MD5 the service reports (or, lacking one, the size); returns the MD5 and
    /// whether it was checked against the service's.
    pub async fn get_file(
        &self,
        src: &Entry,
        tmp: &Path,
        counter: ByteCounter,
    ) -> Result<Fetched, DatastoreError> {
        match self {
            Store::Local(s) => s.get_file(src, tmp, counter).await,
            Store::Azure(s) => s.get_file(src, tmp, counter).await,
        }
    }

    /// Deletes the files at `paths`; returns those that were there.
    pub async fn delete(&self, paths: &[String]) -> Result<Vec<String>, DatastoreError> {
        match self {
            Store::Local(s) => s.delete(paths).await,
            Store::Azure(s) => s.delete(paths).await,
        }
    }

    /// Whether writes go to a folder on this machine (the state lock then guards them, as
    /// built-in datastores live in `.sluice/`).
    pub fn is_local(&self) -> bool {
        matches!(self, Store::Local(_))
    }
}

/// A file read from a datastore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetched {
    /// MD5 of what was written locally.
    pub md5: [u8; 16],
    /// True when it equals the MD5 the service holds; false when the service holds none and
    /// only the size could be compared.
    pub md5_checked: bool,
}

/// Opens the datastore `name` of `workspace`: reads its settings and, for a cloud datastore,
/// its credential from the environment.
pub fn open(workspace: &Workspace, name: &str, net: NetOptions) -> Result<Store, DatastoreError> {
    let Some(ds) = workspace.datastore(name) else {
        let names: Vec<&str> = workspace.datastores.iter().map(|d| d.name.as_str()).collect();
        let hint =
            did_you_mean(name, &names).unwrap_or_else(|| format!("datastores: {}", list_names(&names, 12)));
        let builtin = if workspace.file.is_none() {
            " (the built-in workspace has `workspaceblobstore` and `workspacefilestore`; add a workspace.yaml to declare more)"
        } else {
            ""
        };
        return Err(DatastoreError::Unknown {
            message: format!("datastore `{name}` is not declared{builtin}; {hint}"),
        });
    };
    match ds.kind {
        DatastoreKind::Local => {
            let folder = ds.local_path.clone().ok_or_else(|| DatastoreError::Config {
                datastore: name.to_string(),
                message: "a local datastore needs `path`".to_string(),
            })?;
            let root = if folder.is_absolute() { folder } else { workspace.root.join(folder) };
            Ok(Store::Local(local::LocalStore::new(name, root)))
        }
        DatastoreKind::AzureBlob | DatastoreKind::AdlsGen2 => {
            Ok(Store::Azure(Box::new(azure::AzureStore::open(ds, &azure::Settings::read(ds)?, net)?)))
        }
        DatastoreKind::AzureFile => Err(DatastoreError::Config {
            datastore: name.to_string(),
            message: "an azure_file share cannot be reached from here yet (sluice speaks the Blob API); mount the share and declare it as a `local` datastore".to_string(),
        }),
    }
}

/// Runs a datastore operation to its end on a runtime of its own; Ctrl-C or SIGTERM stops it
/// ([`DatastoreError::Canceled`]) and the temporary files of unfinished downloads go with it.
pub fn block_on<T>(
    op: impl std::future::Future<Output = Result<T, DatastoreError>>,
) -> Result<T, DatastoreError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8))
        .enable_all()
        .build()
        .map_err(|e| DatastoreError::Usage(format!("cannot start the transfer threads: {e}")))?;
    let result = rt.block_on(async {
        tokio::select! {
            r = op => r,
            () = stop_signal() => Err(DatastoreError::Canceled),
        }
    });
    // Blocking file tasks end when their channels close; do not wait on a slow disk forever.
    rt.shutdown_timeout(Duration::from_secs(5));
    result
}

/// Ctrl-C or SIGTERM.
pub(crate) async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

/// A secret's value, read from the environment variable its field names.
pub(crate) fn secret_value(datastore: &str, secret: &SecretField) -> Result<String, DatastoreError> {
    let Some(var) = secret.env_var() else {
        return Err(DatastoreError::Config {
            datastore: datastore.to_string(),
            message: format!(
                "`{}` must be written as `${{env:NAME}}` (run `sluice check` on the workspace file)",
                secret.field
            ),
        });
    };
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        Ok(_) => Err(DatastoreError::Config {
            datastore: datastore.to_string(),
            message: format!("`{}` comes from ${{env:{var}}}, which is empty", secret.field),
        }),
        Err(_) => Err(DatastoreError::Config {
            datastore: datastore.to_string(),
            message: format!("`{}` comes from ${{env:{var}}}, which is not set", secret.field),
        }),
    }
}

/// Hides every secret in use (and the forms it takes in a URL) in text that came from
/// outside sluice, such as an error of the network stack.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Adds a secret; short values (under 6 characters) are not looked for, as they would hide
    /// ordinary words.
    pub fn add(&mut self, secret: &str) {
        let mut forms = vec![secret.to_string()];
        // A SAS token's parts appear decoded, encoded or on their own (`sig=...`).
        for pair in secret.trim_start_matches('?').split('&') {
            if let Some((_, v)) = pair.split_once('=') {
                forms.push(v.to_string());
                if let Ok(decoded) = percent_decode(v) {
                    forms.push(decoded);
                }
            }
        }
        forms.push(url::form_urlencoded::byte_serialize(secret.as_bytes()).collect());
        for f in forms {
            if f.len() >= 6 && !self.secrets.contains(&f) {
                self.secrets.push(f);
            }
        }
        // Longest first, so a part never leaves the rest of a longer secret behind.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// `text` with every secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        out
    }
}

/// `%XX` sequences decoded.
pub(crate) fn percent_decode(text: &str) -> Result<String, std::str::Utf8Error> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, ..) => {
                out.push(b);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&out).map(str::to_string)
}

/// An MD5 as 32 lowercase hex digits (as `md5sum` prints it).
pub fn md5_hex(md5: &[u8; 16]) -> String {
    md5.iter().map(|b| format!("{b:02x}")).collect()
}

/// A byte count for people: `512 B`, `1.5 KiB`, `16.0 MiB`, `1.00 GiB`.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit >= 2 { format!("{value:.2} {}", UNITS[unit]) } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redactor_hides_every_form_of_a_sas_token() {
        let mut r = Redactor::default();
        r.add("?sv=2023-11-03&ss=b&sig=abc%2Bdef%3D%3D1234");
        let text = "GET http://h/c/x?sv=2023-11-03&sig=abc%2Bdef%3D%3D1234 failed; sig abc+def==1234";
        let out = r.redact(text);
        assert!(!out.contains("abc%2Bdef") && !out.contains("abc+def=="), "{out}");
        let mut k = Redactor::default();
        k.add("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==");
        assert_eq!(k.redact("key Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw== here"), "key *** here");
    }

    #[test]
    fn formats() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(16 << 20), "16.0 MiB");
        assert_eq!(format_bytes(1 << 30), "1.00 GiB");
        assert_eq!(
            md5_hex(&[0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0, 0xb2, 4, 0xe9, 0x80, 9, 0x98, 0xec, 0xf8, 0x42, 0x7e]),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
    }
}
