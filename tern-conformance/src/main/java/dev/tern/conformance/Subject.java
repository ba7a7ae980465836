package dev.tern.conformance;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.StateEvent;
import dev.tern.protocol.Arc;
import dev.tern.sys.Errno;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What the conformance kit checks: a way to open fresh migration targets of one device, plus optional diagnostic
 * powers (fault injection, arc observation) that only some targets have — an in-process engine has both; a
 * kernel VFIO device has neither, and the kit then skips the checks that need them.
 */
public interface Subject {

    /** Opens a target. */
    @FunctionalInterface
    interface Opener {
        /**
         * {@return a new target in RUNNING}
         *
         * @throws DeviceException if it cannot be opened
         */
        MigrationTarget open() throws DeviceException;
    }

    /** {@return a name for reports} */
    String name();

    /**
     * {@return a fresh target in its initial state (RUNNING)}
     *
     * @throws DeviceException if it cannot be opened
     */
    MigrationTarget open() throws DeviceException;

    /**
     * {@return how many targets can be open at once: over vfio-user one per socket (a server serves one client);
     * checks that hold a source and a destination skip below 2}
     */
    default int maxOpen() {
        return Integer.MAX_VALUE;
    }

    /**
     * Arms a failure of the next {@code arc} on {@code target}.
     *
     * @param target a target this subject opened
     * @param arc the arc whose next occurrence fails
     * @return false if this subject cannot inject faults
     */
    default boolean injectFailure(final MigrationTarget target, final Arc arc) {
        return false;
    }

    /**
     * Reports every arc {@code target} performs from now on to {@code arcs}.
     *
     * @param target a target this subject opened
     * @param arcs receives each arc as it is performed
     * @return false if arcs are not observable for this subject
     */
    default boolean observeArcs(final MigrationTarget target, final Consumer<Arc> arcs) {
        return false;
    }

    /**
     * Starts a workload that keeps {@code target}'s state changing while the device runs (a guest writing to it),
     * for the "save with the device busy" check; closing it stops the workload and returns once it has stopped.
     *
     * @param target a target this subject opened, RUNNING
     * @return empty if this subject has none (the check then relies on the device's own activity and says so)
     * @throws DeviceException if the workload cannot start
     */
    default Optional<AutoCloseable> keepBusy(final MigrationTarget target) throws DeviceException {
        return Optional.empty();
    }

    /**
     * A subject of in-process {@link MigrationEngine}s, with fault injection ({@link MigrationEngine#failNextArc},
     * EIO) and arc observation (its state events).
     *
     * @param name how reports name the subject
     * @param opener opens a fresh engine in RUNNING
     * @return the subject
     */
    static Subject ofEngines(final String name, final Opener opener) {
        return new Subject() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public MigrationTarget open() throws DeviceException {
                return opener.open();
            }

            @Override
            public boolean injectFailure(final MigrationTarget target, final Arc arc) {
                if (target instanceof MigrationEngine e) {
                    e.failNextArc(arc, Errno.EIO);
                    return true;
                }
                return false;
            }

            @Override
            public boolean observeArcs(final MigrationTarget target, final Consumer<Arc> arcs) {
                if (target instanceof MigrationEngine e) {
                    e.setListener(ev -> {
                        if (ev.cause() != StateEvent.Cause.RESET) {
                            ev.arc().ifPresent(arcs);
                        }
                    });
                    return true;
                }
                return false;
            }
        };
    }
}
