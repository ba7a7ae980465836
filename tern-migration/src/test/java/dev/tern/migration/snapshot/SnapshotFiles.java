package dev.tern.migration.snapshot;

import dev.tern.device.migration.MigrationTarget;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/** Writes snapshot files with chosen payloads (a forged but well-formed file), through the real record codec. */
final class SnapshotFiles {
    private SnapshotFiles() {
    }

    static void writeDevice(final Path file, final MigrationTarget kindOf, final String name, final byte[] payload)
            throws Exception {
        final SnapshotRecord blank = new SnapshotRecord(SnapshotRecord.Type.DEVICE, kindOf.kind(), name,
                payload.length, kindOf.formatVersion(), kindOf.flags().bits(), 0, new byte[32]);
        final MessageDigest sha = SnapshotReader.sha256();
        sha.update(payload);
        blank.finish(sha);
        final SnapshotRecord r = new SnapshotRecord(SnapshotRecord.Type.DEVICE, kindOf.kind(), name, payload.length,
                kindOf.formatVersion(), kindOf.flags().bits(), 0, sha.digest());
        final ByteBuffer h = new SnapshotHeader(1).encode();
        final ByteBuffer rec = r.encode();
        final ByteBuffer all = ByteBuffer.allocate(h.remaining() + rec.remaining() + payload.length);
        Files.write(file, all.put(h).put(rec).put(payload).array());
    }
}
