package dev.ferry.hivetests;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Hive tests that fail on a plain Hive Metastore 4.0.1 as well as through Ferry, on PostgreSQL and MariaDB (one on MariaDB
 * only), each with its cause. The suite reports them as skipped with that cause; it fails when one of them passes on the plain
 * metastore (the entry is then wrong), when a test fails on both without an entry here, and when it fails through
 * Ferry differently from the plain metastore. docs/COMPATIBILITY.md lists the same.
 */
final class KnownFailures
{
    /**
     * @param test {@code Class#method}, the class's simple name
     * @param databases where it fails on both
     */
    record KnownFailure(String test, Set<Target.Database> databases, String cause)
    {
        KnownFailure
        {
            requireNonNull(test, "test is null");
            databases = Set.copyOf(databases);
            requireNonNull(cause, "cause is null");
        }
    }

    private static final String IN_JVM = "needs the metastore inside the test's own JVM: ";
    private static final String IN_JVM_PMF = IN_JVM + "it counts the persistence managers of the server's JDO factory, which a client's JVM does not have "
            + "(NullPointerException)";
    private static final String IN_JVM_DERBY = IN_JVM + "it reads the metastore's tables with JDBC from a Derby database in its working directory, "
            + "not the database the remote metastore serves from";
    private static final String IN_JVM_OBJECT_STORE = IN_JVM + "it opens HMS's ObjectStore (or handler) in its own JVM, on a Derby database there "
            + "that has no metastore schema (\"Required table missing ... in Catalog \\\"\\\" Schema \\\"\\\"\")";
    private static final String IN_JVM_METRICS = IN_JVM + "it reads the server's open-connection metrics from its own JVM";
    private static final String EXTERNAL_ROOT = "expects a database without a location under the managed warehouse root, as on Hive's test servers, "
            + "which set no external root (metastore.warehouse.external.dir, empty by default); with an external root, as every target here has "
            + "(Ferry's default puts managed/ and external/ side by side), HMS 4 puts such a database under the external root";
    private static final String LIKE = "MySQL and MariaDB read a backslash in a LIKE pattern as an escape character; HMS 4.0.1's partition filter "
            + "does not escape it for them, so p1 like \"%\\\\%\" matches nothing (Hive runs this test on Derby); fails on MariaDB only";
    private static final String SERVER_SETTINGS = "the class sets its metastore's server settings in @BeforeClass (%s); a metastore running "
            + "elsewhere (Hive's 'cluster' test service, as every target here) gets them only in the client's configuration";
    private static final String TABLES_SETTINGS = SERVER_SETTINGS.formatted("hive.in.test, no metadata transformer, storage authorization checks")
            + ", so the server translates managed tables to external ones, refuses external tables under the managed root and checks no "
            + "storage permissions; and it expects dropped data in a trash the servers do not have";
    private static final String SCHEDULED_SETTINGS = SERVER_SETTINGS.formatted("scheduled-query auto-disable and skip counts");
    private static final String STATS_SETTINGS = SERVER_SETTINGS.formatted("statistics bit vectors and KLL sketches fetched");
    private static final String TRASH = "expects dropped data in the trash; the servers here run with Hadoop's default fs.trash.interval=0 (no trash)";
    private static final String ONE_METASTORE = "Hive runs each test class against a fresh metastore; here one metastore per target serves every "
            + "class, and this test counts or creates objects that an earlier test left behind";
    private static final String RELATIVE_LEFTOVER = ONE_METASTORE + ": TestAlterPartitions leaves a partition at the relative location "
            + "'somewhere' in database default, and this class's setUp, dropping every table there, fails on it (\"Relative path in absolute "
            + "URI: file:./somewhere\")";
    private static final String BATCHED = "get_table_objects_by_name (HMS's batched read, metastore.batch.retrieve.table.partition.max=2 as on "
            + "Hive's test servers) answers a table that differs from get_table's answer";
    private static final String NULL_TYPE = "expects a MetaException for a partition column without a type; a plain HMS 4.0.1 accepts it";

