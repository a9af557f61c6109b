//! Multi-row writes in one shape on both databases.
//!
//! PostgreSQL gets one array per column (`INSERT … SELECT … FROM unnest($1::uuid[], …)`): the
//! statement text is the same whatever the batch size, so each connection parses and plans
//! it once (a `VALUES` list changes its text with every batch size), and the parameters are
//! one per column instead of one per cell. SQLite, the embedded single-replica mode, gets
//! `VALUES` rows chunked below its bind-parameter limit.

use sea_orm::sea_query::{Alias, ArrayType, Expr, ExprTrait, SimpleExpr};
use sea_orm::{DbBackend, Statement, Value};

/// Rows per SQLite `VALUES` statement: 1000 × at most 15 columns stays under its 32766
/// bind parameters.
const SQLITE_CHUNK_ROWS: usize = 1000;

/// A column of a bulk write: its name, and its PostgreSQL array element type.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

/// The element types bulk writes use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Uuid,
    Text,
    BigInt,
    Bool,
    Time,
    SmallInt,
    Int,
    Bytes,
    /// A timestamp that may be NULL. Arrays bound through sea-query cannot carry NULL
    /// elements, so PostgreSQL receives [`NO_TIME`] in their place and the statement turns
    /// it back into NULL.
    OptionalTime,
    /// Text that may be NULL; the empty string stands for NULL the same way, so a column of
    /// this kind cannot hold an empty string.
    OptionalText,
}

/// Stands for NULL in an array of optional timestamps: no instant gigshield stores is in
/// year 1.
const NO_TIME: &str = "0001-01-01 00:00:00+00";

impl Kind {
    fn array_type(self) -> ArrayType {
        match self {
            Kind::Uuid => ArrayType::Uuid,
            Kind::Text => ArrayType::String,
            Kind::BigInt => ArrayType::BigInt,
            Kind::Bool => ArrayType::Bool,
            Kind::Time | Kind::OptionalTime => ArrayType::ChronoDateTimeUtc,
            Kind::SmallInt => ArrayType::SmallInt,
            Kind::Int => ArrayType::Int,
            Kind::Bytes => ArrayType::Bytes,
            Kind::OptionalText => ArrayType::String,
        }
    }

    fn sql_array(self) -> &'static str {
        match self {
            Kind::Uuid => "uuid[]",
            Kind::Text => "text[]",
            Kind::BigInt => "bigint[]",
            Kind::Bool => "boolean[]",
            Kind::Time | Kind::OptionalTime => "timestamptz[]",
            Kind::SmallInt => "smallint[]",
            Kind::Int => "integer[]",
            Kind::Bytes => "bytea[]",
            Kind::OptionalText => "text[]",
        }
    }
}

pub const fn column(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}

/// Rows gathered column by column for one bulk statement.
pub struct BulkRows {
    columns: &'static [Column],
    backend: DbBackend,
    cells: Vec<Vec<Value>>,
    len: usize,
}

