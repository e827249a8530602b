package dev.ferry.control;

import dev.ferry.engine.Engine;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.SourceDatabase;

/** Starts the engines the control plane points the front at. Each engine returned is warmed: its first call made. */
public interface Engines
{
    /** An engine on the own database, whose metastore schema is created first if missing. */
    Engine startOwn();

    /** An engine on a migration's source database. */
    Engine startSource(SourceDatabase source);

    OwnDatabaseTarget ownDatabase();
}
