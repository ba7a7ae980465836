package dev.tern.device.conformance;

import static dev.tern.device.conformance.CheckFailure.expect;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaRange;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.sys.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/** The DMA-logging errno table of spec §2.11, on a fresh target. */
final class DirtyLogChecks {

    /** One request and the errnos the uAPI allows for it. */
    private record Case(String name, Set<Integer> errnos, StreamIo.Action action) {
    }

    private DirtyLogChecks() {
    }

    static void run(final Subject subject, final Consumer<CheckResult> out) {
        out.accept(ConformanceKit.check("DMA logging errno table", () -> {
            try (MigrationTarget t = subject.open()) {
                final List<DmaRange> many = new ArrayList<>();
                for (int i = 0; i < 257; i++) {
                    many.add(new DmaRange(i * 0x10000L, 0x1000));
                }
                final List<DmaRange> one = List.of(new DmaRange(0x100000, 0x100000));
                final List<Case> before = List.of(
                        new Case("REPORT before START", Set.of(Errno.EINVAL),
                                () -> t.reportDirty(0x100000, 0x1000, 4096, new long[1])),
                        new Case("START with 257 ranges", Set.of(Errno.E2BIG), () -> t.startDirtyLogging(4096, many)),
                        new Case("START with an unaligned range", Set.of(Errno.EINVAL),
                                () -> t.startDirtyLogging(4096, List.of(new DmaRange(0x100800, 0x1000)))),
                        new Case("START with overlapping ranges", Set.of(Errno.EINVAL),
                                () -> t.startDirtyLogging(4096, List.of(new DmaRange(0x100000, 0x2000),
                                        new DmaRange(0x101000, 0x2000)))));
                for (final Case c : before) {
                    expectErrno(c);
                }
                final String none = noRanges(t);
                final long page = t.startDirtyLogging(4096, one);
                expect(page >= 4096 && Long.bitCount(page) == 1, "START chose page size " + page);
                expectErrno(new Case("a second START", Set.of(Errno.EBUSY, Errno.EINVAL),
                        () -> t.startDirtyLogging(4096, one)));
                expectErrno(new Case("REPORT with page size 1024", Set.of(Errno.EINVAL),
                        () -> t.reportDirty(0x100000, 0x1000, 1024, new long[1])));
                expectErrno(new Case("REPORT with page size 12288", Set.of(Errno.EINVAL),
                        () -> t.reportDirty(0x100000, 0x3000, 12288, new long[1])));
                final long[] bitmap = new long[4];
                t.reportDirty(0x100000, 0x100000, 4096, bitmap);
                t.stopDirtyLogging();
                expectErrno(new Case("REPORT after STOP", Set.of(Errno.EINVAL),
                        () -> t.reportDirty(0x100000, 0x1000, 4096, new long[1])));
                return "9 requests refused with the uAPI's errnos; START with no ranges " + none
                        + "; START chose page size " + page;
            }
        }));
    }

    /**
     * START with no ranges: the kernel uAPI refuses it (EINVAL); the vfio-user specification makes it "log all
     * writes" ({@code num_ranges} 0). Either is conformant; logging is stopped again if it started.
     */
    private static String noRanges(final MigrationTarget t) throws Exception {
        try {
            t.startDirtyLogging(4096, List.of());
        } catch (final DeviceException e) {
            expect(e.errno() == Errno.EINVAL, "START with no ranges failed with " + Errno.name(e.errno())
                    + ", expected EINVAL (uAPI) or success (vfio-user: log all writes)");
            return "refused (uAPI)";
        }
        t.stopDirtyLogging();
        return "logs all writes (vfio-user)";
    }

    private static void expectErrno(final Case c) throws Exception {
        final DeviceException e = StreamIo.failure(c.action(), c.name());
        expect(c.errnos().contains(e.errno()), c.name() + " failed with " + Errno.name(e.errno()) + ", expected "
                + c.errnos().stream().map(Errno::name).toList());
    }
}
