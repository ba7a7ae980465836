package dev.tern.bench.vfiouser;

import dev.tern.device.migration.Gather;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.device.migration.MigrationStream;
import dev.tern.protocol.MigrationState;
import dev.tern.samples.DmaEngine;
import dev.tern.samples.DmaEngineConfig;
import dev.tern.sys.UnixSocket;
import dev.tern.vfiouser.codec.CodecLimits;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.transport.MessageChannel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * Bytes the calling thread allocates per gathered 1 MiB MIG_DATA_READ reply, split into the device SDK's part
 * ({@link MigrationStream#read(Gather, int)} of a 64 MiB dma-engine's STOP_COPY stream) and the send
 * ({@link MessageChannel#sendReply(int, Command, ByteBuffer, dev.tern.sys.IoVector)} on a socketpair drained by
 * another thread): the server's reply path without its receive side, which {@link AllocationPerCommand} includes.
 * State changes between streams are not counted.
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp tern-bench/target/benchmarks.jar \
 *     dev.tern.bench.vfiouser.GatherAllocation [REPLIES]
 * </pre>
 */
public final class GatherAllocation {
    private static final int CHUNK = 1 << 20;

    private GatherAllocation() {
    }

    /** Three counts of {@code REPLIES} (default 20,000) replies each; the first includes the warm-up. */
    public static void main(final String[] args) throws Exception {
        final int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        final com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)
                ManagementFactory.getThreadMXBean();
        try (UnixSocket.Pair pair = UnixSocket.pair();
                MigrationEngine e = MigrationEngine.of(new DmaEngine(DmaEngineConfig.ofMemory(64L << 20)))) {
            pair.first().setBufferSizes(4 << 20);
            final MessageChannel channel = new MessageChannel(pair.first(), CodecLimits.forDataXfer(CHUNK, 16));
            Thread.ofPlatform().daemon().start(() -> drain(pair.second()));
            MigrationStream s = e.setState(MigrationState.STOP_COPY).stream().orElseThrow();
            final Gather g = new Gather();
            final ByteBuffer fields = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (int round = 0; round < 3; round++) {
                long read = 0;
                long send = 0;
                for (int i = 0; i < n; i++) {
                    final long t0 = mx.getCurrentThreadAllocatedBytes();
                    g.clear();
                    g.vector().reserve();
                    int got = 0;
                    int k;
                    while (got < CHUNK && (k = s.read(g, CHUNK - got)) > 0) {
                        got += k;
                    }
                    g.addZeros(CHUNK - got);
                    fields.clear().putInt(0, 8 + got).putInt(4, got);
                    final long t1 = mx.getCurrentThreadAllocatedBytes();
                    channel.sendReply(i, Command.MIG_DATA_READ, fields, g.vector());
                    final long t2 = mx.getCurrentThreadAllocatedBytes();
                    read += t1 - t0;
                    send += t2 - t1;
                    if (got < CHUNK) {
                        e.setState(MigrationState.STOP);
                        s = e.setState(MigrationState.STOP_COPY).stream().orElseThrow();
                    }
                }
                System.out.printf(Locale.ROOT, "count %d: stream read %.1f B, send %.1f B per 1 MiB reply (%d)%n",
                        round, (double) read / n, (double) send / n, n);
            }
        }
    }

    private static void drain(final UnixSocket in) {
        final MemorySegment buf = Arena.ofAuto().allocate(4 << 20);
        try {
            while (!in.receive(buf, 0).isEof()) {
                // the peer's side of the socket, discarded
            }
        } catch (final java.io.IOException e) {
            // closed at the end
        }
    }
}
