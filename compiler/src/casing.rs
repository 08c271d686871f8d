//! Names as azure-ai-ml's `camel_to_snake` converts them (`UserIdentity` -> `user_identity`):
//! its schemas read many enum values through it, and AutoML sends names in its form.

/// azure-ai-ml's `camel_to_snake` (applied to each comma-separated part).
pub fn camel_to_snake(text: &str) -> String {
    if text.contains(',') {
        return text.split(',').map(|t| convert(t.trim())).collect::<Vec<_>>().join(",");
    }
    convert(text)
}

/// `(.)([A-Z][a-z]+)` -> `\1_\2`, then `([a-z0-9])([A-Z])` -> `\1_\2`, lowercased.
fn convert(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    // First pass.
    let mut first: Vec<char> = Vec::with_capacity(chars.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        // A match needs a previous character (`.`: not a newline), an uppercase letter and at
        // least one lowercase.
        if chars[i] != '\n'
            && i + 1 < chars.len()
            && chars[i + 1].is_ascii_uppercase()
            && chars.get(i + 2).is_some_and(|c| c.is_ascii_lowercase())
        {
            first.push(chars[i]);
            first.push('_');
            first.push(chars[i + 1]);
            let mut j = i + 2;
            while j < chars.len() && chars[j].is_ascii_lowercase() {
                first.push(chars[j]);
                j += 1;
            }
            i = j;
            continue;
        }
        first.push(chars[i]);
        i += 1;
    }
    // Second pass.
    let mut out = String::with_capacity(first.len() + 4);
    let mut k = 0;
    while k < first.len() {
        let c = first[k];
        out.push(c);
        if (c.is_ascii_lowercase() || c.is_ascii_digit())
            && first.get(k + 1).is_some_and(|n| n.is_ascii_uppercase())
        {
            out.push('_');
            out.push(first[k + 1]);
            k += 2;
            continue;
        }
        k += 1;
    }
    out.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_to_snake_is_azure_ai_ml_s() {
        // Expected values: azure.ai.ml._utils.utils.camel_to_snake.
        for (camel, snake) in [
            ("UserIdentity", "user_identity"),
            ("AMLToken", "aml_token"),
            ("User_Identity", "user__identity"),
            ("MedianStopping", "median_stopping"),
            ("MAXIMIZE", "maximize"),
            ("aml_token", "aml_token"),
            ("HTTPServerError", "http_server_error"),
            ("getHTTPResponse2Code", "get_http_response2_code"),
            ("A", "a"),
            ("", ""),
            ("UserIdentity, AMLToken", "user_identity,aml_token"),
        ] {
            assert_eq!(camel_to_snake(camel), snake, "{camel}");
        }
    }
}
