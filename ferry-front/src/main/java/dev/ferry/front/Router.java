package dev.ferry.front;

import java.lang.ref.WeakReference;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import dev.ferry.engine.Engine;
import org.apache.hadoop.hive.metastore.api.MetaException;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.thrift.TException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The one {@link ThriftHiveMetastore.Iface} clients talk to: forwards every call to the active engine, through
 * the write gate. The methods HMS 4.0 removed ({@link LegacyHmsApi}) take the same way: classified, gated, and
 * answered by {@link LegacyMethods} on the active engine. On an engine of an older Hive version ({@link EngineApi}), a
 * method of Ferry's API that version lacks is answered by that version's table ({@link Hive31Methods},
 * {@link Hive23Methods}) or by the engine itself, as a server of its version answers it. {@link #switchTo(Engine)} is atomic: a call that has
 * picked its engine finishes there, every call after the switch goes to the new engine. A thread that last served a different engine first drops that
 * engine's per-thread state (its RawStore and configuration), so no call runs on stale state. Every call, answered
 * or failed, is told to a {@link CallObserver} (metrics) with its latency. A call from a client that authenticated
 * ({@link Caller}) runs on the engine as its user. Delegation tokens are refused: see {@link #DELEGATION_TOKEN_METHODS}.
 */
public final class Router
        implements InvocationHandler
{
    private static final Logger log = LoggerFactory.getLogger(Router.class);
    /**
     * HMS issues these tokens from a token store and secret manager it starts with its Thrift server, and accepts
     * them in a second SASL mechanism (DIGEST-MD5); Ferry's engines run without that server, and its front speaks
     * GSSAPI only. An engine asked anyway would fail with an internal error, or issue a token no one can use: so
     * the front answers with an error that says what to do instead.
     */
    static final Set<String> DELEGATION_TOKEN_METHODS = Set.of("get_delegation_token", "renew_delegation_token", "cancel_delegation_token");
    static final String NO_DELEGATION_TOKENS = "Ferry does not issue Hive delegation tokens (%s): authenticate every client to the metastore with Kerberos "
            + "itself (a ticket cache or a keytab, with metastore.sasl.enabled=true), and have jobs on other machines do the same "
            + "instead of carrying a metastore token (in Hive, hive.metastore.token.signature unset; in Spark, "
            + "spark.security.credentials.hive.enabled=false)";

    private final AtomicReference<Served> active;
    private final WriteGate gate;
    private final WriteAuthority authority;
    private final ThreadLocal<WeakReference<Engine>> lastEngine = new ThreadLocal<>();
    private final Map<MethodClass, LongAdder> calls = new EnumMap<>(MethodClass.class);
    private final ThriftHiveMetastore.Iface iface;
    private final LegacyHmsApi legacyApi;
    private final CallObserver observer;

    /** The engine calls go to, and the generation of the service's backend record it serves. */
    private record Served(Engine engine, long generation) {}

    public Router(Engine initial, WriteGate gate)
    {
        this(initial, gate, CallObserver.NONE);
    }

    /** A router that tells {@code observer} of every call it served. */
    public Router(Engine initial, WriteGate gate, CallObserver observer)
    {
        this(initial, 0, gate, observer, WriteAuthority.ALWAYS);
    }

    /**
     * A router that serves {@code initial} as generation {@code generation} of the service's backend record, and
     * acknowledges a write only while {@code authority} allows it for that generation.
     */
    public Router(Engine initial, long generation, WriteGate gate, CallObserver observer, WriteAuthority authority)
    {
        HmsMethods.verifyComplete();
        this.observer = requireNonNull(observer, "observer is null");
        this.active = new AtomicReference<>(new Served(requireNonNull(initial, "initial is null"), generation));
        this.gate = requireNonNull(gate, "gate is null");
        this.authority = requireNonNull(authority, "authority is null");
        authority.switched(generation);
        for (MethodClass methodClass : MethodClass.values()) {
            calls.put(methodClass, new LongAdder());
        }
        Object proxy = Proxy.newProxyInstance(Router.class.getClassLoader(),
                new Class<?>[] {ThriftHiveMetastore.Iface.class, LegacyHmsApi.class}, this);
        this.iface = (ThriftHiveMetastore.Iface) proxy;
        this.legacyApi = (LegacyHmsApi) proxy;
    }

    /** The routed metastore API, for the Thrift server. */
    public ThriftHiveMetastore.Iface iface()
    {
        return iface;
    }

    /** The routed methods that HMS 4.0 removed, for the Thrift server. */
    public LegacyHmsApi legacyApi()
    {
        return legacyApi;
    }

    public WriteGate gate()
    {
        return gate;
    }

    public Engine activeEngine()
    {
        return active.get().engine();
    }

    /**
     * Points every later call at the given engine, in the same generation, and returns the previous one, which calls
     * in flight may still use: wait for {@link Engine#awaitIdle} before closing it.
     */
    public Engine switchTo(Engine next)
    {
        return switchTo(next, active.get().generation());
    }

    /**
     * Points every later call at the given engine, which serves generation {@code generation} of the service's
     * backend record (this process recorded the switch), and returns the previous one, which calls in flight may
     * still use: wait for {@link Engine#awaitIdle} before closing it.
     */
    public Engine switchTo(Engine next, long generation)
    {
        requireNonNull(next, "next is null");
        authority.switched(generation);
        Served previous = active.getAndSet(new Served(next, generation));
        log.info("Router switched from {} to {} (generation {})", previous.engine(), next, generation);
        return previous.engine();
    }

    /** Calls served so far, per method class. */
    public long calls(MethodClass methodClass)
    {
        return calls.get(methodClass).sum();
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] arguments)
            throws Throwable
    {
        if (method.getDeclaringClass() == Object.class) {
            return objectMethod(proxy, method, arguments);
        }
        MethodClass methodClass = HmsMethods.classify(method.getName());
        calls.get(methodClass).increment();
        long started = System.nanoTime();
        Throwable failure = null;
        try {
            return route(method, methodClass, arguments);
        }
        catch (Throwable e) {
            failure = e;
            throw e;
        }
        finally {
            observe(method.getName(), methodClass, System.nanoTime() - started, failure);
        }
    }

    private Object route(Method method, MethodClass methodClass, Object[] arguments)
            throws Throwable
    {
        if (DELEGATION_TOKEN_METHODS.contains(method.getName())) {
            throw new MetaException(NO_DELEGATION_TOKENS.formatted(method.getName()));
        }
        gate.enter(methodClass, method.getName());
        try {
            Served served = active.get();
            Engine engine = served.engine();
            if (methodClass.writes()) {
                Optional<String> refusal = authority.refusal(served.generation());
                if (refusal.isPresent() && !authority.awaitConfirmed(served.generation(), authority.patience())) {
                    throw new MetaException("Ferry refused the write %s: %s; retry, or use another metastore URI".formatted(method.getName(),
                            authority.refusal(served.generation()).orElse(refusal.get())));
                }
            }
            releaseStaleThreadState(engine);
            Optional<String> caller = Caller.current();
            Object result;
            if (caller.isPresent()) {
                result = engine.callAs(caller.get(), () -> {
                    try {
                        return dispatch(engine, method, arguments);
                    }
                    catch (Exception | Error e) {
                        throw e;
                    }
                    catch (Throwable e) {
                        throw new UndeclaredThrowableException(e);
                    }
                });
            }
            else {
                result = dispatch(engine, method, arguments);
            }
            if (methodClass.writes()) {
                Optional<String> after = authority.refusal(served.generation());
                if (after.isPresent() && !authority.awaitConfirmed(served.generation(), gate.holdBound())) {
                    // The write ran on a backend this replica can no longer confirm the service serves from: it may have
                    // landed in a database another replica switched away from. Say so rather than acknowledge it.
                    throw new MetaException("Ferry cannot confirm the outcome of %s: %s while it ran; check whether it took effect before retrying".formatted(
                            method.getName(), after.get()));
                }
            }
            return result;
        }
        catch (TException e) {
            throw e;
        }
        catch (RuntimeException | Error e) {
            // The HMS handler turns its own failures into MetaException; what escapes it (a NullPointerException for a
            // null argument, say) goes on to Thrift's processor, which answers TApplicationException INTERNAL_ERROR
            // "Internal error processing METHOD", as a plain HMS 4.0.1's processor does (Hive's
            // TestListPartitions.testListPartitionSpecsNullTblName expects exactly that).
            log.error("HMS call {} failed unexpectedly", method.getName(), e);
            throw e;
        }
        finally {
            gate.exit(methodClass);
        }
    }

    private static Object dispatch(Engine engine, Method method, Object[] arguments)
            throws Throwable
    {
        if (method.getDeclaringClass() == LegacyHmsApi.class) {
            return invokeOn(new LegacyMethods(engine.client(), engine.hiveVersion()), method, arguments);
        }
        EngineApi api = EngineApi.of(engine.hiveVersion());
        if (api == EngineApi.HIVE_3_1) {
            Optional<Method> emulation = Hive31Methods.emulation(method.getName());
            if (emulation.isPresent()) {
                return invokeOn(new Hive31Methods(engine.client()), emulation.get(), arguments);
            }
        }
        else if (api == EngineApi.HIVE_2_3) {
            Optional<Method> emulation = Hive23Methods.emulation(method.getName());
            if (emulation.isPresent()) {
                return invokeOn(new Hive23Methods(engine.client()), emulation.get(), arguments);
            }
            return engine.invoke(method, Hive23Methods.withPlainDatabaseName(arguments));
        }
        return engine.invoke(method, arguments);
    }

    /** Tells the observer of one call; whatever goes wrong there must not change the call's answer. */
    private void observe(String method, MethodClass methodClass, long nanos, Throwable failure)
    {
        try {
            observer.called(method, methodClass, nanos, failure);
        }
        catch (RuntimeException e) {
            log.warn("Call observer failed on {}", method, e);
        }
    }

    private static Object invokeOn(Object answerer, Method method, Object[] arguments)
            throws Throwable
    {
        try {
            return method.invoke(answerer, arguments);
        }
        catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private void releaseStaleThreadState(Engine engine)
    {
        WeakReference<Engine> reference = lastEngine.get();
        Engine last = reference == null ? null : reference.get();
        if (last == engine) {
            return;
        }
        if (last != null) {
            try {
                last.releaseThreadState();
            }
            catch (RuntimeException | LinkageError e) {
                // The previous engine may be closed already; its state then goes with the thread.
                log.debug("Could not release the thread state of {} on {}", last, Thread.currentThread().getName(), e);
            }
        }
        lastEngine.set(new WeakReference<>(engine));
    }

    private Object objectMethod(Object proxy, Method method, Object[] arguments)
    {
        return switch (method.getName()) {
            case "equals" -> proxy == arguments[0];
            case "hashCode" -> System.identityHashCode(proxy);
            case "toString" -> "Router[" + active.get() + "]";
            default -> throw new UnsupportedOperationException(method + Arrays.toString(arguments));
        };
    }
}
