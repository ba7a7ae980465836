package dev.tern.vfiouser.codec;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/**
 * The {@code data[]} of a DEVICE_FEATURE message (after {@code argsz} and {@code flags}); which type applies depends
 * on the feature index, the operation and the direction (see {@link DeviceFeature}). Layouts follow the uAPI
 * structures the specification reuses ("Device Features"); all little-endian and packed.
 */
public sealed interface FeaturePayload {

    /** {@return bytes on the wire} */
    int size();

    /**
     * Writes the feature's data (after {@code argsz} and {@code flags}).
     *
     * @param dst little-endian buffer
     */
    void write(ByteBuffer dst);

    /** No data: GET requests, PROBE, DMA_LOGGING_STOP. */
    record Empty() implements FeaturePayload {
        @Override
        public int size() {
            return 0;
        }

        @Override
        public void write(final ByteBuffer dst) {
            // nothing
        }
    }

    /**
     * Data of a feature or operation the codec does not interpret, kept byte for byte.
     *
     * @param bytes the data
     */
    record Raw(Blob bytes) implements FeaturePayload {
        /** Checks for null. */
        public Raw {
            Objects.requireNonNull(bytes, "bytes");
        }

        @Override
        public int size() {
            return bytes.length();
        }

        @Override
        public void write(final ByteBuffer dst) {
            bytes.writeTo(dst);
        }
    }

    /**
     * MIGRATION GET reply ({@code struct vfio_device_feature_migration}).
     *
     * <pre>
     *  +---------------------------------------------------------------+
     *  |  0: flags  u64: STOP_COPY 1, P2P 2, PRE_COPY 4                |
     *  +---------------------------------------------------------------+
     * </pre>
     *
     * @param flags u64 {@code VFIO_MIGRATION_*}
     */
    record MigrationFlags(long flags) implements FeaturePayload {
        /** {@code VFIO_MIGRATION_STOP_COPY}. */
        public static final long STOP_COPY = 1;
        /** {@code VFIO_MIGRATION_P2P}. */
        public static final long P2P = 2;
        /** {@code VFIO_MIGRATION_PRE_COPY}. */
        public static final long PRE_COPY = 4;

        @Override
        public int size() {
            return 8;
        }

        @Override
        public void write(final ByteBuffer dst) {
            dst.putLong(flags);
        }
    }

    /**
     * MIG_DEVICE_STATE SET request / echo and GET reply ({@code struct vfio_device_feature_mig_state}).
     *
     * <pre>
     *  +-------------------------------+-------------------------------+
     *  |  0: device_state u32          |  4: data_fd s32 (unused: -1   |
     *  |     (vfio_device_mig_state)   |     sent, 0 returned)         |
     *  +-------------------------------+-------------------------------+
     * </pre>
     *
     * Observed SET PRE_COPY message payload: {@code 10 00 00 00 02 00 02 00 06 00 00 00 ff ff ff ff}.
     *
     * @param deviceState u32 state: ERROR 0, STOP 1, RUNNING 2, STOP_COPY 3, RESUMING 4, RUNNING_P2P 5,
     *                    PRE_COPY 6, PRE_COPY_P2P 7
     * @param dataFd      s32 data fd; unused in vfio-user (MIG_DATA_READ/WRITE carry the stream)
     */
    record MigDeviceState(int deviceState, int dataFd) implements FeaturePayload {
        @Override
        public int size() {
            return 8;
        }

        @Override
        public void write(final ByteBuffer dst) {
            dst.putInt(deviceState).putInt(dataFd);
        }
    }

    /**
     * One IOVA range of a DMA logging request ({@code struct vfio_device_feature_dma_logging_range}).
     *
     * @param iova   u64 start
     * @param length u64 length
     */
    record IovaRange(long iova, long length) {
    }

    /**
     * DMA_LOGGING_START / DMA_LOGGING_STOP SET request and echo ({@code struct
     * vfio_device_feature_dma_logging_control}).
     *
     * <pre>
     *  +---------------------------------------------------------------+
     *  |  0: page_size   u64, tracking granularity hint                |
     *  +-------------------------------+-------------------------------+
     *  |  8: num_ranges  u32           | 12: reserved u32 (0)          |
     *  +-------------------------------+-------------------------------+
     *  | 16: num_ranges x {u64 iova, u64 length} (0 ranges = all)     ...
     *  +---------------------------------------------------------------+
     * </pre>
     *
     * Observed START message payload: {@code 18 00 00 00 06 00 02 00 | 00 10 00 00 00 00 00 00 | 00 x 8}.
     *
     * @param pageSize u64 page size
     * @param ranges   the ranges to log
     */
    record DmaLoggingControl(long pageSize, List<IovaRange> ranges) implements FeaturePayload {
        /** Size of the fixed part. */
        public static final int SIZE = 16;

        /** Copies the list. */
        public DmaLoggingControl {
            ranges = List.copyOf(ranges);
        }

        @Override
        public int size() {
            return SIZE + 16 * ranges.size();
        }

        @Override
        public void write(final ByteBuffer dst) {
            dst.putLong(pageSize).putInt(ranges.size()).putInt(0);
            for (final IovaRange r : ranges) {
                dst.putLong(r.iova()).putLong(r.length());
            }
        }
    }

