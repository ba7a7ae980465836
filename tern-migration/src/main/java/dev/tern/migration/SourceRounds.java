package dev.tern.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.migration.channel.Session;
import dev.tern.migration.report.TextReport;
import dev.tern.migration.wire.RecordKind;
import dev.tern.migration.wire.RecordWriter;
import dev.tern.protocol.MigrationFeature;
import dev.tern.protocol.MigrationState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * The source's data movement: pre-copy rounds with the convergence rule, and the final drain of each device's
 * stream. Convergence follows QEMU: switch once the estimated remaining bytes fit in measured bandwidth × downtime
 * limit, but never before every pre-copy device's initial data is loaded on the destination (switchover-ack), or
 * after the round limit.
 */
final class SourceRounds {

    private final List<MigratingDevice> devices;
    private final MigrationOptions options;
    private final Timeline timeline;
    private final ByteBuffer[] buffers;
    private final long[] precopyBytes;
    private final long[] stopCopyBytes;
    private final boolean[] initSent;
    private final boolean[] acked;
    private final List<MigrationReport.RoundStats> stats = new ArrayList<>();
    private long memoryBytes;
    private boolean peerFailed;
    private Consumer<String> progress = s -> { };

    SourceRounds(final List<MigratingDevice> devices, final MigrationOptions options, final Timeline timeline) {
        this.devices = devices;
        this.options = options;
        this.timeline = timeline;
        this.buffers = new ByteBuffer[devices.size()];
        this.precopyBytes = new long[devices.size()];
        this.stopCopyBytes = new long[devices.size()];
        this.initSent = new boolean[devices.size()];
        this.acked = new boolean[devices.size()];
    }

    void onProgress(final Consumer<String> listener) {
        this.progress = listener;
    }

    /** Control records handled on arrival: the destination's switchover-acks. */
    void onControl(final ControlInbox.Message m) {
        if (m.kind() == null) {
            synchronized (acked) {
                peerFailed = true;
                acked.notifyAll();
            }
        } else if (m.kind() == RecordKind.SWITCHOVER_ACK && m.deviceId() >= 0 && m.deviceId() < acked.length) {
            synchronized (acked) {
                acked[m.deviceId()] = true;
                acked.notifyAll();
            }
        }
    }

    /** Runs pre-copy rounds until convergence or the round limit; devices with PRE_COPY enter it first. */
    void precopy(final Session session, final MigrationStream[] streams, final MemorySender memory)
            throws Exception {
        for (int i = 0; i < devices.size(); i++) {
            if (devices.get(i).target().flags().has(MigrationFeature.PRE_COPY)) {
                streams[i] = devices.get(i).target().setState(MigrationState.PRE_COPY).stream().orElseThrow(
                        () -> new IOException("device entered PRE_COPY without a data stream"));
            } else {
                acked[i] = true;
            }
        }
        final long start = timeline.now();
        long sent = 0;
        for (int round = 1;; round++) {
            final long t = timeline.now();
            final int r = round;
            final List<Callable<Long>> tasks = new ArrayList<>();
            for (int i = 0; i < devices.size(); i++) {
                final int index = i;
                if (streams[i] != null) {
                    tasks.add(() -> drainAvailable(session.data().get(index).writer(), index, streams[index], r));
                }
            }
            tasks.add(() -> {
                final long began = timeline.now();
                final long pages = memory.sendDirty();
                timeline.record(Phase.PRE_COPY, "memory", r, began, pages);
                return pages;
            });
            final List<Long> moved = Parallel.run(tasks);
            final long memBytes = moved.get(moved.size() - 1);
            final long devBytes = moved.stream().mapToLong(Long::longValue).sum() - memBytes;
            memoryBytes += memBytes;
            sent += memBytes + devBytes;
            final long elapsed = Math.max(1, timeline.now() - start);
            final double bandwidth = sent * 1e9 / elapsed;
            final long remaining = remaining(memory);
            final double budget = bandwidth * options.downtimeLimit().toNanos() / 1e9;
            timeline.record(Phase.PRE_COPY, "all", round, t, memBytes + devBytes);
            stats.add(new MigrationReport.RoundStats(round, devBytes, memBytes, (timeline.now() - t) / 1e6,
                    memory.lastDirtyPages(), remaining));
            progress.accept(String.format("round %d: %s device + %s memory, %d dirty pages, %s remaining, "
                    + "%.0f MB/s", round, TextReport.mib(devBytes), TextReport.mib(memBytes), memory.lastDirtyPages(),
                    TextReport.mib(remaining),
                    bandwidth / 1e6));
            synchronized (acked) {
                if (peerFailed) {
                    throw new IOException("the destination's control connection failed during pre-copy");
                }
            }
            // Round 1 sends everything, so its "dirty" count says nothing about the dirty rate; only from round 2
            // on does the estimate measure what the guest and devices dirty while a round runs.
            if (round >= 2 && allAcked() && remaining <= budget) {
                return;
            }
            if (round >= options.maxRounds()) {
                awaitAcks();
                return;
            }
        }
    }

