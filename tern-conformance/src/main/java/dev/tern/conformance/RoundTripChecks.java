package dev.tern.conformance;

import static dev.tern.conformance.CheckFailure.expect;

import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.StateChange;
import dev.tern.protocol.MigrationFeature;
import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationState;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * Save on one target, load on a fresh one, compare the states; once through STOP_COPY directly, and through each
 * pre-copy state the flags allow, checking PRECOPY_INFO along the way where offered (spec §2.8–2.9).
 * <p>
 * States are compared by the device checksum taken at switchover (source stopped) and after the load when both
 * targets offer it; otherwise by digests, computed here, of the stop-copy streams both devices save afterwards from
 * STOP (the source never ran in between, so equal states give equal streams).
 */
final class RoundTripChecks {

    private RoundTripChecks() {
    }

    static void run(final Subject subject, final Consumer<CheckResult> out) {
        final String names = "round trip via STOP_COPY";
        if (subject.maxOpen() < 2) {
            out.accept(CheckResult.skip(names, "needs a source and a destination open at once; this subject can"
                    + " open one target (over vfio-user: give a second socket serving the same device)"));
            return;
        }
        out.accept(ConformanceKit.check(names, () -> roundTrip(subject, null)));
        final MigrationFlags flags;
        // Only the flags are needed; close the probe before the round trips open their two targets (over
        // vfio-user every open target holds a server).
        try (ConformanceKit.Lease probe = ConformanceKit.lease(subject)) {
            flags = probe.target().flags();
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
        try (ConformanceKit.Lease sl = ConformanceKit.lease(subject);
                ConformanceKit.Lease dl = ConformanceKit.lease(subject)) {
            final MigrationTarget src = sl.target();
            final MigrationTarget dst = dl.target();
            final boolean checksums = src.capabilities().checksum() && dst.capabilities().checksum();
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            final MigrationStream s;
            String detail = "";
            if (preCopy != null) {
                final StateChange c = src.setState(preCopy);
                s = c.stream().orElseThrow(() -> new CheckFailure(preCopy + " opened no stream"));
                detail = preCopy(src, s, bytes);
                final StateChange sc = src.setState(MigrationState.STOP_COPY);
                expect(sc.stream().isEmpty(), "STOP_COPY after pre-copy opened a second stream");
                expect(s.isLive(), "pre-copy stream went stale on entering STOP_COPY");
            } else {
                s = src.setState(MigrationState.STOP_COPY).stream()
                        .orElseThrow(() -> new CheckFailure("STOP_COPY opened no stream"));
            }
            final long sum = checksums ? src.checksum() : 0;
            final int before = bytes.size();
            bytes.writeBytes(StreamIo.drain(s, true));
            expect(s.read(ByteBuffer.allocate(16)) == -1, "read after end of stream did not return -1");
            detail += "stop-copy " + (bytes.size() - before) + " bytes";
            final MigrationStream w = dst.setState(MigrationState.RESUMING).stream()
                    .orElseThrow(() -> new CheckFailure("RESUMING opened no stream"));
            final byte[] all = bytes.toByteArray();
            StreamIo.write(w, all, all.length);
            dst.setState(MigrationState.STOP);
            if (checksums) {
                expect(dst.checksum() == sum, "destination checksum " + Long.toHexString(dst.checksum())
                        + " != source checksum at switchover " + Long.toHexString(sum));
                return detail + ", checksums equal (" + Long.toHexString(sum) + ")";
            }
            src.setState(MigrationState.STOP);
            final String a = StreamIo.resave(src);
            final String b = StreamIo.resave(dst);
            expect(a.equals(b), "the destination saves state " + b + ", the source " + a);
            return detail + ", re-saved streams equal (sha-256 " + a + ", no device checksum)";
        }
    }

    /** Drains pre-copy once, checking PRECOPY_INFO around it where the target offers it. */
    private static String preCopy(final MigrationTarget src, final MigrationStream s,
            final ByteArrayOutputStream bytes) throws Exception {
        if (!src.capabilities().precopyInfo()) {
            bytes.writeBytes(StreamIo.drain(s, false));
            return "pre-copy " + bytes.size() + " bytes (no PRECOPY_INFO: drained until a short read), ";
        }
        final PrecopyInfo first = src.precopyInfo();
        expect(first.initialBytes() > 0, "initial_bytes is 0 at the start of pre-copy");
        bytes.writeBytes(StreamIo.drain(s, false));
        final PrecopyInfo after = src.precopyInfo();
        expect(after.initialBytes() == 0, "initial_bytes " + after.initialBytes() + " after reading until no data");
        return "pre-copy " + bytes.size() + " bytes (initial " + first.initialBytes() + "), ";
    }
}
