//! Bearer tokens and roles. `sluice token create` makes a token on the service's state folder,
//! prints its secret once and stores only the secret's SHA-256; every request shows the secret
//! (`Authorization: Bearer <token>`, or the studio's cookie) and gets the token's name and role.

use std::path::Path;

use crate::error::{Result, ServiceError};
use crate::snapshot::sha256_hex;
use crate::store::{Db, tokens};

/// What a token may do; each role may do what the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Read pipelines, endpoints, runs, logs, metrics and outputs.
    Reader,
    /// Also submit and cancel runs.
    Submitter,
    /// Also publish, manage endpoints, disable and enable.
    Admin,
}

impl Role {
    /// `reader`, `submitter` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Submitter => "submitter",
            Role::Admin => "admin",
        }
    }

    /// The role with this name.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "reader" => Some(Role::Reader),
            "submitter" => Some(Role::Submitter),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name (recorded with what it submits and publishes).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The value the studio's forms must send back (derived from the token, so another site
    /// cannot forge a form post).
    pub csrf: String,
}

impl Caller {
    /// Fails with 403 unless the caller's role is at least `role`; `what` says what was asked.
    pub fn require(&self, role: Role, what: &str) -> Result<()> {
        if self.role >= role {
            return Ok(());
        }
        let allowed = match role {
            Role::Reader => "reader, submitter or admin",
            Role::Submitter => "submitter or admin",
            Role::Admin => "admin",
        };
        Err(ServiceError::Forbidden(format!(
            "token `{}` has role {}; {what} needs role {allowed}",
            self.name,
            self.role.as_str()
        )))
    }

    /// May the caller do what `role` may?
    pub fn may(&self, role: Role) -> bool {
        self.role >= role
    }
}

/// The prefix of every token's secret.
pub const TOKEN_PREFIX: &str = "slc_";

/// The name of the studio's cookie.
pub const COOKIE: &str = "sluice_token";

/// The SHA-256 of a secret, as stored.
pub fn hash_secret(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

/// The studio's form value for a token hash (or, without authentication, a per-process secret).
pub fn csrf_for(seed: &str) -> String {
    sha256_hex(format!("sluice studio form\0{seed}").as_bytes())[..32].to_string()
}

/// A new secret: the prefix and 256 random bits in hex.
pub fn new_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ServiceError::Internal(format!("no random numbers from the system: {e}")))?;
    Ok(format!("{TOKEN_PREFIX}{}", sluice_compiler::fingerprint::canonical::hex(&bytes)))
}

/// A token name: 1 to 64 letters, digits, `.`, `_`, `-`, `@`.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::bad_at(
            "BadTokenName",
            name,
            format!("`{name}` is not a token name: use 1 to 64 letters, digits, `.`, `_`, `-` or `@`"),
        ))
    }
}

/// Makes a token in the service's state folder and returns its secret (shown once).
pub fn create_token(state: &Path, name: &str, role: Role, expires_in_ms: Option<i64>) -> Result<String> {
    check_name(name)?;
    let db = Db::open(state)?;
    let secret = new_secret()?;
    let now = sluice_runtime::time::now_ms();
    db.with(|c| {
        tokens::insert(
            c,
            &tokens::TokenRow {
                name: name.to_string(),
                hash: hash_secret(&secret),
                role: role.as_str().to_string(),
                created_ms: now,
                expires_ms: expires_in_ms.map(|ms| now + ms),
                revoked: false,
            },
        )
    })?;
    Ok(secret)
}

/// The token a request shows: `Authorization: Bearer <token>` first, else the studio's cookie.
/// `Err` with a 401 for an `Authorization` header of another scheme.
pub fn presented<'a>(authorization: Option<&'a str>, cookie: Option<&'a str>) -> Result<Option<&'a str>> {
    if let Some(h) = authorization {
        let h = h.trim();
        let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ServiceError::Unauthorized(format!(
                "the Authorization header uses the `{scheme}` scheme; send `Authorization: Bearer <token>`"
            )));
        }
        let token = rest.trim();
        if token.is_empty() {
            return Err(ServiceError::Unauthorized(
                "the Authorization header has no token after `Bearer`".into(),
            ));
        }
        return Ok(Some(token));
    }
    Ok(cookie.and_then(|c| {
        c.split(';').find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == COOKIE && !v.is_empty()).then_some(v)
        })
    }))
}

/// The caller behind a secret: 401 when it is unknown, revoked or expired.
pub fn authenticate(db: &Db, secret: &str, now: i64) -> Result<Caller> {
    let hash = hash_secret(secret);
    let Some(t) = db.with(|c| tokens::find_by_hash(c, &hash))? else {
        return Err(ServiceError::Unauthorized(
            "the token is not one of this service's: check SLUICE_TOKEN (tokens are made with `sluice token create`)"
                .into(),
        ));
    };
    if t.revoked {
        return Err(ServiceError::Unauthorized(format!("token `{}` was revoked", t.name)));
    }
    if let Some(exp) = t.expires_ms.filter(|e| *e <= now) {
        return Err(ServiceError::Unauthorized(format!(
            "token `{}` expired at {}; make a new one with `sluice token create`",
            t.name,
            crate::time::iso(exp)
        )));
    }
    let role = Role::parse(&t.role).ok_or_else(|| {
        ServiceError::Internal(format!("token `{}` has an unknown role `{}`", t.name, t.role))
    })?;
    Ok(Caller { name: t.name, role, csrf: csrf_for(&hash) })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn roles_order_and_refuse_with_words() {
        let reader = Caller { name: "ci".into(), role: Role::Reader, csrf: String::new() };
        assert!(reader.require(Role::Reader, "reading").is_ok());
        let e = reader.require(Role::Submitter, "submitting a run").unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::FORBIDDEN);
        assert_eq!(
            e.to_string(),
            "token `ci` has role reader; submitting a run needs role submitter or admin"
        );
    }

    #[test]
    fn tokens_are_stored_as_hashes_and_expire() {
        let d = tempfile::tempdir().unwrap();
        let secret = create_token(d.path(), "ci", Role::Submitter, Some(1000)).unwrap();
        assert!(secret.starts_with(TOKEN_PREFIX) && secret.len() == TOKEN_PREFIX.len() + 64);
        let db = Db::open(d.path()).unwrap();
        let bytes = std::fs::read(db.path()).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(&secret), "the secret is not stored");
        let now = sluice_runtime::time::now_ms();
        assert_eq!(authenticate(&db, &secret, now).unwrap().role, Role::Submitter);
        let e = authenticate(&db, &secret, now + 5000).unwrap_err();
        assert!(e.to_string().contains("expired"), "{e}");
        assert!(authenticate(&db, "slc_wrong", now).unwrap_err().to_string().contains("not one of"));
        assert!(
            create_token(d.path(), "ci", Role::Reader, None)
                .unwrap_err()
                .to_string()
                .contains("exists already")
        );
        assert!(create_token(d.path(), "a b", Role::Reader, None).is_err());
    }

    #[test]
    fn the_presented_token() {
        assert_eq!(presented(Some("Bearer abc"), None).unwrap(), Some("abc"));
        assert_eq!(presented(Some("bearer  abc "), None).unwrap(), Some("abc"));
        assert!(presented(Some("Basic abc"), None).is_err());
        assert!(presented(Some("Bearer"), None).is_err());
        assert_eq!(presented(None, Some("a=b; sluice_token=xyz")).unwrap(), Some("xyz"));
        assert_eq!(presented(None, None).unwrap(), None);
    }
}
