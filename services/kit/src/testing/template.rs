//! Migrated template databases on the test server, one per migrator and test process.
//!
//! A template is named `test_tpl_<pid>_<id>`: the process that made it uses it until it exits,
//! and the next process to make one drops the templates of processes that are gone.

use std::any::type_name;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
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
    name
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
        let pid = name.split('_').nth(2).unwrap_or_default();
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
    admin.close().await.ok();
}
