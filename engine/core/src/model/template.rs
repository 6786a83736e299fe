//! Notification templates (`workflows/templates/<id>.<locale>.hbs`): handlebars text with an
//! optional front matter giving the email subject and the SMS text.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The front matter of a template, between `---` lines at the top of the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Yimen template front matter")]
pub struct TemplateHeader {
    /// What the message is, as the pages name it in the file's language (`受理回执`, `Case
    /// receipt`); `yimen validate` warns when it is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The email subject (a handlebars template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The SMS text (a handlebars template); the body is used for email only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<String>,
    /// How many SMS segments a message may take (70 Chinese or 160 GSM characters each, a little
    /// less when concatenated); `yimen validate` warns when a rendered sample needs more. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10))]
    pub sms_segments: Option<u32>,
}
