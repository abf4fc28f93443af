//! The task handlers of every domain, composed for the job worker (`jobs` is the queue;
//! this module, like the schema, sits above the domains it calls).
//!
//! Each task reads what it needs through the domains' repos when it runs (this module
//! holds no SQL), so a retried job uses current data; a returned error makes
//! graphile_worker retry it with exponential backoff until its `max_attempts`.

use std::time::Duration;

use diesel_async::AsyncPgConnection;
use graphile_worker::{IntoTaskHandlerResult, TaskHandler, WorkerContext, WorkerOptions};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::model::UserRow;
use crate::email::{Email, templates};
use crate::invoices::model::{Line, Seller};
use crate::invoices::repo as invoices;
use crate::jobs::JobDeps;
use crate::jobs::task::{
    CLEANUP_CARTS, CLEANUP_JOB_HISTORY, CLEANUP_PASSWORD_RESETS, MAIL_ADMINS, NOTIFY_CUSTOMERS,
    SEND_EMAIL_CHANGED, SEND_ORDER_CONFIRMATION, SEND_PASSWORD_RESET, SEND_WELCOME_EMAIL,
};

/// Carts untouched for this long are deleted (three months).
pub const STALE_CART_AGE: Duration = Duration::from_secs(90 * 24 * 3600);

/// A job's work, given what every task needs; an error makes the worker retry it.
trait Task: Sized {
    async fn perform(self, deps: &JobDeps) -> Result<(), String>;
}

/// Makes each [`Task`] a graphile_worker handler under its identifier, and [`define_all`].
macro_rules! handlers {
    ($($task:ident => $identifier:ident),+ $(,)?) => {
        $(
            impl TaskHandler for $task {
                const IDENTIFIER: &'static str = $identifier;

                async fn run(self, ctx: WorkerContext) -> impl IntoTaskHandlerResult {
                    self.perform(deps(&ctx)?).await
                }
            }
        )+

        pub fn define_all(options: WorkerOptions) -> WorkerOptions {
            options$(.define_job::<$task>())+
        }
    };
}

handlers!(
    MailAdmins => MAIL_ADMINS,
    CleanupJobHistory => CLEANUP_JOB_HISTORY,
    SendWelcomeEmail => SEND_WELCOME_EMAIL,
    SendOrderConfirmation => SEND_ORDER_CONFIRMATION,
    SendPasswordReset => SEND_PASSWORD_RESET,
    SendEmailChanged => SEND_EMAIL_CHANGED,
    NotifyCustomers => NOTIFY_CUSTOMERS,
    CleanupCarts => CLEANUP_CARTS,
    CleanupPasswordResets => CLEANUP_PASSWORD_RESETS,
);

fn deps(ctx: &WorkerContext) -> Result<&JobDeps, String> {
    ctx.get_ext::<JobDeps>().ok_or_else(|| "job dependencies missing".to_owned())
}

/// A nightly deletion: runs `delete` on a pooled connection and logs how many `rows` went.
async fn sweep(
    deps: &JobDeps, rows: &'static str,
    delete: impl AsyncFnOnce(&mut AsyncPgConnection) -> crate::error::AppResult<usize>,
) -> Result<(), String> {
    let deleted = delete(&mut *pooled(deps).await?).await.map_err(err)?;
    tracing::info!(deleted, "{rows} deleted");
    Ok(())
}

async fn pooled(deps: &JobDeps) -> Result<crate::db::DbConn, String> {
    deps.pool.get().await.map_err(err)
}

fn mailbox(user: &UserRow) -> Result<Mailbox, String> {
    let name = format!("{} {}", user.first_name, user.last_name).trim().to_owned();
    let address = user.email.parse().map_err(|e| format!("bad address: {e}"))?;
    Ok(Mailbox::new((!name.is_empty()).then_some(name), address))
}

async fn load_user(deps: &JobDeps, user_id: i64) -> Result<Option<UserRow>, String> {
    crate::auth::repo::find_user(&mut *pooled(deps).await?, user_id).await.map_err(err)
}

fn err(e: impl std::fmt::Display) -> String {
    format!("{e:#}")
}

/// Renders `template` with `context` and mails it to `user` (text and HTML parts).
async fn send_templated(
    deps: &JobDeps, user: &UserRow, template: &str, context: serde_json::Value,
) -> Result<(), String> {
    let rendered = templates::render(template, &context).map_err(err)?;
    send_rendered(deps, user, rendered, Vec::new()).await
}

