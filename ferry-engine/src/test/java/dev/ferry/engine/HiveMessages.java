package dev.ferry.engine;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

import org.apache.hadoop.hive.metastore.api.NotificationEvent;

import static java.util.Objects.requireNonNull;

/**
 * Reads notification events back with Hive's own message classes, the way Hive replication does: the decoder is
 * chosen by the event's message format ({@code MessageFactory.getInstance(format).getDeserializer()}) and the message
 * by its event type ({@code MessageDeserializer.getEventMessage}). Those classes live only in an engine's
 * classloader, so they are reached by reflection; what they return from the Thrift API ({@code Table},
 * {@code Partition}, ...) is shared and can be used as it is.
 */
final class HiveMessages
{
    private final ClassLoader engineLoader;

    HiveMessages(Engine engine)
    {
        this.engineLoader = requireNonNull(engine, "engine is null").classLoader();
    }

    /** The name of the deserializer class Hive picks for the event's message format. */
    String deserializerClass(NotificationEvent event)
    {
        return deserializer(event.getMessageFormat()).getClass().getName();
    }

    /** The event's message parsed by Hive: a {@code CreateTableMessage} for a CREATE_TABLE event, and so on. */
    Object message(NotificationEvent event)
    {
        Object deserializer = deserializer(event.getMessageFormat());
        return call(deserializer, "getEventMessage", new Class<?>[] {String.class, String.class}, event.getEventType(), event.getMessage());
    }

    /**
     * The event's message parsed by the named method of Hive's deserializer, as Hive replication reads the one event
     * type {@code getEventMessage} cannot map: ALLOC_WRITE_ID_EVENT, whose type string is not its enum name.
     */
    Object message(NotificationEvent event, String deserializerMethod)
    {
        return call(deserializer(event.getMessageFormat()), deserializerMethod, new Class<?>[] {String.class}, event.getMessage());
    }

    /** Calls a getter of a parsed message, such as {@code getTableObj}. */
    Object property(Object message, String getter)
    {
        return call(message, getter, new Class<?>[0]);
    }

    private Object deserializer(String messageFormat)
    {
        try {
            Method getInstance = Class.forName("org.apache.hadoop.hive.metastore.messaging.MessageFactory", true, engineLoader)
                    .getMethod("getInstance", String.class);
            Object encoder = EngineHost.withContextLoader(engineLoader, () -> invoke(getInstance, null, messageFormat));
            return call(encoder, "getDeserializer", new Class<?>[0]);
        }
        catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load Hive's MessageFactory from the engine", e);
        }
    }

    private Object call(Object target, String name, Class<?>[] parameterTypes, Object... arguments)
    {
        Method method = publicMethod(target.getClass(), name, parameterTypes);
        return EngineHost.withContextLoader(engineLoader, () -> invoke(method, target, arguments));
    }

    /** The method as declared by a public class, so that it can be called on an instance of a private subclass. */
    private static Method publicMethod(Class<?> type, String name, Class<?>[] parameterTypes)
    {
        for (Class<?> current = type; current != null; current = current.getSuperclass()) {
            if (Modifier.isPublic(current.getModifiers())) {
                try {
                    return current.getMethod(name, parameterTypes);
                }
                catch (NoSuchMethodException e) {
                    // a superclass may still declare it
                }
            }
        }
        throw new IllegalArgumentException("%s has no public method %s".formatted(type.getName(), name));
    }

    private static Object invoke(Method method, Object target, Object... arguments)
    {
        try {
            return method.invoke(target, arguments);
        }
        catch (InvocationTargetException e) {
            throw new IllegalStateException("%s failed: %s".formatted(method.getName(), e.getCause()), e.getCause());
        }
        catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
