package org.example.counter;

import dev.tern.vfiouser.server.ServerConfig;
import dev.tern.vfiouser.server.VfioUserServer;
import java.io.IOException;
import java.nio.file.Path;

/** Serves one {@link CounterDevice} over vfio-user: {@code java ... org.example.counter.Main SOCKET}. */
public final class Main {
    private Main() {
    }

    /**
     * Listens on the socket, prints {@code listening SOCKET} once clients can connect, and serves until killed.
     *
     * @param args the socket path
     */
    public static void main(final String[] args) {
        if (args.length != 1) {
            System.err.println("usage: counter SOCKET");
            System.exit(2);
        }
        try (VfioUserServer server = VfioUserServer.listen(Path.of(args[0]), new CounterDevice(),
                ServerConfig.defaults())) {
            System.out.println("listening " + server.path());
            server.serve();
        } catch (final IOException e) {
            System.err.println("counter: cannot serve on " + args[0] + ": " + e.getMessage());
            System.exit(2);
        }
    }
}
