package dev.tern.cli;

import dev.tern.sys.Errno;
import dev.tern.sys.PosixException;
import dev.tern.sys.Pty;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;

/**
 * The host side of a served uart, named as QEMU names its character devices ({@code -chardev}):
 * {@code none} (output discarded at line rate), {@code stdio}, {@code pty} (a new pseudo-terminal; its path is
 * printed), {@code file:PATH} (output only, truncated) and {@code unix:PATH} (Tern listens, mode 0600; one client at
 * a time). Output is dropped while nobody is on the far end of a pty or socket, as QEMU's {@code server=on,wait=off}
 * socket and its pty do.
 */
sealed interface Console extends AutoCloseable permits Console.Fixed, Console.PtyLine, Console.Unix {

    /** @return what the far end sends */
    InputStream in();

    /** @return where the guest's output goes */
    OutputStream out();

    /** @return the spec, for the log */
    String describe();

    @Override
    default void close() throws IOException {
    }

    /**
     * @param spec {@code none|stdio|file:PATH|unix:PATH}
     * @throws CliException for an unknown spec or a path that cannot be opened
     */
    static Console open(final String spec) {
        try {
            if (spec.equals("none")) {
                return new Fixed(spec, InputStream.nullInputStream(), OutputStream.nullOutputStream());
            }
            if (spec.equals("stdio")) {
                return new Fixed(spec, System.in, System.out);
            }
            if (spec.equals("pty")) {
                return new PtyLine(Pty.open());
            }
            if (spec.startsWith("file:") && spec.length() > 5) {
                return new Fixed(spec, InputStream.nullInputStream(),
                        Files.newOutputStream(Path.of(spec.substring(5))));
            }
            if (spec.startsWith("unix:") && spec.length() > 5) {
                return Unix.listen(spec, Path.of(spec.substring(5)));
            }
        } catch (final IOException e) {
            throw new CliException("--console " + spec + ": " + e.getMessage());
        }
        throw new CliException("--console must be none, stdio, pty, file:PATH or unix:PATH, not '" + spec + "'");
    }

    /** A block read with {@link InputStream#read(byte[], int, int)}'s contract. */
    @FunctionalInterface
    interface BlockRead {
        int read(byte[] b, int off, int len) throws IOException;
    }

    /** A block write with {@link OutputStream#write(byte[], int, int)}'s contract. */
    @FunctionalInterface
    interface BlockWrite {
        void write(byte[] b, int off, int len) throws IOException;
    }

    /** @return an input stream whose single-byte read goes through {@code reads} as well */
    private static InputStream input(final BlockRead reads) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                final byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(final byte[] b, final int off, final int len) throws IOException {
                return reads.read(b, off, len);
            }
        };
    }

    /** @return an output stream whose single-byte write goes through {@code writes} as well */
    private static OutputStream output(final BlockWrite writes) {
        return new OutputStream() {
            @Override
            public void write(final int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(final byte[] b, final int off, final int len) throws IOException {
                writes.write(b, off, len);
            }
        };
    }

    /** Streams that exist for the server's lifetime. */
    record Fixed(String describe, InputStream in, OutputStream out) implements Console {
        @Override
        public void close() throws IOException {
            if (describe.startsWith("file:")) {
                out.close();
            }
        }
    }

    /** A pty master: reads wait while nobody has the slave open (EIO) or nothing was typed (EAGAIN). */
    record PtyLine(Pty pty) implements Console {
        private static final long IDLE_MILLIS = 10;

        @Override
        public InputStream in() {
            return Console.input(this::read);
        }

        private int read(final byte[] b, final int off, final int len) throws IOException {
            while (pty.master().isOpen()) {
                try {
                    final int n = pty.master().read(b, off, len);
                    if (n > 0) {
                        return n;
                    }
                } catch (final PosixException e) {
                    if (e.errno() != Errno.EAGAIN && e.errno() != Errno.EIO) {
                        throw e;
                    }
                } catch (final IllegalStateException e) {
                    break;
                }
                try {
                    Thread.sleep(IDLE_MILLIS);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return -1;
        }

        @Override
        public OutputStream out() {
            return Console.output((b, off, len) -> {
                try {
                    pty.master().writeFully(b, off, len);
                } catch (final PosixException | IllegalStateException e) {
                    // nobody reads the slave and its buffer is full (EAGAIN), or the pty is closed: dropped
                }
            });
        }

        @Override
        public String describe() {
            return "pty:" + pty.slavePath();
        }

        @Override
        public void close() {
            pty.close();
        }
    }

    /** A listening unix socket; the current client is the far end of the line. */
    final class Unix implements Console {
        private final String spec;
        private final Path path;
        private final ServerSocketChannel server;
        private volatile SocketChannel client;

        private Unix(final String spec, final Path path, final ServerSocketChannel server) {
            this.spec = spec;
            this.path = path;
            this.server = server;
        }

        static Unix listen(final String spec, final Path path) throws IOException {
            Files.deleteIfExists(path);
            final ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            s.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            return new Unix(spec, path, s);
        }

        /** @return the connected client, accepting the next one when there is none (blocks) */
        private SocketChannel connected() throws IOException {
            synchronized (this) {
                SocketChannel c = client;
                if (c == null || !c.isOpen()) {
                    c = server.accept();
                    client = c;
                }
                return c;
            }
        }

        @Override
        public InputStream in() {
            return Console.input(this::read);
        }

        private int read(final byte[] b, final int off, final int len) throws IOException {
            while (true) {
                final SocketChannel c = connected();
                try {
                    final int n = c.read(ByteBuffer.wrap(b, off, len));
                    if (n >= 0) {
                        return n;
                    }
                } catch (final IOException e) {
                    // this client is gone; wait for the next one
                }
                c.close();
            }
        }

        @Override
        public OutputStream out() {
            return Console.output((b, off, len) -> {
                final SocketChannel c = client;
                if (c == null || !c.isOpen()) {
                    return;
                }
                try {
                    Channels.newOutputStream(c).write(b, off, len);
                } catch (final IOException e) {
                    c.close();
                }
            });
        }

        @Override
        public String describe() {
            return spec;
        }

        @Override
        public void close() throws IOException {
            final SocketChannel c = client;
            if (c != null) {
                c.close();
            }
            server.close();
            Files.deleteIfExists(path);
        }
    }
}
