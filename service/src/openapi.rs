//! The OpenAPI document of the REST API, made from the handlers' own annotations (utoipa) as
//! the router is built, so it cannot drift from the routes; served at `/openapi.json`.

use utoipa::OpenApi;
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Components, Required};
use utoipa_axum::router::OpenApiRouter;

use crate::app::App;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sluice workspace service",
        description = "Published pipelines, pipeline endpoints and runs, wire-compatible with Azure ML's v1 pipelines REST API (PascalCase bodies). Every route needs `Authorization: Bearer <token>`; tokens are made with `sluice token create`.",
        license(name = "MIT")
    ),
    tags(
        (name = "pipelines", description = "Publish pipelines from snapshots; list, show, disable, enable"),
        (name = "endpoints", description = "Versioned pipeline endpoints with a default version"),
        (name = "runs", description = "Submit runs; status, step runs, logs, metrics, outputs, cancel"),
        (name = "tokens", description = "Who a token is")
    )
)]
struct ApiDoc;

/// The routes with their document, before authentication and limits are layered on.
pub fn router(max_upload: usize) -> OpenApiRouter<App> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(crate::api::routes(max_upload))
}

/// Adds what the handlers do not say one by one: the bearer scheme, required everywhere, and
/// the workspace path's parameters (accepted as given).
pub fn finish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let components = doc.components.get_or_insert_with(Components::new);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http({
            let mut h = Http::new(HttpAuthScheme::Bearer);
            h.description =
                Some("A token made with `sluice token create` (roles: reader, submitter, admin)".into());
            h
        }),
    );
    doc.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
    for item in doc.paths.paths.values_mut() {
        let params = item.parameters.get_or_insert_with(Vec::new);
        for (name, what) in [
            ("subscription", "Any value (Azure's subscription id segment)"),
            ("resourceGroup", "Any value (Azure's resource group segment)"),
            ("workspace", "Any value (Azure's workspace name segment)"),
        ] {
            params.push(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .description(Some(what))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .build()
                    .into(),
            );
        }
    }
    doc
}

/// The whole document, as served.
pub fn document() -> utoipa::openapi::OpenApi {
    finish(router(0).into_openapi())
}

/// The document as pretty JSON with a final newline (what `/openapi.json` serves and
/// `service/openapi.json` holds).
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_else(|_| "{}".to_string());
    text.push('\n');
    text
}
