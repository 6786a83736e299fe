//! The message of a delivery: a case's notification rendered for its recipient, or a report's
//! announcement, with an HTML body beside the text for email.

use yimen_engine::render::Addressee;
use yimen_engine::store::outbox::Delivery;
use yimen_notifiers::Message;

use super::{DispatchError, Dispatcher, REPORT_PREFIX};

impl Dispatcher {
    /// The announcement of a report: its title, summary and link, rendered for the recipient.
    async fn report_message(&self, d: &Delivery) -> Result<Message, DispatchError> {
        let rest = &d.case_id[REPORT_PREFIX.len()..];
        let (job, period) = rest
            .rsplit_once(':')
            .ok_or(DispatchError::Gone("a malformed report reference"))?;
        let (kind, data) = self
            .engine
            .store()
            .report_data(job, period)
            .await?
            .ok_or(DispatchError::Gone("the report is gone"))?;
        let locale = self.engine.org().file.centre.locale.clone();
        let (title, summary) = yimen_reports::describe(&locale, &kind, &data)
            .ok_or(DispatchError::Gone("the report's figures do not read"))?;
        let name = self
            .engine
            .org()
            .user(&d.recipient)
            .map_or_else(|| "您好".to_owned(), |u| u.name.clone());
        let path = format!("/api/v1/reports/{job}/{period}/html");
        let ctx = self.renderer.report_context(&title, period, &path, &summary, &name);
        let r = self.renderer.render(&d.template, &locale, &ctx)?;
        Ok(Message {
            to: d.address.clone(),
            to_name: Some(name),
            subject: r.subject,
            html: Some(html_body(&r.body)),
            text: r.body,
            idempotency_key: format!("{}/{}/{}", d.outbox_key, d.channel, d.slot),
            report_url: None,
        })
    }

    /// The message for a delivery: its case, its recipient, the rendered template.
    pub(super) async fn message(&self, d: &Delivery) -> Result<Message, DispatchError> {
        if d.case_id.starts_with(REPORT_PREFIX) {
            return self.report_message(d).await;
        }
        if d.address.is_empty() {
            return Err(DispatchError::Gone(
                "the address was deleted with the case's personal data",
            ));
        }
        let case = self
            .engine
            .case(&d.case_id)
            .await?
            .ok_or(DispatchError::Gone("the case is gone"))?;
        let def = self
            .engine
            .definitions()
            .get(&case.case_type, case.definition_version)
            .ok_or(DispatchError::Gone("the case's definition is not deployed"))?;
        let org = self.engine.org();
        let user = org.user(&d.recipient);
        let name = user.map_or_else(|| "您好".to_owned(), |u| u.name.clone());
        let sees = user.is_some_and(|u| {
            u.roles
                .iter()
                .any(|r| org.file.roles.get(r).is_some_and(|r| r.sees_personal_data))
        });
        let ctx = self.renderer.context(
            &def,
            org,
            &case,
            Addressee {
                name: &name,
                sees_personal_data: sees,
            },
            self.engine.now(),
        );
        let r = self.renderer.render(&d.template, &org.file.centre.locale, &ctx)?;
        let key = format!("{}/{}/{}", d.outbox_key, d.channel, d.slot);
        Ok(if d.channel == "sms" {
            let report_url = self.opts.reports.as_ref().map(|(base, token)| {
                let q: String = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("token", token)
                    .append_pair("key", &d.outbox_key)
                    .append_pair("to", &d.slot)
                    .finish();
                format!("{base}/api/v1/sms/reports?{q}")
            });
            Message {
                to: d.address.clone(),
                to_name: None,
                subject: None,
                text: r.sms.unwrap_or(r.body),
                html: None,
                idempotency_key: key,
                report_url,
            }
        } else {
            let html = html_body(&r.body);
            Message {
                to: d.address.clone(),
                to_name: Some(name),
                subject: r.subject,
                text: r.body,
                html: Some(html),
                idempotency_key: key,
                report_url: None,
            }
        })
    }
}

/// The plain-text body as simple HTML: escaped, paragraphs kept, links clickable.
fn html_body(text: &str) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut out = String::from("<!DOCTYPE html><html><body style=\"font-family:sans-serif;line-height:1.6\">");
    for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let lines: Vec<String> = para
            .lines()
            .map(|l| {
                let e = escape(l.trim());
                match e.find("https://").or_else(|| e.find("http://")) {
                    Some(at) => {
                        let end = e[at..].find(char::is_whitespace).map_or(e.len(), |n| at + n);
                        let url = &e[at..end];
                        format!("{}<a href=\"{url}\">{url}</a>{}", &e[..at], &e[end..])
                    }
                    None => e,
                }
            })
            .collect();
        out.push_str(&format!("<p>{}</p>", lines.join("<br>")));
    }
    out.push_str("</body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_linked() {
        let h = html_body("您好：\n\n<script>x</script> & more\n\nhttps://centre.example/cases/1");
        assert!(h.contains("&lt;script&gt;x&lt;/script&gt; &amp; more"));
        assert!(h.contains("<a href=\"https://centre.example/cases/1\">"));
        assert_eq!(h.matches("<p>").count(), 3);
    }
}