    /** Reads whatever pre-copy data a device has now and sends it; then says when its initial data is all sent. */
    private long drainAvailable(final RecordWriter writer, final int i, final MigrationStream stream,
            final int round)
            throws IOException, DeviceException {
        final ByteBuffer buf = buffer(i);
        // A round takes what the device reports pending at its start, so a device dirtying faster than the link
        // cannot hold a round open; the rest goes in later rounds or the stop-copy.
        final long start = timeline.now();
        final PrecopyInfo pending = devices.get(i).target().precopyInfo();
        final long budget = pending.initialBytes() + pending.dirtyBytes();
        long total = 0;
        for (int n; total < budget && (n = stream.read(buf.clear())) > 0;) {
            writer.write(RecordKind.DEVICE_DATA, i, buf.flip());
            total += n;
        }
        precopyBytes[i] += total;
        timeline.record(Phase.PRE_COPY, devices.get(i).descriptor().name(), round, start, total);
        if (!initSent[i] && devices.get(i).target().precopyInfo().initialBytes() == 0) {
            writer.write(RecordKind.INIT_DATA_SENT, i);
            initSent[i] = true;
        }
        return total;
    }

    /** Reads a device's stream to its end (STOP_COPY) and sends it, then DEVICE_END with the byte count. */
    long drainToEnd(final RecordWriter writer, final int i, final MigrationStream stream)
            throws IOException, DeviceException {
        final ByteBuffer buf = buffer(i);
        final long start = timeline.now();
        long total = 0;
        for (int n; (n = stream.read(buf.clear())) != -1;) {
            if (n == 0) {
                throw new IOException("device " + devices.get(i).descriptor().name()
                        + " reported no data in STOP_COPY without ending its stream");
            }
            writer.write(RecordKind.DEVICE_DATA, i, buf.flip());
            total += n;
        }
        stopCopyBytes[i] = total;
        timeline.record(Phase.STOP_COPY, devices.get(i).descriptor().name(), 0, start, total);
        writer.write(RecordKind.DEVICE_END, i, ByteBuffer.allocate(8).putLong(precopyBytes[i] + total).flip());
        return total;
    }

    void addMemory(final long bytes) {
        memoryBytes += bytes;
    }

    private long remaining(final MemorySender memory) throws DeviceException {
        long remaining = memory.lastDirtyPages() * GuestMemory.PAGE;
        for (final MigratingDevice d : devices) {
            long device = d.target().stopCopySize();
            if (d.target().state() == MigrationState.PRE_COPY) {
                final PrecopyInfo info = d.target().precopyInfo();
                device = Math.max(device, info.initialBytes() + info.dirtyBytes());
            }
            remaining += device;
        }
        return remaining;
    }

    private boolean allAcked() {
        synchronized (acked) {
            for (final boolean a : acked) {
                if (!a) {
                    return false;
                }
            }
            return true;
        }
    }

    private void awaitAcks() throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + options.timeout().toNanos();
        synchronized (acked) {
            while (!allAcked()) {
                if (peerFailed) {
                    throw new IOException("the destination's control connection failed before every device's"
                            + " initial data was acknowledged");
                }
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("the destination did not acknowledge every device's initial data within "
                            + options.timeout().toMillis() + " ms");
                }
                acked.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    private ByteBuffer buffer(final int i) {
        if (buffers[i] == null) {
            buffers[i] = ByteBuffer.allocateDirect(options.chunkBytes());
        }
        return buffers[i];
    }

    MigrationReport report(final boolean verified, final double downtimeMs, final double totalMs,
            final List<Timeline.Span> spans) {
        final List<MigrationReport.DeviceStats> ds = new ArrayList<>();
        long bytes = memoryBytes;
        for (int i = 0; i < devices.size(); i++) {
            final DeviceDescriptor d = devices.get(i).descriptor();
            ds.add(new MigrationReport.DeviceStats(d.name(), d.kind(), precopyBytes[i], stopCopyBytes[i]));
            bytes += precopyBytes[i] + stopCopyBytes[i];
        }
        return new MigrationReport(verified, downtimeMs, totalMs, bytes, stats.size(), stats, ds, memoryBytes,
                spans);
    }

}
