package dev.tern.vfiouser.server;

import dev.tern.device.DeviceException;
import dev.tern.device.DmaChannel;
import dev.tern.device.DmaMapping;
import dev.tern.device.DmaRange;
import dev.tern.device.DmaSpace;
import dev.tern.sys.Layouts;
import dev.tern.sys.PosixException;
import dev.tern.sys.SharedMemory;
import dev.tern.vfiouser.codec.Ack;
import dev.tern.vfiouser.codec.Command;
import dev.tern.vfiouser.codec.DmaMap;
import dev.tern.vfiouser.codec.DmaUnmap;
import dev.tern.vfiouser.codec.DmaUnmapReply;
import dev.tern.sys.Errno;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * DMA_MAP and DMA_UNMAP (specification "VFIO_USER_DMA_MAP" / "VFIO_USER_DMA_UNMAP"). A mapping with an fd is
 * mmap'ed into the device's {@link DmaSpace}; one without is reached through DMA_READ/DMA_WRITE messages to the
 * client ({@link SocketDmaChannel}). The server owns the mmaps and releases them on unmap and when the client
 * disconnects ("all client memory regions are unmapped and cleaned up", "Client Disconnection").
 */
final class DmaHandler implements AutoCloseable {
    private static final long PAGE = 4096;

    private final DmaSpace space;
    private final DmaChannel messages;
    private final int maxMaps;
    private final Map<Long, SharedMemory> mapped = new HashMap<>();
    private int count;

    /**
     * @param space    the device's DMA space
     * @param messages the message-based channel to the client
     * @param maxMaps  the negotiated {@code max_dma_maps}
     */
    DmaHandler(final DmaSpace space, final DmaChannel messages, final int maxMaps) {
        this.space = space;
        this.messages = messages;
        this.maxMaps = maxMaps;
    }

    Outcome map(final DmaMap m, final ReceivedFds fds) throws DeviceException {
        final boolean writable = (m.flags() & DmaMap.FLAG_WRITE) != 0;
        if ((m.flags() & (DmaMap.FLAG_READ | DmaMap.FLAG_WRITE)) == 0) {
            return Outcome.fail(Errno.EINVAL, "DMA_MAP: neither READ nor WRITE");
        }
        if (m.size() <= 0 || m.addr() < 0 || m.addr() > Long.MAX_VALUE - m.size()) {
            return Outcome.fail(Errno.EINVAL, "DMA_MAP: bad range 0x" + Long.toHexString(m.addr()) + "+0x"
                    + Long.toHexString(m.size()));
        }
        if (count >= maxMaps) {
            return Outcome.fail(Errno.ENOSPC, "DMA_MAP: max_dma_maps " + maxMaps + " reached");
        }
        final DmaRange range = new DmaRange(m.addr(), m.size());
        if (fds.size() == 0) {
            if ((m.flags() & (DmaMap.FLAG_MMAP | DmaMap.FLAG_FILE_IO)) != 0) {
                return Outcome.fail(Errno.EINVAL, "DMA_MAP: MMAP/FILE_IO without an fd");
            }
            space.map(new DmaMapping(range, new DmaMapping.Messages(messages), writable, false));
            count++;
            return Outcome.ok(new Ack(Command.DMA_MAP));
        }
        final String bad = checkFile(fds, m);
        if (bad != null) {
            return Outcome.fail(Errno.EINVAL, "DMA_MAP: " + bad);
        }
        final SharedMemory mem;
        try {
            mem = SharedMemory.map(fds.take(0), m.offset(), m.size(), writable);
        } catch (final PosixException e) {
            return Outcome.fail(e.errno(), "DMA_MAP: mmap failed: " + e.getMessage());
        }
        try {
            space.map(new DmaMapping(range, new DmaMapping.Memory(mem.segment()), writable, false));
        } catch (final DeviceException | RuntimeException e) {
            mem.close();
            throw e;
        }
        mapped.put(m.addr(), mem);
        count++;
        return Outcome.ok(new Ack(Command.DMA_MAP));
    }

    /**
     * Refuses what mmap would accept but a later access would turn into SIGBUS (a device thread dying with
     * {@code InternalError} while the device says RUNNING): an fd that is not a regular file (memfd), a range past
     * its end, or a file its owner may still shrink. The fd must carry {@code F_SEAL_SHRINK} (memfd_create(2) with
     * MFD_ALLOW_SEALING, then fcntl F_ADD_SEALS; QEMU's {@code memory-backend-memfd} seals by default, and so does
     * Tern's own guest memory). A file that cannot be sealed (a tmpfs or hugetlbfs file, not a memfd) is refused
     * too: such memory can still be given to the device without an fd, through DMA_READ/DMA_WRITE messages.
     */
    private static String checkFile(final ReceivedFds fds, final DmaMap m) {
        if (m.offset() < 0 || m.offset() % PAGE != 0) {
            return "offset 0x" + Long.toHexString(m.offset()) + " is not page aligned";
        }
        final Path link = Path.of("/proc/self/fd/" + fds.peek(0).value());
        try {
            if (!Files.isRegularFile(link)) {
                return "the fd is not a mappable file";
            }
            final int seals = fds.peek(0).seals();
            if (seals < 0 || (seals & Layouts.F_SEAL_SHRINK) == 0) {
                return "the fd is not sealed against shrinking (F_SEAL_SHRINK" + (seals < 0 ? "; it cannot be"
                        + " sealed: map it without an fd" : "") + ")";
            }
            final long size = Files.size(link);
            if (m.offset() > size || m.size() > size - m.offset()) {
                return "offset+size 0x" + Long.toHexString(m.offset() + m.size()) + " is past the end of the file"
                        + " (0x" + Long.toHexString(size) + ")";
            }
            return null;
        } catch (final IOException e) {
            return "cannot stat the fd: " + e.getMessage();
        }
    }

    Outcome unmap(final DmaUnmap u) throws DeviceException {
        if ((u.flags() & DmaUnmap.FLAG_GET_DIRTY_BITMAP) != 0) {
            return Outcome.fail(Errno.ENOTSUP, "DMA_UNMAP: GET_DIRTY_BITMAP (migration v1) is not supported;"
                    + " use DMA_LOGGING_REPORT");
        }
        if ((u.flags() & DmaUnmap.FLAG_ALL) != 0) {
            close();
            return Outcome.ok(DmaUnmapReply.echo(u));
        }
        if (u.size() <= 0 || u.addr() < 0 || u.addr() > Long.MAX_VALUE - u.size()) {
            return Outcome.fail(Errno.EINVAL, "DMA_UNMAP: bad range");
        }
        final List<DmaMapping> removed = space.unmap(u.addr(), u.size());
        if (removed.isEmpty()) {
            return Outcome.fail(Errno.ENOENT, "DMA_UNMAP: nothing is mapped in [0x" + Long.toHexString(u.addr())
                    + ", +0x" + Long.toHexString(u.size()) + ")");
        }
        for (final DmaMapping d : removed) {
            final SharedMemory mem = mapped.remove(d.range().iova());
            if (mem != null) {
                mem.close();
            }
            count--;
        }
        return Outcome.ok(DmaUnmapReply.echo(u));
    }

    /** Removes every mapping and releases the mmaps (DMA_UNMAP ALL, client disconnect). */
    @Override
    public void close() {
        space.unmapAll();
        mapped.values().forEach(SharedMemory::close);
        mapped.clear();
        count = 0;
    }
}
