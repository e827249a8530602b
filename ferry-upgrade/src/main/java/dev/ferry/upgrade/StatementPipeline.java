package dev.ferry.upgrade;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Runs queued statements in order, many per round trip (one composite statement: PostgreSQL's extended protocol
 * runs each in turn with its own parameters and answers each one's row count), so that replaying thousands of
 * changes costs a few round trips rather than one each. Every parameter is text.
 */
final class StatementPipeline
{
    private static final int MAX_STATEMENTS = 500;
    private static final int MAX_PARAMETERS = 30_000;

    /** What an update or delete was meant to change, for the message when it changed no row. */
    record Expectation(String description) {}

    private final Connection connection;
    private final StringBuilder pending = new StringBuilder();
    private final List<String> parameters = new ArrayList<>();
    private final List<Optional<Expectation>> queued = new ArrayList<>();

    StatementPipeline(Connection connection)
    {
        this.connection = requireNonNull(connection, "connection is null");
    }

    /** Queues a statement; with an expectation, it must change exactly one row. */
    void add(String sql, List<String> values, Optional<Expectation> expectation)
            throws SQLException
    {
        if (!queued.isEmpty() && (queued.size() >= MAX_STATEMENTS || parameters.size() + values.size() > MAX_PARAMETERS)) {
            flush();
        }
        pending.append(pending.isEmpty() ? "" : ";\n").append(sql);
        parameters.addAll(values);
        queued.add(expectation);
    }

    void flush()
            throws SQLException
    {
        if (queued.isEmpty()) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement(pending.toString())) {
            for (int i = 0; i < parameters.size(); i++) {
                statement.setString(i + 1, parameters.get(i));
            }
            statement.execute();
            for (Optional<Expectation> expectation : queued) {
                int rows = statement.getUpdateCount();
                if (expectation.isPresent() && rows != 1) {
                    throw new UpgradeException(UpgradeException.Reason.VERIFICATION_FAILED,
                            "%s changed %s rows of the upgraded copy, expected 1: the copy differs from the live metastore".formatted(expectation.get().description(), rows));
                }
                statement.getMoreResults();
            }
        }
        finally {
            pending.setLength(0);
            parameters.clear();
            queued.clear();
        }
    }
}
