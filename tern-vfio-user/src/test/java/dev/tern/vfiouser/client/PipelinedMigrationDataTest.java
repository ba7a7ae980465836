package dev.tern.vfiouser.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.server.TestServers;
import dev.tern.vfiouser.server.VfioUserServer;
import dev.tern.vfiouser.testing.CountingRelay;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The migration stream's pipelining over real sockets ({@link RemoteMigrationStream}): one MIG_DATA_READ ahead in
 * STOP_COPY, never past the end; MIG_DATA_WRITEs in flight whose refusal surfaces at the next write or at the end
 * of the stream; chunks applied in order. A {@link CountingRelay} between client and server counts what went on
 * the wire.
 */
@Timeout(60)
class PipelinedMigrationDataTest {
    private static Path dir;
    private static VfioUserServer source;
    private static VfioUserServer destination;

    @BeforeAll
    static void start() throws Exception {
        dir = TestServers.dir();
        source = TestServers.dmaEngine(dir, "src.sock");
        destination = TestServers.dmaEngine(dir, "dst.sock");
    }

    @AfterAll
    static void stop() {
        source.close();
        destination.close();
    }

    private static VfioUserMigrationTarget open(final Path socket) throws DeviceException {
        final VfioUserMigrationTarget t = new VfioUserMigrationTarget(VfioUserClient.connect(socket,
                ClientOptions.defaults()), () -> { });
        t.reset();
        return t;
    }

    @Test
    void aReadGoesAheadAfterAFullChunkAndNoneAfterTheEnd() throws Exception {
        try (CountingRelay relay = CountingRelay.start(dir.resolve("relay-read.sock"), source.path());
                VfioUserMigrationTarget src = open(relay.path())) {
            final MigrationStream s = src.setState(MigrationState.STOP_COPY).stream().orElseThrow();
            final ByteBuffer buf = ByteBuffer.allocate(src.client().maxMigrationChunk());
            assertThat(s.read(buf)).isEqualTo(buf.capacity());
            src.queryState(); // answered after every command sent before it: the relay has counted them
            assertThat(relay.sent(Command.MIG_DATA_READ)).as("the first read and one ahead").isEqualTo(2);
            int reads = 1;
            long bytes = buf.capacity();
            while (true) {
                buf.clear();
                final int n = s.read(buf);
                reads++;
                if (n < 0) {
                    break;
                }
                bytes += n;
            }
            assertThat(s.read(buf.clear())).isEqualTo(-1);
            src.queryState();
            // every read the caller made asked the server once, the -1 included (its empty reply), and no more
            assertThat(relay.sent(Command.MIG_DATA_READ)).isEqualTo(reads);
            assertThat(bytes).isGreaterThan(8L << 20);
            src.setState(MigrationState.RUNNING);
        }
    }

    @Test
    void aReadAheadDroppedByAStateChangeLeavesTheClientWhole() throws Exception {
        try (VfioUserMigrationTarget src = open(source.path()); VfioUserMigrationTarget dst = open(destination.path())) {
            final MigrationStream first = src.setState(MigrationState.STOP_COPY).stream().orElseThrow();
            assertThat(first.read(ByteBuffer.allocate(src.client().maxMigrationChunk()))).isPositive();
            src.setState(MigrationState.STOP); // the read sent ahead is dropped, its reply (a lent buffer) released
            src.setState(MigrationState.RUNNING);
            final MigrationStream s = src.setState(MigrationState.STOP_COPY).stream().orElseThrow();
            final long sum = src.checksum();
            final byte[] state = drain(s, 64 << 10);
            final MigrationStream w = dst.setState(MigrationState.RESUMING).stream().orElseThrow();
            w.write(ByteBuffer.wrap(state));
            dst.setState(MigrationState.STOP);
            assertThat(dst.checksum()).isEqualTo(sum);
            src.setState(MigrationState.RUNNING);
            dst.setState(MigrationState.RUNNING);
        }
    }

