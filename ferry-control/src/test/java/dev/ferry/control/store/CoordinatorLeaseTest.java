package dev.ferry.control.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

import dev.ferry.replication.ReplicationException;
import dev.ferry.testkit.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The replication lease on a real PostgreSQL, each test in a control store of its own: who may take it and when,
 * the epoch of each take, and the fence that keeps a replica that lost it from committing.
 */
class CoordinatorLeaseTest
{
    private static final Duration LONG = Duration.ofMinutes(5);
    private static final Duration SHORT = Duration.ofSeconds(1);

    private static EmbeddedPostgresServer postgres;

    @BeforeAll
    static void start()
    {
        postgres = EmbeddedPostgresServer.start();
    }

    @AfterAll
    static void stop()
    {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void aValidLeaseWhoseHolderIsAliveIsNotTakenAndRenewingExtendsIt()
    {
        String url = controlStore("lease_valid");
        try (CoordinatorLease a = lease(url, "a", LONG); CoordinatorLease b = lease(url, "b", LONG)) {
            assertThat(a.holder()).isEmpty();
            assertThat(a.tryAcquire()).contains(1L);
            assertThat(b.tryAcquire()).isEmpty();
            // Held already: tried again, it is renewed with the same epoch.
            assertThat(a.tryAcquire()).contains(1L);

            CoordinatorLease.Holder before = b.holder().orElseThrow();
            assertThat(before.holder()).isEqualTo("a");
            assertThat(before.epoch()).isEqualTo(1);
            assertThat(before.expired()).isFalse();
            assertThat(a.renew(1)).isTrue();
            assertThat(b.holder().orElseThrow().expireTime()).isAfter(before.expireTime());
            assertThat(b.renew(1)).as("b never held it").isFalse();
        }
    }

    @Test
    void anExpiredLeaseIsTakenWithTheNextEpochAndTheOldHolderIsFenced()
            throws SQLException
    {
        String url = controlStore("lease_expired");
        try (CoordinatorLease a = lease(url, "a", SHORT); CoordinatorLease b = lease(url, "b", LONG);
                Connection aReplication = connect(url, Optional.of(a.applicationName("replication")));
                Connection bReplication = connect(url, Optional.of(b.applicationName("replication")))) {
            assertThat(a.tryAcquire()).contains(1L);
            await().atMost(Duration.ofSeconds(10)).until(() -> b.holder().orElseThrow().expired());

            assertThat(b.tryAcquire()).contains(2L);

            // The new holder ended every session of the old one: its replication's too.
            assertThatThrownBy(() -> a.fence(1).check(aReplication)).isInstanceOf(SQLException.class);
            assertThat(a.renew(1)).isFalse();
            try (Connection again = connect(url, Optional.of(a.applicationName("replication")))) {
                assertThatThrownBy(() -> a.fence(1).check(again))
                        .isInstanceOfSatisfying(ReplicationException.class, fenced -> assertThat(fenced.reason()).isEqualTo(ReplicationException.Reason.FENCED))
                        .hasMessage("this replica (a) lost the replication lease (epoch 1); another replica runs the migration now");
            }
            b.fence(2).check(bReplication);
            assertThat(b.holder().orElseThrow()).extracting(CoordinatorLease.Holder::holder, CoordinatorLease.Holder::epoch).containsExactly("b", 2L);
            assertThat(a.tryAcquire()).isEmpty();
        }
    }

    @Test
    void aHolderWithNoSessionLeftLosesTheLeaseBeforeItExpires()
    {
        String url = controlStore("lease_killed");
        try (CoordinatorLease b = lease(url, "b", LONG)) {
            CoordinatorLease a = lease(url, "a", LONG);
            assertThat(a.tryAcquire()).contains(1L);
            assertThat(b.tryAcquire()).isEmpty();

            // As after a SIGKILL: every session of a is gone, long before its lease expires.
            a.close();

            await().atMost(Duration.ofSeconds(10)).until(() -> b.tryAcquire().isPresent());
            CoordinatorLease.Holder holder = b.holder().orElseThrow();
            assertThat(holder.holder()).isEqualTo("b");
            assertThat(holder.epoch()).isEqualTo(2);
            assertThat(holder.expired()).isFalse();
        }
    }

    @Test
    void aTransactionThatPassedTheOldFenceHoldsTheTakeUpUntilItEndsAndTheNextOneIsFenced()
            throws Exception
    {
        String url = controlStore("lease_zombie");
        try (CoordinatorLease a = lease(url, "a", SHORT); CoordinatorLease b = lease(url, "b", LONG);
                // A session the take cannot end (it does not bear a's name): a's replication paused mid-transaction.
                Connection zombie = connect(url, Optional.empty())) {
            try (Statement statement = zombie.createStatement()) {
                statement.execute("CREATE TABLE public.zombie_write (n integer)");
            }
            zombie.commit();
            assertThat(a.tryAcquire()).contains(1L);
            insert(zombie, 1);
            a.fence(1).check(zombie);
            await().atMost(Duration.ofSeconds(10)).until(() -> b.holder().orElseThrow().expired());

            CompletableFuture<Optional<Long>> take = CompletableFuture.supplyAsync(b::tryAcquire);
            await().atMost(Duration.ofSeconds(4)).until(() -> waitsForALock(url, b.applicationName("lease")));
            assertThat(take).isNotDone();

            // It passed the fence before the take: its commit goes through, and only then is the lease taken.
            zombie.commit();
            assertThat(take.get()).contains(2L);

            insert(zombie, 2);
            assertThatThrownBy(() -> a.fence(1).check(zombie))
                    .isInstanceOf(ReplicationException.class)
                    .hasMessage("this replica (a) lost the replication lease (epoch 1); another replica runs the migration now");
            zombie.rollback();
            try (Statement statement = zombie.createStatement(); ResultSet rows = statement.executeQuery("SELECT array_agg(n)::text FROM public.zombie_write")) {
                rows.next();
                assertThat(rows.getString(1)).isEqualTo("{1}");
            }
        }
    }

    @Test
    void aReleasedLeaseIsTakenAtOnce()
    {
        String url = controlStore("lease_released");
        try (CoordinatorLease a = lease(url, "a", LONG); CoordinatorLease b = lease(url, "b", LONG)) {
            assertThat(a.tryAcquire()).contains(1L);
            a.release(2);
            assertThat(b.tryAcquire()).as("a released another epoch than its own: nothing").isEmpty();

            a.release(1);
            assertThat(a.holder()).isEmpty();
            assertThat(b.tryAcquire()).contains(2L);
            assertThat(a.holder().orElseThrow().holder()).isEqualTo("b");
        }
    }

    @Test
    void refusesAReplicaIdThatCannotNameItsSessions()
    {
        String url = postgres.jdbcUrl("postgres");
        assertThatThrownBy(() -> lease(url, "a/b", LONG))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a replica id must be 1 to 40 letters, digits, '.', '_' or '-': 'a/b'");
        assertThatThrownBy(() -> lease(url, "r".repeat(41), LONG))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("a replica id must be 1 to 40 letters");
        assertThat(lease(url, "host-1.ferry_2", LONG).applicationName("replication")).isEqualTo("ferry/host-1.ferry_2/replication");
    }

    private static String controlStore(String database)
    {
        String url = postgres.createDatabase(database);
        ControlStore.open(url, EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
        return url;
    }

    private static CoordinatorLease lease(String url, String holder, Duration ttl)
    {
        return new CoordinatorLease(url, EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD, holder, ttl);
    }

    /** A connection as replication's are: its own search path, not the control store's. */
    private static Connection connect(String url, Optional<String> applicationName)
            throws SQLException
    {
        Properties properties = new Properties();
        properties.setProperty("user", EmbeddedPostgresServer.USER);
        properties.setProperty("password", EmbeddedPostgresServer.PASSWORD);
        applicationName.ifPresent(name -> properties.setProperty("ApplicationName", name));
        Connection connection = DriverManager.getConnection(url, properties);
        connection.setAutoCommit(false);
        return connection;
    }

    private static void insert(Connection connection, int n)
            throws SQLException
    {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO public.zombie_write VALUES (?)")) {
            insert.setInt(1, n);
            insert.executeUpdate();
        }
    }

    private static boolean waitsForALock(String url, String applicationName)
            throws SQLException
    {
        try (Connection connection = connect(url, Optional.empty());
                PreparedStatement select = connection.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE application_name = ? AND wait_event_type = 'Lock'")) {
            select.setString(1, applicationName);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1) == 1;
            }
        }
    }
}
