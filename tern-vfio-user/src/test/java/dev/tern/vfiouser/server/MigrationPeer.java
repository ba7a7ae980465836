package dev.tern.vfiouser.server;

import static dev.tern.vfiouser.server.RawPeer.command;
import static dev.tern.vfiouser.server.RawPeer.concat;
import static dev.tern.vfiouser.server.RawPeer.cstring;
import static dev.tern.vfiouser.server.RawPeer.le;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.DeviceFeature;
import dev.tern.vfiouser.codec.Frame;
import dev.tern.vfiouser.transport.Incoming;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * A raw client of the migration commands (spec messages only, as the C peer-bench client): VERSION with a
 * {@code max_data_xfer_size} of 1 MiB, SET of the migration state, MIG_DATA_READ.
 */
final class MigrationPeer implements AutoCloseable {
    /** {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE} and the v2 states (vfio-migration.md). */
    static final int MIG_DEVICE_STATE = 2;
    static final int STOP = 1;
    static final int RUNNING = 2;
    static final int STOP_COPY = 3;
    static final int PRE_COPY = 6;
    /** The largest read the peer negotiates. */
    static final int WHOLE = 1 << 20;

    private final RawPeer raw;
    private int nextId = 10;

    private MigrationPeer(final RawPeer raw) {
        this.raw = raw;
    }

    /** @return a peer connected to {@code server} that negotiated a max_data_xfer_size of 1 MiB */
    static MigrationPeer connect(final Path server) throws Exception {
        final RawPeer p = RawPeer.connect(server);
        p.send(command(0, Command.VERSION.code(), concat(le(2 << 16) /* major 0, minor 2 */,
                cstring("{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576}}"))));
        assertThat(p.reply().isError()).isFalse();
        return new MigrationPeer(p);
    }

    void setState(final int state) throws Exception {
        raw.send(command(nextId++, Command.DEVICE_FEATURE.code(),
                le(16, DeviceFeature.SET | MIG_DEVICE_STATE, state, -1)));
        assertThat(raw.reply().isError()).as("SET " + state).isFalse();
    }

    /** @return the reply to a MIG_DATA_READ of {@code size} bytes (an error reply included) */
    Frame readFrame(final int size) throws Exception {
        raw.send(command(nextId++, Command.MIG_DATA_READ.code(), le(8 + size, size)));
        final Incoming in = raw.receive();
        assertThat(in).isInstanceOf(Incoming.Message.class);
        return ((Incoming.Message) in).frame();
    }

    /** @return the data of a MIG_DATA_READ of {@code size} bytes, after checking the reply's padding */
    byte[] read(final int size) throws Exception {
        final Frame f = readFrame(size);
        assertThat(f.header().isError()).as("error reply " + f.header()).isFalse();
        assertThat(f.payload().length()).as("a reply is padded to the requested size").isEqualTo(8 + size);
        final byte[] d = data(f);
        final byte[] padding = new byte[size - d.length];
        f.payload().asReadOnlyBuffer().get(8 + d.length, padding);
        assertThat(padding).as("padding").isEqualTo(new byte[padding.length]);
        return d;
    }

    /** @return every byte until a reply shorter than {@code sizes} asks (cycling through them) */
    byte[] drain(final int... sizes) throws Exception {
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        for (int i = 0;; i++) {
            final int size = sizes[i % sizes.length];
            final byte[] chunk = read(size);
            got.writeBytes(chunk);
            if (chunk.length < size) {
                return got.toByteArray();
            }
        }
    }

    /** @return the data of a MIG_DATA_READ reply */
    static byte[] data(final Frame f) {
        final ByteBuffer b = f.payload().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        final byte[] d = new byte[b.getInt(4)];
        b.get(8, d);
        return d;
    }

    @Override
    public void close() {
        raw.close();
    }
}
