//! AutoML nodes. azure-ai-ml sends an AutoML job in a pipeline as the dump of its own schema
//! (`_to_dict(inside_pipeline=True)`), not as a component: the written fields with the task's
//! defaults filled in, enum names in snake case, and search spaces as expression strings
//! (`uniform(0.001,0.01)`, `choice('a','b')`).

use crate::casing::camel_to_snake;
use serde_json::{Map, Value, json};

use super::doc::JobDoc;
use super::rest;

/// The three families of AutoML tasks, which have different defaults.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Tabular,
    Image,
    Nlp,
}

fn family(task: &str) -> Family {
    if task.starts_with("image") {
        Family::Image
    } else if task.starts_with("text") {
        Family::Nlp
    } else {
        Family::Tabular
    }
}

/// The primary metric a task has when none is written.
fn default_metric(task: &str) -> &'static str {
    match task {
        "regression" | "forecasting" => "normalized_root_mean_squared_error",
        "image_classification_multilabel" => "iou",
        "image_object_detection" | "image_instance_segmentation" => "mean_average_precision",
        _ => "accuracy",
    }
}

/// An AutoML job as a pipeline node.
pub fn node(job: &JobDoc) -> Value {
    let mut n: Map<String, Value> = job.fields.clone();
    n.retain(|_, v| !v.is_null());
    fold_names(&mut n);
    let task = n.get("task").and_then(Value::as_str).map(camel_to_snake).unwrap_or_default();
    let fam = family(&task);
    n.insert("name".into(), job.name.clone().into());
    n.insert("task".into(), task.clone().into());
    let metric = n.get("primary_metric").and_then(Value::as_str).map(camel_to_snake);
    n.insert("primary_metric".into(), metric.unwrap_or_else(|| default_metric(&task).to_string()).into());
    match n.get("log_verbosity").and_then(Value::as_str).map(camel_to_snake) {
        Some(v) => {
            n.insert("log_verbosity".into(), v.into());
        }
        None if fam != Family::Nlp => {
            n.insert("log_verbosity".into(), "info".into());
        }
        None => {}
    }
    n.entry("properties").or_insert(json!({}));
    n.entry("tags").or_insert(json!({}));
    match fam {
        Family::Tabular => tabular_settings(&mut n),
        Family::Image => {
            n.entry("limits").or_insert(json!({}));
        }
        Family::Nlp => {
            let limits = n.entry("limits").or_insert(json!({}));
            if let Value::Object(l) = limits {
                l.entry("max_trials").or_insert(1.into());
                l.entry("max_nodes").or_insert(1.into());
            }
        }
    }
    if fam != Family::Tabular {
        if let Some(Value::Object(sweep)) = n.get_mut("sweep")
            && let Some(Value::Object(et)) = sweep.get_mut("early_termination")
        {
            et.entry("delay_evaluation").or_insert(0.into());
            et.entry("evaluation_interval").or_insert(0.into());
            if et.get("type").and_then(Value::as_str) == Some("bandit") {
                et.entry("slack_amount").or_insert(json!(0.0));
                et.entry("slack_factor").or_insert(json!(0.0));
            }
        }
        if let Some(Value::Array(spaces)) = n.get("search_space").cloned() {
            let converted: Vec<Value> = spaces
                .into_iter()
                .map(|s| match s {
                    Value::Object(m) => {
                        Value::Object(m.into_iter().map(|(k, v)| (k, distribution_string(&v))).collect())
                    }
                    other => other,
                })
                .collect();
            n.insert("search_space".into(), converted.into());
        }
    }
    let mut outputs = Map::new();
    if let Some(Value::Object(written)) = job.fields.get("outputs") {
        for (k, v) in written {
            if let Some(r) = rest::node_output(v, None) {
                outputs.insert(k.clone(), r);
            }
        }
    }
    n.insert("outputs".into(), outputs.into());
    Value::Object(n)
}

/// The training, featurization and forecasting settings of a tabular task, spelled as
/// azure-ai-ml sends them.
fn tabular_settings(n: &mut Map<String, Value>) {
    let training = n.entry("training").or_insert(json!({}));
    if let Value::Object(t) = training {
        for key in ["allowed_training_algorithms", "blocked_training_algorithms"] {
            snake_list(t, key);
        }
        if let Some(Value::String(m)) = t.get("training_mode") {
            let m = camel_to_snake(m);
            t.insert("training_mode".into(), m.into());
        }
        if let Some(Value::Object(s)) = t.get_mut("stack_ensemble_settings")
            && let Some(Value::String(m)) = s.get("stack_meta_learner_type")
        {
            let m = camel_to_snake(m);
            s.insert("stack_meta_learner_type".into(), m.into());
        }
    }
    if let Some(Value::Object(f)) = n.get_mut("featurization") {
        f.entry("mode").or_insert("auto".into());
        snake_list(f, "blocked_transformers");
        if let Some(Value::Object(params)) = f.get("transformer_params").cloned() {
            let renamed: Map<String, Value> =
                params.into_iter().map(|(k, v)| (camel_to_snake(&k), v)).collect();
            f.insert("transformer_params".into(), renamed.into());
        }
    }
    if let Some(Value::Object(fc)) = n.get_mut("forecasting") {
        // `UnionField([Str(), List(Str())])` dumps a list through `str()`.
        for key in ["time_series_id_column_names", "features_unknown_at_forecast_time"] {
            if let Some(Value::Array(items)) = fc.get(key) {
                let text = python_list_repr(items);
                fc.insert(key.into(), text.into());
            }
        }
    }
}

