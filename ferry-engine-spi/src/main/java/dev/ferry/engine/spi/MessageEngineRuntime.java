package dev.ferry.engine.spi;

/**
 * An engine that carries its own HMS Thrift API classes and Thrift library (an older Hive, whose structs differ from
 * the ones Ferry uses): Ferry calls it with whole Thrift messages in the binary protocol, exactly as a client would
 * send them over a socket, and the engine answers with the reply message its own generated processor writes. So a
 * method the engine's Hive version lacks is answered as that Hive version's server answers it (an application
 * error, "Invalid method name"). Calls must run with the engine's classloader as the thread's context classloader,
 * on the thread whose per-thread metastore state they use.
 */
public interface MessageEngineRuntime
        extends EngineRuntime
{
    /**
     * Processes one call: {@code request} holds one message (header and arguments struct) in Thrift's binary
     * protocol; the result holds the reply message, empty for a one-way call.
     */
    byte[] process(byte[] request);
}