/// Mails a rendered message to `user`.
async fn send_rendered(
    deps: &JobDeps, user: &UserRow, rendered: templates::Rendered,
    attachments: Vec<(String, ContentType, Vec<u8>)>,
) -> Result<(), String> {
    let email = Email {
        to: vec![mailbox(user)?],
        subject: rendered.subject,
        text: rendered.text,
        html: Some(rendered.html),
        attachments,
    };
    deps.mailer.send(email).await.map_err(err)
}

/// Welcome mail after registration.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendWelcomeEmail {
    pub user_id: i64,
}

impl Task for SendWelcomeEmail {
    async fn perform(self, deps: &JobDeps) -> Result<(), String> {
        let Some(user) = load_user(deps, self.user_id).await? else {
            return Ok(()); // the account is gone: nothing to say
        };
        let context = json!({ "username": user.username, "first_name": user.first_name });
        send_templated(deps, &user, "welcome", context).await
    }
}

/// Order confirmation with the order's lines and total, and its invoice attached as PDF.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendOrderConfirmation {
    pub order_id: i64,
}

impl Task for SendOrderConfirmation {
    async fn perform(self, deps: &JobDeps) -> Result<(), String> {
        let mut conn = pooled(deps).await?;
        let order =
            crate::orders::repo::unconfirmed(&mut conn, self.order_id).await.map_err(err)?;
        let Some((order_id, placed_at, user_id)) = order else {
            return Ok(()); // deleted since, or already confirmed: nothing to send
        };
        let lines = invoices::lines(&mut conn, order_id).await.map_err(err)?;
        drop(conn);
        let Some(user) = load_user(deps, user_id).await? else {
            return Ok(());
        };
        let invoice = invoice_attachment(deps, order_id).await?;
        let mut context = confirmation_context(order_id, placed_at, &lines, &user);
        context["invoice_number"] = json!(invoice.as_ref().map(|(number, _)| number));
        let rendered = templates::render("order_confirmation", &context).map_err(err)?;
        let attachments = invoice
            .map(|(number, pdf)| (format!("invoice-{number}.pdf"), pdf_type(), pdf))
            .into_iter()
            .collect();
        send_rendered(deps, &user, rendered, attachments).await?;
        // Recorded after sending: a worker that dies in between leaves it unset, and the
        // job's re-run sends again (at least once; never again once recorded).
        crate::orders::repo::mark_confirmed(&mut *pooled(deps).await?, order_id).await.map_err(err)
    }
}

/// The number and PDF of `order_id`'s invoice (rendered and kept on the first run, so a
/// re-run attaches the same document; it never issues an invoice or a number).
async fn invoice_attachment(
    deps: &JobDeps, order_id: i64,
) -> Result<Option<(String, Vec<u8>)>, String> {
    let mut conn = pooled(deps).await?;
    let Some(stored) =
        invoices::find(&mut conn, invoices::Key::Order(order_id)).await.map_err(err)?
    else {
        return Ok(None);
    };
    let number = stored.number.clone();
    let seller = Seller::of(&deps.mailer.from);
    let pdf = invoices::pdf(&mut conn, stored, &seller).await.map_err(err)?;
    Ok(pdf.map(|pdf| (number, pdf)))
}

fn pdf_type() -> ContentType {
    ContentType::parse("application/pdf").unwrap_or(ContentType::TEXT_PLAIN)
}

/// What the confirmation's template shows: the order, its lines and total, and the user.
fn confirmation_context(
    order_id: i64, placed_at: chrono::DateTime<chrono::Utc>, lines: &[Line], user: &UserRow,
) -> serde_json::Value {
    let items: Vec<_> = lines
        .iter()
        .map(|line| {
            json!({
                "title": line.title,
                "quantity": line.quantity,
                "unit_price": line.unit_price.to_string(),
                "total": line.amount().to_string(),
            })
        })
        .collect();
    let total: Decimal = lines.iter().map(Line::amount).sum();
    json!({
        "order_id": order_id,
        "placed_at": placed_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        "items": items,
        "total": total.to_string(),
        "username": user.username,
        "first_name": user.first_name,
    })
}

