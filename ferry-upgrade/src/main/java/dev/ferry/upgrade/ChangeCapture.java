package dev.ferry.upgrade;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static dev.ferry.upgrade.Catalog.quote;

/**
 * Captures every change to the live metastore tables while the copy is upgraded: a row trigger on each table writes
 * the row before and after (as JSON) to {@code ferry_upgrade.change}, in the transaction that made the change, so
 * a change is logged if and only if it commits. Its id orders changes that touch the same row as they committed (the
 * second waited for the first's row lock before its trigger ran). A TRUNCATE is logged as such.
 */
final class ChangeCapture
{
    static final String SCHEMA = "ferry_upgrade";
    private static final String TRIGGER = "ferry_upgrade_capture";
    private static final String TRUNCATE_TRIGGER = "ferry_upgrade_capture_truncate";
    /** How long a trigger waits, in short tries, for the metastore's transactions to let go of its table. */
    private static final Duration PATIENCE = Duration.ofMinutes(2);

    private ChangeCapture() {}

    /** The bookkeeping schema: the change log, the trigger function, and the record of the upgrade. */
    static void createSchema(Connection connection)
            throws SQLException
    {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA IF NOT EXISTS " + SCHEMA);
            statement.execute("""
                    CREATE TABLE IF NOT EXISTS ferry_upgrade.upgrade (
                      id text PRIMARY KEY,
                      live_schema text NOT NULL,
                      copy_schema text NOT NULL,
                      from_version text NOT NULL,
                      to_version text NOT NULL,
                      state text NOT NULL,
                      created timestamptz NOT NULL DEFAULT now())""");
            statement.execute("""
                    CREATE TABLE IF NOT EXISTS ferry_upgrade.change (
                      id bigserial PRIMARY KEY,
                      table_name text NOT NULL,
                      operation "char" NOT NULL,
                      old_row jsonb,
                      new_row jsonb)""");
            statement.execute("""
                    CREATE OR REPLACE FUNCTION ferry_upgrade.capture() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                      IF TG_OP = 'INSERT' THEN
                        INSERT INTO ferry_upgrade.change (table_name, operation, new_row) VALUES (TG_TABLE_NAME, 'I', to_jsonb(NEW));
                      ELSIF TG_OP = 'UPDATE' THEN
                        INSERT INTO ferry_upgrade.change (table_name, operation, old_row, new_row) VALUES (TG_TABLE_NAME, 'U', to_jsonb(OLD), to_jsonb(NEW));
                      ELSIF TG_OP = 'DELETE' THEN
                        INSERT INTO ferry_upgrade.change (table_name, operation, old_row) VALUES (TG_TABLE_NAME, 'D', to_jsonb(OLD));
                      ELSE
                        INSERT INTO ferry_upgrade.change (table_name, operation) VALUES (TG_TABLE_NAME, 'T');
                      END IF;
                      RETURN NULL;
                    END
                    $$""");
        }
        connection.commit();
    }

    /**
     * Adds the triggers to each table, one table per short transaction: creating a trigger waits for the
     * transactions that use the table, and writers wait behind it, so each try gives up after 200 ms and comes back.
     */
    static void install(Connection connection, String schema, Collection<String> tables)
            throws SQLException
    {
        for (String table : tables) {
            String qualified = quote(schema) + "." + quote(table);
            briefly(connection, List.of(
                    "DROP TRIGGER IF EXISTS %s ON %s".formatted(TRIGGER, qualified),
                    "DROP TRIGGER IF EXISTS %s ON %s".formatted(TRUNCATE_TRIGGER, qualified),
                    "CREATE TRIGGER %s AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION ferry_upgrade.capture()".formatted(TRIGGER, qualified),
                    "CREATE TRIGGER %s AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION ferry_upgrade.capture()".formatted(TRUNCATE_TRIGGER, qualified)));
        }
    }

    /** Removes the triggers from each table while the metastore may be serving, as {@link #install} adds them. */
    static void remove(Connection connection, String schema, Collection<String> tables)
            throws SQLException
    {
        for (String table : tables) {
            String qualified = quote(schema) + "." + quote(table);
            briefly(connection, List.of(
                    "DROP TRIGGER IF EXISTS %s ON %s".formatted(TRIGGER, qualified),
                    "DROP TRIGGER IF EXISTS %s ON %s".formatted(TRUNCATE_TRIGGER, qualified)));
        }
    }

    /** Runs statements in one transaction that gives up a lock wait after 200 ms, trying again for up to {@link #PATIENCE}. */
    private static void briefly(Connection connection, List<String> statements)
            throws SQLException
    {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("SET LOCAL lock_timeout = '200ms'");
                for (String sql : statements) {
                    statement.execute(sql);
                }
                connection.commit();
                return;
            }
            catch (SQLException e) {
                connection.rollback();
                // 55P03 lock_not_available, 40P01 deadlock_detected: a metastore transaction held the table.
                if (System.nanoTime() > deadline || !("55P03".equals(e.getSQLState()) || "40P01".equals(e.getSQLState()))) {
                    throw e;
                }
                pause();
            }
        }
    }

    /** The statements that drop the triggers from the tables, for the switch's transaction (with the tables idle). */
    static List<String> dropTriggerStatements(String schema, Collection<String> tables)
    {
        List<String> statements = new ArrayList<>();
        for (String table : tables) {
            String qualified = quote(schema) + "." + quote(table);
            statements.add("DROP TRIGGER IF EXISTS %s ON %s".formatted(TRIGGER, qualified));
            statements.add("DROP TRIGGER IF EXISTS %s ON %s".formatted(TRUNCATE_TRIGGER, qualified));
        }
        return statements;
    }

    private static void pause()
            throws SQLException
    {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(10, 100));
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while adding the upgrade's triggers", e);
        }
    }
}
