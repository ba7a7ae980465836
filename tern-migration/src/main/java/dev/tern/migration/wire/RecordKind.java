package dev.tern.migration.wire;

import java.util.Optional;

/**
 * What a migration stream record carries. The u16 {@link #code()} is what travels in the record header; codes are
 * stable across versions of Tern (a new kind gets a new code, a code is never reused).
 */
public enum RecordKind {
    /** Control, source to destination: first record of a session (devices, options). */
    HELLO(1),
    /** Control, destination to source: answer to {@link #HELLO} (accepted or refused). */
    HELLO_REPLY(2),
    /** Data: a chunk of one device's migration data stream. */
    DEVICE_DATA(3),
    /** Data: the device's stream for the current phase is complete. */
    DEVICE_END(4),
    /** Control: the initial (pre-copy) data of every device has been sent. */
    INIT_DATA_SENT(5),
    /** Control: the destination agrees to switch over. */
    SWITCHOVER_ACK(6),
    /** Data: a batch of guest memory pages. */
    MEMORY_PAGES(7),
    /** Data: the guest memory stream for the current phase is complete. */
    MEMORY_END(8),
    /** Control: the source has stopped the devices; stop-copy data follows. */
    STOP_COPY_BEGIN(9),
    /** Control, destination to source: every device has loaded its state. */
    LOADED(10),
    /** Control, source to destination: run the devices on the destination. */
    COMMIT(11),
    /** Control, destination to source: the destination devices are running. */
    COMMITTED(12),
    /** Either direction: give up the migration; the payload says why. */
    ABORT(13),
    /** Either direction: liveness, no meaning beyond "still here". */
    HEARTBEAT(14),
    /** Query connection, destination to source: what became of the session asked about (issue 9 item 13). */
    OUTCOME(15),
    /** Control, source to destination: COMMITTED arrived, so the destination need not keep the outcome for a query. */
    COMMIT_SEEN(16);

    private static final RecordKind[] BY_CODE = new RecordKind[17];

    static {
        for (final RecordKind k : values()) {
            if (BY_CODE[k.code] != null) {
                throw new ExceptionInInitializerError("duplicate record kind code " + k.code);
            }
            BY_CODE[k.code] = k;
        }
    }

    private final int code;

    RecordKind(final int code) {
        this.code = code;
    }

    /**
     * {@return the u16 code of this kind on the wire}
     */
    public int code() {
        return code;
    }

    /**
     * {@return the kind with that code, or empty for a code this version does not know}
     *
     * @param code a u16 from a record header
     */
    public static Optional<RecordKind> of(final int code) {
        return code >= 0 && code < BY_CODE.length ? Optional.ofNullable(BY_CODE[code]) : Optional.empty();
    }
}