    static final List<KnownFailure> ALL = list(
            tests(IN_JVM_PMF, "TestHiveMetaStoreOnTargets#testJDOPersistenceManagerCleanup"),
            tests(IN_JVM_DERBY, "TestHiveMetaStoreOnTargets#testConcurrentMetastores"),
            tests(EXTERNAL_ROOT, "TestHiveMetaStoreOnTargets#testDatabaseLocation", "TestHiveMetaStoreOnTargets#testDBLocationChange"),
            List.of(new KnownFailure("TestHiveMetaStoreOnTargets#testPartitionFilterLike", EnumSet.of(Target.Database.MARIADB), LIKE)),
            tests(NULL_TYPE,
                    "TestAddPartitions#testAddPartitionNullColTypeInSd",
                    "TestAddPartitions#testAddPartitionsNullColTypeInSd"),
            tests(RELATIVE_LEFTOVER,
                    "TestCheckConstraint#addNoSuchTable",
                    "TestCheckConstraint#createGetDrop",
                    "TestCheckConstraint#createTableWithConstraintsPk",
                    "TestCheckConstraint#createTableWithConstraintsPkInOtherCatalog",
                    "TestCheckConstraint#doubleAddUniqueConstraint",
                    "TestCheckConstraint#getNoSuchCatalog",
                    "TestCheckConstraint#getNoSuchDb",
                    "TestCheckConstraint#getNoSuchTable",
                    "TestCheckConstraint#inOtherCatalog",
                    "TestDefaultConstraint#addNoSuchTable",
                    "TestDefaultConstraint#createGetDrop",
                    "TestDefaultConstraint#createTableWithConstraintsPk",
                    "TestDefaultConstraint#createTableWithConstraintsPkInOtherCatalog",
                    "TestDefaultConstraint#doubleAddUniqueConstraint",
                    "TestDefaultConstraint#getNoSuchCatalog",
                    "TestDefaultConstraint#getNoSuchDb",
                    "TestDefaultConstraint#getNoSuchTable",
                    "TestDefaultConstraint#inOtherCatalog",
                    "TestForeignKey#addNoSuchCatalog",
                    "TestForeignKey#addNoSuchDb",
                    "TestForeignKey#addNoSuchTable",
                    "TestForeignKey#createGetDrop",
                    "TestForeignKey#createGetDrop2Column",
                    "TestForeignKey#createTableWithConstraints",
                    "TestForeignKey#createTableWithConstraintsInOtherCatalog",
                    "TestForeignKey#foreignKeyAcrossCatalogs",
                    "TestForeignKey#inOtherCatalog",
                    "TestForeignKey#noSuchPk",
                    "TestGetAllTableConstraints#allConstraintsPresent",
                    "TestGetAllTableConstraints#fewPresentWithMultipleConstraints",
                    "TestGetAllTableConstraints#noConstraints",
                    "TestNotNullConstraint#addNoSuchTable",
                    "TestNotNullConstraint#createGetDrop",
                    "TestNotNullConstraint#createTableWithConstraintsPk",
                    "TestNotNullConstraint#createTableWithConstraintsPkInOtherCatalog",
                    "TestNotNullConstraint#doubleAddNotNullConstraint",
                    "TestNotNullConstraint#getNoSuchCatalog",
                    "TestNotNullConstraint#getNoSuchDb",
                    "TestNotNullConstraint#getNoSuchTable",
                    "TestNotNullConstraint#inOtherCatalog",
                    "TestPrimaryKey#addNoSuchTable",
                    "TestPrimaryKey#createGetDrop",
                    "TestPrimaryKey#createGetDrop2Column",
                    "TestPrimaryKey#createTableWithConstraintsPk",
                    "TestPrimaryKey#createTableWithConstraintsPkInOtherCatalog",
                    "TestPrimaryKey#doubleAddPrimaryKey",
                    "TestPrimaryKey#dropNoSuchCatalog",
                    "TestPrimaryKey#dropNoSuchConstraint",
                    "TestPrimaryKey#dropNoSuchDatabase",
                    "TestPrimaryKey#dropNoSuchTable",
                    "TestPrimaryKey#getNoSuchCatalog",
                    "TestPrimaryKey#getNoSuchDb",
                    "TestPrimaryKey#getNoSuchTable",
                    "TestPrimaryKey#inOtherCatalog",
                    "TestUniqueConstraint#addNoSuchTable",
                    "TestUniqueConstraint#createGetDrop",
                    "TestUniqueConstraint#createTableWithConstraintsPk",
                    "TestUniqueConstraint#createTableWithConstraintsPkInOtherCatalog",
                    "TestUniqueConstraint#doubleAddUniqueConstraint",
                    "TestUniqueConstraint#getNoSuchCatalog",
                    "TestUniqueConstraint#getNoSuchDb",
                    "TestUniqueConstraint#getNoSuchTable",
                    "TestUniqueConstraint#inOtherCatalog"),
            tests(TRASH,
                    "TestDropPartitions#testDropPartitionByNameMoreValue",
                    "TestDropPartitions#testDropPartitionDeleteData",
                    "TestDropPartitions#testDropPartitionDeleteDataNoPurge",
                    "TestDropPartitions#testDropPartitionDeleteParentDir",
                    "TestDropPartitions#testDropPartitionNullPartDropOptions"),
            tests(IN_JVM_OBJECT_STORE,
                    "TestGetAllWriteEventInfo#testGetByTxnId",
                    "TestGetAllWriteEventInfo#testGetByTxnIdAndTableName",
                    "TestGetAllWriteEventInfo#testGetByWrongDB",
                    "TestGetAllWriteEventInfo#testGetByWrongTable",
                    "TestGetAllWriteEventInfo#testGetByWrongTxnId",
                    "TestMetastoreScheduledQueries#testCleanup",
                    "TestMetastoreScheduledQueries#testOutdatedCleanup",
                    "TestMetastoreScheduledQueries#testPoll",
                    "TestReplicationMetrics#testAddMetrics",
                    "TestReplicationMetrics#testDeleteMetrics",
                    "TestReplicationMetrics#testGetMetricsByScheduleId",
                    "TestReplicationMetrics#testUpdateMetrics",
                    "TestRuntimeStats#testCleanup",
                    "TestRuntimeStats#testReading"),
            tests(ONE_METASTORE,
                    "TestGetPartitions#testGetPartitionWithAuthInfoNoDbName",
                    "TestGetTableMeta#testGetTableMeta",
                    "TestGetTableMeta#testGetTableMetaNullNoDbNoTbl",
                    "TestGetTableMeta#testGetTableMetaNullOrEmptyDb",
                    "TestGetTableMeta#testGetTableMetaNullOrEmptyTbl",
                    "TestGetTableMeta#testGetTableMetaNullOrEmptyTypes"),
            tests(IN_JVM_METRICS,
                    "TestHiveMetaStoreClient#testCloseClient",
                    "TestHiveMetaStoreClient#testReconnect",
                    "TestHiveMetaStoreClient#testTTransport"),
            tests(SCHEDULED_SETTINGS,
                    "TestMetastoreScheduledQueries#testDisable1",
                    "TestMetastoreScheduledQueries#testDisable2",
                    "TestMetastoreScheduledQueries#testSkip2"),
            tests(STATS_SETTINGS,
                    "TestPartitionStat#testUpdateStatMultiple",
                    "TestPartitionStat#testUpdateStatSingle"),
            tests(TABLES_SETTINGS,
                    "TestTablesCreateDropAlterTruncate#testAlterTable",
                    "TestTablesCreateDropAlterTruncate#testAlterTableChangingDatabase",
                    "TestTablesCreateDropAlterTruncate#testAlterTableEmptyTableNameInNew",
                    "TestTablesCreateDropAlterTruncate#testAlterTableRename",
                    "TestTablesCreateDropAlterTruncate#testCreateGetDeleteTable",
                    "TestTablesCreateDropAlterTruncate#testDropManagedTableWithoutStoragePermission",
                    "TestTablesCreateDropAlterTruncate#testDropTableExternalWithPurge",
                    "TestTablesCreateDropAlterTruncate#testDropTableExternalWithoutPurge",
                    "TestTablesCreateDropAlterTruncate#testDropTableWithoutPurge"),
            tests(BATCHED,
                    "TestTablesGetExists#testGetTableObjectsByName",
                    "TestTablesGetExists#testGetTableObjectsByNameCaseInsensitive"));

    private KnownFailures() {}

    private static List<KnownFailure> tests(String cause, String... tests)
    {
        List<KnownFailure> failures = new ArrayList<>();
        for (String test : tests) {
            failures.add(new KnownFailure(test, EnumSet.allOf(Target.Database.class), cause));
        }
        return failures;
    }

    @SafeVarargs
    private static List<KnownFailure> list(List<KnownFailure>... groups)
    {
        List<KnownFailure> all = new ArrayList<>();
        for (List<KnownFailure> group : groups) {
            all.addAll(group);
        }
        return List.copyOf(all);
    }

    static Optional<KnownFailure> of(String testClass, String method, Target.Database database)
    {
        String test = testClass + "#" + method;
        return ALL.stream().filter(known -> known.test().equals(test) && known.databases().contains(database)).findFirst();
    }
}
