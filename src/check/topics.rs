//! Notification topics: e-mail and webhook syntax, and topics no rule uses.

use crate::diagnostic::{Code, Diagnostic};
use crate::spec::Spec;

/// Local addresses, accepted for `pipec run --local` and skipped on AWS targets.
#[must_use]
pub fn is_local_url(url: &str) -> bool {
    let rest = url.strip_prefix("http://").unwrap_or("");
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|h| rest.starts_with(h) && rest[h.len()..].chars().next().is_none_or(|c| ":/".contains(c)))
}

#[must_use]
pub fn is_email(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else { return false };
    let labels: Vec<&str> = domain.split('.').collect();
    !local.is_empty()
        && local.len() <= 64
        && address.len() <= 254
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

fn is_https_url(url: &str) -> bool {
    url.strip_prefix("https://").is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let name = host.split(':').next().unwrap_or("");
        !name.is_empty()
            && !url.chars().any(char::is_whitespace)
            && name.chars().all(|c| c.is_ascii_alphanumeric() || ".-[]".contains(c))
    })
}

pub fn check(spec: &Spec, d: &mut Vec<Diagnostic>) {
    let alarms = spec.alarms.iter().filter_map(|a| a.topic.as_ref());
    let used: Vec<&str> = spec
        .hot
        .iter()
        .flat_map(|h| &h.rules)
        .flat_map(|r| &r.notify)
        .chain(alarms)
        .map(|t| t.value.as_str())
        .collect();
    for topic in &spec.notifications {
        for email in &topic.email {
            if !is_email(&email.value) {
                d.push(
                    Diagnostic::error(
                        Code::InvalidEmail,
                        email.span,
                        format!("`{}` is not an e-mail address", email.value),
                    )
                    .with_label("expected `name@domain.tld`")
                    .with_help("fix the address; SNS would reject the subscription"),
                );
            }
        }
        for hook in &topic.webhook {
            if !is_https_url(&hook.value) && !is_local_url(&hook.value) {
                d.push(
                    Diagnostic::error(Code::InvalidWebhook, hook.span, format!("`{}` is not an https URL", hook.value))
                        .with_label("expected `https://host/path`")
                        .with_help(
                            "use an https:// URL (http://127.0.0.1 or http://localhost are accepted for local runs)",
                        ),
                );
            }
        }
        if topic.email.is_empty() && topic.webhook.is_empty() {
            d.push(
                Diagnostic::warning(
                    Code::UnusedTopic,
                    topic.name.span,
                    format!("topic `{}` has no subscribers", topic.name.value),
                )
                .with_label("no `email` or `webhook`")
                .with_help("add `email: [ops@example.com]` or a `webhook`"),
            );
        }
        if !used.contains(&topic.name.value.as_str()) {
            d.push(
                Diagnostic::warning(
                    Code::UnusedTopic,
                    topic.name.span,
                    format!("no rule notifies topic `{}`", topic.name.value),
                )
                .with_label("never published to")
                .with_help(format!("add `notify: [{}]` to a rule, or remove the topic", topic.name.value)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_urls() {
        assert!(is_email("ops@example.com"));
        assert!(is_email("first.last+tag@mail.example.co"));
        for bad in ["ops", "ops@", "@x.com", "a b@x.com", "ops@example", "ops@-x.com", "a..b@x.com", "ops@x.c0m"] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_https_url("https://hooks.example.com/a?b=1"));
        assert!(!is_https_url("http://hooks.example.com"));
        assert!(!is_https_url("https://"));
        assert!(is_local_url("http://127.0.0.1:9000/hook"));
        assert!(!is_local_url("http://127.0.0.1.evil.com/"));
    }
}
