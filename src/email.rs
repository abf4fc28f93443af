//! Outgoing e-mail: SMTP through lettre when `EMAIL_URL` is set,
//! otherwise every message is written as an `.eml` file (the development default).
//! Messages are rendered from templates with a text and an HTML part
//! (`multipart/alternative`, DC-8) and may carry attachments. Headers are lettre's typed
//! headers, so a line break in a name or subject can never start a new header.

pub mod templates;

use std::path::PathBuf;

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf, AsyncFileTransport<Tokio1Executor>),
}

/// A header value on one line: control characters (CR, LF, …) become spaces.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

/// Sends mail through the configured transport.
pub struct Mailer {
    transport: Transport,
    pub from: Mailbox,
    /// `ADMINS`: recipients of `mail_admins`-style alerts.
    pub admins: Vec<Mailbox>,
}

/// A message before it is addressed from the sender.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: Vec<Mailbox>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// `(filename, content type, bytes)`.
    pub attachments: Vec<(String, ContentType, Vec<u8>)>,
}

impl Mailer {
    /// SMTP from a URL such as `smtp://user:pass@host:587?tls=required` or
    /// `smtps://host:465` (lettre's URL format).
    pub fn smtp(url: &str, from: Mailbox, admins: Vec<Mailbox>) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("EMAIL_URL is not a valid SMTP URL")?
            .build();
        Ok(Self { transport: Transport::Smtp(transport), from, admins })
    }

    /// Every message becomes `<dir>/<uuid>.eml`.
    pub fn files(
        dir: impl Into<PathBuf>, from: Mailbox, admins: Vec<Mailbox>,
    ) -> anyhow::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
        let transport = AsyncFileTransport::<Tokio1Executor>::new(&dir);
        Ok(Self { transport: Transport::Files(dir, transport), from, admins })
    }

    /// From `EMAIL_URL`, `DEFAULT_FROM_EMAIL`, `ADMINS` (and the mail folder otherwise).
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Self> {
        let from: Mailbox = config
            .default_from_email
            .parse()
            .context("DEFAULT_FROM_EMAIL is not a valid address")?;
        let admins = config
            .admins
            .iter()
            .map(|a| {
                a.parse::<Mailbox>().with_context(|| format!("ADMINS has an invalid address {a:?}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        match &config.email_url {
            Some(url) => Self::smtp(url, from, admins),
            None => Self::files(&config.mail_dir, from, admins),
        }
    }

    /// Builds the MIME message: `multipart/alternative` (text + HTML), inside
    /// `multipart/mixed` when there are attachments.
    pub fn message(&self, email: Email) -> anyhow::Result<Message> {
        let mut builder =
            Message::builder().from(self.from.clone()).subject(one_line(&email.subject));
        for to in email.to {
            // lettre encodes display names; a line break in one must not even reach it.
            builder = builder.to(Mailbox::new(to.name.as_deref().map(one_line), to.email));
        }
        let body = match email.html {
            Some(html) => MultiPart::alternative_plain_html(email.text, html),
            None => MultiPart::mixed().singlepart(SinglePart::plain(email.text)),
        };
        let body = if email.attachments.is_empty() {
            body
        } else {
            email.attachments.into_iter().fold(
                MultiPart::mixed().multipart(body),
                |mixed, (name, kind, bytes)| {
                    mixed.singlepart(Attachment::new(name).body(bytes, kind))
                },
            )
        };
        builder.multipart(body).context("could not build the message")
    }

    pub async fn send(&self, email: Email) -> anyhow::Result<()> {
        let message = self.message(email)?;
        self.send_message(message).await
    }

    pub async fn send_message(&self, message: Message) -> anyhow::Result<()> {
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.context("SMTP delivery failed")?;
            }
            Transport::Files(dir, files) => {
                let id = files.send(message).await.context("could not write the message")?;
                tracing::info!(file = %dir.join(format!("{id}.eml")).display(), "mail written (no EMAIL_URL set)");
            }
        }
        Ok(())
    }
}
