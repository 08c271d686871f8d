//! Secrets of the workspace (the `${env:NAME}` variables its datastores and computes name) and
//! what a step's process may see of sluice's environment.
//!
//! A step gets only the variables it needs: those on an allow-list ([`passes`]: the system's
//! and the interpreter's, `SLUICE_*`), those named in `SLUICE_PASS_ENV`, its own
//! `environment_variables` and its `SLUICE_*` context; never a workspace secret unless
//! `SLUICE_PASS_ENV` names it exactly. Whatever sluice prints or stores goes through [`mask`]:
//! each occurrence of a secret's value (of [`MIN_LEN`] characters or more) becomes `***`.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::sync::{Arc, RwLock};

use sluice_compiler::fingerprint::Manifest;
use sluice_compiler::ir::Workspace;

/// Values shorter than this are not masked (they would hide ordinary words and numbers).
pub const MIN_LEN: usize = 4;

/// What a masked value is replaced with.
pub const MASK: &str = "***";

/// Names of the variables passed to steps besides the allow-list: comma- or space-separated
/// names, a trailing `*` for a prefix (`SLUICE_PASS_ENV="HF_HOME,WANDB_*"`).
pub const PASS_ENV: &str = "SLUICE_PASS_ENV";

/// Variables every step gets when they are set (the system's, the locale's, the interpreter's).
const ALLOWED: [&str; 26] = [
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "TEMP",
    "TMP",
    "TERM",
    "NO_COLOR",
    "VIRTUAL_ENV",
    "LD_LIBRARY_PATH",
    "CUDA_VISIBLE_DEVICES",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    // Windows: a process cannot start without these.
    "SYSTEMROOT",
    "COMSPEC",
    "PATHEXT",
    "WINDIR",
];

/// Prefixes of variables every step gets (`LC_ALL`, `PYTHONPATH`, `CONDA_PREFIX`, `SLUICE_PYTHON`).
const ALLOWED_PREFIXES: [&str; 4] = ["LC_", "PYTHON", "CONDA_", "SLUICE_"];

/// The secrets to hide: their names and the values they have in this process's environment.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    names: BTreeSet<String>,
    /// Values and the forms they take in JSON text, longest first (so a value that contains
    /// another is masked whole).
    values: Vec<String>,
}

impl Secrets {
    /// The secrets named by `names`, with their values from this process's environment.
    pub fn from_names<I: IntoIterator<Item = String>>(names: I) -> Secrets {
        let names: BTreeSet<String> = names.into_iter().collect();
        let values = names.iter().filter_map(|n| std::env::var(n).ok());
        let mut s = Secrets::with_values(values);
        s.names = names;
        s
    }

    /// The secrets the workspace names (`${env:NAME}` in secret fields of its datastores and
    /// computes).
    pub fn of_workspace(ws: &Workspace) -> Secrets {
        let fields =
            ws.datastores.iter().flat_map(|d| &d.secrets).chain(ws.computes.iter().flat_map(|c| &c.secrets));
        Secrets::from_names(fields.filter_map(|f| f.env_var().map(str::to_string)))
    }

    /// Secrets with these values (no names): for tests and values known otherwise.
    pub fn with_values<I: IntoIterator<Item = String>>(values: I) -> Secrets {
        let mut all = BTreeSet::new();
        for v in values.into_iter().filter(|v| v.chars().count() >= MIN_LEN) {
            // In JSON text a value with quotes, backslashes or control characters is escaped.
            if let Ok(json) = serde_json::to_string(&v) {
                let inner = &json[1..json.len() - 1];
                if inner != v {
                    all.insert(inner.to_string());
                }
            }
            all.insert(v);
        }
        let mut values: Vec<String> = all.into_iter().collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        Secrets { names: BTreeSet::new(), values }
    }

