package dev.tern.migration;

import dev.tern.protocol.MigrationState;

/**
 * What an operator's manager follows as a migration proceeds (issue 13 item 6), in QEMU's QMP vocabulary where one
 * exists: {@link Status} is QEMU's {@code MIGRATION} event, {@link DeviceState} its {@code VFIO_MIGRATION} event
 * (qapi/migration.json, qapi/vfio.json); {@link Round}, {@link Reinit}, {@link SwitchoverAck} and {@link Downtime} are
 * Tern's own.
 * {@link EventLog} writes them as JSON lines.
 */
public sealed interface MigrationEvent {

    /**
     * QEMU's {@code MIGRATION} event: the migration's status.
     *
     * @param status one of QEMU's MigrationStatus strings: setup, active, pre-switchover, device, completed, failed,
     *               cancelled
     */
    record Status(String status) implements MigrationEvent {
        /** @return the status of a migration entering {@code phase} */
        static Status of(final Phase phase) {
            return new Status(switch (phase) {
                case HANDSHAKE -> "setup";
                case PRE_COPY -> "active";
                case P2P -> "pre-switchover";
                case STOP_COPY, LOAD, COMMIT -> "device";
                case CLEANUP -> "completed";
            });
        }
    }

    /**
     * QEMU's {@code VFIO_MIGRATION} event: a device changed its migration state (as read back from it).
     *
     * @param device the device's name
     * @param state  its state now
     */
    record DeviceState(String device, MigrationState state) implements MigrationEvent {
        /** {@return QEMU's QapiVfioMigrationState string for the state ({@code error} is Tern's: QEMU has none)} */
        public String qemuName() {
            return switch (state) {
                case ERROR -> "error";
                case STOP -> "stop";
                case RUNNING -> "running";
                case STOP_COPY -> "stop-copy";
                case RESUMING -> "resuming";
                case RUNNING_P2P -> "running-p2p";
                case PRE_COPY -> "pre-copy";
                case PRE_COPY_P2P -> "pre-copy-p2p";
            };
        }
    }

    /**
     * Tern's {@code TERN_MIGRATION_ROUND}: one pre-copy round.
     *
     * @param stats      what the round moved and found
     * @param estimateMs the downtime a switchover now would take
     */
    record Round(MigrationReport.RoundStats stats, double estimateMs) implements MigrationEvent {
    }

    /**
     * Tern's {@code TERN_MIGRATION_REINIT}: a device announced new initial data mid-pre-copy (PRECOPY_INFOv2 REINIT);
     * the switchover now waits for its new switchover-ack.
     *
     * @param device       the device's name
     * @param initialBytes its initial data pending, as it reported with the REINIT
     */
    record Reinit(String device, long initialBytes) implements MigrationEvent {
    }

    /**
     * Tern's {@code TERN_SWITCHOVER_ACK}: the destination acknowledged it loaded a device's initial data.
     *
     * @param device the device's name
     * @param count  how many acks this device has received (more than 1 after a REINIT)
     */
    record SwitchoverAck(String device, int count) implements MigrationEvent {
    }

    /**
     * Tern's {@code TERN_MIGRATION_DOWNTIME}: the downtime measured against the estimate, once completed.
     *
     * @param downtimeMs  measured
     * @param estimateMs  estimated before the switchover (NaN: no pre-copy)
     */
    record Downtime(double downtimeMs, double estimateMs) implements MigrationEvent {
    }
}
