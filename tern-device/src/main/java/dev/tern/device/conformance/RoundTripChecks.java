package dev.tern.device.conformance;

import static dev.tern.device.conformance.CheckFailure.expect;

import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.StateChange;
import dev.tern.protocol.MigrationFeature;
import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationState;
import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;

/**
 * Save on one target, load on a fresh one, compare checksums taken at switchover (source stopped) and after the
 * load; once through STOP_COPY directly, and through each pre-copy state the flags allow, checking
 * PRECOPY_INFO along the way (spec §2.8–2.9).
 */
final class RoundTripChecks {

    private RoundTripChecks() {
    }

    static void run(final Subject subject, final Consumer<CheckResult> out) {
        out.accept(ConformanceKit.check("round trip via STOP_COPY", () -> roundTrip(subject, null)));
        final MigrationFlags flags;
        // Only the flags are needed; close the probe before the round trips open their two targets (over
        // vfio-user every open target holds a server).
        try (MigrationTarget probe = subject.open()) {
            flags = probe.flags();
        } catch (final Exception e) {
            out.accept(new CheckResult("open a target for the pre-copy checks", false, e.getMessage()));
            return;
        }
        if (flags.has(MigrationFeature.PRE_COPY)) {
            out.accept(ConformanceKit.check("round trip via PRE_COPY",
                    () -> roundTrip(subject, MigrationState.PRE_COPY)));
            if (flags.has(MigrationFeature.P2P)) {
                out.accept(ConformanceKit.check("round trip via PRE_COPY_P2P",
                        () -> roundTrip(subject, MigrationState.PRE_COPY_P2P)));
            }
        }
    }

    private static String roundTrip(final Subject subject, final MigrationState preCopy) throws Exception {
        try (MigrationTarget src = subject.open(); MigrationTarget dst = subject.open()) {
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            final MigrationStream s;
            String detail = "";
            if (preCopy != null) {
                final StateChange c = src.setState(preCopy);
                s = c.stream().orElseThrow(() -> new CheckFailure(preCopy + " opened no stream"));
                final PrecopyInfo first = src.precopyInfo();
                expect(first.initialBytes() > 0, "initial_bytes is 0 at the start of pre-copy");
                bytes.writeBytes(StreamIo.drain(s, false));
                final PrecopyInfo after = src.precopyInfo();
                expect(after.initialBytes() == 0, "initial_bytes " + after.initialBytes() + " after reading"
                        + " until no data");
                detail = "pre-copy " + bytes.size() + " bytes (initial " + first.initialBytes() + "), ";
                final StateChange sc = src.setState(MigrationState.STOP_COPY);
                expect(sc.stream().isEmpty(), "STOP_COPY after pre-copy opened a second stream");
                expect(s.isLive(), "pre-copy stream went stale on entering STOP_COPY");
            } else {
                s = src.setState(MigrationState.STOP_COPY).stream()
                        .orElseThrow(() -> new CheckFailure("STOP_COPY opened no stream"));
            }
            final long sum = src.checksum();
            final int before = bytes.size();
            bytes.writeBytes(StreamIo.drain(s, true));
            expect(s.read(java.nio.ByteBuffer.allocate(16)) == -1, "read after end of stream did not return -1");
            detail += "stop-copy " + (bytes.size() - before) + " bytes";
            final MigrationStream w = dst.setState(MigrationState.RESUMING).stream()
                    .orElseThrow(() -> new CheckFailure("RESUMING opened no stream"));
            final byte[] all = bytes.toByteArray();
            StreamIo.write(w, all, all.length);
            dst.setState(MigrationState.STOP);
            expect(dst.checksum() == sum, "destination checksum " + Long.toHexString(dst.checksum())
                    + " != source checksum at switchover " + Long.toHexString(sum));
            dst.setState(MigrationState.RUNNING);
            src.setState(MigrationState.RUNNING);
            return detail + ", checksums equal (" + Long.toHexString(sum) + ")";
        }
    }
}