    /// The names of the secrets.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// True when `name` is the name of a secret.
    pub fn is_secret(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// `text` with every occurrence of a secret's value replaced by `***`.
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = Cow::Owned(out.replace(v.as_str(), MASK));
            }
        }
        out
    }

    /// The environment of a step's process: the variables of `env` (sluice's own) that pass
    /// ([`passes`]), without the secrets unless `SLUICE_PASS_ENV` names them exactly.
    pub fn step_environment<I: IntoIterator<Item = (OsString, OsString)>>(
        &self,
        env: I,
    ) -> Vec<(OsString, OsString)> {
        let extra = pass_list(std::env::var(PASS_ENV).ok().as_deref());
        env.into_iter()
            .filter(|(k, _)| {
                // A name that is not text is on no list.
                let Some(k) = k.to_str() else { return false };
                let named = extra.iter().any(|p| p == k);
                passes(k, &extra) && (named || !self.is_secret(k))
            })
            .collect()
    }
}

/// The entries of a `SLUICE_PASS_ENV` value.
fn pass_list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split([',', ' ', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// True when a variable of sluice's environment is given to steps: it is on the allow-list,
/// or `extra` (the entries of `SLUICE_PASS_ENV`) names it or a prefix of it (`WANDB_*`).
pub fn passes(name: &str, extra: &[String]) -> bool {
    let upper = name.to_ascii_uppercase();
    ALLOWED.contains(&upper.as_str())
        || ALLOWED_PREFIXES.iter().any(|p| upper.starts_with(p))
        || extra.iter().any(|e| match e.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => e == name,
        })
}

/// The secrets of this process: what [`mask`] hides.
static INSTALLED: RwLock<Option<Arc<Secrets>>> = RwLock::new(None);

/// Makes `secrets` those that [`mask`] hides from now on (added to any installed before).
pub fn install(secrets: Secrets) {
    if let Ok(mut g) = INSTALLED.write() {
        let merged = match g.as_deref() {
            Some(old) => {
                let names = old.names.iter().chain(&secrets.names).cloned().collect::<BTreeSet<_>>();
                let mut s = Secrets::with_values(old.values.iter().chain(&secrets.values).cloned());
                s.names = names;
                s
            }
            None => secrets,
        };
        *g = Some(Arc::new(merged));
    }
}

/// The installed secrets.
pub fn installed() -> Arc<Secrets> {
    INSTALLED.read().ok().and_then(|g| g.clone()).unwrap_or_default()
}

/// `text` with the value of every installed secret replaced by `***`.
pub fn mask(text: &str) -> Cow<'_, str> {
    match INSTALLED.read().ok().and_then(|g| g.clone()) {
        Some(s) => match s.mask(text) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(o) => Cow::Owned(o),
        },
        None => Cow::Borrowed(text),
    }
}

/// A JSON value with the secrets in its strings masked.
pub fn mask_json(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(mask(s).into_owned()),
        Value::Array(a) => Value::Array(a.iter().map(mask_json).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (mask(k).into_owned(), mask_json(v))).collect())
        }
        // A number equal to a secret is shown as the text of the mask.
        Value::Number(n) if mask(&n.to_string()) != n.to_string() => Value::String(MASK.to_string()),
        other => other.clone(),
    }
}

/// A writer that masks the secrets' values in what goes through it, also a value cut between
/// two writes (it holds back the bytes that could begin one until the next write or
/// [`MaskingWriter::finish`]).
pub struct MaskingWriter<W: std::io::Write> {
    out: W,
    secrets: Arc<Secrets>,
    held: Vec<u8>,
}

impl<W: std::io::Write> MaskingWriter<W> {
    /// Masks the values of `secrets` in what is written to `out`.
    pub fn new(out: W, secrets: Arc<Secrets>) -> MaskingWriter<W> {
        MaskingWriter { out, secrets, held: Vec::new() }
    }

