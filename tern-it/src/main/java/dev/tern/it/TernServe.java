package dev.tern.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@code tern serve} process (the real CLI, started from this JVM's class path), as a person would run it next to
 * QEMU. Its log (stderr) is kept for assertions; closing its stdin stops it.
 */
public final class TernServe implements AutoCloseable {

    private static final Duration READY = Duration.ofSeconds(90);

    private final Process process;
    private final boolean stdioConsole;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final StringBuffer stdout = new StringBuffer();
    private final Thread logReader;

    private TernServe(final Process process, final boolean stdioConsole) {
        this.process = process;
        this.stdioConsole = stdioConsole;
        this.logReader = Thread.ofPlatform().daemon().name("tern-serve-log").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                    StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    log.add(l);
                }
            } catch (final IOException e) {
                // the process ended
            }
        });
    }

    /**
     * Starts {@code tern serve --socket SOCKET ARGS...} and waits until it listens.
     *
     * @param args the other options, e.g. {@code --device uart --console unix:PATH}
     */
    public static TernServe start(final Path socket, final String... args) throws IOException,
            InterruptedException {
        final List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), "dev.tern.cli.Main", "serve", "--socket", socket.toString()));
        cmd.addAll(List.of(args));
        final TernServe s = new TernServe(new ProcessBuilder(cmd).start(), List.of(args).contains("stdio"));
        final CompletableFuture<String> ready = CompletableFuture.supplyAsync(s::readServingLine);
        try {
            final String line = ready.get(READY.toMillis(), TimeUnit.MILLISECONDS);
            if (line == null) {
                throw new IllegalStateException("tern serve " + String.join(" ", args) + " ended before listening: "
                        + s.log());
            }
            System.err.println("tern-it: " + line);
        } catch (final TimeoutException | ExecutionException e) {
            s.close();
            throw new IllegalStateException("tern serve did not listen within " + READY + ": " + s.log(), e);
        }
        return s;
    }

    private String readServingLine() {
        try {
            final BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            for (String l = r.readLine(); l != null; l = r.readLine()) {
                if (l.startsWith("tern: serving")) {
                    Thread.ofPlatform().daemon().name("tern-serve-stdout").start(() -> collect(r));
                    return l;
                }
            }
            return null;
        } catch (final IOException e) {
            return null;
        }
    }

    private void collect(final BufferedReader r) {
        final char[] buf = new char[4096];
        try {
            for (int n = r.read(buf); n >= 0; n = r.read(buf)) {
                stdout.append(buf, 0, n);
            }
        } catch (final IOException e) {
            // the process ended
        }
    }

    /** @return what the server wrote on stdout after its banner (with {@code --console stdio}: the guest's output) */
    public String stdout() {
        return stdout.toString();
    }

    /** Writes {@code text} to the server's stdin (with {@code --console stdio}: typed into the guest's port). */
    public void type(final String text) throws IOException {
        process.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
    }

    /** @return the log lines so far */
    public List<String> log() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /**
     * Stops the server: closes its stdin (or, when stdin is the console, sends SIGTERM), killing it if it does not
     * end within 20 s. Idempotent.
     */
    @Override
    public void close() throws InterruptedException {
        try {
            process.getOutputStream().close();
        } catch (final IOException e) {
            // already gone
        }
        if (stdioConsole) {
            process.destroy();
        }
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        logReader.join(5_000);
    }
}
