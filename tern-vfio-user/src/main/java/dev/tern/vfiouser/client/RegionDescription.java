package dev.tern.vfiouser.client;

import dev.tern.sys.Fd;
import dev.tern.vfiouser.codec.RegionCapability;
import dev.tern.vfiouser.codec.RegionInfoReply;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A region as the server described it (DEVICE_GET_REGION_INFO), with the fd to mmap it when it is mappable.
 *
 * @param info the reply, capabilities included
 * @param fd   the fd that came with it (owned by the caller; close it when done)
 */
public record RegionDescription(RegionInfoReply info, Optional<Fd> fd) implements AutoCloseable {
    /** Checks for null. */
    public RegionDescription {
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(fd, "fd");
    }

    /** {@return the mmap-able areas (sparse mmap capability), or the whole region if MMAP without the capability} */
    public List<RegionCapability.Area> mmapAreas() {
        if ((info.flags() & RegionInfoReply.FLAG_MMAP) == 0) {
            return List.of();
        }
        for (final RegionCapability c : info.capabilities()) {
            if (c instanceof RegionCapability.SparseMmap s) {
                return s.areas();
            }
        }
        return List.of(new RegionCapability.Area(0, info.size()));
    }

    /** Closes the fd, if any. */
    @Override
    public void close() {
        fd.ifPresent(Fd::close);
    }
}
