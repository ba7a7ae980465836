package dev.tern.migration.snapshot;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.vmm.GuestMemory;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Saves devices to a snapshot file: every device is stopped first (one consistent cut), then each one's stop-copy
 * stream is written with its digest, then the devices run again (or stay stopped). The file appears under its name
 * only when complete ({@code NAME.part}, forced to disk, then renamed). On any failure every device is brought back to
 * RUNNING — as read back, reset if it must be — and the partial file is removed. Guest memory, when given, is saved
 * last, while every device is still stopped, so the image holds all the DMA the devices did and none they do later.
 */
public final class SnapshotSave {

    private static final int CHUNK = 1 << 20;
    private static final long PAUSE_LIMIT_NANOS = 30_000_000_000L;

    private SnapshotSave() {
    }

    /**
     * Saves device state only: {@link #save(List, Optional, Path, boolean)} without guest memory.
     *
     * @param devices RUNNING (or STOP) devices, saved in this order
     * @param file the snapshot file to write
     * @param leaveStopped true to leave every device in STOP afterwards
     * @return the records written
     * @throws IOException if the file cannot be written
     * @throws DeviceException if a device cannot be stopped or saved
     */
    public static List<SnapshotRecord> save(final List<SnapshotDevice> devices, final Path file,
            final boolean leaveStopped) throws IOException, DeviceException {
        return save(devices, Optional.empty(), file, leaveStopped);
    }

    /**
     * {@return the records written}
     *
     * @param devices       RUNNING (or STOP) devices, saved in this order
     * @param memory        the guest memory the devices DMA into (mapped at IOVA 0), saved as the last record with the
     * devices stopped; empty for device state only
     * @param leaveStopped  true to leave every device in STOP afterwards (the snapshot is then its only copy of
     * truth), false to run them again
     * @param file the snapshot file to write
     * @throws IOException if the file cannot be written
     * @throws DeviceException if a device cannot be stopped or saved
     */
    public static List<SnapshotRecord> save(final List<SnapshotDevice> devices, final Optional<MemorySegment> memory,
            final Path file, final boolean leaveStopped) throws IOException, DeviceException {
        final Path part = file.resolveSibling(file.getFileName() + ".part");
        final List<SnapshotRecord> written = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            stopAll(devices);
            write(ch, new SnapshotHeader(devices.size() + (memory.isPresent() ? 1 : 0)).encode());
            for (final SnapshotDevice d : devices) {
                written.add(record(ch, d));
            }
            if (memory.isPresent()) {
                written.add(memory(ch, memory.get()));
            }
            ch.force(true);
        } catch (final IOException | DeviceException | RuntimeException e) {
            Files.deleteIfExists(part);
            SnapshotRestore.recover(devices);
            throw e;
        }
        Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (!leaveStopped) {
            for (final SnapshotDevice d : devices) {
                try {
                    d.target().setState(MigrationState.RUNNING);
                } catch (final DeviceException e) {
                    throw new DeviceException(e.errno(), "saved to " + file + ", but " + d.name()
                            + " did not run again: " + e.getMessage(), e);
                }
            }
        }
        return written;
    }

    private static void stopAll(final List<SnapshotDevice> devices) throws DeviceException {
        for (final SnapshotDevice d : devices) {
            final MigrationState s = d.target().state();
            if (s != MigrationState.RUNNING && s != MigrationState.STOP) {
                throw new DeviceException(Errno.EBUSY, d.name() + " is in " + s + ", not RUNNING (being migrated?)");
            }
        }
        for (final SnapshotDevice d : devices) {
            d.target().setState(MigrationState.STOP);
        }
    }

    /** One record: placeholder header, the stream hashed as it is written, then the real header. */
    private static SnapshotRecord record(final FileChannel ch, final SnapshotDevice d)
            throws IOException, DeviceException {
        final MigrationTarget t = d.target();
        final long headerAt = ch.position();
        final SnapshotRecord blank = device(d, 0, new byte[SnapshotRecord.DIGEST]);
        write(ch, blank.encode());
        final MigrationStream s = t.setState(MigrationState.STOP_COPY).stream().orElseThrow(
                () -> new DeviceException(Errno.EPROTO, d.name() + ": STOP -> STOP_COPY opened no stream"));
        final MessageDigest sha = SnapshotReader.sha256();
        final long length = drain(s, ch, sha, d.name());
        t.setState(MigrationState.STOP);
        final SnapshotRecord head = device(d, length, new byte[SnapshotRecord.DIGEST]);
        head.finish(sha);
        final SnapshotRecord done = device(d, length, sha.digest());
        final long end = ch.position();
        ch.position(headerAt);
        write(ch, done.encode());
        ch.position(end);
        return done;
    }

    /** The memory record: the image as it is now (every device stopped: no DMA changes it while it is written). */
    private static SnapshotRecord memory(final FileChannel ch, final MemorySegment image) throws IOException {
        final long headerAt = ch.position();
        write(ch, memoryRecord(image.byteSize(), new byte[SnapshotRecord.DIGEST]).encode());
        final MessageDigest sha = SnapshotReader.sha256();
        for (long at = 0; at < image.byteSize(); at += CHUNK) {
            final ByteBuffer chunk = image.asSlice(at, Math.min(CHUNK, image.byteSize() - at)).asByteBuffer();
            sha.update(chunk.duplicate());
            write(ch, chunk);
        }
        memoryRecord(image.byteSize(), new byte[SnapshotRecord.DIGEST]).finish(sha);
        final SnapshotRecord done = memoryRecord(image.byteSize(), sha.digest());
        final long end = ch.position();
        ch.position(headerAt);
        write(ch, done.encode());
        ch.position(end);
        return done;
    }

    private static SnapshotRecord memoryRecord(final long length, final byte[] digest) {
        return new SnapshotRecord(SnapshotRecord.Type.MEMORY, SnapshotRecord.MEMORY_KIND, "", length,
                GuestMemory.PAGE, 0, 0, digest);
    }

    private static long drain(final MigrationStream s, final FileChannel ch, final MessageDigest sha,
            final String name) throws IOException, DeviceException {
        final ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
        long total = 0;
        long pausedSince = 0;
        while (true) {
            buf.clear();
            final int n = s.read(buf);
            if (n < 0) {
                return total;
            }
            if (n == 0) {
                // STOP_COPY must end with -1 (uAPI: permanent EOF); a stream that keeps saying "nothing now" is
                // given a bounded wait, then refused.
                pausedSince = pausedSince == 0 ? System.nanoTime() : pausedSince;
                if (System.nanoTime() - pausedSince > PAUSE_LIMIT_NANOS) {
                    throw new DeviceException(Errno.ETIMEDOUT, name + ": the stop-copy stream gave no data and no "
                            + "end for 30 s after " + total + " bytes");
                }
                Thread.onSpinWait();
                continue;
            }
            pausedSince = 0;
            buf.flip();
            sha.update(buf.duplicate());
            write(ch, buf);
            total += n;
        }
    }

    private static SnapshotRecord device(final SnapshotDevice d, final long length, final byte[] digest) {
        final MigrationTarget t = d.target();
        return new SnapshotRecord(SnapshotRecord.Type.DEVICE, t.kind(), d.name(), length, t.formatVersion(),
                t.flags().bits(), 0, digest);
    }

    private static void write(final FileChannel ch, final ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
