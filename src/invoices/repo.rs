//! Invoice queries: issuing a number in the order's transaction, and the PDF made once.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::model::{Document, InvoiceRow, Line, Seller};
use super::pdf;
use crate::db::schema::{customers, invoices, order_items, orders, products, users};
use crate::error::AppResult;

#[derive(QueryableByName)]
struct Issued {
    #[diesel(sql_type = Text)]
    number: String,
}

/// Issues the invoice of an order being placed, in its transaction: the next number of
/// the current UTC year. The year's counter row stays locked until the transaction ends,
/// so numbers are taken one order at a time and a rolled-back order leaves no gap; the
/// unique `order_id` makes a second invoice for an order impossible.
pub async fn issue(conn: &mut AsyncPgConnection, order_id: i64) -> AppResult<String> {
    let issued: Issued = diesel::sql_query(
        "WITH next AS ( \
             INSERT INTO invoice_years (year, last_seq) \
             VALUES (extract(year FROM now() AT TIME ZONE 'UTC')::int, 1) \
             ON CONFLICT (year) DO UPDATE SET last_seq = invoice_years.last_seq + 1 \
             RETURNING year, last_seq) \
         INSERT INTO invoices (order_id, year, seq, issued_at) \
         SELECT $1, year, last_seq, now() FROM next RETURNING number",
    )
    .bind::<BigInt, _>(order_id)
    .get_result(conn)
    .await?;
    Ok(issued.number)
}

/// The invoices of `order_ids` (for `Order.invoice`).
pub async fn by_order_ids(
    conn: &mut AsyncPgConnection, order_ids: &[i64],
) -> AppResult<Vec<InvoiceRow>> {
    Ok(invoices::table
        .filter(invoices::order_id.eq_any(order_ids))
        .select((invoices::order_id.assume_not_null(), invoices::number, invoices::issued_at))
        .load(conn)
        .await?)
}

/// An invoice as the download sees it: who may have it, and its PDF if made yet.
#[derive(Debug, Queryable)]
pub struct Stored {
    pub id: i64,
    pub number: String,
    /// The user whose order it is (`None` once the order is deleted).
    pub owner: Option<i64>,
    pub pdf: Option<Vec<u8>>,
}

/// Which invoice.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Number(&'a str),
    Order(i64),
}

/// The invoice `key` names, in one statement.
pub async fn find(conn: &mut AsyncPgConnection, key: Key<'_>) -> AppResult<Option<Stored>> {
    let query = invoices::table
        .left_join(orders::table.left_join(customers::table))
        .select((invoices::id, invoices::number, customers::user_id.nullable(), invoices::pdf))
        .into_boxed();
    let query = match key {
        Key::Number(number) => query.filter(invoices::number.eq(number.to_owned())),
        Key::Order(order_id) => query.filter(invoices::order_id.eq(order_id)),
    };
    Ok(query.first(conn).await.optional()?)
}

/// The PDF of `stored`: the one kept, or else rendered now from the order and kept (the
/// first one kept wins, so every reader gets the same bytes). `None` when the order is
/// gone before it was ever rendered.
pub async fn pdf(
    conn: &mut AsyncPgConnection, stored: Stored, seller: &Seller,
) -> AppResult<Option<Vec<u8>>> {
    if let Some(pdf) = stored.pdf {
        return Ok(Some(pdf));
    }
    let Some(document) = document(conn, stored.id, seller).await? else {
        return Ok(None);
    };
    let rendered = pdf::render(&document);
    let kept: Kept = diesel::sql_query(
        "UPDATE invoices SET pdf = coalesce(pdf, $1), rendered_at = coalesce(rendered_at, now()) \
         WHERE id = $2 RETURNING pdf",
    )
    .bind::<Bytea, _>(rendered)
    .bind::<BigInt, _>(stored.id)
    .get_result(conn)
    .await?;
    Ok(Some(kept.pdf))
}

#[derive(QueryableByName)]
struct Kept {
    #[diesel(sql_type = Bytea)]
    pdf: Vec<u8>,
}

/// What invoice `id` prints: its order's buyer and lines at the prices paid (two
/// statements). `None` when the order is gone.
async fn document(
    conn: &mut AsyncPgConnection, id: i64, seller: &Seller,
) -> AppResult<Option<Document>> {
    let head: Option<(String, chrono::DateTime<chrono::Utc>, i64, String, String, String)> =
        invoices::table
            .inner_join(orders::table.inner_join(customers::table.inner_join(users::table)))
            .filter(invoices::id.eq(id))
            .select((
                invoices::number,
                invoices::issued_at,
                orders::id,
                users::first_name,
                users::last_name,
                users::email,
            ))
            .first(conn)
            .await
            .optional()?;
    let Some((number, issued_at, order_id, first, last, email)) = head else {
        return Ok(None);
    };
    let lines = lines(conn, order_id).await?;
    Ok(Some(Document {
        number,
        issued_at,
        order_id,
        seller_name: seller.name.clone(),
        seller_email: seller.email.clone(),
        buyer_name: format!("{first} {last}").trim().to_owned(),
        buyer_email: email,
        lines,
    }))
}

/// The lines of order `order_id` in the order they were added, at the prices paid.
pub async fn lines(conn: &mut AsyncPgConnection, order_id: i64) -> AppResult<Vec<Line>> {
    Ok(order_items::table
        .inner_join(products::table)
        .filter(order_items::order_id.eq(order_id))
        .order(order_items::id.asc())
        .select((products::title, order_items::quantity, order_items::unit_price))
        .load(conn)
        .await?)
}
