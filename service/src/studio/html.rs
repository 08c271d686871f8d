//! HTML building blocks of the studio: escaping (every text that reaches a page goes through
//! [`esc`]), the page frame with its inline style sheet, badges and small formatting helpers.
//! Nothing is loaded from the network: no fonts, scripts or styles from elsewhere.

use std::fmt::Write;

use crate::auth::Caller;

/// Text made safe for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A path segment for a link (`/` and everything unusual escaped).
pub fn seg(text: &str) -> String {
    crate::client::segment(text)
}

/// `2026-05-01 12:03:04Z` for a wire time (`2026-05-01T12:03:04.250Z`).
pub fn when(iso: &str) -> String {
    let t = iso.replacen('T', " ", 1);
    match t.find('.') {
        Some(dot) => format!("{}Z", &t[..dot]),
        None => t,
    }
}

/// Milliseconds between two wire times.
pub fn between(start: Option<&str>, end: Option<&str>) -> Option<i64> {
    Some(parse_ms(end?)? - parse_ms(start?)?)
}

/// A wire time as Unix ms.
pub fn parse_ms(iso: &str) -> Option<i64> {
    // 2026-05-01T12:03:04.250Z
    let b = iso.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let n = |r: std::ops::Range<usize>| iso.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, s) = (n(11..13)?, n(14..16)?, n(17..19)?);
    let ms = if b.get(19) == Some(&b'.') { n(20..23).unwrap_or(0) } else { 0 };
    // Days from civil (Howard Hinnant).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms)
}

/// A duration for people.
pub fn duration(ms: Option<i64>) -> String {
    ms.map_or_else(|| "–".to_string(), sluice_runtime::time::format_duration)
}

/// The colour class of a status word (SDK run words, sluice step words, entity statuses).
pub fn tone(status: &str) -> &'static str {
    match status {
        "Finished" | "completed" | "Active" => "ok",
        "reused" => "reused",
        "Failed" | "failed" | "interrupted" => "bad",
        "Running" | "running" | "CancelRequested" => "run",
        "Canceled" | "canceled" | "skipped" => "warn",
        "Disabled" => "off",
        _ => "idle",
    }
}