/// The password-reset token, mailed only to existing users. The payload names the reset
/// request, never a token: the token is made here, its SHA-256 replaces the request's
/// placeholder hash, and only the mail carries it. A retired request (a newer one, or a
/// completed reset) sends nothing.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendPasswordReset {
    pub reset_id: i64,
}

impl Task for SendPasswordReset {
    async fn perform(self, deps: &JobDeps) -> Result<(), String> {
        let mut conn = pooled(deps).await?;
        let Some((user_id, token, minutes)) =
            crate::auth::repo::arm_password_reset(&mut conn, self.reset_id).await.map_err(err)?
        else {
            return Ok(());
        };
        drop(conn);
        let Some(user) = load_user(deps, user_id).await? else {
            return Ok(());
        };
        let context = json!({ "username": user.username, "token": token, "minutes": minutes });
        send_templated(deps, &user, "password_reset", context).await
    }
}

/// The notice to the previous address after an e-mail change.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendEmailChanged {
    pub user_id: i64,
    pub old_email: String,
}

impl Task for SendEmailChanged {
    async fn perform(self, deps: &JobDeps) -> Result<(), String> {
        let Some(user) = load_user(deps, self.user_id).await? else {
            return Ok(());
        };
        let old = UserRow { email: self.old_email.clone(), ..user.clone() };
        let context = json!({
            "username": user.username,
            "new_email": user.email,
            "old_email": self.old_email,
        });
        send_templated(deps, &old, "email_changed", context).await
    }
}

/// The notes' `notify_customers`: mails every customer, in batches, through the pooled
/// SMTP connection (`send_mass_mail`).
#[derive(Debug, Serialize, Deserialize)]
pub struct NotifyCustomers {
    pub message: String,
}

const NOTIFY_BATCH: i64 = 100;

impl Task for NotifyCustomers {
    async fn perform(self, deps: &JobDeps) -> Result<(), String> {
        let mut after = 0_i64;
        let mut sent = 0_usize;
        loop {
            let mut conn = pooled(deps).await?;
            let batch = crate::customers::repo::active_users_after(&mut conn, after, NOTIFY_BATCH);
            let batch = batch.await.map_err(err)?;
            drop(conn);
            let Some(last) = batch.last() else { break };
            after = last.id;
            for user in &batch {
                let context = json!({ "username": user.username, "first_name": user.first_name, "message": self.message });
                send_templated(deps, user, "notify", context).await?;
                sent += 1;
            }
        }
        tracing::info!(sent, "customers notified");
        Ok(())
    }
}

/// Nightly: delete carts untouched for three months.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CleanupCarts {}

impl Task for CleanupCarts {
    async fn perform(self, deps: &JobDeps) -> Result<(), String> {
        sweep(deps, "stale carts", async |conn| {
            crate::carts::repo::delete_stale_carts(conn, STALE_CART_AGE).await
        })
        .await?;
        sweep(deps, "old checkout idempotency keys", crate::orders::repo::forget_checkout_keys)
            .await
    }
}

/// Nightly: delete used or expired password-reset tokens.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CleanupPasswordResets {}

impl Task for CleanupPasswordResets {
    async fn perform(self, deps: &JobDeps) -> Result<(), String> {
        sweep(deps, "spent password resets", crate::auth::repo::delete_spent_resets).await
    }
}

/// A report to `ADMINS` (the course's `mail_admins`): a job that failed for good.
#[derive(Debug, Serialize, Deserialize)]
pub struct MailAdmins {
    pub subject: String,
    pub text: String,
}

impl Task for MailAdmins {
    async fn perform(self, deps: &JobDeps) -> Result<(), String> {
        if deps.mailer.admins.is_empty() {
            return Ok(());
        }
        let email = Email {
            to: deps.mailer.admins.clone(),
            subject: format!("[Storefront] {}", self.subject),
            text: self.text,
            html: None,
            attachments: Vec::new(),
        };
        deps.mailer.send(email).await.map_err(err)
    }
}

/// Forgets completed jobs older than `JOB_HISTORY_DAYS` (nightly).
#[derive(Debug, Serialize, Deserialize)]
pub struct CleanupJobHistory {}

impl Task for CleanupJobHistory {
    async fn perform(self, deps: &JobDeps) -> Result<(), String> {
        let days = deps.history_days;
        sweep(deps, "old completed jobs", async |conn| {
            crate::jobs::repo::prune_history(conn, days).await
        })
        .await
    }
}
