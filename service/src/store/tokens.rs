//! Tokens: a name, a role, an optional expiry, and the SHA-256 of the secret (never the secret).

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::is_unique_violation;
use crate::error::{Result, ServiceError};

/// A token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// Unique name, recorded with what it does.
    pub name: String,
    /// SHA-256 of the secret, hex.
    pub hash: String,
    /// `reader`, `submitter` or `admin`.
    pub role: String,
    /// Unix ms.
    pub created_ms: i64,
    /// Unix ms after which it is refused.
    pub expires_ms: Option<i64>,
    /// Refused from now on.
    pub revoked: bool,
}

fn row(r: &Row) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        name: r.get(0)?,
        hash: r.get(1)?,
        role: r.get(2)?,
        created_ms: r.get(3)?,
        expires_ms: r.get(4)?,
        revoked: r.get(5)?,
    })
}

const COLUMNS: &str = "name, hash, role, created_ms, expires_ms, revoked";

/// Records a token; a name already used is a conflict.
pub fn insert(conn: &Connection, t: &TokenRow) -> Result<()> {
    match conn.execute(
        &format!("INSERT INTO tokens({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        params![t.name, t.hash, t.role, t.created_ms, t.expires_ms, t.revoked],
    ) {
        Err(e) if is_unique_violation(&e) => Err(ServiceError::Conflict {
            code: "NameTaken",
            message: format!(
                "a token named `{}` exists already; choose another name or revoke it first",
                t.name
            ),
        }),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

/// The token whose secret has this hash.
pub fn find_by_hash(conn: &Connection, hash: &str) -> Result<Option<TokenRow>> {
    Ok(conn
        .query_row(&format!("SELECT {COLUMNS} FROM tokens WHERE hash = ?1"), params![hash], row)
        .optional()?)
}

/// Every token, by name.
pub fn list(conn: &Connection) -> Result<Vec<TokenRow>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM tokens ORDER BY name"))?;
    let rows = stmt.query_map([], row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Revokes a token by name; false when there is none.
pub fn revoke(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn.execute("UPDATE tokens SET revoked = 1 WHERE name = ?1", params![name])? > 0)
}
