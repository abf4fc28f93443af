//! E-mail templates (minijinja): each message has a subject, a text and an HTML template
//! under `templates/emails/`, compiled into the binary.

use std::sync::LazyLock;

use minijinja::Environment;
use serde::Serialize;

/// `(name, source)` of each message's subject, text and HTML templates, compiled in.
macro_rules! messages {
    (@part $name:literal, $part:literal) => {
        (concat!($name, $part), include_str!(concat!("../../templates/emails/", $name, $part)))
    };
    ($($name:literal),+) => {
        [$(
            messages!(@part $name, ".subject"),
            messages!(@part $name, ".txt"),
            messages!(@part $name, ".html"),
        )+]
    };
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    let sources =
        messages!("email_changed", "welcome", "order_confirmation", "password_reset", "notify");
    for (name, source) in sources {
        if let Err(error) = env.add_template(name, source) {
            tracing::error!(%error, template = name, "invalid e-mail template");
        }
    }
    env
});

/// A rendered message: subject, text body, HTML body.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders `<name>.subject`, `<name>.txt` and `<name>.html` with `context`.
pub fn render(name: &str, context: impl Serialize) -> anyhow::Result<Rendered> {
    let context = minijinja::Value::from_serialize(&context);
    let one = |suffix: &str| -> anyhow::Result<String> {
        let template = TEMPLATES.get_template(&format!("{name}.{suffix}"))?;
        Ok(template.render(&context)?)
    };
    Ok(Rendered {
        subject: one("subject")?.trim().to_owned(),
        text: one("txt")?,
        html: one("html")?,
    })
}
