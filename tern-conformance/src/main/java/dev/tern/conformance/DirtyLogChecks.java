package dev.tern.conformance;

import static dev.tern.conformance.CheckFailure.expect;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaRange;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.TargetCapabilities.DirtyLogRules;
import dev.tern.sys.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * DMA logging on a fresh target, by the rules the target declares ({@code TargetCapabilities.dirtyLogRules}): the
 * uAPI's errno table (spec §2.11) for the kernel and the in-process engine, the same without the no-ranges case for
 * Tern's vfio-user server (vfio-user defines no ranges as "log all writes"), and for plain vfio-user only what its
 * specification requires, since it has no errno table.
 */
final class DirtyLogChecks {

    /** One request and the errnos the uAPI allows for it. */
    private record Case(String name, Set<Integer> errnos, StreamIo.Action action) {
    }

    private static final List<DmaRange> ONE = List.of(new DmaRange(0x100000, 0x100000));

    private DirtyLogChecks() {
    }

    static void run(final Subject subject, final Consumer<CheckResult> out) {
        out.accept(ConformanceKit.check("DMA logging", () -> {
            try (ConformanceKit.Lease l = ConformanceKit.lease(subject)) {
                final MigrationTarget t = l.target();
                CheckFailure.skipUnless(t.capabilities().dirtyLogging(), "the target offers no DMA logging");
                final DirtyLogRules rules = t.capabilities().dirtyLogRules();
                return rules == DirtyLogRules.VFIO_USER ? specOnly(t) : errnoTable(t, rules);
            }
        }));
    }

    private static String errnoTable(final MigrationTarget t, final DirtyLogRules rules) throws Exception {
        final List<DmaRange> many = new ArrayList<>();
        for (int i = 0; i < 257; i++) {
            many.add(new DmaRange(i * 0x10000L, 0x1000));
        }
        final List<Case> before = new ArrayList<>(List.of(
                new Case("REPORT before START", Set.of(Errno.EINVAL),
                        () -> t.reportDirty(0x100000, 0x1000, 4096, new long[1])),
                new Case("START with 257 ranges", Set.of(Errno.E2BIG), () -> t.startDirtyLogging(4096, many)),
                new Case("START with an unaligned range", Set.of(Errno.EINVAL),
                        () -> t.startDirtyLogging(4096, List.of(new DmaRange(0x100800, 0x1000)))),
                new Case("START with overlapping ranges", Set.of(Errno.EINVAL),
                        () -> t.startDirtyLogging(4096, List.of(new DmaRange(0x100000, 0x2000),
                                new DmaRange(0x101000, 0x2000))))));
        if (rules == DirtyLogRules.KERNEL_UAPI) {
            before.add(new Case("START with no ranges", Set.of(Errno.EINVAL), () -> t.startDirtyLogging(4096,
                    List.of())));
        }
        for (final Case c : before) {
            expectErrno(c);
        }
        final long page = t.startDirtyLogging(4096, ONE);
        expect(page >= 4096 && Long.bitCount(page) == 1, "START chose page size " + page);
        expectErrno(new Case("a second START", Set.of(Errno.EBUSY, Errno.EINVAL), () -> t.startDirtyLogging(4096,
                ONE)));
        expectErrno(new Case("REPORT with page size 1024", Set.of(Errno.EINVAL),
                () -> t.reportDirty(0x100000, 0x1000, 1024, new long[1])));
        expectErrno(new Case("REPORT with page size 12288", Set.of(Errno.EINVAL),
                () -> t.reportDirty(0x100000, 0x3000, 12288, new long[1])));
        t.reportDirty(0x100000, 0x100000, 4096, new long[4]);
        t.stopDirtyLogging();
        expectErrno(new Case("REPORT after STOP", Set.of(Errno.EINVAL),
                () -> t.reportDirty(0x100000, 0x1000, 4096, new long[1])));
        return (before.size() + 4) + " requests refused with the uAPI's errnos (" + rules + " rules); START chose"
                + " page size " + page;
    }

    /**
     * vfio-user's own rules: START, REPORT and STOP work and REPORT without logging fails. libvfio-user reports only
     * whole DMA regions (vfio-user-interop.md L6) and the kit maps none, so a refused REPORT while logging is
     * reported, not failed.
     */
    private static String specOnly(final MigrationTarget t) throws Exception {
        final long page = t.startDirtyLogging(4096, ONE);
        String report;
        try {
            t.reportDirty(0x100000, 0x100000, page, new long[(int) Math.max(1, 0x100000 / page / 64)]);
            report = "REPORT answered";
        } catch (final DeviceException e) {
            report = "REPORT of an unmapped range refused (" + Errno.name(e.errno()) + ")";
        }
        t.stopDirtyLogging();
        final DeviceException e = StreamIo.failure(() -> t.reportDirty(0x100000, 0x1000, page, new long[1]),
                "REPORT after STOP");
        return "START (page size " + page + "), " + report + ", STOP; REPORT after STOP refused ("
                + Errno.name(e.errno()) + "); vfio-user rules: no errno table in the specification";
    }

    private static void expectErrno(final Case c) throws Exception {
        final DeviceException e = StreamIo.failure(c.action(), c.name());
        expect(c.errnos().contains(e.errno()), c.name() + " failed with " + Errno.name(e.errno()) + ", expected "
                + c.errnos().stream().map(Errno::name).toList());
    }
}
