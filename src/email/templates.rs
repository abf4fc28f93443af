//! E-mail templates (minijinja): each message has a subject, a text and an HTML template
//! under `templates/emails/`, compiled into the binary.

use std::sync::LazyLock;

use minijinja::Environment;
use serde::Serialize;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    let sources: [(&str, &str); 15] = [
        ("email_changed.subject", include_str!("../../templates/emails/email_changed.subject")),
        ("email_changed.txt", include_str!("../../templates/emails/email_changed.txt")),
        ("email_changed.html", include_str!("../../templates/emails/email_changed.html")),
        ("welcome.subject", include_str!("../../templates/emails/welcome.subject")),
        ("welcome.txt", include_str!("../../templates/emails/welcome.txt")),
        ("welcome.html", include_str!("../../templates/emails/welcome.html")),
        (
            "order_confirmation.subject",
            include_str!("../../templates/emails/order_confirmation.subject"),
        ),
        ("order_confirmation.txt", include_str!("../../templates/emails/order_confirmation.txt")),
        ("order_confirmation.html", include_str!("../../templates/emails/order_confirmation.html")),
        ("password_reset.subject", include_str!("../../templates/emails/password_reset.subject")),
        ("password_reset.txt", include_str!("../../templates/emails/password_reset.txt")),
        ("password_reset.html", include_str!("../../templates/emails/password_reset.html")),
        ("notify.subject", include_str!("../../templates/emails/notify.subject")),
        ("notify.txt", include_str!("../../templates/emails/notify.txt")),
        ("notify.html", include_str!("../../templates/emails/notify.html")),
    ];
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