    /**
     * DMA_LOGGING_REPORT GET request ({@code struct vfio_device_feature_dma_logging_report} without the bitmap
     * pointer, which vfio-user replaces by data in the reply).
     *
     * <pre>
     *  +---------------------------------------------------------------+
     *  |  0: iova       u64                                            |
     *  +---------------------------------------------------------------+
     *  |  8: length     u64                                            |
     *  +---------------------------------------------------------------+
     *  | 16: page_size  u64, bitmap granularity, a power of two        |
     *  +---------------------------------------------------------------+
     * </pre>
     *
     * @param iova     u64 start of the range
     * @param length   u64 length of the range
     * @param pageSize u64 bytes per bitmap bit
     */
    record DmaLoggingReport(long iova, long length, long pageSize) implements FeaturePayload {
        /** Payload size. */
        public static final int SIZE = 24;

        @Override
        public int size() {
            return SIZE;
        }

        @Override
        public void write(final ByteBuffer dst) {
            dst.putLong(iova).putLong(length).putLong(pageSize);
        }
    }

    /**
     * DMA_LOGGING_REPORT GET reply: the request followed by the bitmap (specification: "identical, except with the
     * bitmap added on the end at offset 24").
     *
     * <pre>
     *  +---------------------------------------------------------------+
     *  |  0: iova u64 |  8: length u64 | 16: page_size u64             |
     *  +---------------------------------------------------------------+
     *  | 24: bitmap, u64 words; bit (addr - iova) / page_size          ...
     *  +---------------------------------------------------------------+
     * </pre>
     *
     * @param iova     u64 start of the range
     * @param length   u64 length of the range
     * @param pageSize u64 bytes per bit
     * @param bitmap   the bitmap bytes, a multiple of 8
     */
    record DmaLoggingReportReply(long iova, long length, long pageSize, Blob bitmap) implements FeaturePayload {
        /** Checks the bitmap length. */
        public DmaLoggingReportReply {
            Objects.requireNonNull(bitmap, "bitmap");
            if (bitmap.length() % 8 != 0) {
                throw new IllegalArgumentException("the bitmap is made of u64 words");
            }
        }

        /**
         * {@return the little-endian u64 word}
         *
         * @param index word index
         */
        public long word(final int index) {
            return bitmap.asReadOnlyBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(index * 8);
        }

        @Override
        public int size() {
            return DmaLoggingReport.SIZE + bitmap.length();
        }

        @Override
        public void write(final ByteBuffer dst) {
            dst.putLong(iova).putLong(length).putLong(pageSize);
            bitmap.writeTo(dst);
        }
    }

    /**
     * MIG_DATA_SIZE GET reply ({@code struct vfio_device_feature_mig_data_size}).
     *
     * <pre>
     *  +---------------------------------------------------------------+
     *  |  0: stop_copy_length  u64, estimated bytes left for STOP_COPY |
     *  +---------------------------------------------------------------+
     * </pre>
     *
     * @param stopCopyLength u64 estimate
     */
    record MigDataSize(long stopCopyLength) implements FeaturePayload {
        @Override
        public int size() {
            return 8;
        }

        @Override
        public void write(final ByteBuffer dst) {
            dst.putLong(stopCopyLength);
        }
    }

    /**
     * <b>Tern extension</b>: {@link Feature#TERN_PRECOPY_INFO} GET reply, mirroring the kernel's
     * {@code struct vfio_precopy_info} (without its {@code argsz}/{@code flags}, which the DEVICE_FEATURE envelope
     * already has).
     *
     * <pre>
     *  +---------------------------------------------------------------+
     *  |  0: initial_bytes  u64, initial data not yet read             |
     *  +---------------------------------------------------------------+
     *  |  8: dirty_bytes    u64, data that changed since it was read   |
     *  +---------------------------------------------------------------+
     *  | 16: flags          u64, only with precopy_info_v2 negotiated  |
     *  |     and asked for (argsz): bit 0 REINIT, new initial data     |
     *  +---------------------------------------------------------------+
     * </pre>
     *
     * @param initialBytes u64 initial bytes pending
     * @param dirtyBytes   u64 dirty bytes pending
     * @param flags        u64 {@link #REINIT} or 0; -1 for the 16-byte form (no flags field on the wire)
     */
    record PrecopyInfo(long initialBytes, long dirtyBytes, long flags) implements FeaturePayload {
        /** {@code VFIO_PRECOPY_INFO_REINIT}: the device re-initialised, new initial data appeared. */
        public static final long REINIT = 1;
        /** Bytes of the reply with the flags field. */
        public static final int V2_SIZE = 24;

        /**
         * The 16-byte form, without flags.
         *
         * @param initialBytes initial pre-copy data still to read
         * @param dirtyBytes data changed since it was read
         */
        public PrecopyInfo(final long initialBytes, final long dirtyBytes) {
            this(initialBytes, dirtyBytes, -1);
        }

        @Override
        public int size() {
            return flags < 0 ? 16 : V2_SIZE;
        }

        @Override
        public void write(final ByteBuffer dst) {
            dst.putLong(initialBytes).putLong(dirtyBytes);
            if (flags >= 0) {
                dst.putLong(flags);
            }
        }

        /** {@return whether the REINIT bit is set} */
        public boolean reinit() {
            return flags > 0 && (flags & REINIT) != 0;
        }
    }
}
