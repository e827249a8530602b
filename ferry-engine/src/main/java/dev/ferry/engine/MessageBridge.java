package dev.ferry.engine;

import java.lang.reflect.Proxy;
import java.util.Arrays;

import dev.ferry.engine.spi.MessageEngineRuntime;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.thrift.TConfiguration;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.TTransportException;

import static java.util.Objects.requireNonNull;

/**
 * Ferry's HMS API ({@link ThriftHiveMetastore.Iface} of Hive 4.0.1) on an engine that has its own Thrift API
 * classes: each call is Hive 4.0.1's generated client writing its message into memory, the engine's own generated
 * processor answering it, and the client reading the reply, with no socket in between. Structs cross as Thrift's
 * binary protocol, so fields one side does not know are skipped as they would be on the wire, and a method the
 * engine's Hive version lacks fails as from that version's server ({@code TApplicationException} "Invalid method name").
 */
final class MessageBridge
{
    private MessageBridge() {}

    static ThriftHiveMetastore.Iface iface(MessageEngineRuntime runtime)
    {
        requireNonNull(runtime, "runtime is null");
        // The generated client keeps a sequence number and the protocol a buffer: one client per call, which costs
        // two small objects, so calls from many threads need no lock.
        return (ThriftHiveMetastore.Iface) Proxy.newProxyInstance(MessageBridge.class.getClassLoader(),
                new Class<?>[] {ThriftHiveMetastore.Iface.class}, (proxy, method, arguments) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return switch (method.getName()) {
                            case "equals" -> proxy == arguments[0];
                            case "hashCode" -> System.identityHashCode(proxy);
                            default -> "MessageBridge[" + runtime + "]";
                        };
                    }
                    ThriftHiveMetastore.Client client = new ThriftHiveMetastore.Client(new TBinaryProtocol(new InProcessTransport(runtime)));
                    try {
                        return method.invoke(client, arguments);
                    }
                    catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /**
     * A transport whose far end is the engine: what the client writes is collected until it flushes, which hands the
     * message to the engine; the reply is what the client then reads.
     */
    static final class InProcessTransport
            extends TTransport
    {
        private final MessageEngineRuntime runtime;
        private final TConfiguration configuration = new TConfiguration();
        private byte[] request = new byte[1024];
        private int requestLength;
        private byte[] reply = new byte[0];
        private int replyPosition;

        InProcessTransport(MessageEngineRuntime runtime)
        {
            this.runtime = runtime;
        }

        @Override
        public boolean isOpen()
        {
            return true;
        }

        @Override
        public void open() {}

        @Override
        public void close() {}

        @Override
        public int read(byte[] buffer, int offset, int length)
                throws TTransportException
        {
            int available = reply.length - replyPosition;
            if (available <= 0) {
                throw new TTransportException(TTransportException.END_OF_FILE, "the engine's reply ended early");
            }
            int count = Math.min(available, length);
            System.arraycopy(reply, replyPosition, buffer, offset, count);
            replyPosition += count;
            return count;
        }

        @Override
        public void write(byte[] buffer, int offset, int length)
        {
            if (requestLength + length > request.length) {
                request = Arrays.copyOf(request, Math.max(request.length * 2, requestLength + length));
            }
            System.arraycopy(buffer, offset, request, requestLength, length);
            requestLength += length;
        }

        @Override
        public void flush()
        {
            byte[] message = Arrays.copyOf(request, requestLength);
            requestLength = 0;
            reply = runtime.process(message);
            replyPosition = 0;
        }

        @Override
        public TConfiguration getConfiguration()
        {
            return configuration;
        }

        @Override
        public void updateKnownMessageSize(long size) {}

        @Override
        public void checkReadBytesAvailable(long numBytes) {}
    }
}