/// A status badge.
pub fn badge(status: &str) -> String {
    format!(r#"<span class="badge {}">{}</span>"#, tone(status), esc(status))
}

/// The first 8 characters of an id, linking to its page.
pub fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

/// A copyable URL.
pub fn url_box(url: &str) -> String {
    format!(
        r#"<span class="url"><code>{u}</code><button type="button" class="copy" data-copy="{u}" title="Copy the URL">Copy</button></span>"#,
        u = esc(url)
    )
}

/// A hidden form field with the caller's form value.
pub fn csrf(caller: &Caller) -> String {
    format!(r#"<input type="hidden" name="csrf" value="{}">"#, esc(&caller.csrf))
}

/// A one-button form posting to `action`.
pub fn button_form(
    caller: &Caller,
    action: &str,
    fields: &[(&str, &str)],
    label: &str,
    class: &str,
) -> String {
    let mut f = format!(r#"<form method="post" action="{}" class="inline">{}"#, esc(action), csrf(caller));
    for (k, v) in fields {
        let _ = write!(f, r#"<input type="hidden" name="{}" value="{}">"#, esc(k), esc(v));
    }
    let _ = write!(f, r#"<button type="submit" class="btn {}">{}</button></form>"#, esc(class), esc(label));
    f
}

/// Which tab of the navigation is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Pipelines.
    Pipelines,
    /// Endpoints.
    Endpoints,
    /// Runs.
    Runs,
    /// None (login, errors).
    None,
}

/// A whole page: head, style, navigation, `body`, and the copy-button script. A page with
/// `watch` URLs (of the API) reloads itself when their answers change.
pub fn page(title: &str, tab: Tab, caller: Option<&Caller>, body: &str, watch: &[String]) -> String {
    let mut nav = String::new();
    for (t, href, label) in [
        (Tab::Pipelines, "/studio", "Pipelines"),
        (Tab::Endpoints, "/studio/endpoints", "Endpoints"),
        (Tab::Runs, "/studio/runs", "Runs"),
    ] {
        let class = if t == tab { r#" class="current""# } else { "" };
        let _ = write!(nav, r#"<a href="{href}"{class}>{label}</a>"#);
    }
    let who = match caller {
        Some(c) => format!(
            r#"<span class="who">{} <span class="role">{}</span></span><form method="post" action="/studio/logout" class="inline">{}<button class="btn ghost small" type="submit">Sign out</button></form>"#,
            esc(&c.name),
            esc(c.role.as_str()),
            csrf(c)
        ),
        None => String::new(),
    };
    let watch_script = if watch.is_empty() {
        String::new()
    } else {
        format!(
            r#"<noscript><meta http-equiv="refresh" content="3"></noscript><script>
(function(){{var urls={u},last=null;function get(u){{return fetch(u,{{credentials:"same-origin",cache:"no-store"}}).then(function(r){{return r.text()}})}}
function poll(){{Promise.all(urls.map(get)).then(function(ts){{var t=ts.join("\n");if(last!==null&&t!==last){{location.reload();return}}last=t;setTimeout(poll,1000)}}).catch(function(){{setTimeout(poll,3000)}})}}poll()}})();
</script>"#,
            u = serde_json::to_string(watch).unwrap_or_default()
        )
    };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · sluice studio</title><style>{STYLE}</style></head>
<body><header class="top"><a class="brand" href="/studio"><span class="logo">◆</span> sluice <span>studio</span></a><nav>{nav}</nav><div class="me">{who}</div></header>
<main>{body}</main>
<footer>sluice {version} · <a href="/openapi.json">OpenAPI</a></footer>
<script>document.addEventListener("click",function(e){{var b=e.target.closest("button.copy");if(!b)return;navigator.clipboard&&navigator.clipboard.writeText(b.getAttribute("data-copy"));b.textContent="Copied";setTimeout(function(){{b.textContent="Copy"}},1200)}});</script>
{watch_script}</body></html>"#,
        title = esc(title),
        version = env!("CARGO_PKG_VERSION"),
    )
}

/// The style sheet, inline.
const STYLE: &str = r#"
:root{--bg:#f6f7f9;--card:#fff;--ink:#1c2330;--mute:#667085;--line:#e3e6eb;--accent:#2f6fde;--accent2:#e8f0fd;
--ok:#1a7f4b;--okbg:#e5f5ec;--bad:#b42318;--badbg:#fdeceb;--run:#175cd3;--runbg:#e6efff;--warn:#9a5b00;--warnbg:#fff3dc;
--reused:#5b3fa8;--reusedbg:#efeafc;--idle:#475467;--idlebg:#eef0f3}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
header.top{display:flex;align-items:center;gap:28px;padding:0 28px;height:56px;background:#111827;color:#e5e7eb}
.brand{color:#fff;font-weight:650;font-size:17px;letter-spacing:.2px}.brand span{color:#9ca3af;font-weight:500}.brand .logo{color:#60a5fa}
header nav{display:flex;gap:6px}header nav a{color:#cbd5e1;padding:7px 12px;border-radius:6px}
header nav a.current,header nav a:hover{background:#1f2937;color:#fff;text-decoration:none}
.me{margin-left:auto;display:flex;align-items:center;gap:10px}.who{color:#e5e7eb}.role{color:#9ca3af;font-size:12px;border:1px solid #374151;border-radius:10px;padding:1px 7px;margin-left:4px}
main{max-width:1240px;margin:0 auto;padding:26px 28px 40px}
footer{max-width:1240px;margin:0 auto;padding:0 28px 30px;color:var(--mute);font-size:12px}
h1{font-size:22px;margin:0 0 4px;display:flex;align-items:center;gap:10px;flex-wrap:wrap}h2{font-size:16px;margin:0 0 12px}
.sub{color:var(--mute);margin:0 0 20px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin-bottom:18px;box-shadow:0 1px 2px rgba(16,24,40,.04)}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:10px 28px}
.kv{display:flex;flex-direction:column;gap:2px}.kv>b{font-size:12px;color:var(--mute);font-weight:550;text-transform:uppercase;letter-spacing:.4px}
table{width:100%;border-collapse:collapse}th{text-align:left;font-size:12px;color:var(--mute);font-weight:600;text-transform:uppercase;letter-spacing:.4px;padding:8px 10px;border-bottom:1px solid var(--line)}
td{padding:9px 10px;border-bottom:1px solid var(--line);vertical-align:top}td.name{min-width:150px}tr:last-child td{border-bottom:none}tbody tr:hover{background:#fafbfc}
.badge{display:inline-block;padding:2px 9px;border-radius:11px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.ok{color:var(--ok);background:var(--okbg)}.badge.bad{color:var(--bad);background:var(--badbg)}.badge.run{color:var(--run);background:var(--runbg)}
.badge.warn{color:var(--warn);background:var(--warnbg)}.badge.reused{color:var(--reused);background:var(--reusedbg)}.badge.idle,.badge.off{color:var(--idle);background:var(--idlebg)}
.chip{display:inline-block;background:var(--idlebg);border-radius:6px;padding:1px 7px;margin:1px 3px 1px 0;font-size:12px}
.chip b{font-weight:600}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.url{display:inline-flex;align-items:center;gap:6px;max-width:100%}.url code{background:var(--idlebg);padding:2px 6px;border-radius:5px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;max-width:520px;display:inline-block}
.btn{display:inline-block;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:7px;padding:7px 14px;font:inherit;font-weight:600;cursor:pointer}
.btn:hover{filter:brightness(1.08);text-decoration:none}.btn.ghost{background:transparent;color:var(--accent)}.btn.danger{background:#fff;color:var(--bad);border-color:#f3b8b3}
.btn.small{padding:3px 10px;font-size:12px}.btn[disabled]{opacity:.45;cursor:not-allowed}
header .btn.ghost{color:#cbd5e1;border-color:#374151}
button.copy{border:1px solid var(--line);background:#fff;border-radius:6px;font-size:11px;padding:2px 7px;cursor:pointer;color:var(--mute)}
form.inline{display:inline}
.form{display:grid;grid-template-columns:minmax(160px,220px) 1fr;gap:10px 16px;align-items:center;max-width:760px}
.form label{font-weight:600}.form label small{display:block;color:var(--mute);font-weight:400}
input[type=text],input[type=number],input[type=password],select{font:inherit;padding:7px 10px;border:1px solid #cfd4dc;border-radius:7px;width:100%;background:#fff}
input:focus,select:focus{outline:2px solid var(--accent2);border-color:var(--accent)}
.actions{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.empty{color:var(--mute);padding:18px 0}.muted{color:var(--mute)}.right{text-align:right}
.split{display:flex;justify-content:space-between;align-items:flex-start;gap:16px;flex-wrap:wrap}
.dag{overflow:auto;border:1px solid var(--line);border-radius:8px;background:#fbfcfd}
.dag svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
pre.log{background:#0f172a;color:#e2e8f0;padding:14px 16px;border-radius:8px;overflow:auto;max-height:520px;white-space:pre-wrap;word-break:break-word;margin:0}
.tabs{display:flex;gap:4px;margin-bottom:10px;flex-wrap:wrap}.tabs a{padding:5px 11px;border-radius:6px;border:1px solid var(--line);background:#fff;color:var(--ink);font-size:13px}
.tabs a.current{background:var(--accent);border-color:var(--accent);color:#fff}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:#fff}
.chart h3{font-size:13px;margin:0 0 6px}
.notice{padding:10px 14px;border-radius:8px;background:var(--warnbg);color:var(--warn);margin-bottom:16px}
.error{padding:10px 14px;border-radius:8px;background:var(--badbg);color:var(--bad);margin-bottom:16px;white-space:pre-wrap}
.login{max-width:420px;margin:60px auto}
.counts{display:flex;gap:10px;flex-wrap:wrap;margin-bottom:16px}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_times() {
        assert_eq!(
            esc(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
        );
        assert_eq!(parse_ms("1970-01-01T00:00:01.500Z"), Some(1500));
        assert_eq!(parse_ms(&crate::time::iso(1_777_638_184_250)), Some(1_777_638_184_250));
        assert_eq!(when("2026-05-01T12:23:04.250Z"), "2026-05-01 12:23:04Z");
    }
}
