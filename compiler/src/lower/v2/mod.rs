//! Lowering of v2 pipeline jobs and component files (DESIGN 2.2) into the IR: jobs become
//! steps, bindings become sources and edges, pipeline inputs become parameters or data inputs,
//! pipeline components become nested pipelines.
//!
//! Component files are read once per session (cached by canonical path); a pipeline component
//! that refers back to itself through files is reported and not followed.

mod component;
mod data;
mod jobs;
mod pipeline;
mod text;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Map as JsonMap;

use crate::check;
use crate::diagnostic::Diagnostic;
use crate::ir::{ComponentOrigin, Dag, Name, Pipeline, PipelineInput, PipelineOutput, Source, Step};
use crate::lower::{Loader, LowerCtx};
use crate::source::{FileId, Span};
use crate::syntax::v2::{ComponentFile, PipelineFile};
use crate::yaml::{Node, Spanned};

pub use pipeline::Scope;

/// Component files read in one session, by canonical path (`None`: could not be read).
#[derive(Debug, Default)]
pub struct Cache {
    pub(crate) components: HashMap<PathBuf, Option<Loaded>>,
    /// The project root of each folder holding component files.
    pub(crate) roots: HashMap<PathBuf, PathBuf>,
}

/// A component file that was read, with the context its paths resolve in.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file.
    pub file: FileId,
    /// What it says.
    pub doc: Arc<ComponentFile>,
    /// Its node tree (for passthrough of what sluice does not interpret).
    pub node: Arc<Node>,
    /// Folder and project root its paths resolve against.
    pub cx: LowerCtx,
}

/// Lowers one file's jobs, loading the component files they refer to.
pub struct Lowerer<'s> {
    session: &'s mut dyn Loader,
    /// Canonical paths of the pipeline components being lowered (to catch reference cycles).
    stack: Vec<PathBuf>,
}

impl<'s> Lowerer<'s> {
    /// A lowerer loading files through, and reporting into, `session`.
    pub fn new(session: &'s mut dyn Loader) -> Self {
        Lowerer { session, stack: Vec::new() }
    }

    fn report(&mut self, d: Diagnostic) {
        self.session.report(vec![d]);
    }

    fn report_all(&mut self, ds: Vec<Diagnostic>) {
        self.session.report(ds);
    }

    /// Reports a mode azure-ai-ml refuses for data given in place (`data::refused_mode`).
    fn refuse_mode(
        &mut self,
        cx: &LowerCtx,
        mode: Option<&Spanned<crate::syntax::v2::PortMode>>,
        ty: Option<&Spanned<crate::syntax::v2::PortType>>,
        output: bool,
    ) {
        if let Some(d) = data::refused_mode(cx, mode, ty, output) {
            self.report(d);
        }
    }
}

/// Lowers a v2 pipeline job file already read.
pub fn lower_pipeline(loader: &mut dyn Loader, doc: &PipelineFile, node: &Node, cx: &LowerCtx) -> Pipeline {
    Lowerer::new(loader).pipeline_job(doc, node, cx)
}

/// Lowers a standalone component file as a reusable pipeline (its own jobs for a pipeline
/// component, one step for the others), to be checked like a pipeline. `canonical`: the file's
/// resolved path, cached as read and kept on the stack of components being lowered.
pub fn lower_component(
    loader: &mut dyn Loader,
    file: FileId,
    node: &Node,
    doc: ComponentFile,
    canonical: Option<PathBuf>,
) -> Pipeline {
    let mut l = Lowerer::new(loader);
    let loaded = l.loaded(file, node.clone(), doc);
    if let Some(canonical) = canonical {
        l.session.v2_cache().components.entry(canonical.clone()).or_insert_with(|| Some(loaded.clone()));
        l.stack.push(canonical);
    }
    l.standalone(&loaded)
}

/// The known setting within edit distance 2 of `key` (the closest; case ignored).
fn closest_setting(key: &str) -> Option<&'static str> {
    let lower = key.to_lowercase();
    crate::syntax::v2::SETTINGS
        .iter()
        .map(|s| (strsim::damerau_levenshtein(&lower, s), *s))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, s)| s)
}

