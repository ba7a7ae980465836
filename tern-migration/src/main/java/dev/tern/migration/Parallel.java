package dev.tern.migration;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs tasks on one platform thread each (devices stream in parallel) and returns their results in order. The
 * first failure, whichever task it comes from, ends the run at once: the others are interrupted and not waited
 * for, since they may be blocked on a peer that will never answer (the caller then closes the connections).
 */
final class Parallel {
    private Parallel() {
    }

    /**
     * @return each task's result, in task order
     * @throws Exception the first failure to happen
     */
    static <T> List<T> run(final List<Callable<T>> tasks) throws Exception {
        return run(tasks, true);
    }

    /** As {@link #run(List)}, or one task after another on the calling thread when {@code parallel} is false. */
    static <T> List<T> run(final List<Callable<T>> tasks, final boolean parallel) throws Exception {
        if (tasks.size() == 1 || !parallel) {
            final List<T> results = new ArrayList<>();
            for (final Callable<T> t : tasks) {
                results.add(t.call());
            }
            return results;
        }
        final ExecutorService pool = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon()
                .name("tern-parallel-", 0).factory());
        try {
            final CompletionService<T> done = new ExecutorCompletionService<>(pool);
            final List<Future<T>> futures = new ArrayList<>();
            for (final Callable<T> t : tasks) {
                futures.add(done.submit(t));
            }
            for (int i = 0; i < tasks.size(); i++) {
                try {
                    done.take().get();
                } catch (final ExecutionException e) {
                    futures.forEach(f -> f.cancel(true));
                    throw e.getCause() instanceof Exception ex ? ex : new Exception(e.getCause());
                }
            }
            final List<T> results = new ArrayList<>();
            for (final Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
