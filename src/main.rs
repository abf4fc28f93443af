//! The `storefront` command line.

use anyhow::Context;
use clap::{Parser, Subcommand};
use storefront::config::Config;
use storefront::server::{self, Database};
use storefront::{auth, schema, seed};

/// jemalloc instead of glibc's allocator: fewer cycles per request on the hot path than
/// glibc's `malloc`/`free`, and its background threads hand freed memory back to the
/// system within seconds (after ten thousand WebSocket subscribers leave, say), where
/// glibc and mimalloc kept it (see the README's benchmark notes).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(name = "storefront", version, about = "Storefront: an e-commerce GraphQL backend")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (GraphQL, GraphiQL, health). Without DATABASE_URL it starts a
    /// private PostgreSQL under ./.storefront/pg, migrates it and seeds a demo catalogue.
    Serve {
        /// Leave migrating to `storefront migrate` (the release role); `/readyz` answers
        /// 503 until the migrations are applied.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Run the background job workers and the schedule (`serve` runs them too unless
    /// RUN_WORKERS=false).
    Worker,
    /// Apply pending migrations and exit.
    Migrate,
    /// Load the demo catalogue (refuses a non-empty catalogue unless --force).
    Seed {
        /// Replace an existing catalogue.
        #[arg(long)]
        force: bool,
        /// Also create the development accounts admin/storefront-admin (staff superuser)
        /// and demo/storefront-demo. Never on a database reachable from the internet.
        #[arg(long)]
        demo_accounts: bool,
    },
    /// Print the GraphQL schema (SDL).
    ExportSchema,
    /// Create a staff superuser (password from STOREFRONT_SUPERUSER_PASSWORD or a prompt).
    CreateSuperuser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::ExportSchema = cli.command {
        print!("{}", schema::sdl());
        return Ok(());
    }
    let mut config = Config::from_env()?;
    storefront::telemetry::init_logs(&config);
    match cli.command {
        Command::Serve { no_migrate } => {
            config.no_migrate = no_migrate;
            server::serve(config).await
        }
        Command::Worker => server::worker(config).await,
        Command::Migrate => {
            let database = Database::resolve(&config).await?;
            let result = server::migrate(&database.url).await;
            database.shutdown().await;
            let applied = result?;
            println!("{} migration(s) applied", applied.len());
            Ok(())
        }
        Command::Seed { force, demo_accounts } => {
            let database = Database::resolve(&config).await?;
            let result = run_seed(&database, &config, force, demo_accounts).await;
            database.shutdown().await;
            result
        }
        Command::CreateSuperuser { username, email } => {
            create_superuser(&config, &username, &email).await
        }
        Command::ExportSchema => Ok(()),
    }
}

/// `create-superuser`: the password from `STOREFRONT_SUPERUSER_PASSWORD` or a prompt.
async fn create_superuser(config: &Config, username: &str, email: &str) -> anyhow::Result<()> {
    let password = match std::env::var("STOREFRONT_SUPERUSER_PASSWORD") {
        Ok(password) if !password.is_empty() => password,
        _ => rpassword::prompt_password("Password: ")
            .context("could not read the password (set STOREFRONT_SUPERUSER_PASSWORD)")?,
    };
    let database = Database::resolve(config).await?;
    let result = async {
        let pool = server::prepare(&database, config, false).await?;
        let mut conn = pool.get().await.context("could not connect to the database")?;
        let user = auth::admin::create_superuser(&mut conn, username, email, &password).await?;
        println!("Superuser {} (id {}) created.", user.username, user.id);
        anyhow::Ok(())
    }
    .await;
    database.shutdown().await;
    result
}

async fn run_seed(
    database: &Database, config: &Config, force: bool, demo_accounts: bool,
) -> anyhow::Result<()> {
    let pool = server::prepare(database, config, false).await?;
    let mut conn = pool.get().await.context("could not connect to the database")?;
    let report = seed::seed(&mut conn, force, demo_accounts).await?;
    println!(
        "Seeded {} collections, {} products and {} reviews.",
        report.collections, report.products, report.reviews
    );
    if demo_accounts {
        print_demo_accounts();
    }
    Ok(())
}

fn print_demo_accounts() {
    println!(
        "Demo accounts (development only): staff `{}` / `{}`, customer `{}` / `{}`.",
        seed::DEMO_STAFF.0,
        seed::DEMO_STAFF.1,
        seed::DEMO_CUSTOMER.0,
        seed::DEMO_CUSTOMER.1
    );
}
