package dev.tern.device;

/**
 * A range of IOVA space, {@code [iova, iova + length)}; the shape of {@code vfio_device_feature_dma_logging_range}
 * and of a DMA mapping. IOVAs are non-negative {@code long}s: addresses at or above 2^63 do not fit (EOVERFLOW
 * where the uAPI reports overflow).
 *
 * @param iova first address
 * @param length size in bytes, positive
 */
public record DmaRange(long iova, long length) {

    /** Validates the range. */
    public DmaRange {
        if (iova < 0 || length <= 0 || iova > Long.MAX_VALUE - length) {
            throw new IllegalArgumentException("bad IOVA range 0x" + Long.toHexString(iova) + "+0x"
                    + Long.toHexString(length));
        }
    }

    /**
     * Validates raw uAPI numbers the way the kernel does for DMA logging ranges (spec §2.11).
     *
     * @param iova the start, as the uAPI struct carries it
     * @param length the length, as the uAPI struct carries it
     * @return the range
     * @throws DeviceException EINVAL for a zero length, EOVERFLOW if the range does not fit below 2^63
     */
    public static DmaRange checked(final long iova, final long length) throws DeviceException {
        if (length == 0) {
            throw new DeviceException(dev.tern.sys.Errno.EINVAL, "empty IOVA range at 0x" + Long.toHexString(iova));
        }
        if (iova < 0 || length < 0 || iova > Long.MAX_VALUE - length) {
            throw new DeviceException(dev.tern.sys.Errno.EOVERFLOW, "IOVA range 0x" + Long.toHexString(iova) + "+0x"
                    + Long.toHexString(length) + " overflows");
        }
        return new DmaRange(iova, length);
    }

    /** {@return the first address after the range} */
    public long end() {
        return iova + length;
    }

    /**
     * {@return true if {@code [addr, addr + len)} lies inside this range}
     *
     * @param addr the first address
     * @param len the length
     */
    public boolean contains(final long addr, final long len) {
        return addr >= iova && len >= 0 && addr <= end() - len;
    }

    /**
     * {@return true if the two ranges share at least one byte}
     *
     * @param other the other range
     */
    public boolean overlaps(final DmaRange other) {
        return iova < other.end() && other.iova < end();
    }

    /** @return {@code [0x1000, 0x3000)} */
    @Override
    public String toString() {
        return "[0x" + Long.toHexString(iova) + ", 0x" + Long.toHexString(end()) + ")";
    }
}
