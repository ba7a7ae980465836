package dev.tern.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs the CLI in-process, in the foreground or on a thread, capturing both streams. */
final class Cli {
    private static final Pattern LISTENING = Pattern.compile("tern: listening on (\\S+):(\\d+)");

    private Cli() {
    }

    record Run(int code, String out, String err) {
    }

    static Run run(final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    /** A command running on its own thread; its streams can be read while it runs. */
    record Background(CompletableFuture<Integer> code, StringWriter out, StringWriter err) {

        /** @return the command's result once it ends */
        Run await(final Duration timeout) throws Exception {
            final int c = code.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            return new Run(c, out.toString(), err.toString());
        }

        /** Waits for {@code tern receive}'s "listening on" line and returns the port it names. */
        int listeningPort(final Duration timeout) throws InterruptedException {
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                final Matcher m = LISTENING.matcher(err.toString());
                if (m.find()) {
                    return Integer.parseInt(m.group(2));
                }
                if (code.isDone()) {
                    throw new AssertionError("ended before listening: " + code.join() + " " + err + out);
                }
                Thread.sleep(10);
            }
            throw new AssertionError("not listening after " + timeout + ": " + err);
        }
    }

    static Background start(final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CompletableFuture<Integer> code = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("tern-cli-test " + args[0]).start(() -> {
            try {
                code.complete(Main.execute(args, new PrintWriter(out), new PrintWriter(err)));
            } catch (final Throwable t) {
                code.completeExceptionally(t);
            }
        });
        return new Background(code, out, err);
    }
}