    /// Writes what is held back and flushes.
    pub fn finish(mut self) -> std::io::Result<W> {
        let rest = std::mem::take(&mut self.held);
        self.out.write_all(&mask_bytes(&self.secrets, &rest))?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: std::io::Write> std::io::Write for MaskingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.secrets.values.is_empty() {
            return self.out.write(buf);
        }
        self.held.extend_from_slice(buf);
        let masked = mask_bytes(&self.secrets, &self.held);
        // What could be the start of a value stays for the next write.
        let longest = self.secrets.values.iter().map(String::len).max().unwrap_or(1);
        let keep = masked.len().min(longest - 1);
        let cut = masked.len() - keep;
        self.out.write_all(&masked[..cut])?;
        self.held = masked[cut..].to_vec();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// `bytes` with every occurrence of a secret's value replaced by `***`.
fn mask_bytes(secrets: &Secrets, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for v in &secrets.values {
        let v = v.as_bytes();
        if out.len() < v.len() || !out.windows(v.len()).any(|w| w == v) {
            continue;
        }
        let mut next = Vec::with_capacity(out.len());
        let mut i = 0;
        while i < out.len() {
            if out[i..].starts_with(v) {
                next.extend_from_slice(MASK.as_bytes());
                i += v.len();
            } else {
                next.push(out[i]);
                i += 1;
            }
        }
        out = next;
    }
    out
}

/// A fingerprint manifest with the secrets' values masked, as the run store keeps it (so a
/// plan compares like with like); borrowed when nothing is masked.
pub fn mask_manifest(m: &Manifest) -> Cow<'_, Manifest> {
    let Ok(text) = serde_json::to_string(m) else { return Cow::Borrowed(m) };
    match mask(&text) {
        Cow::Borrowed(_) => Cow::Borrowed(m),
        Cow::Owned(masked) => serde_json::from_str(&masked).map_or(Cow::Borrowed(m), Cow::Owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_masked_wherever_they_appear() {
        let s = Secrets::with_values(["s3cr3t-key".to_string(), "abc".to_string(), "a\"b\\cd".to_string()]);
        assert_eq!(
            s.mask("MY_KEY=s3cr3t-key; url=x?sig=s3cr3t-keys3cr3t-key"),
            "MY_KEY=***; url=x?sig=******"
        );
        // Values shorter than MIN_LEN are left alone.
        assert_eq!(s.mask("abc"), "abc");
        // The JSON form of a value with quotes and backslashes is masked too.
        assert_eq!(s.mask(r#"{"k": "a\"b\\cd"}"#), r#"{"k": "***"}"#);
        assert_eq!(s.mask("a\"b\\cd"), "***");
        assert!(matches!(s.mask("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_value_cut_between_writes_is_masked() {
        use std::io::Write;
        let s = Arc::new(Secrets::with_values(["s3cr3t-key".to_string()]));
        let mut w = MaskingWriter::new(Vec::new(), s);
        for chunk in ["key=s3c", "r3t", "-key; again s3cr3t-k", "ey", "; not s3cr3"] {
            w.write_all(chunk.as_bytes()).unwrap();
        }
        assert_eq!(String::from_utf8(w.finish().unwrap()).unwrap(), "key=***; again ***; not s3cr3");
    }

    #[test]
    fn a_longer_value_containing_a_shorter_one_is_masked_whole() {
        let s = Secrets::with_values(["token".to_string(), "token-long-value".to_string()]);
        assert_eq!(s.mask("x token-long-value y token"), "x *** y ***");
    }

    #[test]
    fn the_allow_list_and_pass_env() {
        let none: Vec<String> = Vec::new();
        for ok in
            ["PATH", "HOME", "LC_ALL", "PYTHONPATH", "CONDA_PREFIX", "SLUICE_PYTHON", "TZ", "VIRTUAL_ENV"]
        {
            assert!(passes(ok, &none), "{ok}");
        }
        for no in ["MY_KEY", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "HTTP_PROXY", "TEST_HOLD"] {
            assert!(!passes(no, &none), "{no}");
        }
        let extra = pass_list(Some("TEST_*, HF_HOME"));
        assert!(passes("TEST_HOLD", &extra));
        assert!(passes("HF_HOME", &extra));
        assert!(!passes("HF_TOKEN", &extra));
    }

    #[test]
    fn secrets_are_kept_out_of_step_environments() {
        let mut s = Secrets::with_values(["value-of-key".to_string()]);
        s.names = ["SLUICE_KEY".to_string(), "MY_KEY".to_string()].into();
        let env = [
            ("PATH", "/bin"),
            ("MY_KEY", "value-of-key"),
            // On the allow-list by its prefix, but a secret.
            ("SLUICE_KEY", "value-of-key"),
            ("OTHER", "x"),
        ]
        .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let kept: Vec<OsString> = s.step_environment(env).into_iter().map(|(k, _)| k).collect();
        assert_eq!(kept, ["PATH"]);
    }
}