/// A settings value as shown in a message.
fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Lowerer<'_> {
    /// Lowers a pipeline job.
    fn pipeline_job(&mut self, doc: &PipelineFile, node: &Node, cx: &LowerCtx) -> Pipeline {
        let mut unresolved = Vec::new();
        let settings = doc.settings.as_ref().map(|s| &s.value);
        let mut passthrough = data::passthrough(&cx.text, Some(node), &["jobs"]);
        // A misspelt setting is reported once, at its key, and the rest of the check reads it
        // as the setting it was meant to be (so `default_comptue` gives no missing compute).
        let meant = settings.map(|s| self.check_settings(cx, s)).unwrap_or_default();
        let setting = |k: &str| {
            settings
                .and_then(|s| s.get(k))
                .or_else(|| meant.iter().find(|(known, _)| *known == k).map(|(_, v)| *v))
        };
        // Every setting stays in the passthrough as written (emitters send them on); an empty
        // `settings:` says nothing.
        if passthrough.get("settings").is_some_and(|v| !v.is_object()) {
            passthrough.remove("settings");
        }
        let setting_name = |k: &str| {
            setting(k).and_then(|v| {
                v.value.as_str().map(|s| Name { value: s.to_string(), file: cx.file, span: v.span })
            })
        };
        let default_compute =
            setting_name("default_compute").or_else(|| doc.compute.as_ref().map(|c| cx.name(c)));
        // As azure-ai-ml reads them (marshmallow's Boolean: `True`, `yes`, `'1'` are true too).
        let setting_bool =
            |k: &str| setting(k).and_then(|v| crate::python::marshmallow_bool(&v.value)).unwrap_or(false);

        self.check_port_names(
            cx,
            doc.inputs.entries.iter().map(|(k, _)| k),
            doc.outputs.entries.iter().map(|(k, _)| k),
        );
        let inputs: Vec<PipelineInput> = doc
            .inputs
            .iter()
            .map(|(k, v)| {
                self.pipeline_input(cx, k, v, data::child(data::child(Some(node), "inputs"), &k.value))
            })
            .collect();
        let outputs: Vec<PipelineOutput> = doc
            .outputs
            .iter()
            .map(|(k, v)| {
                self.pipeline_output(cx, k, v, data::child(data::child(Some(node), "outputs"), &k.value))
            })
            .collect();
        let (steps, bound_inputs) = {
            let scope = Scope::new(cx, &inputs, &outputs, default_compute.clone());
            let steps = match (&doc.jobs, &doc.component) {
                (Some(jobs), _) => {
                    self.lower_jobs(&scope, &jobs.value, data::child(Some(node), "jobs"), &mut unresolved)
                }
                (None, Some(component)) => self.component_job(&scope, component),
                (None, None) => Vec::new(),
            };
            (steps, scope.used.take())
        };
        let dag = Dag::build(&steps);
        Pipeline {
            file: cx.file,
            name: doc.name.as_ref().map(|n| cx.name(n)),
            display_name: doc.display_name.as_ref().map(|d| d.value.clone()),
            description: doc.description.clone(),
            experiment_name: doc.experiment_name.as_ref().map(|e| e.value.clone()),
            default_compute,
            default_datastore: setting_name("default_datastore"),
            continue_on_step_failure: setting_bool("continue_on_step_failure"),
            force_rerun: setting_bool("force_rerun"),
            inputs,
            outputs,
            data: Vec::new(),
            steps,
            dag,
            document: crate::ir::Document::new(passthrough),
            unresolved,
            reusable: false,
            opaque: false,
            bound_inputs,
            steps_at: doc.jobs.as_ref().map(|j| Name {
                value: "jobs".into(),
                file: cx.file,
                span: cx.key_before(j.span, "jobs"),
            }),
        }
    }

    /// Checks the settings. The SDK passes a setting it does not know on silently and the
    /// service ignores it: a key within edit distance 2 of a known setting is a typo, an error
    /// at the key (`unknown-key`); a key far from all of them a warning (`unknown-setting`).
    /// A boolean setting must be one marshmallow reads. Returns each misspelt setting's value
    /// under the setting it was meant to be, when that one is not given too.
    fn check_settings<'v>(
        &mut self,
        cx: &LowerCtx,
        settings: &'v crate::yaml::Map<Spanned<serde_json::Value>>,
    ) -> Vec<(&'static str, &'v Spanned<serde_json::Value>)> {
        use crate::syntax::v2::SETTINGS;
        let mut meant = Vec::new();
        for (k, v) in settings.iter() {
            let key = k.value.as_str();
            let known = SETTINGS.iter().copied().find(|s| *s == key);
            let near = known.is_none().then(|| closest_setting(key)).flatten();
            match (known, near) {
                (Some(_), _) => {}
                (None, Some(right)) => {
                    self.report(
                        check::unknown_key::RULE
                            .at(
                                cx.file,
                                k.span,
                                format!("unknown setting `{key}`: the service would ignore it"),
                            )
                            .with_help(format!("did you mean `{right}`?")),
                    );
                    if settings.get(right).is_none() && !meant.iter().any(|(m, _)| *m == right) {
                        meant.push((right, v));
                    }
                }
                (None, None) => self.report(
                    check::unknown_setting::RULE
                        .at(cx.file, k.span, format!("unknown setting `{key}`; the service ignores it"))
                        .with_help(format!("known settings: {}", crate::suggest::list_names(&SETTINGS, 6))),
                ),
            }
            let as_setting = known.or(near);
            let boolean = matches!(as_setting, Some("continue_on_step_failure" | "force_rerun"));
            if boolean && crate::python::marshmallow_bool(&v.value).is_none() && !v.value.is_null() {
                self.report(
                    check::wrong_type::RULE
                        .at(
                            cx.file,
                            v.span,
                            format!(
                                "`{}` is `{}`: expected `true` or `false`",
                                as_setting.unwrap_or(key),
                                json_text(&v.value)
                            ),
                        )
                        .with_help("write `true` or `false`"),
                );
            }
        }
        meant
    }

    /// A pipeline job that runs a pipeline component (`component:` instead of `jobs`): one
    /// step, whose inputs are the pipeline's inputs of the same names.
    fn component_job(&mut self, scope: &Scope, component: &Spanned<String>) -> Vec<Step> {
        let mut step = self.pipeline_node_step(scope, component, None);
        step.inputs = scope
            .inputs
            .iter()
            .enumerate()
            .map(|(index, i)| crate::ir::InputPort {
                name: i.name.clone(),
                role: if i.data.is_some() {
                    crate::ir::PortRole::Data
                } else {
                    crate::ir::PortRole::Parameter
                },
                ty: step
                    .component
                    .as_ref()
                    .and_then(|c| c.input(&i.name.value))
                    .and_then(|d| d.ty.as_ref().map(|t| t.value)),
                source: Source::PipelineInput { index, at: i.name.clone() },
                mode: i.mode,
                optional: false,
                default: None,
                settings: JsonMap::new(),
            })
            .collect();
        vec![step]
    }

    /// A standalone component as a reusable pipeline.
    fn standalone(&mut self, loaded: &Loaded) -> Pipeline {
        let cx = &loaded.cx;
        let doc = loaded.doc.clone();
        let common = doc.common();
        let key = common.name.map(|n| cx.name(n)).unwrap_or_else(|| Name {
            value: self
                .session
                .sources()
                .get(cx.file)
                .path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("component")
                .to_string(),
            file: cx.file,
            span: Span::point(0),
        });
        let origin = ComponentOrigin::File {
            path: crate::ir::PathRef {
                raw: Name {
                    value: self.session.sources().get(cx.file).path.display().to_string(),
                    file: cx.file,
                    span: Span::point(0),
                },
                base: PathBuf::new(),
                root: None,
            },
            file: Some(cx.file),
        };
        let mut unresolved = Vec::new();
        let (mut inputs, outputs) = pipeline::interface(cx, &doc, Some(&loaded.node));
        let steps = match &*doc {
            ComponentFile::Pipeline(p) => {
                let scope = Scope::new(cx, &inputs, &outputs, None);
                self.lower_jobs(&scope, &p.jobs, data::child(Some(&loaded.node), "jobs"), &mut unresolved)
            }
            _ => {
                // One step running the component, each declared input bound to the pipeline
                // input of the same name (defaults stay with the component's declarations).
                let mut bare: Vec<PipelineInput> = inputs.clone();
                for i in &mut bare {
                    i.default = None;
                }
                let scope = Scope::new(cx, &bare, &outputs, None);
                let step = self.component_step(&scope, key.clone(), loaded, origin);
                inputs = bare;
                vec![step]
            }
        };
        let dag = Dag::build(&steps);
        Pipeline {
            file: cx.file,
            name: Some(key),
            display_name: common.display_name.map(|d| d.value.clone()),
            description: common.description.map(str::to_string),
            experiment_name: None,
            default_compute: None,
            default_datastore: None,
            continue_on_step_failure: false,
            force_rerun: false,
            inputs,
            outputs,
            data: Vec::new(),
            steps,
            dag,
            document: None,
            unresolved,
            reusable: true,
            opaque: false,
            steps_at: None,
            bound_inputs: Vec::new(),
        }
    }
}
