//! Database connections: PostgreSQL when deployed, SQLite embedded; migrations at start.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::config::DatabaseConfig;

/// Connects by URL (`postgres://…` or `sqlite://file?mode=rwc`).
pub async fn connect(cfg: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(cfg.url.clone());
    opts.max_connections(cfg.max_connections)
        .min_connections(1)
        .connect_timeout(cfg.connect_timeout)
        .acquire_timeout(cfg.connect_timeout)
        .sqlx_logging(false);
    let db = Database::connect(opts).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets the relay read while a handler writes; the busy timeout makes concurrent
        // writers wait for the single write lock instead of failing.
        db.execute_unprepared("PRAGMA journal_mode = WAL").await?;
        db.execute_unprepared("PRAGMA busy_timeout = 10000").await?;
        db.execute_unprepared("PRAGMA synchronous = NORMAL").await?;
    }
    Ok(db)
}

/// Key of the PostgreSQL advisory lock that serialises migrations of replicas starting at
/// the same moment (sea-orm's migrator takes no lock of its own).
const MIGRATION_LOCK: i64 = 0x6769_6773_6869_656c; // "gigshiel"

/// Applies every pending migration of the service (kit tables included by its migrator).
pub async fn migrate<M: MigratorTrait>(db: &DatabaseConnection) -> Result<(), DbErr> {
    if !is_postgres(db) {
        return M::up(db, None).await;
    }
    // A session lock needs one session: hold a dedicated connection for the whole run.
    let session = db.begin().await?;
    session
        .execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        .await?;
    let result = M::up(&session, None).await;
    match result {
        Ok(()) => session.commit().await,
        Err(err) => {
            session.rollback().await.ok();
            Err(err)
        }
    }
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads first cannot upgrade its lock once
/// another connection has committed (SQLITE_BUSY_SNAPSHOT, which the busy timeout does not
/// cover), so concurrent writers would fail instead of waiting their turn.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        })
        .await
    } else {
        db.begin().await
    }
}

/// Begins a read-only transaction in which every statement sees the same snapshot, for a
/// response assembled from several queries (a row and its history) that must agree with
/// itself while writers commit. PostgreSQL: REPEATABLE READ; SQLite's deferred transaction
/// reads one snapshot from its first read on.
pub async fn begin_snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.begin_with_config(
            Some(sea_orm::IsolationLevel::RepeatableRead),
            Some(sea_orm::AccessMode::ReadOnly),
        )
        .await
    } else {
        db.begin().await
    }
}

/// Inserts `row` unless a row with the same `key` columns exists; true when it was inserted.
/// How a replayed event or request writes nothing the second time, without an error.
pub async fn insert_unless_exists<E, A>(
    conn: &impl ConnectionTrait,
    row: A,
    key: impl IntoIterator<Item = E::Column>,
) -> Result<bool, DbErr>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E> + Send,
{
    let inserted = E::insert(row)
        .on_conflict(OnConflict::columns(key).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
    Ok(inserted == 1)
}

pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// Plans every statement of the rest of the transaction for its own parameters. A connection
/// caches its prepared statements, and after five executions PostgreSQL may switch one to a
/// generic plan; a batch lookup planned that way while its table was still small stays a scan
/// of the whole table as the table grows (enrollment's bulk registration slowed to a crawl
/// that way). A no-op on SQLite.
pub async fn plan_for_parameters(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    if is_postgres(txn) {
        txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
            .await?;
    }
    Ok(())
}
