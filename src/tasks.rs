//! The task handlers of every domain, composed for the job worker (`jobs` is the queue;
//! this module, like the schema, sits above the domains it calls).
//!
//! The task handlers. Each reads what it needs from the database when it runs, so a
//! retried job uses current data; a returned error makes graphile_worker retry it with
//! exponential backoff until its `max_attempts`.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use graphile_worker::{IntoTaskHandlerResult, TaskHandler, WorkerContext, WorkerOptions};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::model::UserRow;
use crate::db::schema::{customers, orders, users};
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

pub fn define_all(options: WorkerOptions) -> WorkerOptions {
    options
        .define_job::<MailAdmins>()
        .define_job::<CleanupJobHistory>()
        .define_job::<SendWelcomeEmail>()
        .define_job::<SendOrderConfirmation>()
        .define_job::<SendPasswordReset>()
        .define_job::<SendEmailChanged>()
        .define_job::<NotifyCustomers>()
        .define_job::<CleanupCarts>()
        .define_job::<CleanupPasswordResets>()
}

fn deps(ctx: &WorkerContext) -> Result<&JobDeps, String> {
    ctx.get_ext::<JobDeps>().ok_or_else(|| "job dependencies missing".to_owned())
}

fn mailbox(user: &UserRow) -> Result<Mailbox, String> {
    let name = format!("{} {}", user.first_name, user.last_name).trim().to_owned();
    let address = user.email.parse().map_err(|e| format!("bad address: {e}"))?;
    Ok(Mailbox::new((!name.is_empty()).then_some(name), address))
}

async fn load_user(deps: &JobDeps, user_id: i64) -> Result<Option<UserRow>, String> {
    let mut conn = deps.pool.get().await.map_err(|e| e.to_string())?;
    users::table
        .find(user_id)
        .select(UserRow::as_select())
        .first(&mut conn)
        .await
        .optional()
        .map_err(|e| e.to_string())
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

impl TaskHandler for SendWelcomeEmail {
    const IDENTIFIER: &'static str = SEND_WELCOME_EMAIL;

    async fn run(self, ctx: WorkerContext) -> impl IntoTaskHandlerResult {
        let deps = deps(&ctx)?;
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

impl TaskHandler for SendOrderConfirmation {
    const IDENTIFIER: &'static str = SEND_ORDER_CONFIRMATION;

    async fn run(self, ctx: WorkerContext) -> impl IntoTaskHandlerResult {
        let deps = deps(&ctx)?;
        let mut conn = deps.pool.get().await.map_err(err)?;
        let order: Option<(i64, chrono::DateTime<chrono::Utc>, i64)> = orders::table
            .inner_join(customers::table)
            .filter(orders::id.eq(self.order_id))
            .filter(orders::confirmation_sent_at.is_null())
            .select((orders::id, orders::placed_at, customers::user_id))
            .first(&mut conn)
            .await
            .optional()
            .map_err(err)?;
        let Some((order_id, placed_at, user_id)) = order else {
            return Ok::<(), String>(()); // deleted since, or already confirmed: nothing to send
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
        let mut conn = deps.pool.get().await.map_err(err)?;
        diesel::update(orders::table.find(order_id))
            .set(orders::confirmation_sent_at.eq(diesel::dsl::now))
            .execute(&mut conn)
            .await
            .map_err(err)?;
        Ok(())
    }
}

/// The number and PDF of `order_id`'s invoice (rendered and kept on the first run, so a
/// re-run attaches the same document; it never issues an invoice or a number).
async fn invoice_attachment(
    deps: &JobDeps, order_id: i64,
) -> Result<Option<(String, Vec<u8>)>, String> {
    let mut conn = deps.pool.get().await.map_err(err)?;
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

impl TaskHandler for SendPasswordReset {
    const IDENTIFIER: &'static str = SEND_PASSWORD_RESET;

    async fn run(self, ctx: WorkerContext) -> impl IntoTaskHandlerResult {
        let deps = deps(&ctx)?;
        let mut conn = deps.pool.get().await.map_err(err)?;
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

impl TaskHandler for SendEmailChanged {
    const IDENTIFIER: &'static str = SEND_EMAIL_CHANGED;

    async fn run(self, ctx: WorkerContext) -> impl IntoTaskHandlerResult {
        let deps = deps(&ctx)?;
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

impl TaskHandler for NotifyCustomers {
    const IDENTIFIER: &'static str = NOTIFY_CUSTOMERS;

    async fn run(self, ctx: WorkerContext) -> impl IntoTaskHandlerResult {
        let deps = deps(&ctx)?;
        let mut after = 0_i64;
        let mut sent = 0_usize;
        loop {
            let mut conn = deps.pool.get().await.map_err(err)?;
            let batch: Vec<UserRow> = users::table
                .inner_join(customers::table)
                .filter(users::id.gt(after).and(users::is_active.eq(true)))
                .order(users::id.asc())
                .limit(NOTIFY_BATCH)
                .select(UserRow::as_select())
                .load(&mut conn)
                .await
                .map_err(err)?;
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
        Ok::<(), String>(())
    }
}

/// Nightly: delete carts untouched for three months.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CleanupCarts {}

impl TaskHandler for CleanupCarts {
    const IDENTIFIER: &'static str = CLEANUP_CARTS;

    async fn run(self, ctx: WorkerContext) -> impl IntoTaskHandlerResult {
        let deps = deps(&ctx)?;
        let mut conn = deps.pool.get().await.map_err(err)?;
        let deleted =
            crate::carts::repo::delete_stale_carts(&mut conn, STALE_CART_AGE).await.map_err(err)?;
        tracing::info!(deleted, "stale carts deleted");
        let forgotten = crate::orders::repo::forget_checkout_keys(&mut conn).await.map_err(err)?;
        tracing::info!(forgotten, "old checkout idempotency keys forgotten");
        Ok::<(), String>(())
    }
}

/// Nightly: delete used or expired password-reset tokens.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CleanupPasswordResets {}

impl TaskHandler for CleanupPasswordResets {
    const IDENTIFIER: &'static str = CLEANUP_PASSWORD_RESETS;

    async fn run(self, ctx: WorkerContext) -> impl IntoTaskHandlerResult {
        let deps = deps(&ctx)?;
        let mut conn = deps.pool.get().await.map_err(err)?;
        diesel::sql_query(
            "DELETE FROM password_resets WHERE used_at IS NOT NULL OR expires_at < now()",
        )
        .execute(&mut conn)
        .await
        .map_err(err)?;
        Ok::<(), String>(())
    }
}

/// A report to `ADMINS` (the course's `mail_admins`): a job that failed for good.
#[derive(Debug, Serialize, Deserialize)]
pub struct MailAdmins {
    pub subject: String,
    pub text: String,
}

impl TaskHandler for MailAdmins {
    const IDENTIFIER: &'static str = MAIL_ADMINS;

    async fn run(self, ctx: WorkerContext) -> impl IntoTaskHandlerResult {
        let deps = deps(&ctx)?;
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

impl TaskHandler for CleanupJobHistory {
    const IDENTIFIER: &'static str = CLEANUP_JOB_HISTORY;

    async fn run(self, ctx: WorkerContext) -> impl IntoTaskHandlerResult {
        let deps = deps(&ctx)?;
        let mut conn = deps.pool.get().await.map_err(err)?;
        let deleted =
            crate::jobs::repo::prune_history(&mut conn, deps.history_days).await.map_err(err)?;
        tracing::info!(deleted, "old completed jobs forgotten");
        Ok::<(), String>(())
    }
}
