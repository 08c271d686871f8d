//! Tokens over REST: who the caller is, and (for admins) every token's name, role and expiry.
//! Tokens are made and revoked with `sluice token` on the state folder, never over the
//! network, and no answer holds a secret or its hash.

use axum::extract::State;
use axum::{Extension, Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;
use crate::auth::{Caller, Role};
use crate::error::Result;
use crate::store::tokens;
use crate::time::iso;
use crate::wire::{ErrorResponse, TokenInfo};

/// The routes of this module.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(me)).routes(routes!(list))
}

/// The caller's token: its name and role.
#[utoipa::path(
    get,
    operation_id = "Tokens_Me",
    path = "/Tokens/Me",
    tag = "tokens",
    responses((status = 200, body = TokenInfo), (status = 401, body = ErrorResponse))
)]
async fn me(Extension(caller): Extension<Caller>) -> Result<Json<TokenInfo>> {
    Ok(Json(TokenInfo {
        name: caller.name,
        role: caller.role.as_str().to_string(),
        created_date: None,
        expires_date: None,
        revoked: false,
    }))
}

/// Every token: name, role, dates (admin).
#[utoipa::path(
    get,
    operation_id = "Tokens_List",
    path = "/Tokens",
    tag = "tokens",
    responses((status = 200, body = Vec<TokenInfo>), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse))
)]
async fn list(State(app): State<App>, Extension(caller): Extension<Caller>) -> Result<Json<Vec<TokenInfo>>> {
    caller.require(Role::Admin, "listing tokens")?;
    let rows = app.db.call(|c| tokens::list(c)).await?;
    Ok(Json(
        rows.into_iter()
            .map(|t| TokenInfo {
                name: t.name,
                role: t.role,
                created_date: Some(iso(t.created_ms)),
                expires_date: t.expires_ms.map(iso),
                revoked: t.revoked,
            })
            .collect(),
    ))
}
