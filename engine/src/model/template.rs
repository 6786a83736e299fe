//! Notification templates (`workflows/templates/<id>.<locale>.hbs`): handlebars text with an
//! optional front matter giving the email subject and the SMS text.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The front matter of a template, between `---` lines at the top of the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Yimen template front matter")]
pub struct TemplateHeader {
    /// The email subject (a handlebars template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The SMS text (a handlebars template); the body is used for email only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<String>,
}
