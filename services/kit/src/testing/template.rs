//! Migrated template databases on the test server, one per migrator and test process.
//!
//! A template is named `test_tpl_<pid>_<id>` and is in use while its process holds a session
//! advisory lock on its name (a connection kept open on a thread of its own until the process
//! exits). The next process to make a template drops those whose lock it can take: their owner
//! is gone, on whichever machine it ran.

use std::any::type_name;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, TransactionTrait};
use sea_orm_migration::MigratorTrait;
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::pg_admin_url;

type Templates = BTreeMap<&'static str, Arc<OnceCell<String>>>;

static TEMPLATES: Mutex<Templates> = Mutex::new(BTreeMap::new());

/// The name of a database `M` migrated, made on first use in this process.
pub(super) async fn migrated<M: MigratorTrait>() -> String {
    let cell = TEMPLATES
        .lock()
        .expect("templates lock")
        .entry(type_name::<M>())
        .or_default()
        .clone();
    cell.get_or_init(create::<M>).await.clone()
}

async fn create<M: MigratorTrait>() -> String {
    let admin_url = pg_admin_url();
    drop_orphans(&admin_url).await;
    let name = format!(
        "test_tpl_{}_{}",
        std::process::id(),
        Uuid::now_v7().simple()
    );
    let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {admin_url} unreachable ({e}); run `make infra-up`")
    });
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create template database");
    admin.close().await.ok();
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("admin URL names a database");
    let db = Database::connect(format!("{base}/{name}"))
        .await
        .expect("connect to template database");
    crate::db::migrate::<M>(&db)
        .await
        .expect("migrations apply");
    // A template copies only while nobody is connected to it.
    db.close().await.expect("template connections close");
    hold_while_alive(&admin_url, &name);
    name
}

/// Takes the template's advisory lock on a connection that lives as long as the process: on a
/// thread with its own runtime, since each test's runtime ends with the test.
fn hold_while_alive(admin_url: &str, name: &str) {
    let (admin_url, name) = (admin_url.to_string(), name.to_string());
    let (held, taken) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the template's lock");
        runtime.block_on(async move {
            let admin = Database::connect(&admin_url)
                .await
                .expect("lock connection");
            // Inside an open transaction the pool never recycles the connection (no idle
            // timeout, no maximum lifetime while checked out), so the session lock stays.
            let session = admin.begin().await.expect("lock session");
            let lock = lock_sql("pg_advisory_lock", &name);
            session
                .execute_unprepared(&lock)
                .await
                .expect("template lock");
            held.send(()).ok();
            // Parked until the process exits; the server releases the lock with the session.
            std::future::pending::<()>().await;
        });
    });
    taken.recv().expect("the template's lock is held");
}

fn lock_sql(function: &str, name: &str) -> String {
    format!("SELECT {function}(hashtext('{name}'))")
}

/// Drops the templates whose process has exited.
async fn drop_orphans(admin_url: &str) {
    let Ok(admin) = Database::connect(admin_url).await else {
        return;
    };
    let rows = admin
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT datname FROM pg_database WHERE datname LIKE 'test\\_tpl\\_%'",
        ))
        .await
        .unwrap_or_default();
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        // Free only when no live process holds it: the template is abandoned. (A transaction
        // lock: released at once, and DROP DATABASE cannot run inside a transaction.)
        if is_free(&admin, &name).await {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
    admin.close().await.ok();
}

async fn is_free(admin: &sea_orm::DatabaseConnection, name: &str) -> bool {
    let Ok(txn) = admin.begin().await else {
        return false;
    };
    let free = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            lock_sql("pg_try_advisory_xact_lock", name),
        ))
        .await
        .ok()
        .flatten()
        .and_then(|row| row.try_get_by_index::<bool>(0).ok())
        .unwrap_or(false);
    txn.commit().await.ok();
    free
}