impl BulkRows {
    pub fn new(backend: DbBackend, columns: &'static [Column], capacity: usize) -> Self {
        Self {
            columns,
            backend,
            cells: columns
                .iter()
                .map(|_| Vec::with_capacity(capacity))
                .collect(),
            len: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds one row; its values come in the order of the columns.
    pub fn push<const N: usize>(&mut self, row: [Value; N]) {
        assert_eq!(N, self.columns.len(), "a bulk row has one value per column");
        let backend = self.backend;
        for ((cells, column), value) in self.cells.iter_mut().zip(self.columns).zip(row) {
            cells.push(backend_value(backend, column.kind, value));
        }
        self.len += 1;
    }

    /// The statements writing every row into `table`: `INSERT INTO table (<the columns>) <rows>
    /// {tail}`, where `tail` is what follows the rows (`ON CONFLICT …`, `RETURNING …`). One
    /// statement on PostgreSQL; chunks on SQLite. The column list is the one the rows were
    /// gathered by, so the two cannot drift apart.
    pub fn insert_into(self, table: &str, tail: &str) -> Vec<Statement> {
        if self.len == 0 {
            return Vec::new();
        }
        let names: Vec<&str> = self.columns.iter().map(|c| c.name).collect();
        let head = format!("INSERT INTO {table} ({})", names.join(", "));
        let head = head.as_str();
        match self.backend {
            DbBackend::Postgres => vec![self.unnest(head, tail)],
            backend => self.values(backend, head, tail),
        }
    }

    fn unnest(self, head: &str, tail: &str) -> Statement {
        let arrays: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("${}::{}", i + 1, c.kind.sql_array()))
            .collect();
        let names: Vec<&str> = self.columns.iter().map(|c| c.name).collect();
        let select: Vec<String> = self
            .columns
            .iter()
            .map(|c| match c.kind {
                Kind::OptionalTime => {
                    format!("NULLIF(u.{0}, TIMESTAMPTZ '{NO_TIME}') AS {0}", c.name)
                }
                Kind::OptionalText => format!("NULLIF(u.{0}, '') AS {0}", c.name),
                _ => format!("u.{}", c.name),
            })
            .collect();
        let sql = format!(
            "{head} SELECT {} FROM unnest({}) AS u({}) {tail}",
            select.join(", "),
            arrays.join(", "),
            names.join(", ")
        );
        let values: Vec<Value> = self
            .columns
            .iter()
            .zip(self.cells)
            .map(|(c, cells)| Value::Array(c.kind.array_type(), Some(Box::new(cells))))
            .collect();
        Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
    }

    fn values(self, backend: DbBackend, head: &str, tail: &str) -> Vec<Statement> {
        let width = self.columns.len();
        let mut columns: Vec<std::vec::IntoIter<Value>> =
            self.cells.into_iter().map(Vec::into_iter).collect();
        let mut statements = Vec::new();
        let mut remaining = self.len;
        while remaining > 0 {
            let rows = remaining.min(SQLITE_CHUNK_ROWS);
            let mut values = Vec::with_capacity(rows * width);
            for _ in 0..rows {
                for column in columns.iter_mut() {
                    values.push(column.next().expect("every column has a value per row"));
                }
            }
            let sql = format!("{head} VALUES {} {tail}", placeholders(rows, width));
            statements.push(Statement::from_sql_and_values(backend, sql, values));
            remaining -= rows;
        }
        statements
    }
}

/// `column` is one of `values`: on PostgreSQL `column = ANY($n)` with one array parameter, so
/// the statement text and its cached plan (an index scan) do not depend on how many values a
/// batch looks up; an `IN` list elsewhere.
pub fn any_of(
    backend: DbBackend,
    column: &'static str,
    kind: Kind,
    values: Vec<Value>,
) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust_with_values(
            format!("{column} = ANY($1)"),
            [Value::Array(kind.array_type(), Some(Box::new(values)))],
        ),
        _ => Expr::col(Alias::new(column)).is_in(values),
    }
}

/// [`any_of`] for a hand-written statement whose first `bound` parameters come before it: the
/// condition, and the values to bind after those parameters.
pub fn any_of_sql(
    backend: DbBackend,
    column: &str,
    kind: Kind,
    values: Vec<Value>,
    bound: usize,
) -> (String, Vec<Value>) {
    match backend {
        DbBackend::Postgres => (
            format!("{column} = ANY(${})", bound + 1),
            vec![Value::Array(kind.array_type(), Some(Box::new(values)))],
        ),
        _ => {
            let list: Vec<String> = (bound + 1..=bound + values.len())
                .map(|i| format!("${i}"))
                .collect();
            (format!("{column} IN ({})", list.join(",")), values)
        }
    }
}

/// What PostgreSQL's array receives for a cell.
fn backend_value(backend: DbBackend, kind: Kind, value: Value) -> Value {
    match (backend, kind, value) {
        (DbBackend::Postgres, Kind::OptionalTime, Value::ChronoDateTimeUtc(None)) => {
            Value::ChronoDateTimeUtc(Some(no_time()))
        }
        (DbBackend::Postgres, Kind::OptionalText, Value::String(None)) => {
            Value::String(Some(String::new()))
        }
        (_, _, value) => value,
    }
}

fn no_time() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("0001-01-01T00:00:00Z")
        .expect("a valid instant")
        .to_utc()
}

