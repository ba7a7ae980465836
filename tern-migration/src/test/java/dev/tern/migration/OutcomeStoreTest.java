package dev.tern.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The destination's outcome memory (issue 9 item 13): one decision per session, bounded in size and age. */
class OutcomeStoreTest {
    private final AtomicLong now = new AtomicLong();
    private final OutcomeStore store = new OutcomeStore(4, Duration.ofSeconds(60), Duration.ofMillis(50), now::get);

    @Test
    void aQueryBeforeTheCommitFencesTheSessionAndTheCommitIsRefused() {
        final AtomicInteger fenced = new AtomicInteger();
        store.awaiting(1, fenced::incrementAndGet);
        assertThat(store.resolve(1)).isEqualTo(CommitOutcome.ROLLED_BACK);
        assertThat(fenced).hasValue(1);
        assertThat(store.commit(1)).isFalse();
        assertThat(store.resolve(1)).isEqualTo(CommitOutcome.ROLLED_BACK);
    }

    @Test
    void aCommitBeforeTheQueryIsWhatTheQueryHears() {
        store.awaiting(2, () -> { });
        assertThat(store.commit(2)).isTrue();
        assertThat(store.mayBeAsked(2)).isTrue();
        assertThat(store.resolve(2)).isEqualTo(CommitOutcome.COMMITTED);
        assertThat(store.mayBeAsked(2)).isFalse();
    }

    @Test
    void releasedAndUnknownSessionsAreUnknown() {
        store.awaiting(3, () -> { });
        store.commit(3);
        store.released(3);
        assertThat(store.resolve(3)).isEqualTo(CommitOutcome.UNKNOWN);
        assertThat(store.resolve(99)).isEqualTo(CommitOutcome.UNKNOWN);
    }

    @Test
    void boundedInSizeAndAge() {
        for (long id = 10; id < 16; id++) {
            store.awaiting(id, () -> { });
            store.rolledBack(id);
        }
        assertThat(store.resolve(10)).as("the oldest went first").isEqualTo(CommitOutcome.UNKNOWN);
        assertThat(store.resolve(15)).isEqualTo(CommitOutcome.ROLLED_BACK);
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        assertThat(store.resolve(15)).as("aged out").isEqualTo(CommitOutcome.UNKNOWN);
    }
}
