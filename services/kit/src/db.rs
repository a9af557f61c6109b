//! Database connections: PostgreSQL when deployed, SQLite embedded; migrations at start.

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
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

/// Applies every pending migration of the service (kit tables included by its migrator).
pub async fn migrate<M: MigratorTrait>(db: &DatabaseConnection) -> Result<(), DbErr> {
    M::up(db, None).await
}

pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}
