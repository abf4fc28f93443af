//! SQL assembled from fixed text and bind parameters, for the dynamic parts Diesel's DSL
//! cannot express well (keyset conditions over a chosen ordering, window functions).

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::sql_types::{Array, BigInt, Numeric, Text, Timestamptz};
use rust_decimal::Decimal;

#[derive(Debug, Clone)]
pub enum Bind {
    Text(String),
    TextArray(Vec<String>),
    Numeric(Decimal),
    Timestamptz(DateTime<Utc>),
    BigInt(i64),
    BigIntArray(Vec<i64>),
    Uuid(uuid::Uuid),
}

/// `text` with LIKE's wildcards (`%`, `_`) and the escape character (`\\`) escaped, for
/// a pattern used with the default escape character.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[derive(Debug, Clone)]
enum Part {
    Sql(String),
    Bind(Bind),
}

/// SQL assembled from fixed text and bind parameters, for the dynamic parts Diesel's DSL
/// cannot express well (keyset conditions over a chosen ordering, window functions). Only
/// fixed column names are ever spliced into the text; every value is a bind.
///
/// Unlike `diesel::sql_query`, it may be cached as a prepared statement (keyed by its SQL
/// text): the statement shapes are bounded (search terms are one array bind), so it is
/// cached unless `uncached` says otherwise.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    parts: Vec<Part>,
    /// Opt out of prepared-statement caching (for unbounded statement shapes).
    pub uncached: bool,
}

impl Sql {
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.parts.push(Part::Sql(text.to_owned()));
        self
    }

    pub fn bind(&mut self, value: Bind) -> &mut Self {
        self.parts.push(Part::Bind(value));
        self
    }

    /// `AND <row is strictly after (or before) the cursor row>` for an ordering given as
    /// `(column, descending)` pairs that ends with a unique key.
    pub fn keyset(&mut self, columns: &[(&'static str, bool)], values: Vec<Bind>, after: bool) {
        let same_direction = columns.iter().all(|(_, d)| *d == columns[0].1);
        if same_direction {
            // A row comparison lets PostgreSQL use the (key, id) index.
            let op = if after != columns[0].1 { ">" } else { "<" };
            let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
            self.push(&format!(" AND ({}) {op} (", names.join(", ")));
            for (i, value) in values.into_iter().enumerate() {
                if i > 0 {
                    self.push(", ");
                }
                self.bind(value);
            }
            self.push(")");
            return;
        }
        self.push(" AND (");
        for i in 0..columns.len() {
            self.push(if i == 0 { "(" } else { " OR (" });
            for (j, (column, _)) in columns.iter().enumerate().take(i) {
                self.push(&format!("{column} = ")).bind(values[j].clone());
                self.push(" AND ");
            }
            let op = if after != columns[i].1 { ">" } else { "<" };
            self.push(&format!("{} {op} ", columns[i].0)).bind(values[i].clone()).push(")");
        }
        self.push(")");
    }
}

#[derive(diesel::QueryableByName)]
struct BoolValue {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    value: bool,
}

#[derive(diesel::QueryableByName)]
struct CountValue {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

impl Sql {
    /// Runs a statement whose single row has a boolean column named `value`.
    pub async fn fetch_bool(self, conn: &mut diesel_async::AsyncPgConnection) -> QueryResult<bool> {
        let row: BoolValue = diesel_async::RunQueryDsl::get_result(self, conn).await?;
        Ok(row.value)
    }

    /// Runs a statement whose single row has a bigint column named `value`.
    pub async fn fetch_i64(self, conn: &mut diesel_async::AsyncPgConnection) -> QueryResult<i64> {
        let row: CountValue = diesel_async::RunQueryDsl::get_result(self, conn).await?;
        Ok(row.value)
    }
}

impl diesel::query_builder::QueryFragment<Pg> for Sql {
    fn walk_ast<'b>(
        &'b self, mut out: diesel::query_builder::AstPass<'_, 'b, Pg>,
    ) -> QueryResult<()> {
        if self.uncached {
            out.unsafe_to_cache_prepared();
        }
        for part in &self.parts {
            match part {
                Part::Sql(text) => out.push_sql(text),
                Part::Bind(Bind::Text(v)) => out.push_bind_param::<Text, _>(v)?,
                Part::Bind(Bind::TextArray(v)) => out.push_bind_param::<Array<Text>, _>(v)?,
                Part::Bind(Bind::Numeric(v)) => out.push_bind_param::<Numeric, _>(v)?,
                Part::Bind(Bind::Timestamptz(v)) => out.push_bind_param::<Timestamptz, _>(v)?,
                Part::Bind(Bind::BigInt(v)) => out.push_bind_param::<BigInt, _>(v)?,
                Part::Bind(Bind::BigIntArray(v)) => out.push_bind_param::<Array<BigInt>, _>(v)?,
                Part::Bind(Bind::Uuid(v)) => {
                    out.push_bind_param::<diesel::sql_types::Uuid, _>(v)?;
                }
            }
        }
        Ok(())
    }
}

impl diesel::query_builder::QueryId for Sql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for Sql {
    type SqlType = diesel::sql_types::Untyped;
}
