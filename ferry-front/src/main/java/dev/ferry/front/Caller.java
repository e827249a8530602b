package dev.ferry.front;

import java.util.Optional;

import dev.ferry.front.kerberos.KerberosService;
import org.apache.thrift.TProcessor;
import org.apache.thrift.transport.TSaslServerTransport;

import static java.util.Objects.requireNonNull;

/**
 * The user a call comes from, when the client authenticated (Kerberos): the router runs the call as that user on the
 * engine, as HMS runs each call of a SASL client as the client's user, so that owners and authorization see the real
 * caller. Without authentication there is none, and the engine sees calls as HMS without SASL does.
 */
final class Caller
{
    private static final ThreadLocal<String> current = new ThreadLocal<>();

    private Caller() {}

    /** The short name of the authenticated user of the call this thread serves. */
    static Optional<String> current()
    {
        return Optional.ofNullable(current.get());
    }

    /** Processes each message as the user its connection authenticated as, when it did. */
    static TProcessor authenticated(TProcessor processor)
    {
        requireNonNull(processor, "processor is null");
        return (in, out) -> {
            if (!(in.getTransport() instanceof TSaslServerTransport sasl) || sasl.getSaslServer() == null || !sasl.getSaslServer().isComplete()) {
                processor.process(in, out);
                return;
            }
            current.set(KerberosService.shortName(sasl.getSaslServer().getAuthorizationID()));
            try {
                processor.process(in, out);
            }
            finally {
                current.remove();
            }
        };
    }
}