    /** Seeded write sizes from 1 byte to several chunks, many in flight: the device loads exactly the saved state. */
    @Test
    void pipelinedWritesOfRandomSizesArriveInOrder() throws Exception {
        try (VfioUserMigrationTarget src = open(source.path());
                CountingRelay relay = CountingRelay.start(dir.resolve("relay-write.sock"), destination.path());
                VfioUserMigrationTarget dst = open(relay.path())) {
            final MigrationStream s = src.setState(MigrationState.STOP_COPY).stream().orElseThrow();
            final long sum = src.checksum();
            final byte[] state = drain(s, 1 << 20);
            final MigrationStream w = dst.setState(MigrationState.RESUMING).stream().orElseThrow();
            final Random random = new Random(12);
            final int chunk = dst.client().maxMigrationChunk();
            int writes = 0;
            for (int at = 0; at < state.length; writes++) {
                final int n = Math.min(state.length - at, 1 + random.nextInt(random.nextBoolean() ? 4096 : 3 * chunk));
                w.write(ByteBuffer.wrap(state, at, n));
                at += n;
            }
            dst.setState(MigrationState.STOP);
            assertThat(dst.checksum()).isEqualTo(sum);
            assertThat(relay.sent(Command.MIG_DATA_WRITE)).isGreaterThanOrEqualTo(writes);
            src.setState(MigrationState.RUNNING);
            dst.setState(MigrationState.RUNNING);
        }
    }

    @Test
    void aRefusedWriteFailsTheEndOfTheStreamAndTheStateChangeIsNotSent() throws Exception {
        try (VfioUserMigrationTarget dst = open(destination.path())) {
            final MigrationStream w = dst.setState(MigrationState.RESUMING).stream().orElseThrow();
            w.write(ByteBuffer.wrap(new byte[4096])); // not a Tern stream: the device refuses it, after this returns
            assertThatThrownBy(() -> dst.setState(MigrationState.STOP)).isInstanceOfSatisfying(
                    MigrationException.class, e -> {
                        assertThat(e.errno()).isEqualTo(Errno.EINVAL);
                        assertThat(e.state()).isEqualTo(MigrationState.RESUMING);
                        assertThat(e.getMessage()).contains("not sent").contains("MIG_DATA_WRITE");
                    });
            assertThat(dst.queryState()).isEqualTo(MigrationState.RESUMING);
            dst.reset();
            assertThat(dst.state()).isEqualTo(MigrationState.RUNNING);
        }
    }

    @Test
    void aRefusedWriteFailsTheNextWriteOnceTheWindowIsFull() throws Exception {
        try (VfioUserMigrationTarget dst = open(destination.path())) {
            final MigrationStream w = dst.setState(MigrationState.RESUMING).stream().orElseThrow();
            final int chunk = dst.client().maxMigrationChunk();
            final byte[] garbage = new byte[(RemoteMigrationStream.WRITE_WINDOW + 2) * chunk];
            assertThatThrownBy(() -> w.write(ByteBuffer.wrap(garbage))).isInstanceOfSatisfying(
                    DeviceException.class, e -> {
                        assertThat(e.errno()).isEqualTo(Errno.EINVAL);
                        assertThat(e.getMessage()).contains("earlier chunk");
                    });
            // reported once: the end of the stream does not report it again, the device refuses the load itself
            assertThatThrownBy(() -> dst.setState(MigrationState.STOP)).isInstanceOfSatisfying(
                    MigrationException.class, e -> assertThat(e.getMessage()).doesNotContain("not sent"));
            dst.reset();
            assertThat(dst.state()).isEqualTo(MigrationState.RUNNING);
        }
    }

    private static byte[] drain(final MigrationStream s, final int bufferSize) throws DeviceException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteBuffer buf = ByteBuffer.allocate(bufferSize);
        for (int n; (n = s.read(buf.clear())) >= 0;) {
            out.write(buf.array(), 0, n);
        }
        return out.toByteArray();
    }
}