/// `($1,$2),($3,$4)…` for `rows` rows of `cols` columns.
fn placeholders(rows: usize, cols: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push(',');
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push(',');
            }
            out.push('$');
            out.push_str(&(r * cols + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[column("id", Kind::Uuid), column("at", Kind::OptionalTime)];

    fn rows(backend: DbBackend, n: usize) -> BulkRows {
        let mut rows = BulkRows::new(backend, COLUMNS, n);
        for _ in 0..n {
            rows.push([uuid::Uuid::nil().into(), Value::ChronoDateTimeUtc(None)]);
        }
        rows
    }

    #[test]
    fn postgres_gets_one_statement_whose_text_does_not_depend_on_the_row_count() {
        let one = rows(DbBackend::Postgres, 1).insert_into("t", "");
        let many = rows(DbBackend::Postgres, 2500).insert_into("t", "");
        assert_eq!((one.len(), many.len()), (1, 1));
        assert_eq!(one[0].sql, many[0].sql);
        assert_eq!(
            many[0].sql.trim_end(),
            "INSERT INTO t (id, at) SELECT u.id, NULLIF(u.at, TIMESTAMPTZ '0001-01-01 00:00:00+00') AS at \
             FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at)"
        );
        let values = many[0].values.as_ref().expect("bound").0.clone();
        match &values[1] {
            Value::Array(_, Some(cells)) => {
                assert_eq!(cells.len(), 2500);
                assert_eq!(cells[0], Value::ChronoDateTimeUtc(Some(no_time())));
            }
            other => panic!("not an array: {other:?}"),
        }
    }

    #[test]
    fn sqlite_gets_values_chunks_with_nulls_kept() {
        let statements = rows(DbBackend::Sqlite, 2500).insert_into("t", "");
        let sizes: Vec<usize> = statements
            .iter()
            .map(|s| s.values.as_ref().expect("bound").0.len())
            .collect();
        assert_eq!(sizes, vec![2000, 2000, 1000]);
        let first = &statements[0].values.as_ref().expect("bound").0;
        assert_eq!(first[1], Value::ChronoDateTimeUtc(None));
        assert!(statements[2].sql.ends_with("($999,$1000) "));
    }

    #[test]
    fn any_of_is_one_array_parameter_on_postgres_and_an_in_list_elsewhere() {
        use sea_orm::sea_query::{PostgresQueryBuilder, Query, SqliteQueryBuilder};
        let query = |backend| {
            Query::select()
                .column(Alias::new("a"))
                .from(Alias::new("t"))
                .and_where(Expr::col(Alias::new("b")).eq(1))
                .and_where(any_of(
                    backend,
                    "c",
                    Kind::Text,
                    vec!["x".into(), "y".into()],
                ))
                .to_owned()
        };
        let (sql, values) = query(DbBackend::Postgres).build(PostgresQueryBuilder);
        assert_eq!(
            sql,
            r#"SELECT "a" FROM "t" WHERE "b" = $1 AND (c = ANY($2))"#
        );
        assert_eq!(values.0.len(), 2, "the array is one parameter");
        let (sql, values) = query(DbBackend::Sqlite).build(SqliteQueryBuilder);
        assert_eq!(
            sql,
            r#"SELECT "a" FROM "t" WHERE "b" = ? AND "c" IN (?, ?)"#
        );
        assert_eq!(values.0.len(), 3);
    }

    #[test]
    fn any_of_sql_numbers_its_parameters_after_the_bound_ones() {
        let values = || vec![Value::from("x"), Value::from("y")];
        let (sql, bind) = any_of_sql(DbBackend::Postgres, "k.id", Kind::Text, values(), 1);
        assert_eq!(sql, "k.id = ANY($2)");
        assert_eq!(bind.len(), 1, "one array");
        let (sql, bind) = any_of_sql(DbBackend::Sqlite, "k.id", Kind::Text, values(), 1);
        assert_eq!(sql, "k.id IN ($2,$3)");
        assert_eq!(bind, values());
    }

    #[test]
    fn nothing_to_write_is_no_statement() {
        assert!(rows(DbBackend::Postgres, 0).insert_into("t", "").is_empty());
    }
}
