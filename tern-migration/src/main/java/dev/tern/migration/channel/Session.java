package dev.tern.migration.channel;

import java.io.Closeable;
import java.util.List;
import java.util.Objects;

/**
 * The connections of one migration: one control connection and one data connection per device, all carrying the
 * same session id in their preambles.
 */
public final class Session implements Closeable {
    private final long id;
    private final Connection control;
    private final List<Connection> data;

    /**
     * The connections of one migration session: one control connection and one data connection per device.
     *
     * @param id      the session id from the preambles
     * @param control the control connection
     * @param data    data connections, index = device index
     */
    public Session(final long id, final Connection control, final List<Connection> data) {
        this.id = id;
        this.control = Objects.requireNonNull(control, "control");
        this.data = List.copyOf(data);
    }

    /**
     * {@return the session id}
     */
    public long id() {
        return id;
    }

    /**
     * {@return the control connection}
     */
    public Connection control() {
        return control;
    }

    /**
     * {@return data connections, index = device index 0..n-1}
     */
    public List<Connection> data() {
        return data;
    }

    /**
     * Closes every data connection, then the control connection. Never throws: a connection that fails to close
     * cleanly is dropped anyway (see {@link Connection#close()}).
     */
    @Override
    public void close() {
        data.forEach(Connection::close);
        control.close();
    }

    /** Aborts every connection (SO_LINGER 0); see {@link Connection#abort()}. */
    public void abort() {
        data.forEach(Connection::abort);
        control.abort();
    }

    @Override
    public String toString() {
        return String.format("Session[%016x, control %s, %d data]", id, control.peer(), data.size());
    }
}
