package dev.ferry.replication.preconditions;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHome;
import dev.ferry.engine.EngineHost;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.ReplicationException.Reason;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.source.MariaDbGtids;
import dev.ferry.replication.source.ServerVersion.Flavor;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.FreePorts;
import dev.ferry.testkit.HmsObjects;
import org.apache.hadoop.hive.metastore.api.Function;
import org.apache.hadoop.hive.metastore.api.FunctionType;
import org.apache.hadoop.hive.metastore.api.OpenTxnRequest;
import org.apache.hadoop.hive.metastore.api.PrincipalType;
import org.apache.hadoop.hive.metastore.api.Role;
import org.apache.hadoop.hive.metastore.api.Table;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import static dev.ferry.replication.ReplicationException.Reason.OWN_DATABASE_NOT_EMPTY;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_ACCESS_DENIED;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_BINLOG_FORMAT;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_BINLOG_ROW_IMAGE;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_PRIVILEGES_MISSING;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_SCHEMA_INCOMPLETE;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_SCHEMA_VERSION_MISMATCH;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_UNREACHABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each precondition against real servers: a MariaDB 10.11 with binlog and grant tables (so passwords and privileges
 * count), its metastore schema made by Hive's schema tool, and a PostgreSQL own database initialised the same way.
 * Every bad input fails with its own reason and message, and leaves the own database as it was.
 */
class PreconditionsTest
{
    private static final String SCHEMA_VERSION = "4.0.0";
    private static final String READER = "ferry_reader";
    private static final String READER_PASSWORD = "reader-secret-71";
    private static final String CDC = "ferry_cdc";
    private static final String CDC_PASSWORD = "cdc-secret-93";

    private static EmbeddedMariaDb mariaDb;
    private static EmbeddedPostgresServer postgres;
    private static EngineHost host;
    private static Preconditions preconditions;

    @TempDir
    static Path warehouse;

    @BeforeAll
    static void startServers()
            throws Exception
    {
        mariaDb = EmbeddedMariaDb.builder().withGrantTables().start();
        postgres = EmbeddedPostgresServer.start();
        String home = System.getProperty("ferry.engine.home");
        if (home == null) {
            throw new IllegalStateException("system property ferry.engine.home is not set; run the tests with Maven");
        }
        host = new EngineHost(EngineHome.of(Path.of(home)));
        preconditions = Preconditions.forSchema(host.home().schemaScripts("mysql").resolve("hive-schema-4.0.0.mysql.sql"), SCHEMA_VERSION);

        asRoot("CREATE USER %s@'%%' IDENTIFIED BY '%s'".formatted(READER, READER_PASSWORD),
                "CREATE USER %s@'%%' IDENTIFIED BY '%s'".formatted(CDC, CDC_PASSWORD),
                "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO %s@'%%'".formatted(CDC));
        createSourceMetastore("hms");

        initializeOwnDatabase("own_fresh");
        // A metastore's first start adds the default database and the admin and public roles: still fresh.
        try (Engine engine = host.start(ownSettings("own_fresh"))) {
            assertThat(engine.client().get_all_databases()).containsExactly("default");
        }
    }

