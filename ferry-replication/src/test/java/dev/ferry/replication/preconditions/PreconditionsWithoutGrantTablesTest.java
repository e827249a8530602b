package dev.ferry.replication.preconditions;

import dev.ferry.replication.HmsFixture;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A source started with --skip-grant-tables checks no privilege: the privilege check must pass, not fail on SHOW GRANTS. */
class PreconditionsWithoutGrantTablesTest
{
    @Test
    void sourceWithoutGrantTablesPasses()
            throws Exception
    {
        try (EmbeddedMariaDb mariaDb = EmbeddedMariaDb.start(); EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start()) {
            SourceDatabase source = HmsFixture.source(mariaDb, "hms_no_grants");
            OwnDatabaseTarget own = HmsFixture.own(postgres, "own_no_grants");
            SourceFacts facts = Preconditions.forSchema(HmsFixture.upgradeScripts().resolve("mysql/hive-schema-4.0.0.mysql.sql"), "4.0.0").check(source, own);
            assertThat(facts.dialect().version().flavor()).isEqualTo(dev.ferry.replication.source.ServerVersion.Flavor.MARIADB);
        }
    }
}
