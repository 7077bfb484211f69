//! Turns the body of a failed answer into one short line: the service's own message when it
//! sent one in a known shape (TLSPC envelope, OAuth error), else the text itself.

/// Longest description kept, in characters; error pages can be long.
const MAX_CHARS: usize = 300;

/// One line describing `body` (never empty, no control characters, at most 300 characters + "…").
pub fn describe(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "the response body was empty".to_owned();
    }
    let described = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(json) => service_message(&json).unwrap_or_else(|| text.to_owned()),
        Err(_) if text.starts_with('<') => html_to_text(text),
        Err(_) => text.to_owned(),
    };
    let line = cut(&collapse_whitespace(&described));
    if line.is_empty() {
        "the response body held no text".to_owned()
    } else {
        line
    }
}

/// The message of a TLSPC envelope `{"errors":[{"code":N,"message":"..."}]}`, an OAuth error
/// `{"error":"...","error_description":"..."}`, or Armor's `{"message":"..."}`.
fn service_message(json: &serde_json::Value) -> Option<String> {
    if let Some(errors) = json.get("errors").and_then(|errors| errors.as_array()) {
        let messages: Vec<String> = errors.iter().filter_map(envelope_entry).collect();
        if !messages.is_empty() {
            return Some(messages.join("; "));
        }
    }
    // ASP.NET services (Armor among them) may capitalise it.
    if let Some(message) = ["message", "Message"]
        .iter()
        .find_map(|key| json.get(key)?.as_str())
    {
        return Some(message.to_owned());
    }
    let error = json.get("error")?.as_str()?;
    match json
        .get("error_description")
        .and_then(|description| description.as_str())
    {
        Some(description) if !description.trim().is_empty() => {
            Some(format!("{error}: {description}"))
        }
        _ => Some(error.to_owned()),
    }
}

/// `message (code N)` for one envelope entry.
fn envelope_entry(entry: &serde_json::Value) -> Option<String> {
    let message = entry.get("message")?.as_str()?;
    Some(match entry.get("code") {
        Some(code) if code.is_number() || code.is_string() => {
            format!("{message} (code {})", code.to_string().trim_matches('"'))
        }
        _ => message.to_owned(),
    })
}

/// The visible text of an HTML page: tags and the contents of script/style elements dropped,
/// common entities decoded.
fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(tag_start) = rest.find('<') {
        text.push_str(&rest[..tag_start]);
        let after_open = &rest[tag_start..];
        let tag_end = after_open.find('>').map_or(after_open.len(), |end| end + 1);
        let tag = after_open[..tag_end].to_ascii_lowercase();
        rest = &after_open[tag_end..];
        for hidden in ["script", "style"] {
            if tag.starts_with(&format!("<{hidden}")) {
                let closing = format!("</{hidden}");
                rest = rest
                    .to_ascii_lowercase()
                    .find(&closing)
                    .map_or("", |at| &rest[at..]);
            }
        }
        // A tag separates words even when the page has no whitespace around it.
        text.push(' ');
    }
    text.push_str(rest);
    decode_entities(&text)
}

fn decode_entities(text: &str) -> String {
    [
        ("&nbsp;", " "),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(text.to_owned(), |text, (entity, plain)| {
        text.replace(entity, plain)
    })
}

/// Runs of whitespace and control characters become one space; the ends are trimmed.
fn collapse_whitespace(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_shapes() {
        assert_eq!(
            describe(
                br#"{"errors":[{"code":10501,"message":"Invalid client assertion","args":[]}]}"#
            ),
            "Invalid client assertion (code 10501)"
        );
        assert_eq!(
            describe(br#"{"error":"invalid_client","error_description":"the client assertion is invalid"}"#),
            "invalid_client: the client assertion is invalid"
        );
        assert_eq!(describe(br#"{"error":"invalid_grant"}"#), "invalid_grant");
        assert_eq!(describe(br#"{"message":"Invalid token"}"#), "Invalid token");
        assert_eq!(
            describe(br#"{"Message":"An error has occurred."}"#),
            "An error has occurred."
        );
        assert_eq!(describe(b"  \n "), "the response body was empty");
        assert_eq!(
            describe(b"Service\r\n  Unavailable\t"),
            "Service Unavailable"
        );
        assert_eq!(describe(br#"{"other":1}"#), r#"{"other":1}"#);
    }

    #[test]
    fn html_is_reduced_to_its_text() {
        let page = b"<html><head><title>502 Bad Gateway</title><style>p{x:1}</style></head>\
            <body><h1>Bad&nbsp;Gateway</h1><script>var a = '<b>';</script><p>nginx &amp; co</p></body></html>";
        assert_eq!(describe(page), "502 Bad Gateway Bad Gateway nginx & co");
        assert_eq!(describe(b"<html></html>"), "the response body held no text");
    }

    #[test]
    fn long_text_is_cut() {
        let described = describe("é".repeat(1000).as_bytes());
        assert_eq!(described.chars().count(), MAX_CHARS + 1);
        assert!(described.ends_with('…'));
    }

    proptest! {
        #[test]
        fn any_bytes_give_one_short_line(body in prop::collection::vec(any::<u8>(), 0..2000)) {
            let described = describe(&body);
            prop_assert!(!described.is_empty());
            prop_assert!(described.chars().count() <= MAX_CHARS + 1);
            prop_assert!(!described.chars().any(|c| c.is_control()));
        }

        #[test]
        fn html_like_text_never_panics(body in "(<[a-zA-Z/]{0,8}>?|[^<]{0,10}|&[a-z]{0,5};?){0,40}") {
            prop_assert!(!describe(body.as_bytes()).is_empty());
        }

        #[test]
        fn json_like_text_never_panics(message in ".{0,50}", code in any::<i64>()) {
            let envelope = serde_json::json!({"errors": [{"code": code, "message": message}]}).to_string();
            let oauth = serde_json::json!({"error": message, "error_description": message}).to_string();
            prop_assert!(!describe(envelope.as_bytes()).is_empty());
            prop_assert!(!describe(oauth.as_bytes()).is_empty());
        }
    }
}
