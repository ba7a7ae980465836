package dev.tern.vfiouser.codec;

/**
 * What a receiver accepts: bounds enforced by {@link FrameDecoder} and {@link MessageDecoder}.
 *
 * @param maxMessageSize  largest {@code msg_size} (header included) accepted; larger frames are rejected with EINVAL,
 *                        as libvfio-user's {@code is_valid_header} does for {@code msg_size > SERVER_MAX_MSG_SIZE}
 * @param maxDataXferSize largest {@code count}/{@code size} of a data-carrying message (REGION_READ/WRITE,
 *                        DMA_READ/WRITE, MIG_DATA_READ/WRITE): our advertised {@code max_data_xfer_size}
 *                        (specification "Read and Write Operations": "The count field must not exceed the value of
 *                        max_data_xfer_size of the peer")
 * @param maxFds          most file descriptors accepted with one message: our advertised {@code max_msg_fds}
 */
public record CodecLimits(long maxMessageSize, long maxDataXferSize, int maxFds) {
    /** The specification's default {@code max_data_xfer_size} (1 MiB). */
    public static final long DEFAULT_MAX_DATA_XFER_SIZE = 1L << 20;
    /**
     * Room for the header plus the largest fixed part that precedes bulk data: 32 bytes, the DMA_LOGGING_REPORT
     * reply ({@code argsz}, {@code flags}, {@code iova}, {@code length}, {@code page_size}) before its bitmap.
     * libvfio-user's {@code SERVER_MAX_MSG_SIZE} is {@code max_data_xfer + 16 + 16}, which fits every region/DMA/
     * migration message; we allow 16 bytes more so that a bitmap of a full {@code max_data_xfer_size} is
     * accepted too.
     */
    public static final int DATA_MESSAGE_OVERHEAD = Header.SIZE + 32;
    /** libvfio-user's server fd limit per message ({@code VFIO_USER_CLIENT_MAX_MSG_FDS_LIMIT}). */
    public static final int MAX_FDS_LIMIT = 1024;

    /** Validates the bounds. */
    public CodecLimits {
        if (maxMessageSize < Header.SIZE || maxMessageSize > 0xffff_ffffL) {
            throw new IllegalArgumentException("maxMessageSize out of range: " + maxMessageSize);
        }
        if (maxDataXferSize < 0 || maxFds < 0 || maxFds > MAX_FDS_LIMIT) {
            throw new IllegalArgumentException("bad limits: " + maxDataXferSize + ", " + maxFds);
        }
    }

    /**
     * {@return libvfio-user's server defaults: 1 MiB data, 8 fds ({@code SERVER_MAX_FDS}); messages up to 1 MiB + 48}
     */
    public static CodecLimits defaults() {
        return forDataXfer(DEFAULT_MAX_DATA_XFER_SIZE, 8);
    }

    /**
     * {@return limits whose message size bound is {@code maxDataXferSize + }{@value #DATA_MESSAGE_OVERHEAD}}
     *
     * @param maxDataXferSize largest data count accepted
     * @param maxFds          most fds per message
     */
    public static CodecLimits forDataXfer(final long maxDataXferSize, final int maxFds) {
        return new CodecLimits(Math.min(0xffff_ffffL, maxDataXferSize + DATA_MESSAGE_OVERHEAD), maxDataXferSize,
                maxFds);
    }
}
