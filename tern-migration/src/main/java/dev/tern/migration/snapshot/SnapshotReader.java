package dev.tern.migration.snapshot;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;

/**
 * Reads a snapshot file: the header, every record header, and each payload with its digest checked. {@link #verify()}
 * reads the whole file once before any device is touched; {@link #payload} streams one payload again for the load.
 */
public final class SnapshotReader implements AutoCloseable {

    /**
     * A record and where its payload starts in the file.
     *
     * @param record the record's header
     * @param payloadOffset the file offset of its first payload byte
     */
    public record Entry(SnapshotRecord record, long payloadOffset) {
    }

    /** Consumes payload bytes as they are read. */
    @FunctionalInterface
    public interface Sink {
        /**
         * Takes the next piece of a record's payload, in order.
         *
         * @param chunk the next payload bytes (position..limit)
         * @throws Exception to stop reading (a device refused the bytes)
         */
        void accept(ByteBuffer chunk) throws Exception;
    }

    private static final int CHUNK = 1 << 20;

    private final Path path;
    private final FileChannel channel;
    private final List<Entry> entries;

    private SnapshotReader(final Path path, final FileChannel channel, final List<Entry> entries) {
        this.path = path;
        this.channel = channel;
        this.entries = entries;
    }

    /**
     * Opens {@code path} and decodes the file header and every record header (payloads are skipped, their lengths
     * checked against the file's size).
     *
     * @param path the snapshot file
     * @return the reader, holding the file open
     * @throws IOException if the file cannot be read, or {@link SnapshotException} if a header is wrong or the file is
     *     truncated
     */
    public static SnapshotReader open(final Path path) throws IOException {
        final FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            final SnapshotHeader h = SnapshotHeader.decode(read(ch, SnapshotHeader.SIZE, path));
            final List<Entry> entries = new ArrayList<>();
            for (int i = 0; i < h.records(); i++) {
                final ByteBuffer fixed = read(ch, SnapshotRecord.FIXED, path);
                final int[] f = SnapshotRecord.decodeFixed(fixed.duplicate());
                final byte[] kind = read(ch, SnapshotRecord.kindLength(f), path).array();
                final byte[] name = read(ch, SnapshotRecord.nameLength(f), path).array();
                final SnapshotRecord r = SnapshotRecord.decode(fixed, kind, name, f[0]);
                final long start = ch.position();
                if (r.length() > ch.size() - start) {
                    throw new SnapshotException(path + ": record " + i + " (" + r.kind() + ") claims " + r.length()
                            + " bytes, the file holds " + (ch.size() - start) + " more (truncated?)");
                }
                entries.add(new Entry(r, start));
                ch.position(start + r.length());
            }
            if (ch.position() != ch.size()) {
                throw new SnapshotException(path + ": " + (ch.size() - ch.position()) + " bytes after the last record");
            }
            return new SnapshotReader(path, ch, List.copyOf(entries));
        } catch (final IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** {@return the records, in file order} */
    public List<Entry> entries() {
        return entries;
    }

    /** {@return the size of the guest memory record, if the file holds one} */
    public OptionalLong memoryBytes() {
        return entries.stream().filter(e -> e.record().type() == SnapshotRecord.Type.MEMORY)
                .mapToLong(e -> e.record().length()).findFirst();
    }

    /**
     * Reads every payload once and checks its digest.
     *
     * @throws Exception {@link SnapshotException} if a digest differs, or an I/O failure
     */
    public void verify() throws Exception {
        for (final Entry e : entries) {
            payload(e, chunk -> { });
        }
    }

    /**
     * Streams the payload of {@code e} to {@code sink} and checks the digest after the last byte, before returning:
     * a caller that loads a device through the sink learns of damage before it ends RESUMING.
     *
     * @param e the record
     * @param sink receives the payload in order
     * @throws SnapshotException if the digest differs
     */
    public void payload(final Entry e, final Sink sink) throws Exception {
        final MessageDigest sha = sha256();
        final ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
        long at = e.payloadOffset();
        final long end = at + e.record().length();
        while (at < end) {
            buf.clear().limit((int) Math.min(CHUNK, end - at));
            final int n = channel.read(buf, at);
            if (n < 0) {
                throw new EOFException(path + ": ends inside the payload of " + e.record().kind());
            }
            at += n;
            buf.flip();
            sha.update(buf.duplicate());
            sink.accept(buf);
        }
        e.record().finish(sha);
        final byte[] got = sha.digest();
        if (!Arrays.equals(got, e.record().digest())) {
            throw new SnapshotException(path + ": the " + e.record().type().name().toLowerCase() + " record of "
                    + (e.record().name().isEmpty() ? e.record().kind() : e.record().name()) + " is damaged (SHA-256 "
                    + hex(got) + ", recorded " + hex(e.record().digest())
                    + ")");
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    static String hex(final byte[] digest) {
        return HexFormat.of().formatHex(digest, 0, 8);
    }

    private static ByteBuffer read(final FileChannel ch, final int n, final Path path) throws IOException {
        final ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new SnapshotException(path + ": ends inside a header (truncated, or not a snapshot)");
            }
        }
        return b.flip();
    }
}