    @AfterAll
    static void stopServers()
    {
        if (mariaDb != null) {
            mariaDb.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void passesOnAReadySourceAndAFreshOwnDatabaseAndReportsTheSource()
            throws Exception
    {
        Map<String, String> before = fingerprint("own_fresh");

        SourceFacts facts = preconditions.check(source("hms"), own("own_fresh"));

        assertThat(facts.dialect().version().flavor()).isEqualTo(Flavor.MARIADB);
        assertThat(facts.dialect().version().text()).startsWith(EmbeddedMariaDb.VERSION + "-MariaDB");
        assertThat(facts.dialect().describe()).isEqualTo("MariaDB " + EmbeddedMariaDb.VERSION);
        assertThat(facts.binlogPosition()).isInstanceOf(MariaDbGtids.class);
        assertThat(facts.warnings()).isEmpty();
        assertThat(fingerprint("own_fresh")).isEqualTo(before);
    }

    @Test
    void passesWhenReaderAndCdcAreOneUser()
    {
        asRoot("CREATE USER ferry_both@'%' IDENTIFIED BY 'both-secret'",
                "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO ferry_both@'%'",
                "GRANT SELECT ON hms.* TO ferry_both@'%'");
        SourceDatabase source = new SourceDatabase("127.0.0.1", mariaDb.port(), "hms", "ferry_both", "both-secret", "ferry_both", "both-secret");

        assertThat(preconditions.check(source, own("own_fresh")).dialect().version().flavor()).isEqualTo(Flavor.MARIADB);
    }

    @Test
    void passesWhenPrivilegesComeFromADefaultRoleAllPrivilegesOrADatabaseGrant()
    {
        // The CDC user's privileges through a default role that holds part of them through another role.
        asRoot("CREATE ROLE cdc_binlog", "GRANT REPLICATION SLAVE ON *.* TO cdc_binlog",
                "CREATE ROLE cdc_role", "GRANT cdc_binlog TO cdc_role", "GRANT BINLOG MONITOR ON *.* TO cdc_role", "GRANT SELECT ON hms.* TO cdc_role",
                "CREATE USER cdc_via_role@'%' IDENTIFIED BY 'role-secret'", "GRANT cdc_role TO cdc_via_role@'%'",
                "SET DEFAULT ROLE cdc_role FOR cdc_via_role@'%'",
                "CREATE USER cdc_all@'%' IDENTIFIED BY 'all-secret'", "GRANT ALL PRIVILEGES ON *.* TO cdc_all@'%'",
                "CREATE USER reader_all_on_database@'%' IDENTIFIED BY 'database-secret'", "GRANT ALL ON hms.* TO reader_all_on_database@'%'");

        assertThat(preconditions.check(new SourceDatabase("127.0.0.1", mariaDb.port(), "hms", "reader_all_on_database", "database-secret",
                "cdc_via_role", "role-secret"), own("own_fresh")).dialect().version().flavor()).isEqualTo(Flavor.MARIADB);
        assertThat(preconditions.check(new SourceDatabase("127.0.0.1", mariaDb.port(), "hms", READER, READER_PASSWORD,
                "cdc_all", "all-secret"), own("own_fresh")).dialect().version().flavor()).isEqualTo(Flavor.MARIADB);
    }

    @Test
    void refusesWrongReaderPassword()
    {
        SourceDatabase source = new SourceDatabase("127.0.0.1", mariaDb.port(), "hms", READER, "wrong-reader-password", CDC, CDC_PASSWORD);

        assertFailsLeavingOwnDatabaseUntouched(() -> preconditions.check(source, own("own_fresh")), SOURCE_ACCESS_DENIED,
                "the source database at 127.0.0.1:%s refused the reader user 'ferry_reader': Access denied for user 'ferry_reader'@'localhost' (using password: YES); check the reader user's name and password, and that it may log in from Ferry's host"
                        .formatted(mariaDb.port()));
    }

    @Test
    void refusesWrongCdcPassword()
    {
        SourceDatabase source = new SourceDatabase("127.0.0.1", mariaDb.port(), "hms", READER, READER_PASSWORD, CDC, "wrong-cdc-password");

        assertFailsLeavingOwnDatabaseUntouched(() -> preconditions.check(source, own("own_fresh")), SOURCE_ACCESS_DENIED,
                "the source database at 127.0.0.1:%s refused the CDC user 'ferry_cdc': Access denied for user 'ferry_cdc'@'localhost' (using password: YES); check the CDC user's name and password, and that it may log in from Ferry's host"
                        .formatted(mariaDb.port()));
    }

    @Test
    void reportsUnreachableSource()
    {
        int closedPort = FreePorts.next();
        SourceDatabase source = new SourceDatabase("127.0.0.1", closedPort, "hms", READER, READER_PASSWORD, CDC, CDC_PASSWORD);

        assertFailsLeavingOwnDatabaseUntouched(() -> preconditions.check(source, own("own_fresh")), SOURCE_UNREACHABLE,
                "cannot reach the source database at 127.0.0.1:%s as the reader user 'ferry_reader': Connection refused; check the host and port, that the server is running, and that it accepts TCP connections from Ferry's host"
                        .formatted(closedPort));
    }

    @Test
    void refusesStatementBinlogFormat()
    {
        asRoot("SET GLOBAL binlog_format = 'STATEMENT'");
        try {
            assertFailsLeavingOwnDatabaseUntouched(() -> preconditions.check(source("hms"), own("own_fresh")), SOURCE_BINLOG_FORMAT,
                    "the binlog of the source database at 127.0.0.1:%s is not ready for change data capture: binlog_format is STATEMENT, needs ROW; run SET GLOBAL binlog_format = 'ROW' and SET GLOBAL binlog_row_image = 'FULL', put the same settings in the server's configuration so they survive a restart, then restart the Hive Metastore so that its open connections use them"
                            .formatted(mariaDb.port()));
        }
        finally {
            asRoot("SET GLOBAL binlog_format = 'ROW'");
        }
    }

    @Test
    void refusesMinimalBinlogRowImage()
    {
        asRoot("SET GLOBAL binlog_row_image = 'MINIMAL'");
        try {
            assertFailsLeavingOwnDatabaseUntouched(() -> preconditions.check(source("hms"), own("own_fresh")), SOURCE_BINLOG_ROW_IMAGE,
                    "the binlog of the source database at 127.0.0.1:%s is not ready for change data capture: binlog_row_image is MINIMAL, needs FULL; run SET GLOBAL binlog_format = 'ROW' and SET GLOBAL binlog_row_image = 'FULL', put the same settings in the server's configuration so they survive a restart, then restart the Hive Metastore so that its open connections use them"
                            .formatted(mariaDb.port()));
        }
        finally {
            asRoot("SET GLOBAL binlog_row_image = 'FULL'");
        }
    }

    @Test
    void listsEveryMissingPrivilegeOfBothUsers()
    {
        asRoot("CREATE USER reader_without_select@'%' IDENTIFIED BY 'r-secret'",
                "CREATE USER cdc_select_only@'%' IDENTIFIED BY 'c-secret'", "GRANT SELECT ON hms.* TO cdc_select_only@'%'");
        SourceDatabase source = new SourceDatabase("127.0.0.1", mariaDb.port(), "hms", "reader_without_select", "r-secret", "cdc_select_only", "c-secret");

        assertFailsLeavingOwnDatabaseUntouched(() -> preconditions.check(source, own("own_fresh")), SOURCE_PRIVILEGES_MISSING,
                "missing privileges on the source database at 127.0.0.1:%s: the reader user 'reader_without_select'@'%%' lacks SELECT on `hms`.*; the CDC user 'cdc_select_only'@'%%' lacks REPLICATION SLAVE, BINLOG MONITOR; grant them with: GRANT SELECT ON `hms`.* TO 'reader_without_select'@'%%'; GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'cdc_select_only'@'%%';"
                        .formatted(mariaDb.port()));
    }

    @Test
    void namesTheOneMissingPrivilegeAndTheUnreadableTables()
    {
        asRoot("CREATE USER reader_some_tables@'%' IDENTIFIED BY 'r-secret'",
                "CREATE USER cdc_without_monitor@'%' IDENTIFIED BY 'c-secret'",
                "GRANT REPLICATION SLAVE ON *.* TO cdc_without_monitor@'%'", "GRANT SELECT ON hms.* TO cdc_without_monitor@'%'");
        for (String table : preconditions.tables()) {
            if (!List.of("TBLS", "PARTITIONS").contains(table)) {
                asRoot("GRANT SELECT ON hms.`%s` TO reader_some_tables@'%%'".formatted(table));
            }
        }
        SourceDatabase source = new SourceDatabase("127.0.0.1", mariaDb.port(), "hms", "reader_some_tables", "r-secret", "cdc_without_monitor", "c-secret");

        assertFailsLeavingOwnDatabaseUntouched(() -> preconditions.check(source, own("own_fresh")), SOURCE_PRIVILEGES_MISSING,
                "missing privileges on the source database at 127.0.0.1:%s: the reader user 'reader_some_tables'@'%%' lacks SELECT on `hms`.`PARTITIONS`, `hms`.`TBLS`; the CDC user 'cdc_without_monitor'@'%%' lacks BINLOG MONITOR; grant them with: GRANT SELECT ON `hms`.* TO 'reader_some_tables'@'%%'; GRANT BINLOG MONITOR ON *.* TO 'cdc_without_monitor'@'%%';"
                        .formatted(mariaDb.port()));
    }

    @Test
    void ignoresARoleThatIsGrantedButNotActivatedOnLogin()
    {
        // Debezium does not run SET ROLE, so a role that is not the user's default role gives it nothing.
        asRoot("CREATE ROLE cdc_not_default", "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO cdc_not_default",
                "CREATE USER cdc_role_not_default@'%' IDENTIFIED BY 'n-secret'", "GRANT cdc_not_default TO cdc_role_not_default@'%'",
                "GRANT SELECT ON hms.* TO cdc_role_not_default@'%'");
        SourceDatabase source = new SourceDatabase("127.0.0.1", mariaDb.port(), "hms", READER, READER_PASSWORD, "cdc_role_not_default", "n-secret");

        assertFailsLeavingOwnDatabaseUntouched(() -> preconditions.check(source, own("own_fresh")), SOURCE_PRIVILEGES_MISSING,
                "missing privileges on the source database at 127.0.0.1:%s: the CDC user 'cdc_role_not_default'@'%%' lacks REPLICATION SLAVE, BINLOG MONITOR; grant them with: GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'cdc_role_not_default'@'%%';"
                        .formatted(mariaDb.port()));
    }

    @Test
    void demandsExactlyThePrivilegesDebeziumNeedsToStreamTheBinlog()
            throws Exception
    {
        createSourceMetastore("hms_cdc");
        asRoot("CREATE USER cdc_no_select@'%' IDENTIFIED BY 's-secret'", "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO cdc_no_select@'%'",
                "CREATE USER cdc_no_monitor@'%' IDENTIFIED BY 'm-secret'", "GRANT REPLICATION SLAVE ON *.* TO cdc_no_monitor@'%'",
                "GRANT SELECT ON hms_cdc.* TO cdc_no_monitor@'%'",
                "CREATE USER cdc_no_slave@'%' IDENTIFIED BY 'r-secret'", "GRANT BINLOG MONITOR ON *.* TO cdc_no_slave@'%'",
                "GRANT SELECT ON hms_cdc.* TO cdc_no_slave@'%'");
        Runnable change = () -> asRoot("UPDATE hms_cdc.NOTIFICATION_SEQUENCE SET NEXT_EVENT_ID = NEXT_EVENT_ID + 1");

        // All that the check demands: it passes, and the connector streams a change.
        preconditions.check(source("hms_cdc"), own("own_fresh"));
        assertThat(DebeziumProbe.streamOneChange(mariaDb.port(), CDC, CDC_PASSWORD, "hms_cdc", "NOTIFICATION_SEQUENCE", change)).isEmpty();

        // One privilege left out: the check names it, and the connector fails for want of it.
        record Case(String user, String password, String lacks, String grant, String connectorFailure) {}
        List<Case> cases = List.of(
                new Case("cdc_no_select", "s-secret", "SELECT on `hms_cdc`.*", "GRANT SELECT ON `hms_cdc`.* TO 'cdc_no_select'@'%';",
                        "Encountered change event for table hms_cdc.NOTIFICATION_SEQUENCE whose schema isn't known to this connector"),
                new Case("cdc_no_monitor", "m-secret", "BINLOG MONITOR", "GRANT BINLOG MONITOR ON *.* TO 'cdc_no_monitor'@'%';",
                        "Access denied; you need (at least one of) the SUPER, BINLOG MONITOR privilege(s) for this operation"),
                new Case("cdc_no_slave", "r-secret", "REPLICATION SLAVE", "GRANT REPLICATION SLAVE ON *.* TO 'cdc_no_slave'@'%';",
                        "Access denied; you need (at least one of) the REPLICATION SLAVE privilege(s) for this operation"));
        for (Case lacking : cases) {
            SourceDatabase source = new SourceDatabase("127.0.0.1", mariaDb.port(), "hms_cdc", READER, READER_PASSWORD, lacking.user(), lacking.password());
            assertFailsLeavingOwnDatabaseUntouched(() -> preconditions.check(source, own("own_fresh")), SOURCE_PRIVILEGES_MISSING,
                    "missing privileges on the source database at 127.0.0.1:%s: the CDC user '%s'@'%%' lacks %s; grant them with: %s"
                            .formatted(mariaDb.port(), lacking.user(), lacking.lacks(), lacking.grant()));
            assertThat(DebeziumProbe.streamOneChange(mariaDb.port(), lacking.user(), lacking.password(), "hms_cdc", "NOTIFICATION_SEQUENCE", change))
                    .hasValueSatisfying(failure -> assertThat(failure).contains(lacking.connectorFailure()));
        }
    }

    @Test
    void refusesAnotherSchemaVersionNamingBoth()
    {
        createSourceMetastore("hms_old");
        asRoot("UPDATE hms_old.VERSION SET SCHEMA_VERSION = '3.1.0'");

        assertFailsLeavingOwnDatabaseUntouched(() -> preconditions.check(source("hms_old"), own("own_fresh")), SOURCE_SCHEMA_VERSION_MISMATCH,
                "the source database hms_old at 127.0.0.1:%s has Hive metastore schema version 3.1.0, but Ferry expects 4.0.0; upgrade the source metastore to 4.0.0 with Hive's schema tool (schematool -upgradeSchema) first"
                        .formatted(mariaDb.port()));
    }

    @Test
    void listsMissingMetastoreTables()
    {
        createSourceMetastore("hms_partial");
        asRoot("DROP TABLE hms_partial.WM_POOL_TO_TRIGGER", "DROP TABLE hms_partial.TXN_WRITE_NOTIFICATION_LOG");

        assertFailsLeavingOwnDatabaseUntouched(() -> preconditions.check(source("hms_partial"), own("own_fresh")), SOURCE_SCHEMA_INCOMPLETE,
                "the source database hms_partial at 127.0.0.1:%s lacks 2 of the 83 tables of Hive metastore schema 4.0.0: WM_POOL_TO_TRIGGER, TXN_WRITE_NOTIFICATION_LOG; restore them from hive-schema-4.0.0.mysql.sql (schematool -validate lists what differs)"
                        .formatted(mariaDb.port()));
    }

    @Test
    void refusesSourceWithoutMetastoreSchema()
    {
        mariaDb.createDatabase("hms_empty");
        asRoot("GRANT SELECT ON hms_empty.* TO %s@'%%'".formatted(READER), "GRANT SELECT ON hms_empty.* TO %s@'%%'".formatted(CDC));
        // An empty database gives nobody a table to read: every SELECT probe meets a missing table, not a denial.
        assertFailsLeavingOwnDatabaseUntouched(() -> preconditions.check(source("hms_empty"), own("own_fresh")), SOURCE_SCHEMA_INCOMPLETE,
                "the source database hms_empty at 127.0.0.1:%s has no Hive metastore schema: table VERSION is missing; point Ferry at the metastore's database"
                        .formatted(mariaDb.port()));
    }

    @Test
    void refusesOwnDatabaseWithDatabasesTablesPartitionsAndFunctions()
            throws Exception
    {
        initializeOwnDatabase("own_used");
        try (Engine engine = host.start(ownSettings("own_used"))) {
            engine.client().create_database(HmsObjects.database("sales"));
            engine.client().create_database(HmsObjects.database("hr"));
            Table orders = HmsObjects.partitionedTable("sales", "orders", List.of("day"));
            engine.client().create_table(orders);
            engine.client().add_partition(HmsObjects.partition(orders, List.of("2024-01-01")));
            engine.client().add_partition(HmsObjects.partition(orders, List.of("2024-01-02")));
            engine.client().create_function(new Function("normalize", "sales", "com.example.Normalize", "ferry", PrincipalType.USER,
                    0, FunctionType.JAVA, List.of()));
        }

        assertFailsLeavingOwnDatabaseUntouched("own_used", () -> preconditions.check(source("hms"), own("own_used")), OWN_DATABASE_NOT_EMPTY,
                "own database %s already holds metastore data: 2 databases besides default (hr, sales), 1 table (sales.orders), 2 partitions, 1 function (sales.normalize), 6 notification log entries, rows in 10 other metastore tables (CDS, COLUMNS_V2, DATABASE_PARAMS, PARTITION_KEYS, PARTITION_KEY_VALS, ...); a migration fills a freshly initialised own database and would overwrite it, so use an own database that holds no metadata besides the default database, or drop what is listed first"
                        .formatted(postgres.jdbcUrl("own_used")));
    }

    @Test
    void refusesOwnDatabaseWithAnOpenTransaction()
            throws Exception
    {
        initializeOwnDatabase("own_transaction");
        try (Engine engine = host.start(ownSettings("own_transaction"))) {
            assertThat(engine.client().open_txns(new OpenTxnRequest(1, "ferry", "localhost")).getTxn_ids()).hasSize(1);
        }

        assertFailsLeavingOwnDatabaseUntouched("own_transaction", () -> preconditions.check(source("hms"), own("own_transaction")), OWN_DATABASE_NOT_EMPTY,
                "own database %s already holds metastore data: 1 transaction (1 open), 1 notification log entry, rows in 1 other metastore table (MIN_HISTORY_LEVEL); a migration fills a freshly initialised own database and would overwrite it, so use an own database that holds no metadata besides the default database, or drop what is listed first"
                        .formatted(postgres.jdbcUrl("own_transaction")));
    }

    @Test
    void refusesOwnDatabaseWithARoleGrant()
            throws Exception
    {
        initializeOwnDatabase("own_roles");
        try (Engine engine = host.start(ownSettings("own_roles"))) {
            engine.client().create_role(new Role("analyst", 0, "ferry"));
            engine.client().grant_role("analyst", "alice", PrincipalType.USER, "ferry", PrincipalType.USER, false);
        }

        assertFailsLeavingOwnDatabaseUntouched("own_roles", () -> preconditions.check(source("hms"), own("own_roles")), OWN_DATABASE_NOT_EMPTY,
                "own database %s already holds metastore data: 1 role besides admin and public (analyst), 1 role grant; a migration fills a freshly initialised own database and would overwrite it, so use an own database that holds no metadata besides the default database, or drop what is listed first"
                        .formatted(postgres.jdbcUrl("own_roles")));
    }

    @Test
    void passesOnOwnDatabaseThatTheSchemaToolInitialisedButNoMetastoreStartedOn()
            throws Exception
    {
        initializeOwnDatabase("own_never_started");
        Map<String, String> before = fingerprint("own_never_started");

        assertThat(preconditions.check(source("hms"), own("own_never_started")).dialect().version().flavor()).isEqualTo(Flavor.MARIADB);
        assertThat(fingerprint("own_never_started")).isEqualTo(before);
    }

    @Test
    void fingerprintSeesEveryKindOfWrite()
            throws Exception
    {
        // The untouched-database assertions are only as good as the fingerprint: it must change on any write.
        initializeOwnDatabase("own_scratch");
        Map<String, String> fresh = fingerprint("own_scratch");
        try (Connection connection = postgres.connect("own_scratch"); Statement statement = connection.createStatement()) {
            statement.executeUpdate("UPDATE \"CTLGS\" SET \"DESC\" = 'changed' WHERE \"NAME\" = 'hive'");
            Map<String, String> updated = fingerprint("own_scratch");
            assertThat(updated).isNotEqualTo(fresh);
            statement.executeQuery("SELECT nextval('\"TXNS_TXN_ID_seq\"')").close();
            assertThat(fingerprint("own_scratch")).isNotEqualTo(updated);
        }
    }

    private static void assertFailsLeavingOwnDatabaseUntouched(Executable check, Reason reason, String message)
    {
        assertFailsLeavingOwnDatabaseUntouched("own_fresh", check, reason, message);
    }

    private static void assertFailsLeavingOwnDatabaseUntouched(String ownDatabase, Executable check, Reason reason, String message)
    {
        Map<String, String> before = fingerprint(ownDatabase);
        // The own database's test password, "postgres", is also part of every PostgreSQL URL: not checked here.
        assertThatThrownBy(check::execute)
                .isInstanceOf(ReplicationException.class)
                .hasMessage(message)
                .hasMessageNotContainingAny(READER_PASSWORD, CDC_PASSWORD, "wrong-reader-password", "wrong-cdc-password")
                .extracting(e -> ((ReplicationException) e).reason()).isEqualTo(reason);
        assertThat(fingerprint(ownDatabase)).isEqualTo(before);
    }

    private static SourceDatabase source(String database)
    {
        return new SourceDatabase("127.0.0.1", mariaDb.port(), database, READER, READER_PASSWORD, CDC, CDC_PASSWORD);
    }

    private static OwnDatabaseTarget own(String database)
    {
        return new OwnDatabaseTarget(postgres.jdbcUrl(database), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
    }

    /** A source metastore database made by Hive's schema tool, readable by the reader and the CDC user. */
    private static void createSourceMetastore(String database)
    {
        String url = mariaDb.createDatabase(database);
        host.initializeSchema(new EngineSettings(database, url, EmbeddedMariaDb.USER, EmbeddedMariaDb.PASSWORD, warehouse,
                EngineSettings.BackgroundTasks.OFF, EngineSettings.NotificationLog.ON, Map.of()));
        asRoot("GRANT SELECT ON %s.* TO %s@'%%'".formatted(database, READER), "GRANT SELECT ON %s.* TO %s@'%%'".formatted(database, CDC));
    }

    private static void initializeOwnDatabase(String database)
    {
        postgres.createDatabase(database);
        host.initializeSchema(ownSettings(database));
    }

    private static EngineSettings ownSettings(String database)
    {
        return new EngineSettings(database, postgres.jdbcUrl(database), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD, warehouse,
                EngineSettings.BackgroundTasks.OFF, EngineSettings.NotificationLog.ON, Map.of());
    }

    private static void asRoot(String... statements)
    {
        try (Connection connection = mariaDb.connect(""); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
        catch (SQLException e) {
            throw new IllegalStateException("statement as root failed: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> fingerprint(String database)
    {
        try (Connection connection = postgres.connect(database)) {
            return OwnDatabaseFingerprint.of(connection);
        }
        catch (SQLException e) {
            throw new IllegalStateException("cannot fingerprint " + database + ": " + e.getMessage(), e);
        }
    }
}