/// The names AutoML's schemas read in any case: lowercased (featurization mode, the
/// forecasting modes), or through `camel_to_snake` (training parameters' schedulers,
/// optimizers, sizes and metrics; sweep policies).
fn fold_names(n: &mut Map<String, Value>) {
    fn each(m: &mut Map<String, Value>, keys: &[&str], how: fn(&str) -> String) {
        for key in keys {
            if let Some(Value::String(s)) = m.get_mut(*key) {
                *s = how(s);
            }
        }
    }
    let lower: fn(&str) -> String = str::to_lowercase;
    if let Some(Value::Object(f)) = n.get_mut("featurization") {
        each(f, &["mode"], lower);
    }
    if let Some(Value::Object(f)) = n.get_mut("forecasting") {
        let modes = [
            "forecast_horizon",
            "target_lags",
            "target_rolling_window_size",
            "seasonality",
            "feature_lags",
            "short_series_handling_config",
            "use_stl",
            "target_aggregate_function",
        ];
        each(f, &modes, lower);
    }
    if let Some(Value::Object(t)) = n.get_mut("training_parameters") {
        let names = ["learning_rate_scheduler", "optimizer", "model_size", "validation_metric_type"];
        each(t, &names, camel_to_snake);
    }
    if let Some(Value::Object(sweep)) = n.get_mut("sweep") {
        match sweep.get_mut("sampling_algorithm") {
            Some(Value::String(a)) => *a = a.to_lowercase(),
            Some(Value::Object(a)) => each(a, &["type", "rule"], camel_to_snake),
            _ => {}
        }
        if let Some(Value::Object(et)) = sweep.get_mut("early_termination") {
            each(et, &["type"], camel_to_snake);
        }
    }
}

fn snake_list(m: &mut Map<String, Value>, key: &str) {
    if let Some(Value::Array(items)) = m.get(key) {
        let renamed: Vec<Value> = items
            .iter()
            .map(|i| i.as_str().map(|s| camel_to_snake(s).into()).unwrap_or_else(|| i.clone()))
            .collect();
        m.insert(key.into(), renamed.into());
    }
}

/// A search space value as the expression string AutoML sends (`uniform(0.001,0.01)`).
fn distribution_string(v: &Value) -> Value {
    let Value::Object(d) = v else {
        return match v {
            Value::Number(n) if n.is_f64() => float_to_str(n.as_f64().unwrap_or(0.0)).into(),
            Value::String(_) => v.clone(),
            other => super::py::str_of(other).into(),
        };
    };
    let Some(ty) = d.get("type").and_then(Value::as_str) else { return v.clone() };
    let num = |k: &str| d.get(k).map(arg).unwrap_or_else(|| "None".to_string());
    let args: Vec<String> = match ty {
        "choice" => d
            .get("values")
            .and_then(Value::as_array)
            .map(|vals| {
                vals.iter()
                    .map(|x| match x {
                        Value::String(s) => format!("'{s}'"),
                        other => arg(other),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        "randint" => vec![num("upper")],
        "uniform" | "loguniform" => vec![num("min_value"), num("max_value")],
        "quniform" | "qloguniform" => vec![num("min_value"), num("max_value"), num("q")],
        "normal" | "lognormal" => vec![num("mu"), num("sigma")],
        "qnormal" | "qlognormal" => vec![num("mu"), num("sigma"), num("q")],
        _ => return v.clone(),
    };
    format!("{ty}({})", args.join(",")).into()
}

fn arg(v: &Value) -> String {
    match v {
        Value::Number(n) if n.is_f64() => float_to_str(n.as_f64().unwrap_or(0.0)),
        other => super::py::str_of(other),
    }
}

/// `float_to_str`: `repr(f)` written without an exponent (`1e-05` -> `0.00001`).
fn float_to_str(f: f64) -> String {
    let r = crate::python::python_float(f);
    let Some((mantissa, exp)) = r.split_once('e') else { return r };
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits_part = mantissa.trim_start_matches('-');
    let (int_part, frac_part) = digits_part.split_once('.').unwrap_or((digits_part, ""));
    let digits = format!("{int_part}{frac_part}");
    let point = int_part.len() as i32 + exp;
    let body = if point <= 0 {
        format!("0.{}{}", "0".repeat((-point) as usize), digits)
    } else if point as usize >= digits.len() {
        format!("{}{}", digits, "0".repeat(point as usize - digits.len()))
    } else {
        format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
    };
    if negative { format!("-{body}") } else { body }
}

/// Python's `repr` of a list of scalars (`['a', 'b']`).
fn python_list_repr(items: &[Value]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|i| match i {
            Value::String(s) if s.contains('\'') && !s.contains('"') => format!("\"{s}\""),
            Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            other => super::py::str_of(other),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_as_the_sdk_converts() {
        assert_eq!(camel_to_snake("AUC_weighted"), "auc_weighted");
        assert_eq!(camel_to_snake("LightGBM"), "light_gbm");
        assert_eq!(camel_to_snake("ExtremeRandomTrees"), "extreme_random_trees");
        assert_eq!(camel_to_snake("XGBoostClassifier"), "xg_boost_classifier");
        assert_eq!(camel_to_snake("r2_score"), "r2_score");
        assert_eq!(camel_to_snake("TCNForecaster"), "tcn_forecaster");
    }

    #[test]
    fn distributions_as_expressions() {
        let d = json!({"type": "uniform", "min_value": 0.001, "max_value": 0.01});
        assert_eq!(distribution_string(&d), json!("uniform(0.001,0.01)"));
        let d = json!({"type": "choice", "values": ["a", 2]});
        assert_eq!(distribution_string(&d), json!("choice('a',2)"));
        assert_eq!(float_to_str(1e-5), "0.00001");
        assert_eq!(float_to_str(1.5e16), "15000000000000000");
    }
}
