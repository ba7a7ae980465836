package dev.tern.vfiouser.server;

import dev.tern.sys.Fd;
import java.util.List;

/**
 * The descriptors that came with one command. A handler {@link #take}s those it keeps; the dispatcher closes the
 * rest after the command, whatever its outcome (libvfio-user test "fds closed on bad request").
 */
final class ReceivedFds {
    private final List<Fd> fds;
    private final boolean[] taken;

    ReceivedFds(final List<Fd> fds) {
        this.fds = List.copyOf(fds);
        this.taken = new boolean[fds.size()];
    }

    int size() {
        return fds.size();
    }

    /** @return descriptor {@code i}, still owned by this holder */
    Fd peek(final int i) {
        return fds.get(i);
    }

    /** @return descriptor {@code i}, now owned by the caller */
    Fd take(final int i) {
        taken[i] = true;
        return fds.get(i);
    }

    void closeUntaken() {
        for (int i = 0; i < taken.length; i++) {
            if (!taken[i]) {
                fds.get(i).close();
            }
        }
    }
}
